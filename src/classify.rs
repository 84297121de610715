//! The cleaner: one document's lines in, one verdict per line out.
//!
//! Pass 1 asks the rules about each non-blank line. `keep` and `drop` rules
//! decide their lines; the first `cut` marker found below enough prose ends
//! the article. Lines no rule decided are left to the classifier, or kept
//! when it is off. A last pass lays out blank lines: one blank line between
//! kept paragraphs where the input had one or more, none at the edges.

use crate::document::{content, is_blank, lines};
use crate::features::count_words;
use crate::params::Params;
use crate::rulefile::Action;
use crate::rules::RuleSet;

/// Why a line was kept or dropped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reason {
    /// A blank line kept between two kept paragraphs.
    Blank,
    /// A blank line dropped: one of a run, or at a document's edge.
    BlankCollapsed,
    /// The rule with this index decided.
    Rule(u32),
    /// A `cut` rule matched here, but above its marker there was too little
    /// prose for the article to have ended: only the marker line is dropped.
    CutGuarded(u32),
    /// The `cut` rule with this index matched above: the article has ended.
    Cut(u32),
    /// No rule matched and the classifier is off: kept.
    NoRule,
    /// The line's own look decided.
    Class(Class),
    /// A short or near-good line took its neighbours' verdict.
    Context(Class),
}

/// The decision for one line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    pub keep: bool,
    pub reason: Reason,
}

/// How a [`Cleaner`] works, beyond its rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanerOptions {
    /// Decide lines no rule matched with the classifier; when false they are
    /// kept (the rules-only engine).
    pub classifier: bool,
}

impl Default for CleanerOptions {
    fn default() -> CleanerOptions {
        CleanerOptions { classifier: true }
    }
}

/// Cleans documents. Cheap to clone: clone one per thread, so that each
/// thread has its own regex caches and scratch buffers.
#[derive(Debug, Clone)]
pub struct Cleaner {
    rules: RuleSet,
    options: CleanerOptions,
    /// Per-line facts of the document being cleaned, reused across documents.
    scratch: Vec<LineInfo>,
}

impl Cleaner {
    pub fn new(rules: RuleSet, options: CleanerOptions) -> Cleaner {
        Cleaner {
            rules,
            options,
            scratch: Vec::new(),
        }
    }

    /// The rules this cleaner applies.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The options this cleaner was built with.
    pub fn options(&self) -> CleanerOptions {
        self.options
    }

    /// Decides every line of `doc` (lines as [`lines`] splits them):
    /// `verdicts` is cleared and gets one verdict per line.
    pub fn classify(&mut self, doc: &[u8], verdicts: &mut Vec<Verdict>) {
        verdicts.clear();
        // Pass 1: what the rules say about each line, and how much prose
        // (words in lines of 10 or more words no rule matched) there is.
        let infos = &mut self.scratch;
        infos.clear();
        let mut prose_total = 0.0;
        for line in lines(doc) {
            let text = content(line);
            let info = if is_blank(text) {
                LineInfo::BLANK
            } else {
                let words = count_words(text);
                let rule = self.rules.match_line(text, words);
                if rule.is_none() && words >= PROSE_LINE_WORDS {
                    prose_total += f64::from(words);
                }
                LineInfo {
                    blank: false,
                    words,
                    rule,
                    class: if rule.is_some() {
                        Class::Bad
                    } else {
                        Class::of(text, words, self.rules.params())
                    },
                }
            };
            infos.push(info);
        }
        // Pass 2: verdicts. A cut is honoured only below enough prose, and
        // only when little prose follows it: a "Related" box in the middle of
        // a page must not take the rest of the article with it.
        let params = self.rules.params();
        let rules = self.rules.rules();
        let mut prose_before = 0.0;
        let mut cut: Option<u32> = None;
        for info in infos.iter() {
            if info.blank {
                verdicts.push(Verdict {
                    keep: false,
                    reason: Reason::BlankCollapsed,
                });
                continue;
            }
            let action = info.rule.map(|i| (i, rules[i as usize].action));
            let verdict = match (action, cut) {
                (Some((i, Action::Keep)), _) => Verdict {
                    keep: true,
                    reason: Reason::Rule(i),
                },
                (_, Some(c)) => Verdict {
                    keep: false,
                    reason: Reason::Cut(c),
                },
                (Some((i, Action::Cut)), None) => {
                    let prose_after = prose_total - prose_before;
                    if prose_before >= params.cut_min_words_before
                        && prose_after <= params.cut_max_prose_after * prose_before
                    {
                        cut = Some(i);
                        Verdict {
                            keep: false,
                            reason: Reason::Rule(i),
                        }
                    } else {
                        Verdict {
                            keep: false,
                            reason: Reason::CutGuarded(i),
                        }
                    }
                }
                (Some((i, _)), None) => Verdict {
                    keep: false,
                    reason: Reason::Rule(i),
                },
                (None, None) if !self.options.classifier => Verdict {
                    keep: true,
                    reason: Reason::NoRule,
                },
                (None, None) => Verdict {
                    keep: info.class == Class::Good,
                    reason: Reason::Class(info.class),
                },
            };
            if info.rule.is_none() && info.words >= PROSE_LINE_WORDS {
                prose_before += f64::from(info.words);
            }
            verdicts.push(verdict);
        }
        if self.options.classifier {
            decide_short_by_context(infos, verdicts);
        }
        layout_blank_lines(doc, verdicts);
    }
}

/// A line's look on its own, jusText-style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Article prose: long, or a full sentence of some length.
    Good,
    /// A sentence, but short: good next to good text.
    NearGood,
    /// Short or fragmentary: decided by its neighbours.
    Short,
    /// Boilerplate (a rule dropped it).
    Bad,
}

impl Class {
    fn of(text: &[u8], words: u32, params: &Params) -> Class {
        let sentence = ends_like_sentence(text);
        let words = f64::from(words);
        if words >= params.good_words || (words >= params.good_sentence_words && sentence) {
            Class::Good
        } else if words >= params.near_good_words && sentence {
            Class::NearGood
        } else {
            Class::Short
        }
    }

    /// The name `--explain` shows.
    pub fn name(self) -> &'static str {
        match self {
            Class::Good => "good",
            Class::NearGood => "near-good",
            Class::Short => "short",
            Class::Bad => "bad",
        }
    }
}

/// True when the line ends as a sentence does, in any script.
fn ends_like_sentence(text: &[u8]) -> bool {
    let trimmed = text.trim_ascii_end();
    let tails: [&[u8]; 12] = [
        b".",
        b"!",
        b"?",
        b"\"",
        b"'",
        b")",
        b":",
        "\u{201d}".as_bytes(),
        "\u{3002}".as_bytes(),
        "\u{ff01}".as_bytes(),
        "\u{ff1f}".as_bytes(),
        "\u{2019}".as_bytes(),
    ];
    !trimmed.ends_with(b"...")
        && !trimmed.ends_with("\u{2026}".as_bytes())
        && tails.iter().any(|t| trimmed.ends_with(t))
}

/// jusText's context pass: short and near-good lines take the verdict of
/// their nearest good/bad neighbours; a near-good neighbour on the bad side
/// keeps a short line. Document edges count as bad, since the article is
/// usually in the middle.
fn decide_short_by_context(infos: &[LineInfo], verdicts: &mut [Verdict]) {
    let decided = |i: usize| {
        let info = &infos[i];
        !info.blank && matches!(info.class, Class::Good | Class::Bad)
    };
    // Nearest decided neighbour above each line (true = good), and whether a
    // near-good line lies between.
    let n = infos.len();
    let mut above = vec![(false, false); n];
    let mut last = (false, false);
    for i in 0..n {
        above[i] = last;
        if infos[i].blank {
            continue;
        }
        if decided(i) {
            last = (infos[i].class == Class::Good, false);
        } else if infos[i].class == Class::NearGood {
            last.1 = true;
        }
    }
    let mut below = (false, false);
    for i in (0..n).rev() {
        let info = &infos[i];
        if !info.blank && info.rule.is_none() && matches!(verdicts[i].reason, Reason::Class(_)) {
            let keep = match info.class {
                Class::Good => true,
                Class::Bad => false,
                Class::NearGood => above[i].0 || below.0,
                Class::Short => {
                    let (up, up_near) = above[i];
                    let (down, down_near) = below;
                    match (up, down) {
                        (true, true) => true,
                        (false, false) => false,
                        (true, false) => down_near,
                        (false, true) => up_near,
                    }
                }
            };
            if matches!(info.class, Class::NearGood | Class::Short) {
                verdicts[i] = Verdict {
                    keep,
                    reason: Reason::Context(info.class),
                };
            }
        }
        if info.blank {
            continue;
        }
        if decided(i) {
            below = (info.class == Class::Good, false);
        } else if info.class == Class::NearGood {
            below.1 = true;
        }
    }
}

/// Lines of at least this many words count as prose for the cut guard.
const PROSE_LINE_WORDS: u32 = 10;

/// What pass 1 learns about a line.
#[derive(Debug, Clone, Copy)]
struct LineInfo {
    blank: bool,
    words: u32,
    /// The rule that matched, if any.
    rule: Option<u32>,
    /// What the line looks like on its own (for lines no rule decided).
    class: Class,
}

impl LineInfo {
    const BLANK: LineInfo = LineInfo {
        blank: true,
        words: 0,
        rule: None,
        class: Class::Bad,
    };
}

/// Keeps the first blank line of each gap between two kept lines; drops the
/// rest and every blank line before the first or after the last kept line.
fn layout_blank_lines(doc: &[u8], verdicts: &mut [Verdict]) {
    let mut seen_kept = false;
    let mut gap_blank: Option<usize> = None;
    for (i, line) in lines(doc).enumerate() {
        let verdict = verdicts[i];
        if verdict.reason == Reason::BlankCollapsed {
            if seen_kept && gap_blank.is_none() && is_blank(content(line)) {
                gap_blank = Some(i);
            }
        } else if verdict.keep {
            if let Some(b) = gap_blank.take() {
                verdicts[b] = Verdict {
                    keep: true,
                    reason: Reason::Blank,
                };
            }
            seen_kept = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Preset;
    use crate::rules::RuleSource;

    fn cleaner(rules: &str) -> Cleaner {
        let set = RuleSet::build(
            false,
            &[RuleSource {
                path: "t".into(),
                bytes: rules.as_bytes(),
            }],
            Preset::Balanced,
        )
        .unwrap();
        Cleaner::new(set, CleanerOptions { classifier: false })
    }

    fn kept(c: &mut Cleaner, doc: &str) -> String {
        let mut v = Vec::new();
        c.classify(doc.as_bytes(), &mut v);
        lines(doc.as_bytes())
            .zip(&v)
            .filter(|(_, v)| v.keep)
            .map(|(l, _)| String::from_utf8_lossy(l).into_owned())
            .collect()
    }

    const PROSE: &str =
        "This is a sentence of prose that is long enough to count as article text here.\n";

    #[test]
    fn blank_runs_collapse_and_edges_go() {
        let mut c = cleaner("drop x line x");
        assert_eq!(kept(&mut c, "\n\na\n\n\n\nb\nx\n\nc\n\n"), "a\n\nb\n\nc\n");
        assert_eq!(kept(&mut c, "x\n\n"), "");
        assert_eq!(kept(&mut c, "a\nx\nb"), "a\nb");
    }

    #[test]
    fn cut_needs_prose_above_it() {
        let mut c = cleaner("cut rel line Related posts\nkeep k line keep me");
        // At the top: only the marker goes.
        let doc = format!("Related posts\n{PROSE}{PROSE}");
        assert_eq!(kept(&mut c, &doc), format!("{PROSE}{PROSE}"));
        // Below enough prose: everything from the marker on goes, except
        // lines a keep rule saves.
        let doc = format!("{PROSE}{PROSE}{PROSE}{PROSE}Related posts\nteaser\nkeep me\n{PROSE}");
        assert_eq!(
            kept(&mut c, &doc),
            format!("{PROSE}{PROSE}{PROSE}{PROSE}keep me\n")
        );
    }

    #[test]
    fn one_verdict_per_line_whatever_the_bytes() {
        let mut c = cleaner("drop x line x");
        let mut v = Vec::new();
        for doc in [&b""[..], b"\n", b"a", b"\xff\xfe\n\r\n\x00", b"x\r\ny\r\n"] {
            c.classify(doc, &mut v);
            assert_eq!(v.len(), lines(doc).count(), "{doc:?}");
        }
    }
}
