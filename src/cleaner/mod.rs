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
//! With a site profile (see [`crate::sites`]) and the page's site known, a
//! line the rules left undecided is dropped before the classifier sees it
//! when the profile has it on enough of the site's pages
//! ([`ProfileOptions`]), so the document's bar is set by the lines that
//! remain.
//! A last pass lays out blank lines: one blank line between kept paragraphs
//! where the input had one or more, none at the edges.
//! With `--unwrap` ([`Cleaner::with_unwrap`]), the lines of a hard-wrapped
//! paragraph are joined into one block first, and each line gets its
//! block's verdict (`unwrap.rs`).

use std::io::{self, Write};
use std::sync::Arc;

use crate::document::{content, is_blank, lines};
use crate::features::{FAST_FEATURE_COUNT, FEATURE_COUNT, FastScratch, FeatureScratch, RuleMark};
use crate::model::{Model, logistic};
use crate::output::{Mode, write_and_count, write_and_count_at, write_document, write_reason};
use crate::rules::{Action, Presearch, RuleSet};
use crate::sites::{SiteProfile, line_key};
use crate::text::count_words;
use crate::verdict::{Reason, Verdict};

mod unwrap;
pub use unwrap::{MAX_AUTO_WIDTH, UnwrapWidth};

/// How a [`Cleaner`] works, beyond its rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanerOptions {
    /// Decide lines no rule matched with the classifier; when false they are
    /// kept (the rules-only engine).
    pub classifier: bool,
    /// Name the feature behind each classifier verdict (costs a second walk
    /// of the trees; for `--explain`).
    pub explain: bool,
    /// `--fast`: only the rules anchored at a line's start, and a small
    /// model over cheap features ([`crate::FAST_FEATURE_NAMES`]).
    pub fast: bool,
}

impl Default for CleanerOptions {
    fn default() -> CleanerOptions {
        CleanerOptions {
            classifier: true,
            explain: false,
            fast: false,
        }
    }
}

/// When a site profile's evidence drops a line: it must be on at least
/// `min_pages` of its site's other pages and on at least `min_share` of
/// them. "Other" because the page being cleaned is usually in the profile
/// (learn a corpus, then clean it): it is taken to be when the profile
/// counts every line of it that the profile could count (or the profile
/// is pruned), and is then left out of the counts. So learning on a corpus
/// and cleaning it decides as a profile of each page's other pages would.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProfileOptions {
    /// The fewest other pages of the site that must hold the line (0
    /// counts as 1).
    pub min_pages: u32,
    /// The least share (0 to 1) of the site's other pages that must hold
    /// the line.
    pub min_share: f64,
}

impl Default for ProfileOptions {
    /// Measured on the dev pages of sites with several pages
    /// (docs/accuracy.md).
    fn default() -> ProfileOptions {
        ProfileOptions {
            min_pages: 1,
            min_share: 0.7,
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
    /// True when `spans` are those of the document last classified (not
    /// of its joined lines under `--unwrap`).
    spans_of_doc: bool,
    presearch: Vec<Presearch>,
    features: FeatureScratch,
    /// `--fast`'s features.
    fast: FastScratch,
    /// The lines the model scores (verdict index, non-blank line index),
    /// a chunk of their feature rows, and their scores.
    to_score: Vec<(u32, u32)>,
    /// The words of the lines rules kept (set with `to_score`).
    kept_words: f64,
    rows: Vec<f32>,
    scores: Vec<f64>,
    /// Per line of `to_score`: probability and words.
    scored: Vec<(f64, f64)>,
    bar: threshold::BarScratch,
    /// The site profile, its thresholds, the site of the stream and the
    /// site of the document being cleaned (indexes into the profile).
    profile: Option<(Arc<SiteProfile>, ProfileOptions)>,
    stream_site: Option<u32>,
    site: Option<u32>,
    /// With a profile and a site: per line, (other pages of the site with
    /// the line, other pages of the site) for the lines the rules left to
    /// the model; empty otherwise.
    site_seen: Vec<(u32, u32)>,
    site_counts: Vec<(u32, u32)>,
    /// With `--unwrap`: the width, and the joined document, its blocks'
    /// line counts and their verdicts (reused across documents).
    unwrap: Option<UnwrapWidth>,
    joined: Vec<u8>,
    blocks: Vec<u32>,
    block_verdicts: Vec<Verdict>,
}

impl Cleaner {
    /// A cleaner with the built-in model (`--fast`'s with `options.fast`).
    pub fn new(rules: RuleSet, options: CleanerOptions) -> Cleaner {
        let model = if options.fast {
            Model::builtin_fast()
        } else {
            Model::builtin()
        };
        Cleaner::assemble(rules, options, model)
    }

    /// A cleaner with another model (`--model`): its features must be
    /// those of `options.fast`'s choice ([`Model::parse`] or
    /// [`Model::parse_fast`]); an error says so otherwise.
    ///
    /// # Errors
    ///
    /// [`crate::Error::Usage`] when the model's rows are not as wide as
    /// the features this cleaner computes.
    pub fn with_model(
        rules: RuleSet,
        options: CleanerOptions,
        model: Arc<Model>,
    ) -> Result<Cleaner, crate::Error> {
        let (width, kind) = if options.fast {
            (FAST_FEATURE_COUNT, "--fast's (Model::parse_fast)")
        } else {
            (FEATURE_COUNT, "the default's (Model::parse)")
        };
        if model.width() != width {
            return Err(crate::Error::Usage(format!(
                "the model scores rows of {} features, but this cleaner computes {kind} {width}: \
                 use a model trained for it",
                model.width()
            )));
        }
        Ok(Cleaner::assemble(rules, options, model))
    }

    fn assemble(rules: RuleSet, options: CleanerOptions, model: Arc<Model>) -> Cleaner {
        Cleaner {
            rules,
            options,
            model,
            scratch: Vec::new(),
            spans: Vec::new(),
            spans_of_doc: false,
            presearch: Vec::new(),
            features: FeatureScratch::default(),
            fast: FastScratch::default(),
            to_score: Vec::new(),
            kept_words: 0.0,
            rows: Vec::new(),
            scores: Vec::new(),
            scored: Vec::new(),
            bar: threshold::BarScratch::default(),
            profile: None,
            stream_site: None,
            site: None,
            site_seen: Vec::new(),
            site_counts: Vec::new(),
            unwrap: None,
            joined: Vec::new(),
            blocks: Vec::new(),
            block_verdicts: Vec::new(),
        }
    }

    /// Uses a site profile as evidence (`--profile`): see [`ProfileOptions`].
    /// Until [`Cleaner::set_site`] names a site the profile knows, nothing
    /// changes.
    pub fn with_profile(mut self, profile: Arc<SiteProfile>, options: ProfileOptions) -> Cleaner {
        self.profile = Some((profile, options));
        self.stream_site = None;
        self.site = None;
        self
    }

    /// Joins the lines of hard-wrapped paragraphs before deciding
    /// (`--unwrap`): each line gets its paragraph's verdict, so the output
    /// is still made of whole input lines. The classifier was trained on
    /// one block per line; this brings a wrapped dump back to that.
    pub fn with_unwrap(mut self, width: UnwrapWidth) -> Cleaner {
        self.unwrap = Some(width);
        self
    }

    /// True when the cleaner has a site profile.
    pub fn has_profile(&self) -> bool {
        self.profile.is_some()
    }

    /// The site of the documents cleaned next (a name as
    /// [`crate::site_of_url`] or [`crate::site_of_path`] give it); `None`,
    /// or a site the profile does not know, cleans them without the profile.
    pub fn set_site(&mut self, site: Option<&str>) {
        self.stream_site = self.lookup_site(site);
        self.site = self.stream_site;
    }

    /// The site of one record; `None` falls back to the stream's site.
    pub(crate) fn set_record_site(&mut self, site: Option<&str>) {
        self.site = match site {
            Some(_) => self.lookup_site(site),
            None => self.stream_site,
        };
    }

    fn lookup_site(&self, site: Option<&str>) -> Option<u32> {
        let (profile, _) = self.profile.as_ref()?;
        profile.site_index(site?)
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
        if let Some(width) = self.unwrap {
            let mut joined = std::mem::take(&mut self.joined);
            let mut blocks = std::mem::take(&mut self.blocks);
            if unwrap::join_wrapped(doc, width, &mut joined, &mut blocks) {
                let mut block_verdicts = std::mem::take(&mut self.block_verdicts);
                self.classify_lines(&joined, &mut block_verdicts);
                self.spans_of_doc = false;
                verdicts.clear();
                for (&n, &verdict) in blocks.iter().zip(&block_verdicts) {
                    verdicts.extend(std::iter::repeat_n(verdict, n as usize));
                }
                self.block_verdicts = block_verdicts;
                self.joined = joined;
                self.blocks = blocks;
                return;
            }
            self.joined = joined;
            self.blocks = blocks;
        }
        self.classify_lines(doc, verdicts);
        self.spans_of_doc = true;
    }

    /// Writes `doc`'s output for `verdicts` (as [`Cleaner::classify`] gave
    /// them) and counts it, reusing the line spans found while classifying
    /// when they are `doc`'s (not a joined copy's under `--unwrap`).
    pub(crate) fn write_and_count(
        &self,
        mode: Mode,
        doc: &[u8],
        verdicts: &[Verdict],
        out: &mut Vec<u8>,
        stats: &mut crate::Stats,
    ) {
        if self.spans_of_doc {
            let starts = self.spans.iter().map(|span| span.start);
            write_and_count_at(mode, doc, starts, verdicts, &self.rules, out, stats);
        } else {
            write_and_count(mode, doc, verdicts, &self.rules, out, stats);
        }
    }

    /// [`Cleaner::classify`] on the lines as they are.
    fn classify_lines(&mut self, doc: &[u8], verdicts: &mut Vec<Verdict>) {
        verdicts.clear();
        self.measure_lines(doc);
        let (prose_total, any_cut) = self.match_rules(doc);
        self.decide_by_rules(doc, prose_total, any_cut, verdicts);
        self.decide_by_site(doc, verdicts);
        if self.options.classifier {
            self.decide_by_model(verdicts);
        }
        layout_blank_lines(verdicts);
    }

    /// Pass 1a: each line's span, words and (with the classifier on) its
    /// features, or `--fast`'s.
    fn measure_lines(&mut self, doc: &[u8]) {
        // `--fast` scans each line for its own cheap features instead.
        let fast = self.options.fast;
        self.scratch.clear();
        self.spans.clear();
        if fast {
            self.fast.begin();
        } else {
            self.features.begin();
        }
        #[cfg(target_arch = "x86_64")]
        if fast && self.fast.has_avx2() {
            // SAFETY: the CPU has AVX2 and POPCNT (`has_avx2`).
            unsafe { self.measure_fast_avx2(doc) };
            return;
        }
        self.measure_each(doc);
    }

    /// `--fast`'s [`Cleaner::measure_lines`] compiled for AVX2: the loop
    /// and `FastScratch::push` in the scan's target features (-0.6% of
    /// `--fast`; the scan itself stays a call).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,popcnt")]
    fn measure_fast_avx2(&mut self, doc: &[u8]) {
        self.measure_each(doc);
    }

    /// The loop of [`Cleaner::measure_lines`].
    #[inline(always)]
    fn measure_each(&mut self, doc: &[u8]) {
        let classifier = self.options.classifier;
        let fast = self.options.fast;
        let infos = &mut self.scratch;
        let mut at = 0;
        for line in lines(doc) {
            let text = content(line);
            let span = at..at + text.len();
            self.spans.push(span.clone());
            at += line.len();
            if is_blank(text) {
                if fast {
                    self.fast.push_blank();
                }
                infos.push(LineInfo::BLANK);
                continue;
            }
            let words = if fast {
                self.fast.push(doc, span)
            } else if classifier {
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
    }

    /// Pass 1b: what the rules say about each line: the anchored automaton
    /// and literal search over all lines at once (four lines in step), then
    /// the rules line by line. Returns how much prose (words in lines of 10
    /// or more words no rule matched) the document has, and whether a
    /// `cut` rule matched a line.
    fn match_rules(&mut self, doc: &[u8]) -> (f64, bool) {
        let classifier = self.options.classifier;
        let fast = self.options.fast;
        let infos = &mut self.scratch;
        let rules = &self.rules;
        self.presearch.clear();
        self.presearch.resize(infos.len(), Presearch::default());
        let searched = infos
            .iter()
            .zip(&self.spans)
            .enumerate()
            .filter(|(_, (info, _))| !info.blank)
            .map(|(i, (info, span))| (i, &doc[span.clone()], info.words));
        if fast {
            rules.presearch_anchored(searched, &mut self.presearch);
        } else {
            rules.presearch(searched, &mut self.presearch);
        }
        let mut prose_total = 0.0;
        let mut any_cut = false;
        let mut row = 0;
        for ((info, span), &found) in infos.iter_mut().zip(&self.spans).zip(&self.presearch) {
            if info.blank {
                continue;
            }
            let rule = if fast {
                rules.match_anchored_with(&doc[span.clone()], info.words, found)
            } else {
                rules.match_line_with(&doc[span.clone()], info.words, found)
            };
            info.rule = rule;
            if rule.is_none() && info.words >= PROSE_LINE_WORDS {
                prose_total += f64::from(info.words);
            }
            let Some(i) = rule else {
                row += 1;
                continue;
            };
            let action = rules.rules()[i as usize].action;
            any_cut |= action == Action::Cut;
            if classifier {
                let mark = match action {
                    Action::Keep => RuleMark::Kept,
                    _ => RuleMark::Dropped,
                };
                if fast {
                    self.fast.mark(row, mark);
                } else {
                    self.features.mark(row, mark);
                }
            }
            row += 1;
        }
        (prose_total, any_cut)
    }

    /// Pass 2: verdicts from the rules. A cut is honoured only below enough
    /// prose, and only when little prose follows it: a "Related" box in the
    /// middle of a page must not take the rest of the article with it. Nor is it
    /// honoured at a line the document repeats. Lines no rule decided are
    /// kept, for the model to decide.
    ///
    /// With the classifier on, it also notes the lines left to the model
    /// and the words rules kept (for [`Cleaner::decide_by_model`]: one pass
    /// over the verdicts fewer).
    fn decide_by_rules(
        &mut self,
        doc: &[u8],
        prose_total: f64,
        any_cut: bool,
        verdicts: &mut Vec<Verdict>,
    ) {
        let infos = &self.scratch;
        let params = self.rules.params();
        let rules = self.rules.rules();
        // Most documents have no cut marker: no pass over their lines.
        let repeated = if any_cut {
            repeated_markers(doc, infos, &self.spans, rules)
        } else {
            Vec::new()
        };
        let mut prose_before = 0.0;
        let mut cut: Option<u32> = None;
        let classifier = self.options.classifier;
        let to_score = &mut self.to_score;
        to_score.clear();
        let (mut row, mut kept_words) = (0u32, 0.0);
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
            if classifier {
                if matches!(verdict.reason, Reason::NoRule) {
                    to_score.push((verdicts.len() as u32, row));
                } else if verdict.keep {
                    kept_words += f64::from(info.words);
                }
                row += 1;
            }
            verdicts.push(verdict);
        }
        self.kept_words = kept_words;
    }

    /// Pass 3: the model scores the lines no rule decided, a chunk of lines
    /// at a time (rows are built on demand, so memory stays bounded however
    /// long the document), then the document's threshold decides them.
    fn decide_by_model(&mut self, verdicts: &mut [Verdict]) {
        let fast = self.options.fast;
        let (width, feature_base) = if fast {
            self.fast.finish();
            (FAST_FEATURE_COUNT, FEATURE_COUNT as u16)
        } else {
            self.features.finish();
            (FEATURE_COUNT, 0)
        };
        let params = self.rules.params();
        let kept_words = self.kept_words;
        self.scored.clear();
        // Sized once for a full chunk, never cleared: every value a chunk
        // uses is written by row_into first (zeroing them again cost 2% of
        // the run).
        self.rows.resize(SCORE_CHUNK * FEATURE_COUNT, 0.0);
        for chunk in self.to_score.chunks(SCORE_CHUNK) {
            let rows = &mut self.rows[..chunk.len() * width];
            if fast {
                let lines = chunk.iter().map(|&(_, line)| line as usize);
                self.fast.rows_into(lines, rows);
            } else {
                for (&(_, line), out) in chunk.iter().zip(rows.chunks_exact_mut(width)) {
                    self.features.row_into(line as usize, out);
                }
            }
            self.scores.clear();
            self.scores.resize(chunk.len(), 0.0);
            self.model.score_rows(rows, &mut self.scores);
            for (&(at, _), &score) in chunk.iter().zip(&self.scores) {
                let words = f64::from(self.scratch[at as usize].words);
                let score = match self.site_seen.get(at as usize) {
                    Some(&(pages, of)) if pages > 0 => {
                        score - SITE_SEEN_WEIGHT * f64::from(pages) / f64::from(of)
                    }
                    _ => score,
                };
                self.scored.push((logistic(score), words));
            }
        }
        // `site_seen` is filled only when the profile acted on this page.
        let beta = if self.site_seen.is_empty() {
            params.keep_beta
        } else {
            params.profile_keep_beta
        };
        let threshold = if params.keep_beta > 0.0 && beta > 0.0 {
            let best = threshold::expected_f_threshold_with(
                &self.scored,
                kept_words,
                beta,
                params.keep_spread,
                &mut self.bar,
            );
            best.min(params.keep_threshold)
        } else {
            params.keep_threshold
        };

        for (&(at, line), &(probability, _)) in self.to_score.iter().zip(&self.scored) {
            let keep = probability >= threshold;
            let feature = if self.options.explain {
                // Explaining is slow anyway: the row is built again.
                let row = &mut self.rows[..width];
                if fast {
                    self.fast.row_into(line as usize, row);
                } else {
                    self.features.row_into(line as usize, row);
                }
                // `--fast`'s features are numbered after the default ones.
                self.model
                    .strongest_feature(row, keep)
                    .map(|(f, _)| feature_base + f as u16)
            } else {
                None
            };
            verdicts[at as usize] = Verdict {
                keep,
                reason: Reason::Model {
                    probability: probability as f32,
                    threshold: threshold as f32,
                    feature,
                    site_seen: self
                        .site_seen
                        .get(at as usize)
                        .copied()
                        .filter(|&(pages, _)| pages > 0),
                },
            };
        }
    }

    /// Pass 2b, with a profile and a known site: the lines the rules did not
    /// decide, found on enough of the site's other pages, are dropped before
    /// the model scores the rest (so the page's bar is set by its own
    /// lines); those found on fewer are marked for the model, which counts
    /// that as evidence against them (`SITE_SEEN_WEIGHT`). A page that is a
    /// copy of another page of the site (a URL variant, a reprint: nearly
    /// all its words would go) is left to the model alone: the profile
    /// cannot tell its article from its template.
    ///
    /// Leave-one-out on dev's multi-page domains (docs/accuracy.md): mean
    /// F1 0.7545 without a profile, 0.7764 with the drops alone, 0.7832
    /// with the copy guard and the evidence.
    fn decide_by_site(&mut self, doc: &[u8], verdicts: &mut [Verdict]) {
        self.site_seen.clear();
        let (Some((profile, options)), Some(site)) = (&self.profile, self.site) else {
            return;
        };
        let site = profile.site_at(site);
        // (verdict index, pages with the line) of the undecided lines.
        let mut counted = std::mem::take(&mut self.site_counts);
        counted.clear();
        let (mut countable, mut found) = (0usize, 0usize);
        for (i, (verdict, span)) in verdicts.iter().zip(&self.spans).enumerate() {
            if !matches!(verdict.reason, Reason::NoRule) {
                continue;
            }
            let key = line_key(&doc[span.clone()]);
            let pages = site.count(key);
            if profile.counts_key(key) {
                countable += 1;
                found += usize::from(pages > 0);
            }
            counted.push((i as u32, pages));
        }
        let includes_page = profile.is_pruned() || (countable > 0 && found == countable);
        let own = u32::from(includes_page);
        let other_pages = site.pages().saturating_sub(own);
        if other_pages == 0 {
            self.site_counts = counted;
            return;
        }
        let bar = options.min_share * f64::from(other_pages);
        let repeated = |pages: u32| pages >= options.min_pages.max(1) && f64::from(pages) >= bar;
        let (mut words, mut repeated_words) = (0u64, 0u64);
        for &(i, pages) in &counted {
            let w = u64::from(self.scratch[i as usize].words);
            words += w;
            if repeated(pages.saturating_sub(own)) {
                repeated_words += w;
            }
        }
        if words > 0 && repeated_words as f64 >= COPY_SHARE * words as f64 {
            self.site_counts = counted;
            return;
        }
        self.site_seen.resize(verdicts.len(), (0, other_pages));
        // The lines dropped below are no longer the model's.
        let mut decided = false;
        for &(i, pages) in &counted {
            let pages = pages.saturating_sub(own);
            if repeated(pages) {
                decided = true;
                verdicts[i as usize] = Verdict {
                    keep: false,
                    reason: Reason::SiteRepeat {
                        pages,
                        site_pages: other_pages,
                    },
                };
            } else {
                self.site_seen[i as usize] = (pages, other_pages);
            }
        }
        if decided {
            self.to_score
                .retain(|&(at, _)| matches!(verdicts[at as usize].reason, Reason::NoRule));
        }
        self.site_counts = counted;
    }

    /// Writes the classifier's view of `doc` for training: per non-blank
    /// line, `DOC LINE STATE` and the feature row, tab-separated. STATE is 0
    /// when the rules dropped the line (or a cut above it), 1 when a rule
    /// kept it, 2 when the classifier decides it. Line numbers count from 0.
    ///
    /// # Errors
    ///
    /// A failed write; and, before anything is written,
    /// [`io::ErrorKind::InvalidInput`] for a cleaner without the
    /// classifier (its lines have no feature rows) or with
    /// [`Cleaner::with_unwrap`] (its rows would be the joined paragraphs',
    /// not the lines').
    pub fn dump_features(
        &mut self,
        doc: &[u8],
        doc_index: u64,
        verdicts: &mut Vec<Verdict>,
        out: &mut impl Write,
    ) -> io::Result<()> {
        let refused = if !self.options.classifier {
            Some(
                "a cleaner without the classifier (CleanerOptions::classifier) computes no features",
            )
        } else if self.unwrap.is_some() {
            Some("a cleaner with_unwrap computes the features of joined paragraphs, not of lines")
        } else {
            None
        };
        if let Some(why) = refused {
            let message = format!("cannot dump feature rows: {why}");
            return Err(io::Error::new(io::ErrorKind::InvalidInput, message));
        }
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
            let width = if self.options.fast {
                FAST_FEATURE_COUNT
            } else {
                FEATURE_COUNT
            };
            let values = &mut values[..width];
            if state == 2 && self.options.fast {
                self.fast.row_into(row, values);
            } else if state == 2 {
                self.features.row_into(row, values);
            }
            for &mut value in values {
                write!(out, "\t{value}")?;
            }
            writeln!(out)?;
            row += 1;
        }
        Ok(())
    }
}

impl Cleaner {
    /// Cleans one document and returns the kept lines, byte for byte.
    ///
    /// `doc` is one page: a form-feed line in it is a line like any other
    /// (the classifier may drop it), not a boundary. Split a stream of
    /// pages with [`crate::document::DocumentReader`], or clean it with
    /// [`crate::Pipeline`], which keeps every separator.
    pub fn clean(&mut self, doc: &[u8]) -> Vec<u8> {
        let mut verdicts = Vec::new();
        self.classify(doc, &mut verdicts);
        let mut out = Vec::with_capacity(doc.len());
        write_document(Mode::Clean, doc, &verdicts, self.rules(), &mut out);
        out
    }

    /// Cleans one document and says, for every input line, whether it is
    /// kept and why: the rows of `--explain`, with each line's content
    /// (without its line terminator).
    pub fn explain<'d>(&mut self, doc: &'d [u8]) -> Vec<ExplainedLine<'d>> {
        let mut verdicts = Vec::new();
        self.classify(doc, &mut verdicts);
        lines(doc)
            .zip(&verdicts)
            .map(|(line, v)| {
                let mut reason = Vec::new();
                write_reason(v.reason, self.rules(), &mut reason);
                ExplainedLine {
                    keep: v.keep,
                    reason: String::from_utf8_lossy(&reason).into_owned(),
                    line: content(line),
                }
            })
            .collect()
    }
}

/// One row of [`Cleaner::explain`].
#[derive(Debug, Clone, PartialEq)]
pub struct ExplainedLine<'d> {
    /// Whether the line is in the cleaned output.
    pub keep: bool,
    /// Why, as `--explain` names it (a rule id, `model:0.93/0.41 words`, ...).
    pub reason: String,
    /// The line's bytes without its `\n` or `\r\n`.
    pub line: &'d [u8],
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
    // Only a line of a marker's length can be one: most lines are ruled
    // out by their length, before the search compares bytes (the search
    // over every line cost 8% of the cleaner's passes under `--fast`).
    let (shortest, longest) = markers.iter().fold((usize::MAX, 0), |(lo, hi), (m, _)| {
        (lo.min(m.len()), hi.max(m.len()))
    });
    for (info, span) in infos.iter().zip(spans) {
        if info.blank {
            continue;
        }
        let line = text(span);
        if !(shortest..=longest).contains(&line.len()) {
            continue;
        }
        if let Ok(at) = markers.binary_search_by(|(m, _)| (*m).cmp(line)) {
            markers[at].1 += 1;
        }
    }
    markers
        .into_iter()
        .filter(|&(_, count)| count > 1)
        .map(|(m, _)| m)
        .collect()
}

/// Lines scored at a time: enough to keep the CPU busy, few enough that
/// their rows (348 bytes each) stay in cache.
const SCORE_CHUNK: usize = 256;

/// How much a site profile's partial evidence weighs against a line: its
/// share of the site's other pages holding it, times this, comes off the
/// model's log-odds (leave-one-out on dev's multi-page domains: 1 gave
/// 0.7819, 2 0.7832, 3 0.7824 mean F1).
const SITE_SEEN_WEIGHT: f64 = 2.0;

/// A page whose undecided words the profile would drop at this share or
/// more is taken for a copy of a page in the profile.
const COPY_SHARE: f64 = 0.99;

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
        if matches!(verdict.reason, Reason::BlankCollapsed) {
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

mod threshold;
pub use threshold::expected_f_threshold;
#[cfg(test)]
mod tests;
