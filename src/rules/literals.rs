//! Required literals: for a rule's regex, a small set of byte strings such
//! that every match of the regex contains at least one of them. Lines that
//! contain none of a rule's literals cannot match it, so its regex is never
//! run on them.
//!
//! The analysis walks the parsed regex (`regex_syntax::hir::Hir`), the same
//! tree the matcher is compiled from, so it sees exactly what the regex
//! matches: `(?i)` has already become character classes (`[kK\u{212A}]`,
//! `[дД]`), which are enumerated when small. Literals are lowercased in
//! ASCII only, for an ASCII-case-insensitive Aho-Corasick automaton; their
//! non-ASCII case variants are listed one by one. The result may hold
//! literals the rule does not need (a case-sensitive rule also hits on other
//! case), never fewer than it needs.

use std::ops::Range;

use regex_syntax::hir::{Class, Hir, HirKind};

/// The most strings a finite set may hold while it is being built (a case
/// class multiplies them: `Главная` alone has 2^7 spellings).
const MAX_SET: usize = 64;
/// The most characters a class may hold and still be enumerated (`[0-9]`
/// is ten).
const MAX_CLASS: usize = 10;
/// The most literals one rule may need before it is not worth filtering.
pub const MAX_RULE_LITERALS: usize = 512;
/// Literals shorter than this hit too many lines to be worth it.
pub const MIN_LITERAL_LEN: usize = 2;

/// A set of byte strings, ASCII-lowercased, sorted and without duplicates.
type Set = Vec<Vec<u8>>;

/// Every match of `hir` contains one of the returned literals (ASCII
/// lowercased), or `None` when no useful such set was found. (The engine
/// takes it from [`required_with_clauses`], which tests hold to this.)
#[cfg(test)]
pub fn required(hir: &Hir) -> Option<Set> {
    finish_required(req(hir)?)
}

/// [`req`]'s set as [`required`] gives it: minimised, and `None` when it
/// is too large or holds too short a literal to be worth it.
fn finish_required(set: Set) -> Option<Set> {
    if set.is_empty() || set.len() > MAX_RULE_LITERALS {
        return None;
    }
    let set = minimize(set);
    if set.iter().any(|s| s.len() < MIN_LITERAL_LEN) {
        return None;
    }
    Some(set)
}

/// Drops every literal that contains another literal of the set: a line
/// holding the longer one holds the shorter one too.
fn minimize(mut set: Set) -> Set {
    set.sort_by_key(|s| s.len());
    let mut out: Set = Vec::with_capacity(set.len());
    for s in set {
        if !out.iter().any(|t| contains(&s, t)) {
            out.push(s);
        }
    }
    out.sort();
    out
}

/// Whether `haystack` holds `needle`, byte for byte.
pub(super) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// How good a required set is as a filter: longer shortest literal first
/// (a 2-byte literal hits far more lines than a 6-byte one; beyond 8 bytes
/// it hardly matters), then fewer literals.
fn quality(set: &Set) -> (usize, std::cmp::Reverse<usize>) {
    let shortest = set.iter().map(Vec::len).min().unwrap_or(0);
    (shortest.min(LONG_ENOUGH), std::cmp::Reverse(set.len()))
}

/// A literal this long filters as well as a longer one.
const LONG_ENOUGH: usize = 8;

/// What no set can beat: one literal, long enough.
const BEST_QUALITY: (usize, std::cmp::Reverse<usize>) = (LONG_ENOUGH, std::cmp::Reverse(1));

fn better(a: Option<Set>, b: Option<Set>) -> Option<Set> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if quality(&b) > quality(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// A required set of `hir` (see [`required`]); it may contain the empty
/// string only if it is `None`.
fn req(hir: &Hir) -> Option<Set> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => None,
        HirKind::Literal(_) | HirKind::Class(_) => nonempty(exact(hir)?),
        HirKind::Capture(c) => req(&c.sub),
        HirKind::Repetition(r) if r.min == 0 => None,
        HirKind::Repetition(r) => {
            // The whole repetition when it is small and finite (`\d{4}`),
            // else one copy of its body.
            better(exact(hir).and_then(nonempty), req(&r.sub))
        }
        HirKind::Alternation(alts) => union(alts, req, MAX_RULE_LITERALS),
        HirKind::Concat(parts) => {
            let exacts: Vec<Option<Set>> = parts.iter().map(exact).collect();
            let part_reqs: Vec<Option<Set>> = parts.iter().map(req).collect();
            best_in_concat(parts, &exacts, &part_reqs, None).map(|(_, set)| set)
        }
    }
}

/// The best required set among a concatenation's single parts (whose
/// finite languages are `exacts` and required sets `part_reqs`) and
/// windows of consecutive parts (see [`req`]), with the parts it comes
/// from. With `outside`, only from parts outside that range, and windows
/// that start a word (after a part whose language is not finite): the
/// second literal of a clause.
fn best_in_concat(
    parts: &[Hir],
    exacts: &[Option<Set>],
    part_reqs: &[Option<Set>],
    outside: Option<Range<usize>>,
) -> Option<(Range<usize>, Set)> {
    let allowed = |range: &Range<usize>| {
        outside
            .as_ref()
            .is_none_or(|o| range.end <= o.start || range.start >= o.end)
    };
    let mut best: Option<(Range<usize>, &Set)> = None;
    for (i, set) in part_reqs.iter().enumerate() {
        if let Some(set) = set
            && allowed(&(i..i + 1))
            && best.as_ref().is_none_or(|(_, b)| quality(set) > quality(b))
        {
            best = Some((i..i + 1, set));
        }
    }
    let mut best = best.map(|(range, set)| (range, set.clone()));
    // Every window of consecutive parts with finite languages: the
    // product of their languages is required too, and is longer.
    // A window ends with the beginnings of the first part whose
    // language is not finite: `\s\(\d+\)` needs ` (0`…` (9`, not
    // just ` (`, which one line of prose in eight holds.
    // Once one literal of 8 bytes or more is found, no window can
    // do better: a phrase of 30 letters needs no 400 products.
    for start in 0..parts.len() {
        if best
            .as_ref()
            .is_some_and(|(_, b)| quality(b) == BEST_QUALITY)
        {
            break;
        }
        if outside.is_some() && start > 0 && exacts[start - 1].is_some() {
            continue;
        }
        let mut product = vec![Vec::new()];
        for (end, (part, e)) in (start + 1..).zip(parts[start..].iter().zip(&exacts[start..])) {
            if !allowed(&(start..end)) {
                break;
            }
            let (next, last) = match e {
                Some(e) => (cross(&product, e), false),
                None => (prefixes(part).and_then(|p| cross(&product, &p)), true),
            };
            match next {
                Some(p) => product = p,
                None => break,
            }
            let improves = best
                .as_ref()
                .is_none_or(|(_, b)| quality(&product) > quality(b));
            if improves && !holds_empty(&product) {
                best = Some((start..end, product.clone()));
            }
            // A longer window cannot do better once every string
            // is long enough: its strings are no shorter and no fewer.
            // (Without this, a word with an `s` or a `k`, two
            // spellings each, never reaches one literal, and every
            // window ran on to the end of the part.)
            if last || product.iter().all(|s| s.len() >= LONG_ENOUGH) {
                break;
            }
        }
    }
    best
}

/// One way for a rule to match: the line holds one of `primary` and, if
/// there is one, one of `secondary` too (ASCII lowercased, like
/// [`required`]'s).
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub primary: Set,
    pub secondary: Option<Set>,
}

/// A second literal counts only if it is this long (in bytes) or longer.
const MIN_SECONDARY_LEN: usize = 3;
/// ... and has at most this many spellings.
const MAX_SECONDARY: usize = 8;
/// The most clauses a rule's checks hold (the default rules: 23).
const MAX_CLAUSES: usize = 64;

/// [`required`] of `hir`, and clauses of which every match satisfies one
/// (`None`: none found). A line that holds a rule's required literal but
/// satisfies none of its clauses cannot match it: the second literal
/// spares the rule's own search on lines that hold one common word of a
/// phrase (`website`, `comment`) and not the rest. One walk for both: the
/// required set is the one [`required`] gives (a test checks).
pub fn required_with_clauses(hir: &Hir) -> (Option<Set>, Option<Vec<Clause>>) {
    let (set, clauses) = req_clauses(hir);
    let set = set.and_then(finish_required);
    // Each line with a literal of the rule reads every clause: a rule of
    // hundreds of phrases is searched rather than checked phrase by phrase.
    let clauses = clauses.filter(|c| set.is_some() && c.len() <= MAX_CLAUSES);
    (set, clauses)
}

/// [`req`] of `hir`, and its clauses.
fn req_clauses(hir: &Hir) -> (Option<Set>, Option<Vec<Clause>>) {
    match hir.kind() {
        HirKind::Capture(c) => req_clauses(&c.sub),
        HirKind::Alternation(alts) => {
            // As [`union`] of the branches' [`req`].
            let mut all = Set::new();
            let mut clauses = Some(Vec::new());
            for alt in alts {
                let (set, more) = req_clauses(alt);
                let Some(set) = set else {
                    return (None, None);
                };
                all.extend(set);
                if all.len() > MAX_RULE_LITERALS {
                    return (None, None);
                }
                clauses = clauses.zip(more).map(|(mut c, more)| {
                    c.extend(more);
                    c
                });
            }
            (Some(normalize(all)), clauses)
        }
        HirKind::Concat(parts) => {
            // Alternations' clauses come with their required sets; the
            // other parts' sets as `req` finds them.
            let (part_reqs, mut part_clauses): (Vec<Option<Set>>, Vec<Option<Vec<Clause>>>) = parts
                .iter()
                .map(|part| {
                    if is_alternation(part) {
                        req_clauses(part)
                    } else {
                        (req(part), None)
                    }
                })
                .unzip();
            let exacts: Vec<Option<Set>> = parts.iter().map(exact).collect();
            let Some((range, primary)) = best_in_concat(parts, &exacts, &part_reqs, None) else {
                return (None, None);
            };
            let secondary = best_in_concat(parts, &exacts, &part_reqs, Some(range.clone()))
                .map(|(_, set)| set)
                .filter(|set| {
                    set.len() <= MAX_SECONDARY && set.iter().all(|s| s.len() >= MIN_SECONDARY_LEN)
                });
            // `\b(?:one|two)\b`: each branch its own clauses.
            if range.len() == 1
                && let Some(mut each) = part_clauses[range.start].take()
            {
                for clause in &mut each {
                    if clause.secondary.is_none() {
                        clause.secondary.clone_from(&secondary);
                    }
                }
                return (Some(primary), Some(each));
            }
            let clause = Clause {
                primary: primary.clone(),
                secondary,
            };
            (Some(primary), Some(vec![clause]))
        }
        _ => {
            let set = req(hir);
            let clauses = set.clone().map(|primary| {
                vec![Clause {
                    primary,
                    secondary: None,
                }]
            });
            (set, clauses)
        }
    }
}

fn is_alternation(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Capture(c) => is_alternation(&c.sub),
        HirKind::Alternation(_) => true,
        _ => false,
    }
}

/// Every match of `hir` begins with one of the returned strings (ASCII
/// lowercased, none empty), if they are few; `None` when `hir` can match
/// the empty string.
fn prefixes(hir: &Hir) -> Option<Set> {
    if let Some(set) = exact(hir) {
        return nonempty(set);
    }
    match hir.kind() {
        HirKind::Capture(c) => prefixes(&c.sub),
        HirKind::Repetition(r) if r.min > 0 => prefixes(&r.sub),
        HirKind::Alternation(alts) => union(alts, prefixes, MAX_SET),
        HirKind::Concat(parts) => {
            // An assertion reads nothing: the first part that reads decides.
            let first = parts
                .iter()
                .find(|p| !matches!(p.kind(), HirKind::Look(_)))?;
            prefixes(first)
        }
        _ => None,
    }
}

fn nonempty(set: Set) -> Option<Set> {
    (!holds_empty(&set)).then_some(set)
}

/// Whether `set` holds the empty string: then it requires nothing.
fn holds_empty(set: &Set) -> bool {
    set.iter().any(Vec::is_empty)
}

fn normalize(mut set: Set) -> Set {
    set.sort();
    set.dedup();
    set
}

/// Every concatenation of a string of `a` with one of `b`, if not too many.
fn cross(a: &Set, b: &Set) -> Option<Set> {
    if a.len().saturating_mul(b.len()) > MAX_SET {
        return None;
    }
    let mut out = Set::with_capacity(a.len() * b.len());
    for x in a {
        for y in b {
            // Allocated once at its full length (a clone of `x`, then
            // extended, is allocated twice).
            let mut s = Vec::with_capacity(x.len() + y.len());
            s.extend_from_slice(x);
            s.extend_from_slice(y);
            out.push(s);
        }
    }
    Some(normalize(out))
}

/// The finite set of strings `hir` matches (ASCII-lowercased), if small.
fn exact(hir: &Hir) -> Option<Set> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(vec![Vec::new()]),
        HirKind::Literal(lit) => Some(vec![lit.0.to_ascii_lowercase()]),
        HirKind::Class(Class::Unicode(class)) => {
            let ranges = class.iter().map(|r| (r.start() as usize, r.end() as usize));
            if class_size(ranges) > MAX_CLASS {
                return None;
            }
            let mut set = Set::new();
            for range in class.iter() {
                for c in range.start()..=range.end() {
                    let mut buf = [0; 4];
                    set.push(c.encode_utf8(&mut buf).as_bytes().to_ascii_lowercase());
                }
            }
            Some(normalize(set))
        }
        HirKind::Class(Class::Bytes(class)) => {
            let ranges = class.iter().map(|r| (r.start() as usize, r.end() as usize));
            if class_size(ranges) > MAX_CLASS {
                return None;
            }
            let set = class
                .iter()
                .flat_map(|r| r.start()..=r.end())
                .map(|b| vec![b.to_ascii_lowercase()])
                .collect();
            Some(normalize(set))
        }
        HirKind::Capture(c) => exact(&c.sub),
        HirKind::Repetition(r) => {
            let max = r.max?;
            if max > 8 {
                return None;
            }
            let sub = exact(&r.sub)?;
            let mut all = Set::new();
            let mut power = vec![Vec::new()];
            for n in 0..=max {
                if n >= r.min {
                    all.extend(power.iter().cloned());
                    if all.len() > MAX_SET {
                        return None;
                    }
                }
                if n < max {
                    power = cross(&power, &sub)?;
                }
            }
            Some(normalize(all))
        }
        HirKind::Concat(parts) => {
            let mut product = vec![Vec::new()];
            for part in parts {
                product = cross(&product, &exact(part)?)?;
            }
            Some(product)
        }
        HirKind::Alternation(alts) => union(alts, exact, MAX_SET),
    }
}

/// How many characters (or bytes) a class's inclusive ranges hold.
fn class_size(ranges: impl Iterator<Item = (usize, usize)>) -> usize {
    ranges.map(|(start, end)| end - start + 1).sum()
}

/// The literals of an alternation: the union of each branch's (`of`), or
/// `None` when a branch has none or the union grows past `limit`.
fn union(alts: &[Hir], of: fn(&Hir) -> Option<Set>, limit: usize) -> Option<Set> {
    let mut all = Set::new();
    for alt in alts {
        all.extend(of(alt)?);
        if all.len() > limit {
            return None;
        }
    }
    Some(normalize(all))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(pattern: &str) -> Option<Vec<String>> {
        let hir = regex_syntax::ParserBuilder::new()
            .utf8(false)
            .build()
            .parse(pattern)
            .unwrap();
        required(&hir).map(|set| {
            set.into_iter()
                .map(|s| String::from_utf8_lossy(&s).into_owned())
                .collect()
        })
    }

    #[test]
    fn picks_the_longest_required_piece() {
        assert_eq!(
            lits(r"(?i)^[\s\p{P}]*(?:share\s+on\s+facebook|tweet)[\s\p{N}]*$"),
            // U+212A KELVIN SIGN folds to `k`: it is a spelling too.
            Some(vec![
                "facebook".into(),
                "faceboo\u{212A}".into(),
                "tweet".into()
            ])
        );
        // Finite pieces next to each other multiply into longer literals.
        assert_eq!(
            lits(r"\d+ (hours?|days?) ago$"),
            Some(vec![
                " day ago".into(),
                " days ago".into(),
                " hour ago".into(),
                " hours ago".into()
            ])
        );
        // A case-insensitive non-ASCII word: every spelling of a window.
        let ru = lits(r"(?i)да").unwrap();
        // Д folds with д and U+1C81 (rounded de); А with а: 3 x 2.
        assert_eq!(ru.len(), 6, "{ru:?}");
        assert!(ru.contains(&"Да".to_string()) && ru.contains(&"\u{1C81}а".to_string()));
        // The Kelvin sign is a spelling of `k` under Unicode case folding.
        assert_eq!(lits(r"(?i)kick").unwrap().len(), 4, "k/K and U+212A, twice");
    }

    #[test]
    fn a_window_ends_with_the_beginnings_of_an_infinite_part() {
        // A count in parentheses: white space, `(`, then a digit.
        let counts = lits(r"(?-u:\s\(([0-9]{1,3}|[0-9]{1,3}(,[0-9]{3})+)\)\s*)$").unwrap();
        assert_eq!(counts.len(), 6 * 10, "{counts:?}");
        assert!(counts.contains(&" (0".to_string()) && counts.contains(&"\t(9".to_string()));
        // The beginnings of each branch; an assertion reads nothing.
        assert_eq!(
            lits(r"(?i)read (more|on\b\w+|\bnext\w*)").unwrap(),
            vec!["read more", "read n", "read o"]
        );
        // A part that can match nothing ends the window before it.
        assert_eq!(
            lits(r"logged (in|out)?[0-9]*"),
            Some(vec!["logged ".into()])
        );
    }

    /// Random regexes over a small alphabet and random lines: whenever a
    /// regex matches a line, the line holds one of the regex's literals
    /// (ASCII case aside), and satisfies one of its clauses. A literal set
    /// or clause that breaks this makes the engine skip lines a rule
    /// matches.
    #[test]
    fn every_match_holds_a_literal() {
        use crate::features::xorshift;
        const PIECES: &[&str] = &[
            "a", "b", "ab", "k", "(?i:k)", "(?i:sa)", "[0-9]", "[a-c]", r"\s", r"\(", " ", "é",
            "(?i:д)",
        ];
        const SUFFIXES: &[&str] = &["", "", "", "?", "*", "+", "{1,3}", "{2}"];
        const SEPARATORS: &[&str] = &["", r"\s+", ".*", r"\s?"];
        const HAYSTACK: &[&str] = &[
            "a", "b", "c", "k", "K", "\u{212A}", "s", "S", "\u{17F}", "0", "7", " ", "\t", "(",
            "é", "д", "Д", "x",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut pick = |n: usize| (xorshift(&mut state) % n as u64) as usize;
        let (mut filtered, mut matched, mut paired, mut paired_matched) = (0, 0, 0, 0);
        for _ in 0..3_000 {
            // A concatenation of alternations of concatenations of pieces.
            let mut pattern = String::new();
            for _ in 0..1 + pick(4) {
                // Each branch one to three words of pieces, joined by
                // what a second literal must look past.
                let branches: Vec<String> = (0..1 + pick(3))
                    .map(|_| {
                        let words: Vec<String> = (0..1 + pick(3))
                            .map(|_| {
                                (0..1 + pick(3))
                                    .map(|_| {
                                        format!(
                                            "(?:{}){}",
                                            PIECES[pick(PIECES.len())],
                                            SUFFIXES[pick(SUFFIXES.len())]
                                        )
                                    })
                                    .collect()
                            })
                            .collect();
                        words.join(SEPARATORS[pick(SEPARATORS.len())])
                    })
                    .collect();
                pattern.push_str(&format!(
                    "(?:{}){}",
                    branches.join("|"),
                    SUFFIXES[pick(SUFFIXES.len())]
                ));
            }
            let hir = regex_syntax::Parser::new().parse(&pattern).unwrap();
            let (with_clauses, clauses) = required_with_clauses(&hir);
            assert_eq!(with_clauses, required(&hir), "{pattern:?}");
            let Some(set) = with_clauses else { continue };
            let clauses = clauses.expect("a required set comes with clauses");
            filtered += 1;
            let has_pair = clauses.iter().any(|c| c.secondary.is_some());
            paired += has_pair as usize;
            let regex = regex::bytes::Regex::new(&pattern).unwrap();
            // More lines for the rarer regexes with two literals to meet.
            for _ in 0..if has_pair { 400 } else { 80 } {
                let line: String = (0..pick(16))
                    .map(|_| HAYSTACK[pick(HAYSTACK.len())])
                    .collect();
                if regex.is_match(line.as_bytes()) {
                    matched += 1;
                    paired_matched += has_pair as usize;
                    let lower = line.as_bytes().to_ascii_lowercase();
                    assert!(
                        set.iter().any(|l| contains(&lower, l)),
                        "{pattern:?} matches {line:?} but needs one of {set:?}"
                    );
                    let holds = |set: &Set| set.iter().any(|l| contains(&lower, l));
                    assert!(
                        clauses
                            .iter()
                            .any(|c| holds(&c.primary) && c.secondary.as_ref().is_none_or(holds)),
                        "{pattern:?} matches {line:?} but no clause of {clauses:?}"
                    );
                }
            }
        }
        assert!(
            filtered > 500 && matched > 1_000 && paired > 100 && paired_matched > 100,
            "{filtered} regexes ({paired} with a second literal), \
             {matched} matches ({paired_matched} of those)"
        );
    }

    #[test]
    fn clauses_pair_each_phrase_with_a_second_word() {
        let hir = |pattern: &str| {
            regex_syntax::ParserBuilder::new()
                .utf8(false)
                .build()
                .parse(pattern)
                .unwrap()
        };
        let text = |set: &Set| -> Vec<String> {
            set.iter()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect()
        };
        let (set, clauses) =
            required_with_clauses(&hir(r"leave\s+a\s+reply|notify\s+me\s+of\s+comments"));
        assert_eq!(
            set.map(|s| text(&s)),
            Some(vec!["comments".into(), "leave".into()])
        );
        let clauses = clauses.unwrap();
        let pairs: Vec<(Vec<String>, Option<Vec<String>>)> = clauses
            .iter()
            .map(|c| (text(&c.primary), c.secondary.as_ref().map(text)))
            .collect();
        assert_eq!(
            pairs,
            vec![
                (vec!["leave".into()], Some(vec!["reply".into()])),
                (vec!["comments".into()], Some(vec!["notify".into()])),
            ]
        );
        // Too many phrases to check one by one: the literals, no clauses.
        let many: Vec<String> = (0..100u8)
            .map(|i| format!(r"{}{i:03}\s+cookies", char::from(b'a' + i % 26)))
            .collect();
        let (set, clauses) = required_with_clauses(&hir(&many.join("|")));
        assert_eq!(set.map(|s| text(&s)), Some(vec!["cookies".into()]));
        assert_eq!(clauses, None);
        let (_, clauses) = required_with_clauses(&hir(&many[..60].join("|")));
        assert_eq!(clauses.map(|c| c.len()), Some(60));
    }

    #[test]
    fn no_literal_when_a_branch_has_none() {
        assert_eq!(lits(r"^\d+$"), None);
        assert_eq!(lits(r"cookie|\w+"), None);
        assert_eq!(lits(r"(?i)x"), None, "one byte is too short to filter");
        assert_eq!(lits(r"(ab)?"), None);
    }

    #[test]
    fn literals_contained_in_others_are_dropped() {
        assert_eq!(
            lits(r"(?i)likes?|replies"),
            // U+017F LATIN SMALL LETTER LONG S folds to `s`.
            Some(vec![
                "like".into(),
                "li\u{212A}e".into(),
                "replies".into(),
                "replie\u{17F}".into()
            ])
        );
    }
}
