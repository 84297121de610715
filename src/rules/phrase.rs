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
/// checks that they are equal). This is for start-up: parsing folded the
/// case of every letter of every phrase anew, 5 of the 11 ms the built-in
/// rules took to parse. Here each letter is folded once, and the pieces
/// every rule shares are parsed once.
#[derive(Default)]
pub(super) struct PhraseHirs {
    /// Each character as `(?i)` makes it: a class of its case variants, or
    /// the literal when it has none.
    pub(super) folded: std::collections::HashMap<char, Hir>,
    /// Parsed pieces by their regex text: the decoration classes, `\s+`,
    /// the boundaries after a prefix.
    pub(super) pieces: std::collections::HashMap<String, Hir>,
}

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
                phrases.push(Hir::concat(self.words(&patterns[i])));
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
    /// them.
    pub(super) fn words(&mut self, phrase: &str) -> Vec<Hir> {
        let mut parts = Vec::new();
        for (i, word) in phrase.split_whitespace().enumerate() {
            if i > 0 {
                parts.push(self.piece(r"(?i:\s+)"));
            }
            parts.extend(word.chars().map(|c| self.fold(c)));
        }
        parts
    }

    /// A `line` or `prefix` rule's tree: as `pattern_regex` writes it.
    pub(super) fn anchored(&mut self, spec: &RuleSpec) -> Hir {
        let mut phrases = Vec::with_capacity(spec.patterns.len());
        for phrase in &spec.patterns {
            let mut parts = self.words(phrase);
            if spec.scope == Scope::Prefix {
                let end = prefix_end(phrase);
                if !end.is_empty() {
                    parts.push(self.piece(&format!("(?i:{end})")));
                }
            }
            phrases.push(Hir::concat(parts));
        }
        let mut whole = vec![
            Hir::look(Look::Start),
            self.piece(DECORATION),
            Hir::alternation(phrases),
        ];
        if spec.scope == Scope::Line {
            whole.push(self.piece(TRAILER));
            whole.push(Hir::look(Look::End));
        }
        Hir::concat(whole)
    }

    pub(super) fn fold(&mut self, c: char) -> Hir {
        self.folded
            .entry(c)
            .or_insert_with(|| {
                let mut class = ClassUnicode::new([ClassUnicodeRange::new(c, c)]);
                // Fails only when regex-syntax is built without its case
                // tables (a default feature, which `(?i)` phrases need in
                // the parser too).
                let _ = class.try_case_fold_simple();
                Hir::class(Class::Unicode(class))
            })
            .clone()
    }

    /// A piece is built-in regex text (the decoration, boundary and `\s+`
    /// pieces, and [`prefix_end`]'s boundaries), never a user's: one that
    /// does not parse is a bug, which the test of every built-in rule's tree
    /// would show.
    pub(super) fn piece(&mut self, regex: &str) -> Hir {
        // Looked up by `&str` first: `entry` would allocate the key on every
        // call, once per word of every phrase.
        if let Some(hir) = self.pieces.get(regex) {
            return hir.clone();
        }
        let hir = regex_syntax::Parser::new()
            .parse(regex)
            .expect("a built-in regex piece parses");
        self.pieces.insert(regex.to_string(), hir.clone());
        hir
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
