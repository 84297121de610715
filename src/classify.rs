//! The cleaner: one document's lines in, one verdict per line out.
//!
//! Pass 1 asks the rules about each non-blank line. `keep` and `drop` rules
//! decide their lines; the first `cut` marker found below enough prose ends
//! the article. Lines no rule decided are left to the classifier, or kept
//! when it is off. A last pass lays out blank lines: one blank line between
//! kept paragraphs where the input had one or more, none at the edges.

use crate::document::{content, is_blank, lines};
use crate::features::count_words;
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
}

impl Cleaner {
    pub fn new(rules: RuleSet, options: CleanerOptions) -> Cleaner {
        Cleaner { rules, options }
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
        let params = self.rules.params();
        let rules = self.rules.rules();
        let mut prose_words = 0.0;
        let mut cut: Option<u32> = None;
        for line in lines(doc) {
            let text = content(line);
            if is_blank(text) {
                verdicts.push(Verdict {
                    keep: false,
                    reason: Reason::BlankCollapsed,
                });
                continue;
            }
            let words = count_words(text);
            let matched = self.rules.match_line(text, words);
            let verdict = match matched.map(|i| (i, rules[i as usize].action)) {
                Some((i, Action::Keep)) => Verdict {
                    keep: true,
                    reason: Reason::Rule(i),
                },
                _ if cut.is_some() => Verdict {
                    keep: false,
                    reason: Reason::Cut(cut.unwrap_or_default()),
                },
                Some((i, Action::Cut)) if prose_words >= params.cut_min_words_before => {
                    cut = Some(i);
                    Verdict {
                        keep: false,
                        reason: Reason::Rule(i),
                    }
                }
                Some((i, Action::Cut)) => Verdict {
                    keep: false,
                    reason: Reason::CutGuarded(i),
                },
                Some((i, Action::Drop)) => Verdict {
                    keep: false,
                    reason: Reason::Rule(i),
                },
                None => {
                    if words >= 10 {
                        prose_words += f64::from(words);
                    }
                    Verdict {
                        keep: true,
                        reason: Reason::NoRule,
                    }
                }
            };
            verdicts.push(verdict);
        }
        layout_blank_lines(doc, verdicts);
    }
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
