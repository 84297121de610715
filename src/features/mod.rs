//! Line features: numbers that describe each line, for the classifier.
//!
//! Three layers, all computed without allocating per line (buffers live in a
//! [`FeatureScratch`] reused across documents):
//! - the line on its own, from one pass over its bytes ([`LineScan`]): length,
//!   words, stop-word hits, case, digits, symbols, separators, how it starts
//!   and ends, URL / e-mail / © / price / date shapes;
//! - its neighbours: the same facts for the two lines above and below, a
//!   +-3-line window, the distance to the nearest line of prose, and whether
//!   the rules dropped lines around it;
//! - the document: its language, how much prose it has, how long the line
//!   is against its longest, and where the line sits in it (not its size:
//!   that told the datasets apart more than article from boilerplate).
//!
//! [`FEATURE_NAMES`] fixes the order; the model file names the features it was
//! trained on and is refused if they differ.

mod stoplists;
pub mod stopwords;

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use crate::text::FxHasher;

pub use facts::{LineScan, RuleMark, flag};
use facts::{MAX_DUPLICATES, MAX_STOP_SETS_PER_LINE, copy_neighbours, log_count, log_mean, ratio};
pub use fast::{FAST_FEATURE_COUNT, FAST_FEATURE_NAMES, FastScratch};
pub use scan::scan_line;
use stopwords::{LanguageSet, SetId};
pub use tokens::StopWords;

/// Lines of at least this many words (by [`count_words`]) are long: the
/// window share of long lines and the document's share of them use it.
const LONG_LINE_WORDS: f32 = 15.0;
/// A line is prose for the distance features when it is long and at least
/// this share of its words are stop words.
const GOOD_STOP_DENSITY: f32 = 0.2;
/// Distances to the nearest prose line are capped here.
const MAX_DISTANCE: u32 = 20;

/// The features, in the order of a feature row. Neighbour features carry
/// their offset: `@-1` is the non-blank line above.
pub const FEATURE_NAMES: &[&str] = &[
    // The line itself.
    "log_chars",
    "log_words",
    "log_word_runs",
    "mean_token_len",
    "stop_density",
    "stop_density_any",
    "ends_terminal",
    "ends_colon",
    "ends_ellipsis",
    "title_ratio",
    "upper_ratio",
    "digit_ratio",
    "symbol_ratio",
    "separators",
    "has_url",
    "has_email",
    "has_copyright",
    "starts_bullet",
    "date_like",
    "has_price",
    "commas_per_word",
    "sentence_ends",
    "starts_lower",
    "numeric_share",
    "unspaced_share",
    "duplicates",
    "log_shape_run",
    // Neighbours (the non-blank lines two and one above, one and two below).
    "log_words@-2",
    "stop_density@-2",
    "ends_terminal@-2",
    "title_ratio@-2",
    "symbol_ratio@-2",
    "digit_ratio@-2",
    "starts_bullet@-2",
    "duplicates@-2",
    "rule_dropped@-2",
    "log_words@-1",
    "stop_density@-1",
    "ends_terminal@-1",
    "title_ratio@-1",
    "symbol_ratio@-1",
    "digit_ratio@-1",
    "starts_bullet@-1",
    "duplicates@-1",
    "rule_dropped@-1",
    "log_words@+1",
    "stop_density@+1",
    "ends_terminal@+1",
    "title_ratio@+1",
    "symbol_ratio@+1",
    "digit_ratio@+1",
    "starts_bullet@+1",
    "duplicates@+1",
    "rule_dropped@+1",
    "log_words@+2",
    "stop_density@+2",
    "ends_terminal@+2",
    "title_ratio@+2",
    "symbol_ratio@+2",
    "digit_ratio@+2",
    "starts_bullet@+2",
    "duplicates@+2",
    "rule_dropped@+2",
    // The +-3-line window and the nearest prose.
    "window_log_words",
    "window_stop_density",
    "window_long_share",
    "window_rule_dropped",
    "prose_distance_above",
    "prose_distance_below",
    // The document.
    "words_before_share",
    "doc_long_share",
    "words_over_longest",
    "doc_stop_density",
    "doc_rule_dropped",
    "doc_language_known",
    // jusText's two passes, as evidence.
    "justext_class",
    "justext_keep",
    // Comment threads.
    "comment_line",
    "reply_distance_above",
    "reply_distance_below",
    "window_reply_share",
    "comment_marker_above",
    "doc_first_reply_share",
];

/// The number of features in a row.
pub const FEATURE_COUNT: usize = 83;
const _: () = assert!(FEATURE_NAMES.len() == FEATURE_COUNT);

/// Neighbour offsets, in the order of the neighbour features.
const NEIGHBOURS: [isize; 4] = [-2, -1, 1, 2];
const NEIGHBOUR_FEATURES: usize = 9;
const LINE_FEATURES: usize = 27;

/// Per-document buffers: line scans, stop-word hits, feature rows. Reused
/// across documents, so a thread allocates only while documents grow.
#[derive(Debug, Clone, Default)]
pub struct FeatureScratch {
    /// One per non-blank line.
    lines: Vec<Line>,
    /// The language set of each stop word of the document, by index.
    stops: StopWords,
    /// Per [`SetId`], how many of the document's stop words have that set
    /// (zero between documents).
    set_counts: Vec<u32>,
    /// Each distinct line hash's index in `copies`, for duplicate counts.
    hash_slots: HashMap<u64, u32, BuildHasherDefault<FxHasher>>,
    /// How many lines have each distinct hash, and each line's index into
    /// it: one probe of the map per line.
    copies: Vec<u32>,
    copy_slot: Vec<u32>,
    /// Distance of each line to the nearest prose line above it.
    prose_above: Vec<u32>,
    prose_below: Vec<u32>,
    /// jusText's forward pass: the nearest decided line above each line
    /// (true = good), and whether a near-good line lies between.
    justext_above: Vec<(bool, bool)>,
    /// Words in the non-blank lines above each line.
    words_before: Vec<f32>,
    /// Sums over the lines above each line (and all lines, at `n`): words,
    /// long lines, rule-dropped lines, comment furniture. A row's window
    /// sums are two loads, not a walk over seven lines' records.
    window_prefix: Vec<[u32; 4]>,
    /// Each line's stop density, packed: the window sums them in order,
    /// as floats, for identical rows.
    stop_densities: Vec<f32>,
    /// Distance of each line to the nearest comment-furniture line above
    /// and below ([`comments::REPLY`]).
    reply_above: Vec<u32>,
    reply_below: Vec<u32>,
    /// ln(1 + the words of prose above the nearest comment-section marker
    /// above each line); -1 with none.
    marker_above: Vec<f32>,
    doc: DocStats,
    /// Each line's features as a neighbour, computed once and copied into
    /// the rows of the lines around it.
    as_neighbour: Vec<[f32; NEIGHBOUR_FEATURES]>,
    language: Option<usize>,
}

/// Sums over the document's non-blank lines.
#[derive(Debug, Clone, Copy, Default)]
struct DocStats {
    words: f32,
    longest: f32,
    long_lines: u32,
    stop_sum: f32,
    rule_dropped: u32,
    /// The document's features, the same in every row.
    long_share: f32,
    stop_density: f32,
    dropped_share: f32,
    /// The share of the prose above the first comment-furniture line (1
    /// with none).
    first_reply_share: f32,
}

/// What the document pass keeps of a non-blank line.
#[derive(Debug, Clone, Copy)]
struct Line {
    scan: LineScan,
    stop_hits: u32,
    rule: RuleMark,
    /// Derived in [`FeatureScratch::finish`].
    stop_density: f32,
    duplicates: u32,
    shape_run: u32,
    /// jusText's class of the line: 3 good, 2 near-good, 1 short, 0 bad.
    justext_class: u8,
    /// jusText's verdict after its context pass.
    justext_keep: bool,
    /// [`comments::comment_shape`] of the line.
    comment: u8,
    /// Prose for the distance features: long, mostly stop words, not
    /// dropped by the rules.
    prose: bool,
}

impl FeatureScratch {
    /// Starts a new document.
    pub fn begin(&mut self) {
        self.lines.clear();
        self.stops.sets.clear();
        self.language = None;
    }

    /// What the rules said of the `i`-th non-blank line pushed.
    pub fn mark(&mut self, i: usize, rule: RuleMark) {
        if let Some(line) = self.lines.get_mut(i) {
            line.rule = rule;
        }
    }

    /// Adds the next non-blank line of the document and returns its word
    /// count.
    pub fn push(&mut self, text: &[u8]) -> u32 {
        let scan = scan_line(text, &mut self.stops);
        let words = scan.words;
        let comment = comments::comment_shape(text, &scan);
        self.lines.push(Line {
            scan,
            stop_hits: 0,
            rule: RuleMark::Undecided,
            stop_density: 0.0,
            duplicates: 0,
            shape_run: 0,
            justext_class: 0,
            justext_keep: false,
            comment,
            prose: false,
        });
        words
    }

    /// The number of non-blank lines pushed.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Computes what the feature rows need from the whole document; then
    /// [`FeatureScratch::row_into`] gives any line's row. Rows are built on
    /// demand, a few at a time, so a document of a million short lines does
    /// not hold a million rows.
    pub fn finish(&mut self) {
        let n = self.lines.len();
        self.pick_language();
        self.count_duplicates();
        self.mark_shape_runs();
        self.justext();

        let mut doc = DocStats::default();
        for line in &mut self.lines {
            let words = line.scan.words as f32;
            doc.words += words;
            doc.longest = doc.longest.max(words);
            doc.long_lines += u32::from(words >= LONG_LINE_WORDS);
            doc.stop_sum += line.stop_density;
            doc.rule_dropped += u32::from(line.rule == RuleMark::Dropped);
            line.prose = line.rule != RuleMark::Dropped
                && words >= LONG_LINE_WORDS
                && line.stop_density >= GOOD_STOP_DENSITY;
        }
        let lines = &self.lines;
        self.as_neighbour.clear();
        self.as_neighbour
            .extend(lines.iter().map(neighbour_features));
        // Distances to the nearest prose line above (filled forwards) and
        // below (backwards), and the words above each line.
        self.prose_above.clear();
        self.prose_below.clear();
        self.prose_below.resize(n, 0);
        self.words_before.clear();
        self.words_before.resize(n, 0.0);
        let mut distance = MAX_DISTANCE;
        self.prose_above.extend(lines.iter().map(|line| {
            distance = if line.prose {
                0
            } else {
                (distance + 1).min(MAX_DISTANCE)
            };
            distance
        }));
        let mut below = MAX_DISTANCE;
        let mut words_before = doc.words;
        let backwards = self.prose_below.iter_mut().zip(&mut self.words_before);
        for ((prose_below, before), line) in backwards.zip(lines).rev() {
            below = if line.prose {
                0
            } else {
                (below + 1).min(MAX_DISTANCE)
            };
            *prose_below = below;
            words_before -= line.scan.words as f32;
            *before = words_before;
        }
        self.comment_threads(&mut doc);
        let nf = n.max(1) as f32;
        doc.long_share = doc.long_lines as f32 / nf;
        doc.stop_density = doc.stop_sum / nf;
        doc.dropped_share = doc.rule_dropped as f32 / nf;
        self.doc = doc;
        self.window_prefix.clear();
        self.stop_densities.clear();
        let mut sums = [0u32; 4];
        self.window_prefix.push(sums);
        // Each per-line table by `extend` over the lines: one reservation,
        // not a capacity check per push.
        self.window_prefix.extend(self.lines.iter().map(|line| {
            // Wrapping: a window's difference is right as long as its own
            // sum fits (row_into checks the words').
            sums[0] = sums[0].wrapping_add(line.scan.words);
            sums[1] += u32::from(line.scan.words as f32 >= LONG_LINE_WORDS);
            sums[2] += u32::from(line.rule == RuleMark::Dropped);
            sums[3] += u32::from(line.comment == comments::REPLY);
            sums
        }));
        self.stop_densities
            .extend(self.lines.iter().map(|line| line.stop_density));
    }

    /// Distances to comment furniture, the nearest comment-section marker
    /// above each line, and where the first comment furniture stands. The
    /// positions are shares of the document's prose (long lines in the
    /// language), not of its words: under an article, comments open past
    /// most of the prose; a forum thread's posts follow a short question,
    /// whatever the menus above weigh.
    fn comment_threads(&mut self, doc: &mut DocStats) {
        let n = self.lines.len();
        let prose_words = |l: &Line| if l.prose { l.scan.words as f32 } else { 0.0 };
        let total = self.lines.iter().map(prose_words).sum::<f32>().max(1.0);
        self.reply_above.clear();
        self.reply_below.clear();
        self.reply_below.resize(n, MAX_DISTANCE);
        self.marker_above.clear();
        doc.first_reply_share = 1.0;
        let mut distance = MAX_DISTANCE;
        self.reply_above.extend(self.lines.iter().map(|line| {
            distance = (distance + 1).min(MAX_DISTANCE);
            let above = distance;
            if line.comment == comments::REPLY {
                distance = 0;
            }
            above
        }));
        let mut marker = -1.0;
        let mut seen_reply = false;
        let mut prose_before = 0.0;
        self.marker_above.extend(self.lines.iter().map(|line| {
            let above = marker;
            match line.comment {
                comments::REPLY if !seen_reply => {
                    seen_reply = true;
                    doc.first_reply_share = prose_before / total;
                }
                comments::MARKER => marker = prose_before.ln_1p(),
                _ => {}
            }
            prose_before += prose_words(line);
            above
        }));
        let mut below = MAX_DISTANCE;
        for (reply_below, line) in self.reply_below.iter_mut().zip(&self.lines).rev() {
            below = (below + 1).min(MAX_DISTANCE);
            *reply_below = below;
            if line.comment == comments::REPLY {
                below = 0;
            }
        }
    }

    /// Writes the feature row of the `i`-th non-blank line into `row`
    /// ([`FEATURE_COUNT`] values), once [`FeatureScratch::finish`] ran.
    pub fn row_into(&self, i: usize, row: &mut [f32]) {
        let lines = &self.lines;
        let n = lines.len();
        let doc = &self.doc;
        line_features(&lines[i], &mut row[..LINE_FEATURES]);
        let at = copy_neighbours(row, LINE_FEATURES, i, &NEIGHBOURS, &self.as_neighbour[..n]);
        let lo = i.saturating_sub(3);
        let hi = (i + 3).min(n - 1);
        let span = (hi - lo + 1) as f32;
        let (above, through) = (self.window_prefix[lo], self.window_prefix[hi + 1]);
        let [words, long, dropped, replies] =
            std::array::from_fn(|k| through[k].wrapping_sub(above[k]));
        // Counts of at most seven lines are exact as floats; so is the sum
        // of the words, added one line at a time as floats, while it stays
        // within 2^24.
        let w = if words <= 1 << 24 {
            words as f32
        } else {
            lines[lo..=hi]
                .iter()
                .map(|l| l.scan.words as f32)
                .fold(0.0, |a, b| a + b)
        };
        let (long, dropped, replies) = (long as f32, dropped as f32, replies as f32);
        let st = self.stop_densities[lo..=hi]
            .iter()
            .fold(0.0f32, |a, &b| a + b);
        let tail = [
            log_mean(w, hi - lo + 1),
            st / span,
            long / span,
            dropped / span,
            self.prose_above[i] as f32,
            self.prose_below[i] as f32,
            self.words_before[i] / doc.words.max(1.0),
            doc.long_share,
            lines[i].scan.words as f32 / doc.longest.max(1.0),
            doc.stop_density,
            doc.dropped_share,
            f32::from(u8::from(self.language.is_some())),
            f32::from(lines[i].justext_class),
            f32::from(u8::from(lines[i].justext_keep)),
            f32::from(lines[i].comment),
            self.reply_above[i] as f32,
            self.reply_below[i] as f32,
            replies / span,
            self.marker_above[i],
            doc.first_reply_share,
        ];
        row[at..].copy_from_slice(&tail);
    }

    /// What the rules said of the `i`-th non-blank line.
    #[cfg(test)]
    pub fn rule(&self, i: usize) -> RuleMark {
        self.lines[i].rule
    }

    /// Picks the document's language by stop-word hits, then counts each
    /// line's hits in it; with no language, hits in any list count.
    fn pick_language(&mut self) {
        let sets = stopwords::sets();
        let hits = count_languages(&self.stops.sets, sets, &mut self.set_counts);
        self.language = stopwords::pick_language(&hits);
        // Every stored set holds a language: with none picked, all count.
        let mask: LanguageSet = self.language.map_or(LanguageSet::MAX, |l| 1 << l);
        for line in &mut self.lines {
            let start = line.scan.stop_start as usize;
            let stored = line.scan.stop_tokens.min(MAX_STOP_SETS_PER_LINE);
            let ids = &self.stops.sets[start..start + stored as usize];
            let hits = ids
                .iter()
                .filter(|&&id| sets[usize::from(id)] & mask != 0)
                .count() as u32;
            // A giant line kept only its first stop words: scale.
            line.stop_hits = if stored == line.scan.stop_tokens {
                hits
            } else {
                (u64::from(hits) * u64::from(line.scan.stop_tokens) / u64::from(stored)) as u32
            };
            line.stop_density = ratio(line.stop_hits, line.scan.tokens);
        }
    }

    /// Counts each line's hash in a table: a probe a line costs less than
    /// sorting the hashes (a document's lines are mostly distinct); the
    /// counts are then read by index, not by a second probe.
    fn count_duplicates(&mut self) {
        let slots = &mut self.hash_slots;
        let copies = &mut self.copies;
        slots.clear();
        copies.clear();
        self.copy_slot.clear();
        self.copy_slot.extend(self.lines.iter().map(|line| {
            let next = copies.len() as u32;
            let slot = *slots.entry(line.scan.hash).or_insert(next);
            if slot == next {
                copies.push(0);
            }
            copies[slot as usize] += 1;
            slot
        }));
        for (line, &slot) in self.lines.iter_mut().zip(&self.copy_slot) {
            let copies = self.copies[slot as usize];
            line.duplicates = copies.saturating_sub(1).min(MAX_DUPLICATES);
        }
    }

    /// jusText's classes and context pass (Pomikálek 2011), with its word
    /// thresholds: good lines are long, or sentences of some length; short
    /// and near-good lines take the verdict of the nearest good or bad
    /// lines around them (document edges count as bad); a near-good line on
    /// the bad side keeps a short line. Rule-dropped lines are bad.
    fn justext(&mut self) {
        const GOOD: u8 = 3;
        const NEAR_GOOD: u8 = 2;
        const SHORT: u8 = 1;
        const BAD: u8 = 0;
        for line in &mut self.lines {
            let s = &line.scan;
            let sentence = s.has(flag::ENDS_TERMINAL);
            line.justext_class = match line.rule {
                RuleMark::Dropped => BAD,
                RuleMark::Kept => GOOD,
                RuleMark::Undecided if s.words >= 30 || (s.words >= 12 && sentence) => GOOD,
                RuleMark::Undecided if s.words >= 6 && sentence => NEAR_GOOD,
                RuleMark::Undecided => SHORT,
            };
        }
        // Forwards: for each line, the nearest decided line above (true =
        // good) and whether a near-good line lies between.
        self.justext_above.clear();
        let mut last = (false, false);
        self.justext_above.extend(self.lines.iter().map(|line| {
            let above = last;
            match line.justext_class {
                GOOD => last = (true, false),
                BAD => last = (false, false),
                NEAR_GOOD => last.1 = true,
                _ => {}
            }
            above
        }));
        let mut below = (false, false);
        for (line, &(up, up_near)) in self.lines.iter_mut().zip(&self.justext_above).rev() {
            let (down, down_near) = below;
            line.justext_keep = match line.justext_class {
                GOOD => true,
                BAD => false,
                NEAR_GOOD => up || down,
                _ => match (up, down) {
                    (true, true) => true,
                    (false, false) => false,
                    (true, false) => down_near,
                    (false, true) => up_near,
                },
            };
            match line.justext_class {
                GOOD => below = (true, false),
                BAD => below = (false, false),
                NEAR_GOOD => below.1 = true,
                _ => {}
            }
        }
    }

    /// A shape run is a run of lines that look alike (length bucket,
    /// ending, bullet, digits), as the items of a list or a product grid do.
    /// Blank lines play no part: converters lay them out differently.
    fn mark_shape_runs(&mut self) {
        let n = self.lines.len();
        let mut start = 0;
        while start < n {
            let shape = shape_of(&self.lines[start].scan);
            let mut end = start + 1;
            while end < n && shape_of(&self.lines[end].scan) == shape {
                end += 1;
            }
            for line in &mut self.lines[start..end] {
                line.shape_run = (end - start) as u32;
            }
            start = end;
        }
    }
}

fn shape_of(s: &LineScan) -> (u8, u16, bool) {
    let bucket = match s.words {
        0..=1 => 0,
        2 => 1,
        3 => 2,
        4..=6 => 3,
        7..=12 => 4,
        _ => 5,
    };
    let marks = s.flags & (flag::ENDS_TERMINAL | flag::STARTS_BULLET | flag::HAS_PRICE);
    (bucket, marks, s.digits > 0)
}

/// How many of the stop words `ids` (indices into `sets`) hold each
/// language. A document's stop words have few distinct sets ("the" is
/// always English): they are counted by index (`counts`, all zero, one per
/// set, left all zero), and each distinct set's languages take its count
/// once.
fn count_languages(ids: &[SetId], sets: &[LanguageSet], counts: &mut Vec<u32>) -> [u32; 128] {
    counts.resize(sets.len(), 0);
    for &id in ids {
        counts[usize::from(id)] += 1;
    }
    let mut hits = [0u32; 128];
    for &id in ids {
        let count = std::mem::take(&mut counts[usize::from(id)]);
        if count != 0 {
            let mut bits = sets[usize::from(id)];
            while bits != 0 {
                hits[bits.trailing_zeros() as usize] += count;
                bits &= bits - 1;
            }
        }
    }
    hits
}

#[inline]
fn bit(s: &LineScan, b: u16) -> f32 {
    f32::from(u8::from(s.has(b)))
}

fn line_features(line: &Line, out: &mut [f32]) {
    let s = &line.scan;
    let values = [
        log_count(s.chars),
        log_count(s.words),
        log_count(s.word_runs),
        ratio(s.nonspace, s.tokens),
        line.stop_density,
        ratio(s.stop_tokens, s.tokens),
        bit(s, flag::ENDS_TERMINAL),
        bit(s, flag::ENDS_COLON),
        bit(s, flag::ENDS_ELLIPSIS),
        ratio(s.title_tokens, s.alpha_tokens),
        ratio(s.uppercase, s.letters),
        ratio(s.digits, s.nonspace),
        ratio(s.symbols, s.nonspace),
        s.separators as f32,
        bit(s, flag::HAS_URL),
        bit(s, flag::HAS_EMAIL),
        bit(s, flag::HAS_COPYRIGHT),
        bit(s, flag::STARTS_BULLET),
        bit(s, flag::DATE_LIKE),
        bit(s, flag::HAS_PRICE),
        ratio(s.commas, s.words.max(1)),
        s.sentence_ends as f32,
        bit(s, flag::STARTS_LOWER),
        ratio(s.numeric_runs, s.word_runs),
        ratio(s.unspaced, s.nonspace),
        line.duplicates as f32,
        log_count(line.shape_run),
    ];
    out.copy_from_slice(&values);
}

fn neighbour_features(line: &Line) -> [f32; NEIGHBOUR_FEATURES] {
    let s = &line.scan;
    [
        log_count(s.words),
        line.stop_density,
        bit(s, flag::ENDS_TERMINAL),
        ratio(s.title_tokens, s.alpha_tokens),
        ratio(s.symbols, s.nonspace),
        ratio(s.digits, s.nonspace),
        bit(s, flag::STARTS_BULLET),
        line.duplicates as f32,
        f32::from(u8::from(line.rule == RuleMark::Dropped)),
    ]
}

/// One step of a xorshift generator: cheap, reproducible pseudo-random
/// numbers for the randomised tests.
#[cfg(test)]
pub(crate) fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

mod comments;
mod facts;
mod fast;
mod scan;
#[cfg(test)]
mod tests;
mod tokens;
