//! The cleaner: one document's lines in, one verdict per line out.
//!
//! Pass 1 asks the rules about each non-blank line and, with the classifier
//! on, scans it for features. `keep` and `drop` rules decide their lines; the
//! first `cut` marker found below enough prose ends the article. Lines no
//! rule decided go to the classifier: the features of each line, its
//! neighbours and the document (see [`crate::features`]) go through the model
//! (see [`crate::model`]), which gives each its probability of being article
//! text. Lines reaching `keep-threshold` are kept; so are, per document,
//! the most probable lines, as many as maximise the F-score the
//! probabilities lead one to expect (see [`expected_f_threshold`]), which
//! keeps the best lines of a page whose lines all look doubtful. With the
//! classifier off they are kept.
//! A last pass lays out blank lines: one blank line between kept paragraphs
//! where the input had one or more, none at the edges.

use std::io::{self, Write};
use std::sync::Arc;

use crate::document::{content, is_blank, lines};
use crate::features::{FEATURE_COUNT, FeatureScratch, RuleMark};
use crate::model::{Model, logistic};
use crate::rules::{Action, Presearch, RuleSet};
use crate::text::count_words;

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
    /// prose for the article to have ended (or too much below it): only the
    /// marker line is dropped.
    CutGuarded(u32),
    /// A `cut` rule matched a line that occurs more than once in the
    /// document: a menu entry ("Latest News" in every menu), not the
    /// heading that ends the article. Only the line is dropped.
    CutRepeated(u32),
    /// The `cut` rule with this index matched above: the article has ended.
    Cut(u32),
    /// No rule matched and the classifier is off: kept.
    NoRule,
    /// The classifier decided: its probability that the line is article
    /// text, the document's bar (lines at or above it are kept; it is
    /// `keep-threshold` or lower), and (with `--explain`) the feature that
    /// weighed most.
    Model {
        probability: f32,
        threshold: f32,
        feature: Option<u16>,
    },
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
    /// Name the feature behind each classifier verdict (costs a second walk
    /// of the trees; for `--explain`).
    pub explain: bool,
}

impl Default for CleanerOptions {
    fn default() -> CleanerOptions {
        CleanerOptions {
            classifier: true,
            explain: false,
        }
    }
}

/// Cleans documents. Cheap to clone: clone one per thread, so that each
/// thread has its own regex caches and scratch buffers.
#[derive(Debug, Clone)]
pub struct Cleaner {
    rules: RuleSet,
    options: CleanerOptions,
    model: Arc<Model>,
    /// Per-line facts of the document being cleaned, reused across documents.
    scratch: Vec<LineInfo>,
    /// Where each line's content lies in the document, and what the
    /// rules' searches over all lines at once found in it.
    spans: Vec<std::ops::Range<usize>>,
    presearch: Vec<Presearch>,
    features: FeatureScratch,
    /// The lines the model scores (verdict index, non-blank line index),
    /// a chunk of their feature rows, and their scores.
    to_score: Vec<(u32, u32)>,
    rows: Vec<f32>,
    scores: Vec<f64>,
    /// Per line of `to_score`: probability and words; and an order of them.
    scored: Vec<(f64, f64)>,
    order: Vec<u128>,
}

impl Cleaner {
    /// A cleaner with the built-in model.
    pub fn new(rules: RuleSet, options: CleanerOptions) -> Cleaner {
        Cleaner::with_model(rules, options, Model::builtin())
    }

    /// A cleaner with another model (`--model`).
    pub fn with_model(rules: RuleSet, options: CleanerOptions, model: Arc<Model>) -> Cleaner {
        Cleaner {
            rules,
            options,
            model,
            scratch: Vec::new(),
            spans: Vec::new(),
            presearch: Vec::new(),
            features: FeatureScratch::default(),
            to_score: Vec::new(),
            rows: Vec::new(),
            scores: Vec::new(),
            scored: Vec::new(),
            order: Vec::new(),
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
        let classifier = self.options.classifier;
        // Pass 1: what the rules say about each line, and how much prose
        // (words in lines of 10 or more words no rule matched) there is.
        // First each line's words (with the classifier on, its features)
        // and where its content lies, then the rules' anchored automaton and
        // literal search over all lines at once (four lines in step), then
        // the rules line by line.
        let infos = &mut self.scratch;
        infos.clear();
        self.spans.clear();
        self.features.begin();
        let mut at = 0;
        for line in lines(doc) {
            let text = content(line);
            self.spans.push(at..at + text.len());
            at += line.len();
            if is_blank(text) {
                if classifier {
                    self.features.push_blank();
                }
                infos.push(LineInfo::BLANK);
                continue;
            }
            let words = if classifier {
                self.features.push(text)
            } else {
                count_words(text)
            };
            infos.push(LineInfo {
                blank: false,
                words,
                rule: None,
            });
        }
        let rules = &self.rules;
        self.presearch.clear();
        self.presearch.resize(infos.len(), Presearch::default());
        let searched = infos
            .iter()
            .zip(&self.spans)
            .enumerate()
            .filter(|(_, (info, _))| !info.blank)
            .map(|(i, (info, span))| (i, &doc[span.clone()], info.words));
        rules.presearch(searched, &mut self.presearch);
        let mut prose_total = 0.0;
        let mut row = 0;
        for ((info, span), &found) in infos.iter_mut().zip(&self.spans).zip(&self.presearch) {
            if info.blank {
                continue;
            }
            let rule = rules.match_line_with(&doc[span.clone()], info.words, found);
            info.rule = rule;
            if rule.is_none() && info.words >= PROSE_LINE_WORDS {
                prose_total += f64::from(info.words);
            }
            if classifier && let Some(i) = rule {
                self.features.mark(
                    row,
                    match rules.rules()[i as usize].action {
                        Action::Keep => RuleMark::Kept,
                        _ => RuleMark::Dropped,
                    },
                );
            }
            row += 1;
        }
        // Pass 2: verdicts. A cut is honoured only below enough prose, and
        // only when little prose follows it: a "Related" box in the middle of
        // a page must not take the rest of the article with it. Nor is it
        // honoured at a line the document repeats.
        let params = self.rules.params();
        let rules = self.rules.rules();
        let repeated = repeated_markers(doc, infos, &self.spans, rules);
        let mut prose_before = 0.0;
        let mut cut: Option<u32> = None;
        for (info, span) in infos.iter().zip(&self.spans) {
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
                (Some((i, Action::Cut)), None)
                    if repeated.contains(&doc[span.clone()].trim_ascii()) =>
                {
                    Verdict {
                        keep: false,
                        reason: Reason::CutRepeated(i),
                    }
                }
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
                (None, None) => Verdict {
                    keep: true,
                    reason: Reason::NoRule,
                },
            };
            if info.rule.is_none() && info.words >= PROSE_LINE_WORDS {
                prose_before += f64::from(info.words);
            }
            verdicts.push(verdict);
        }
        if classifier {
            self.decide_by_model(verdicts);
        }
        layout_blank_lines(verdicts);
    }

    /// Pass 3: the model scores the lines no rule decided, a chunk of lines
    /// at a time (rows are built on demand, so memory stays bounded however
    /// long the document), then the document's threshold decides them.
    fn decide_by_model(&mut self, verdicts: &mut [Verdict]) {
        self.features.finish();
        let params = self.rules.params();
        // (verdict index, non-blank line index) of the lines to score.
        self.to_score.clear();
        let mut row = 0u32;
        let mut kept_words = 0.0;
        for (i, verdict) in verdicts.iter().enumerate() {
            if verdict.reason == Reason::BlankCollapsed {
                continue;
            }
            if verdict.reason == Reason::NoRule {
                self.to_score.push((i as u32, row));
            } else if verdict.keep {
                kept_words += f64::from(self.scratch[i].words);
            }
            row += 1;
        }
        self.scored.clear();
        // Sized once for a full chunk, never cleared: every value a chunk
        // uses is written by row_into first (zeroing them again cost 2% of
        // the run).
        self.rows.resize(SCORE_CHUNK * FEATURE_COUNT, 0.0);
        for chunk in self.to_score.chunks(SCORE_CHUNK) {
            let rows = &mut self.rows[..chunk.len() * FEATURE_COUNT];
            for (&(_, line), out) in chunk.iter().zip(rows.chunks_exact_mut(FEATURE_COUNT)) {
                self.features.row_into(line as usize, out);
            }
            self.scores.clear();
            self.scores.resize(chunk.len(), 0.0);
            self.model.score_rows(rows, &mut self.scores);
            for (&(at, _), &score) in chunk.iter().zip(&self.scores) {
                let words = f64::from(self.scratch[at as usize].words);
                self.scored.push((logistic(score), words));
            }
        }
        let threshold = if params.keep_beta > 0.0 {
            let best =
                expected_f_threshold(&self.scored, kept_words, params.keep_beta, &mut self.order);
            best.min(params.keep_threshold)
        } else {
            params.keep_threshold
        };

        for (&(at, line), &(probability, _)) in self.to_score.iter().zip(&self.scored) {
            let keep = probability >= threshold;
            let feature = if self.options.explain {
                // Explaining is slow anyway: the row is built again.
                let row = &mut self.rows[..FEATURE_COUNT];
                self.features.row_into(line as usize, row);
                self.model
                    .strongest_feature(row, keep)
                    .map(|(f, _)| f as u16)
            } else {
                None
            };
            verdicts[at as usize] = Verdict {
                keep,
                reason: Reason::Model {
                    probability: probability as f32,
                    threshold: threshold as f32,
                    feature,
                },
            };
        }
    }

    /// Writes the classifier's view of `doc` for training: per non-blank
    /// line, `DOC LINE STATE` and the feature row, tab-separated. STATE is 0
    /// when the rules dropped the line (or a cut above it), 1 when a rule
    /// kept it, 2 when the classifier decides it. Line numbers count from 0.
    pub fn dump_features(
        &mut self,
        doc: &[u8],
        doc_index: u64,
        verdicts: &mut Vec<Verdict>,
        out: &mut impl Write,
    ) -> io::Result<()> {
        self.classify(doc, verdicts);
        let mut row = 0;
        for (line_index, verdict) in verdicts.iter().enumerate() {
            if matches!(verdict.reason, Reason::BlankCollapsed | Reason::Blank) {
                continue;
            }
            let state = match verdict.reason {
                Reason::Model { .. } | Reason::NoRule => 2,
                _ if verdict.keep => 1,
                _ => 0,
            };
            write!(out, "{doc_index}\t{line_index}\t{state}")?;
            let mut values = [0.0; FEATURE_COUNT];
            if state == 2 {
                self.features.row_into(row, &mut values);
            }
            for value in values {
                write!(out, "\t{value}")?;
            }
            writeln!(out)?;
            row += 1;
        }
        Ok(())
    }
}

/// The `cut` markers of a document (trimmed) that occur on more than one
/// of its lines, sorted; none without markers (nearly every document).
fn repeated_markers<'d>(
    doc: &'d [u8],
    infos: &[LineInfo],
    spans: &[std::ops::Range<usize>],
    rules: &[crate::rules::Rule],
) -> Vec<&'d [u8]> {
    let is_cut = |info: &LineInfo| {
        info.rule
            .is_some_and(|i| rules[i as usize].action == Action::Cut)
    };
    let text = |span: &std::ops::Range<usize>| doc[span.clone()].trim_ascii();
    let mut markers: Vec<(&[u8], u32)> = infos
        .iter()
        .zip(spans)
        .filter(|(info, _)| is_cut(info))
        .map(|(_, span)| (text(span), 0))
        .collect();
    if markers.is_empty() {
        return Vec::new();
    }
    markers.sort_unstable();
    markers.dedup();
    for (info, span) in infos.iter().zip(spans) {
        if info.blank {
            continue;
        }
        if let Ok(at) = markers.binary_search_by(|(m, _)| (*m).cmp(text(span))) {
            markers[at].1 += 1;
        }
    }
    markers
        .into_iter()
        .filter(|&(_, count)| count > 1)
        .map(|(m, _)| m)
        .collect()
}

/// The lowest probability a line needs to be kept in a document, chosen so
/// that the kept lines maximise the F-score (bag of words, weight `beta` on
/// recall) that the model's probabilities lead one to expect; infinite when
/// keeping nothing is best.
///
/// `lines` holds each undecided line's probability of being article text
/// and its words; `kept_words` counts the words rules kept. With the
/// probabilities taken at face value, the article has G = kept_words +
/// sum(p * n) words; keeping the k most probable lines keeps N_k words of
/// which TP_k = kept_words + sum(p * n) over them are expected to be
/// article, for an F-score of (1 + b^2) TP_k / (b^2 G + N_k). The first k
/// with the highest score wins. A fixed threshold treats a page whose
/// lines all look doubtful (a product page, a list of teasers) like a
/// clean article; this keeps its best lines, and cuts deeper into a page
/// whose article is clear.
pub fn expected_f_threshold(
    lines: &[(f64, f64)],
    kept_words: f64,
    beta: f64,
    order: &mut Vec<u128>,
) -> f64 {
    let b2 = beta * beta;
    let gold = kept_words + lines.iter().map(|&(p, n)| p * n).sum::<f64>();
    if lines.is_empty() || gold <= 0.0 {
        return f64::INFINITY;
    }
    // Most probable first (f64::total_cmp's order), equal probabilities in
    // document order: one integer key per line, probability above index,
    // so that the sort compares integers, not lines looked up by index.
    order.clear();
    order.extend(lines.iter().enumerate().map(|(i, &(p, _))| {
        let bits = p.to_bits() as i64;
        let total = bits ^ (((bits >> 63) as u64) >> 1) as i64;
        let descending = !((total as u64) ^ (1 << 63));
        u128::from(descending) << 64 | i as u128
    }));
    order.sort_unstable();
    let line = |key: u128| lines[key as u64 as usize];
    let score = |tp: f64, out: f64| (1.0 + b2) * tp / (b2 * gold + out).max(1e-12);
    let (mut tp, mut out) = (kept_words, kept_words);
    let (mut best, mut best_k) = (score(tp, out), 0);
    for (k, &key) in order.iter().enumerate() {
        let (p, n) = line(key);
        tp += p * n;
        out += n;
        let f = score(tp, out);
        if f > best {
            (best, best_k) = (f, k + 1);
        }
    }
    match best_k {
        0 => f64::INFINITY,
        k => line(order[k - 1]).0,
    }
}

/// Lines scored at a time: enough to keep the CPU busy, few enough that
/// their rows (348 bytes each) stay in cache.
const SCORE_CHUNK: usize = 256;

/// Lines of at least this many words count as prose for the cut guard.
const PROSE_LINE_WORDS: u32 = 10;

/// What pass 1 learns about a line.
#[derive(Debug, Clone, Copy)]
struct LineInfo {
    blank: bool,
    words: u32,
    /// The rule that matched, if any.
    rule: Option<u32>,
}

impl LineInfo {
    const BLANK: LineInfo = LineInfo {
        blank: true,
        words: 0,
        rule: None,
    };
}

/// Keeps the first blank line of each gap between two kept lines; drops the
/// rest and every blank line before the first or after the last kept line.
fn layout_blank_lines(verdicts: &mut [Verdict]) {
    let mut seen_kept = false;
    let mut gap_blank: Option<usize> = None;
    for i in 0..verdicts.len() {
        let verdict = verdicts[i];
        // Pass 2 gives BlankCollapsed to the blank lines and only to them.
        if verdict.reason == Reason::BlankCollapsed {
            if seen_kept && gap_blank.is_none() {
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
        Cleaner::new(
            set,
            CleanerOptions {
                classifier: false,
                explain: false,
            },
        )
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
    fn a_cut_marker_the_document_repeats_is_a_menu_entry() {
        let mut c = cleaner("cut news line Latest news");
        let prose = PROSE.repeat(4);
        // Once, below the article: the end of it.
        let doc = format!("{prose}Latest news\nteaser\n");
        assert_eq!(kept(&mut c, &doc), prose);
        // In a menu above and again below: neither cuts; both go.
        let doc = format!("Home\nLatest news\n{prose}Latest news\nteaser\n");
        assert_eq!(kept(&mut c, &doc), format!("Home\n{prose}teaser\n"));
        let mut v = Vec::new();
        c.classify(doc.as_bytes(), &mut v);
        assert!(matches!(v[1].reason, Reason::CutRepeated(_)));
        assert!(matches!(v[6].reason, Reason::CutRepeated(_)));
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

#[cfg(test)]
mod model_tests {
    use super::*;

    /// Verdicts (1 keep, 0 drop) of the default rules and model, one per
    /// non-blank line.
    fn verdicts(doc: &str) -> String {
        let mut c = Cleaner::new(RuleSet::builtin(), CleanerOptions::default());
        let mut v = Vec::new();
        c.classify(doc.as_bytes(), &mut v);
        lines(doc.as_bytes())
            .zip(&v)
            .filter(|(l, _)| !is_blank(content(l)))
            .map(|(_, v)| if v.keep { '1' } else { '0' })
            .collect()
    }

    const P: [&str; 4] = [
        "The city council voted on Tuesday to expand the bus network to the northern districts, a plan that has been debated for more than three years.",
        "Officials said the first new routes would open in the spring, and that fares would stay the same until at least the end of next year.",
        "Residents of the northern districts have long complained that they must change buses twice to reach the city centre, which can take over an hour.",
        "The mayor said the money would come from the regional transport fund and from a small rise in parking fees in the centre of the city.",
    ];

    #[test]
    fn a_heading_inside_the_article_stays_and_a_menu_run_goes() {
        let doc = format!(
            "Home\nNews\nSport\nWeather\nCulture\n\n{}\n\n{}\n\nWhat happens next\n\n{}\n\n{}\n\nAbout us\nContact\nJobs\nPrivacy\nTerms\n",
            P[0], P[1], P[2], P[3]
        );
        // Menu, four paragraphs around a heading, footer links.
        assert_eq!(verdicts(&doc), "00000_11111_00000".replace('_', ""));
    }

    /// (probability, words) of a document's undecided lines.
    type Lines<'a> = &'a [(f64, f64)];

    fn threshold(lines: Lines<'_>, kept_words: f64, beta: f64) -> f64 {
        expected_f_threshold(lines, kept_words, beta, &mut Vec::new())
    }

    #[test]
    fn expected_f_threshold_table() {
        let clear_article = [(0.95, 50.0), (0.05, 5.0), (0.9, 40.0), (0.3, 10.0)];
        let doubtful_page = [(0.3, 20.0), (0.25, 20.0), (0.1, 20.0)];
        let table: &[(Lines<'_>, f64, f64, f64)] = &[
            // (lines, words kept by rules, beta, threshold)
            (&[], 0.0, 1.0, f64::INFINITY),
            (&[(0.0, 10.0), (0.0, 3.0)], 0.0, 1.0, f64::INFINITY),
            // F1 of the top 1, 2, 3 lines: 0.69, 0.94, 0.93: two lines.
            (&clear_article, 0.0, 1.0, 0.9),
            // 0.36, 0.42, 0.36: the two best lines, below a fixed 0.35.
            (&doubtful_page, 0.0, 1.0, 0.25),
            // Weighing recall (beta 3), the third line is worth keeping too.
            (&doubtful_page, 0.0, 3.0, 0.1),
            // Weighing precision (beta 0.3), only the best line.
            (&doubtful_page, 0.0, 0.3, 0.3),
            // Many words kept by rules make the doubtful lines not worth it.
            (&doubtful_page, 200.0, 1.0, f64::INFINITY),
            // Equal probabilities are kept or dropped together.
            (&[(0.5, 10.0), (0.5, 10.0), (0.01, 10.0)], 0.0, 1.0, 0.5),
        ];
        for (i, &(lines, kept, beta, want)) in table.iter().enumerate() {
            assert_eq!(threshold(lines, kept, beta), want, "case {i}");
        }
    }

    #[test]
    fn the_document_rule_only_lowers_the_bar() {
        // A short page without a clear article (not even a full stop): its
        // best lines score near keep-threshold. With keep-beta 0 (a fixed
        // threshold) fewer lines are kept than by default, where the page's
        // own bar is lower. (The page depends on the model: it must stay
        // doubtful to it.)
        let doc = "Our team\nJane Smith, editor\nJohn Doe, reporter\n\
                   Contact us at the office on weekdays\n\
                   The newsroom moved to a new building in March\n";
        let count = |rules: &str| {
            let rules = RuleSet::build(
                true,
                &[crate::rules::RuleSource {
                    path: "t".into(),
                    bytes: rules.as_bytes(),
                }],
                crate::params::Preset::Balanced,
            )
            .unwrap();
            let mut c = Cleaner::new(rules, CleanerOptions::default());
            let mut v = Vec::new();
            c.classify(doc.as_bytes(), &mut v);
            let thresholds: Vec<f32> = v
                .iter()
                .filter_map(|v| match v.reason {
                    Reason::Model { threshold, .. } => Some(threshold),
                    _ => None,
                })
                .collect();
            (v.iter().filter(|v| v.keep).count(), thresholds)
        };
        let (fixed, fixed_thresholds) = count("set keep-beta 0\n");
        let (by_page, page_thresholds) = count("");
        let keep_threshold = crate::params::Params::default().keep_threshold as f32;
        assert!(fixed_thresholds.iter().all(|&t| t == keep_threshold));
        assert!(page_thresholds.iter().all(|&t| t < keep_threshold));
        assert!(by_page > fixed, "{by_page} <= {fixed}");
    }
}
