//! Phrase rules (`line`, `prefix`, `contains`) as regex syntax trees, built
//! directly rather than parsed from regex text.

use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Hir, Look};

use super::file::{RuleSpec, Scope};

/// Punctuation, symbols and spaces that may surround a `line` phrase.
pub(super) const DECORATION: &str = r"[\s\p{P}\p{S}]*";
/// What may follow a `line` phrase: decoration, counts ("Comments (12)").
pub(super) const TRAILER: &str = r"[\s\p{P}\p{S}\p{N}]*";

/// The regex a rule means, as text: what [`PhraseHirs`] builds the tree of
/// (tests compare the two, and match lines with this regex as a reference).
#[cfg(test)]
pub(super) fn pattern_regex(spec: &RuleSpec) -> String {
    let phrases = |scope| -> Vec<String> {
        let words = |phrase: &String| -> String {
            let words: Vec<String> = phrase.split_whitespace().map(regex::escape).collect();
            words.join(r"\s+")
        };
        spec.patterns
            .iter()
            .map(|phrase| match scope {
                Scope::Prefix => format!("{}{}", words(phrase), prefix_end(phrase)),
                _ => words(phrase),
            })
            .collect()
    };
    match spec.scope {
        Scope::Regex => spec.patterns[0].clone(),
        // Case-insensitivity stops at the phrases: folding the big
        // decoration classes costs start-up time and changes nothing (a test
        // checks that they are closed under case folding).
        Scope::Line => format!(
            "^{DECORATION}(?i:{}){TRAILER}$",
            phrases(Scope::Line).join("|")
        ),
        Scope::Prefix => format!("^{DECORATION}(?i:{})", phrases(Scope::Prefix).join("|")),
        Scope::Contains => contains_regex(&spec.patterns, &phrases(Scope::Contains)),
    }
}

/// Builds the syntax tree of a phrase rule (`line`, `prefix`, `contains`)
/// directly: the tree the parser makes of `pattern_regex`'s text (a test
/// checks that they are equal), save that a `line` or `prefix` rule's
/// phrases are [`PhraseHirs::factor`]ed. This is for start-up: parsing
/// folded the case of every letter of every phrase anew, 5 of the 11 ms the
/// built-in rules took to parse. Here each letter is folded once, and the
/// pieces every rule shares are parsed once.
#[derive(Default)]
pub(super) struct PhraseHirs {
    /// The parts phrases are made of, each once: characters as `(?i)`
    /// makes them (a class of their case variants, or the literal when
    /// there is none), and parsed pieces. Phrases are lists of their ids.
    pub(super) parts: Vec<Hir>,
    /// The part of each ASCII character seen, by code (most of every
    /// phrase: no hashing), and of the other characters.
    pub(super) ascii: Vec<Option<u32>>,
    pub(super) chars: std::collections::HashMap<char, u32>,
    /// The part of each class of case variants: `k`, `K` and the Kelvin
    /// sign are one part, so phrases in other case share beginnings.
    pub(super) classes: std::collections::HashMap<Vec<(char, char)>, u32>,
    /// The part of each piece by its regex text: the decoration classes,
    /// `\s+`, the boundaries after a prefix.
    pub(super) pieces: std::collections::HashMap<String, u32>,
    /// Write a `line` or `prefix` rule's phrases one by one, as the
    /// parser does, rather than factored.
    pub(super) flat: bool,
}

/// How deep [`PhraseHirs::factor`] nests alternations: past this, the rest
/// is written flat, so that no list of phrases can nest the tree deep
/// enough to exhaust the stack of the compiler (which recurses).
const FACTOR_DEPTH: u32 = 32;

impl PhraseHirs {
    /// The tree of `spec`'s regex; `None` for a `regex` rule, which is
    /// parsed.
    pub(super) fn build(&mut self, spec: &RuleSpec) -> Option<Hir> {
        match spec.scope {
            Scope::Regex => None,
            Scope::Contains => Some(self.contains(&spec.patterns)),
            Scope::Line | Scope::Prefix => Some(self.anchored(spec)),
        }
    }

    /// A `contains` rule's tree: as `contains_regex` writes it.
    pub(super) fn contains(&mut self, patterns: &[String]) -> Hir {
        let mut alternatives = Vec::new();
        for (k, group) in boundary_groups(patterns).iter().enumerate() {
            if group.is_empty() {
                continue;
            }
            let mut parts = Vec::new();
            if k >= 2 {
                parts.push(self.piece(BOUNDARY_BEFORE));
            }
            let mut phrases = Vec::with_capacity(group.len());
            for &i in group {
                let words = self.words(&patterns[i]);
                phrases.push(self.concat(&words));
            }
            parts.push(Hir::alternation(phrases));
            if k % 2 == 1 {
                parts.push(self.piece(BOUNDARY_AFTER));
            }
            alternatives.push(Hir::concat(parts));
        }
        Hir::alternation(alternatives)
    }

    /// A phrase's words, case-insensitive, any run of white space between
    /// them: its parts.
    pub(super) fn words(&mut self, phrase: &str) -> Vec<u32> {
        let mut parts = Vec::new();
        for (i, word) in phrase.split_whitespace().enumerate() {
            if i > 0 {
                parts.push(self.piece_id(r"(?i:\s+)"));
            }
            parts.extend(word.chars().map(|c| self.fold(c)));
        }
        parts
    }

    /// A `line` or `prefix` rule's tree: as `pattern_regex` writes it,
    /// with its phrases factored (unless `flat`).
    pub(super) fn anchored(&mut self, spec: &RuleSpec) -> Hir {
        let mut phrases = Vec::with_capacity(spec.patterns.len());
        for phrase in &spec.patterns {
            let mut parts = self.words(phrase);
            if spec.scope == Scope::Prefix {
                let end = prefix_end(phrase);
                if !end.is_empty() {
                    parts.push(self.piece_id(&format!("(?i:{end})")));
                }
            }
            phrases.push(parts);
        }
        let phrases: Vec<&[u32]> = phrases.iter().map(Vec::as_slice).collect();
        // At the depth limit `factor` writes the phrases one by one.
        let depth = if self.flat { FACTOR_DEPTH } else { 0 };
        let phrases = self.factor(phrases, depth);
        let mut whole = vec![Hir::look(Look::Start), self.piece(DECORATION), phrases];
        if spec.scope == Scope::Line {
            whole.push(self.piece(TRAILER));
            whole.push(Hir::look(Look::End));
        }
        Hir::concat(whole)
    }

    /// The alternation of `phrases` (lists of parts) with their shared
    /// beginnings written once: `sign\s+(?:in|up)` for `sign\s+in|sign\s+up`.
    /// The same language, so the same lines match. For start-up and the
    /// lazy DFA: every letter and `\s+` is compiled anew where it is
    /// written, and the automaton's states are sets of NFA states. The
    /// default rules' phrases have a fifth fewer parts factored; start-up
    /// took 7M fewer instructions, and the anchored lazy DFA's states cost
    /// a quarter less to build (30M fewer instructions over 10 MB).
    fn factor(&self, phrases: Vec<&[u32]>, depth: u32) -> Hir {
        if depth >= FACTOR_DEPTH {
            return Hir::alternation(phrases.iter().map(|p| self.concat(p)).collect());
        }
        // The phrases by their first part, in order of first appearance; a
        // phrase with no part left is the empty alternative.
        let mut groups: Vec<Vec<&[u32]>> = Vec::new();
        let mut group_of = std::collections::HashMap::new();
        let mut ends = false;
        for phrase in phrases {
            let Some(&first) = phrase.first() else {
                ends = true;
                continue;
            };
            let g = *group_of.entry(first).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[g].push(phrase);
        }
        let mut alternatives = Vec::with_capacity(groups.len() + usize::from(ends));
        for group in groups {
            let first = group[0];
            if group.len() == 1 {
                alternatives.push(self.concat(first));
                continue;
            }
            // The beginning all phrases of the group share, written once.
            let shared = (1..)
                .take_while(|&n| {
                    group
                        .iter()
                        .all(|p| p.get(n).is_some_and(|&x| x == first[n]))
                })
                .count()
                + 1;
            let rests = group.iter().map(|p| &p[shared..]).collect();
            let mut parts: Vec<Hir> = first[..shared].iter().map(|&id| self.part(id)).collect();
            parts.push(self.factor(rests, depth + 1));
            alternatives.push(Hir::concat(parts));
        }
        if ends {
            alternatives.push(Hir::empty());
        }
        Hir::alternation(alternatives)
    }

    fn part(&self, id: u32) -> Hir {
        self.parts[id as usize].clone()
    }

    /// The concatenation of `parts`.
    fn concat(&self, parts: &[u32]) -> Hir {
        Hir::concat(parts.iter().map(|&id| self.part(id)).collect())
    }

    /// The part of `c` as `(?i)` makes it.
    fn fold(&mut self, c: char) -> u32 {
        if let Some(&Some(id)) = self.ascii.get(c as usize) {
            return id;
        }
        if let Some(&id) = self.chars.get(&c) {
            return id;
        }
        let mut class = ClassUnicode::new([ClassUnicodeRange::new(c, c)]);
        // Fails only when regex-syntax is built without its case tables (a
        // default feature, which `(?i)` phrases need in the parser too).
        let _ = class.try_case_fold_simple();
        let key = class.iter().map(|r| (r.start(), r.end())).collect();
        let next = self.parts.len() as u32;
        let id = *self.classes.entry(key).or_insert(next);
        if id == next {
            self.parts.push(Hir::class(Class::Unicode(class)));
        }
        if c.is_ascii() {
            self.ascii.resize(128, None);
            self.ascii[c as usize] = Some(id);
        } else {
            self.chars.insert(c, id);
        }
        id
    }

    /// A piece is built-in regex text (the decoration, boundary and `\s+`
    /// pieces, and [`prefix_end`]'s boundaries), never a user's: one that
    /// does not parse is a bug, which the test of every built-in rule's tree
    /// would show.
    pub(super) fn piece(&mut self, regex: &str) -> Hir {
        let id = self.piece_id(regex);
        self.part(id)
    }

    fn piece_id(&mut self, regex: &str) -> u32 {
        // Looked up by `&str` first: `entry` would allocate the key on every
        // call, once per word of every phrase.
        if let Some(&id) = self.pieces.get(regex) {
            return id;
        }
        let hir = regex_syntax::Parser::new()
            .parse(regex)
            .expect("a built-in regex piece parses");
        let id = self.parts.len() as u32;
        self.parts.push(hir);
        self.pieces.insert(regex.to_string(), id);
        id
    }
}

/// A `contains` rule's regex: its phrases as whole words. A boundary is "no
/// letter of an alphabet that spaces its words, and no digit, beside the
/// phrase": "ton" must not match in "Béton", nor "über" in "gegenüber",
/// while "版权" matches inside a run of Chinese, which has no spaces, and
/// Korean and Arabic phrases, which take attached particles, get none. Not
/// Unicode `\b`, which would stop the fast automaton on every non-ASCII
/// line. Phrases are grouped by which of their edges take a boundary, so
/// each group writes the boundary class once: it is large once compiled.
#[cfg(test)]
pub(super) fn contains_regex(patterns: &[String], phrases: &[String]) -> String {
    let alternatives: Vec<String> = boundary_groups(patterns)
        .iter()
        .enumerate()
        .filter(|(_, group)| !group.is_empty())
        .map(|(k, group)| {
            let before = if k >= 2 { BOUNDARY_BEFORE } else { "" };
            let after = if k % 2 == 1 { BOUNDARY_AFTER } else { "" };
            let group: Vec<&str> = group.iter().map(|&i| phrases[i].as_str()).collect();
            format!("{before}(?:{}){after}", group.join("|"))
        })
        .collect();
    format!("(?i)(?:{})", alternatives.join("|"))
}

/// A `contains` phrase's boundaries: the line's edge, or anything but a
/// digit or a letter of the alphabets that space their words (Latin, Greek,
/// Cyrillic: the scripts of [`spaced_script`]).
pub(super) const BOUNDARY_BEFORE: &str = r"(?-i:(?:^|[^\p{Latin}\p{Greek}\p{Cyrillic}0-9_]))";
pub(super) const BOUNDARY_AFTER: &str = r"(?-i:(?:$|[^\p{Latin}\p{Greek}\p{Cyrillic}0-9_]))";

/// The indexes of a `contains` rule's phrases grouped by which edges take a
/// boundary: group `2 * before + after`.
pub(super) fn boundary_groups(patterns: &[String]) -> [Vec<usize>; 4] {
    let spaced = |c: Option<char>| {
        c.is_some_and(|c| c.is_ascii_alphanumeric() || spaced_script(c).is_some())
    };
    let mut groups: [Vec<usize>; 4] = Default::default();
    for (i, pattern) in patterns.iter().enumerate() {
        let before = spaced(pattern.chars().next());
        let after = spaced(pattern.chars().last());
        groups[usize::from(before) * 2 + usize::from(after)].push(i);
    }
    groups
}

/// The end of a `prefix` phrase: a word boundary when it ends in a letter or
/// digit of an alphabet that spaces its words. A prefix is in the anchored
/// automaton, which every line runs, so it takes the cheapest boundary that
/// sees its last letter: ASCII `\b`, or its own script's class.
pub(super) fn prefix_end(phrase: &str) -> String {
    match phrase.chars().last() {
        Some(c) if c.is_ascii_alphanumeric() => r"(?-u:\b)".to_string(),
        Some(c) => spaced_script(c).map_or(String::new(), |script| {
            format!(r"(?-i:(?:$|[^{script}0-9_]))")
        }),
        None => String::new(),
    }
}

/// The script class of a non-ASCII letter of an alphabet that spaces its
/// words, for a word boundary beside it.
pub(super) fn spaced_script(c: char) -> Option<&'static str> {
    if !c.is_alphabetic() {
        return None;
    }
    match c as u32 {
        0x00C0..=0x024F | 0x1E00..=0x1EFF => Some(r"\p{Latin}"),
        0x0370..=0x03FF | 0x1F00..=0x1FFF => Some(r"\p{Greek}"),
        0x0400..=0x052F => Some(r"\p{Cyrillic}"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::file;

    /// Factored phrases match what the flat alternation matches: every
    /// phrase, its beginnings and its continuations, in other case.
    #[test]
    fn factored_phrases_match_as_the_flat_ones() {
        let rules = "drop a line Sign in | Sign up | Sign | Sign in now | sign IN | Share on X | \
                     Share on Facebook | Share | x | Share this: | 登录 | 登錄 | Ǆemal ǅ\n\
                     drop b prefix Sign in | Sign | Share on | Share | Nächste | Далее | Да\n";
        let specs = file::parse("t", rules.as_bytes()).unwrap().rules;
        for spec in &specs {
            let mut flat = PhraseHirs {
                flat: true,
                ..PhraseHirs::default()
            };
            let mut factored = PhraseHirs::default();
            let (flat, factored) = (flat.anchored(spec), factored.anchored(spec));
            assert_ne!(flat, factored, "rule `{}` is factored", spec.id);
            let regex = |hir: &Hir| {
                regex_automata::meta::Regex::builder()
                    .build_from_hir(hir)
                    .unwrap()
            };
            let (flat, factored) = (regex(&flat), regex(&factored));
            let mut lines = vec![String::new(), " ".into(), "» ".into()];
            for phrase in &spec.patterns {
                for end in 0..=phrase.len() {
                    let Some(part) = phrase.get(..end) else {
                        continue;
                    };
                    for line in [
                        part.to_string(),
                        part.to_uppercase(),
                        format!("» {part} (12)"),
                        format!("{part}x"),
                        format!("{part} now"),
                        format!("{part}  in"),
                    ] {
                        lines.push(line);
                    }
                }
            }
            for line in &lines {
                assert_eq!(
                    flat.is_match(line.as_bytes()),
                    factored.is_match(line.as_bytes()),
                    "rule `{}` on {line:?}",
                    spec.id
                );
            }
        }
    }

    /// Phrases that each extend the one before nest one alternation per
    /// phrase; past the limit the rest is written flat.
    #[test]
    fn factoring_nests_a_bounded_depth() {
        let phrases: Vec<String> = (1..=400).map(|n| "a ".repeat(n)).collect();
        let rules = format!("drop deep line {}\n", phrases.join("|"));
        let specs = file::parse("t", rules.as_bytes()).unwrap().rules;
        let hir = PhraseHirs::default().anchored(&specs[0]);
        fn depth(hir: &Hir) -> usize {
            use regex_syntax::hir::HirKind;
            match hir.kind() {
                HirKind::Concat(hirs) | HirKind::Alternation(hirs) => {
                    1 + hirs.iter().map(depth).max().unwrap_or(0)
                }
                HirKind::Repetition(r) => 1 + depth(&r.sub),
                HirKind::Capture(c) => 1 + depth(&c.sub),
                _ => 0,
            }
        }
        assert!(depth(&hir) < 100, "{}", depth(&hir));
    }
}
