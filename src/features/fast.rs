//! `--fast`'s features: a few cheap numbers per line from one branch-free
//! pass over its bytes (no characters decoded, no stop words looked up),
//! the same for its neighbours, and a few document sums.
//!
//! Words are white-space separated tokens; "short words" (one to three
//! lowercase ASCII letters) stand in for stop words in the languages written
//! in Latin letters. [`FAST_FEATURE_NAMES`] fixes the order of a row, and
//! `rules/fast.model` names the same features.

use std::ops::Range;

use super::facts::{LogTables, RuleMark, log_count, ratio};

/// `--fast`'s features, in the order of a row.
pub const FAST_FEATURE_NAMES: &[&str] = &[
    // The line itself.
    "log_bytes",
    "log_words",
    "mean_token_len",
    "title_share",
    "upper_ratio",
    "punct_ratio",
    "ends_terminal",
    "log_block_lines",
    // Neighbours: the non-blank lines just above and just below.
    "punct_ratio@-1",
    "rule_dropped@-1",
    "log_words@+1",
    "punct_ratio@+1",
    // The +-3-line window and the nearest prose.
    "window_log_words",
    "window_long_share",
    "window_rule_dropped",
    "prose_distance_above",
    "prose_distance_below",
    // The document.
    "position",
    "words_before_share",
    "words_over_longest",
    "doc_long_share",
    "doc_short_share",
    "doc_rule_dropped",
];

/// The number of features in a `--fast` row.
pub const FAST_FEATURE_COUNT: usize = 23;
const _: () = assert!(FAST_FEATURE_NAMES.len() == FAST_FEATURE_COUNT);

/// What a line gives its neighbours' rows: log words, punctuation ratio,
/// dropped by a rule.
const NEIGHBOUR_FEATURES: usize = 3;
/// Lines of at least this many words are long.
const LONG_LINE_WORDS: u32 = 15;
/// A long line is prose when at least this share of its words are short.
const PROSE_SHORT_SHARE: f32 = 0.2;
const MAX_DISTANCE: u32 = 20;

// Byte classes, one table lookup per byte.
const SPACE: u16 = 1;
const UPPER: u16 = 1 << 1;
const LOWER: u16 = 1 << 2;
const PUNCT: u16 = 1 << 4;

static CLASS: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let mut k = 0;
        // As the SIMD masks have it (9 to 13 and the space), so that the
        // two agree on any block; a line holds no `\n` anyway.
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
            k |= SPACE;
        }
        if c.is_ascii_uppercase() {
            k |= UPPER;
        }
        if c.is_ascii_lowercase() {
            k |= LOWER;
        }
        if c.is_ascii_punctuation() {
            k |= PUNCT;
        }
        t[b] = k;
        b += 1;
    }
    t
};

mod bits {
    pub const ENDS_TERMINAL: u8 = 1;
}

/// What one pass over a line's bytes yields.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FastScan {
    pub bytes: u32,
    pub nonspace: u32,
    /// White-space separated tokens.
    pub words: u32,
    /// Tokens of one to three lowercase ASCII letters.
    pub short: u32,
    /// Tokens starting with an uppercase ASCII letter.
    pub title: u32,
    pub upper: u32,
    pub lower: u32,
    pub punct: u32,
    flags: u8,
}

/// True when the CPU has what [`fast_scan_avx2`] needs. Asked once per
/// document, not per line (the check's atomic load and branches per line
/// cost 1% of `--fast`).
fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("popcnt") {
        return true;
    }
    false
}

/// Scans one line (its content, without the terminator), 64 bytes at a
/// time: each byte class is a bit mask, counts are popcounts, tokens are
/// the masks' edges. Bytes past the end count as white space (a whole
/// block of it when the line fills its last block), so the last token ends
/// like any other.
/// `avx2` must be [`has_avx2`]'s answer (asked once per document).
/// The line is `doc[span]`: its last block is read from `doc` in place
/// when `doc` holds 64 bytes from there (bytes past the line masked as
/// white space), instead of being copied into a padded block.
#[inline(always)]
fn scan_on(doc: &[u8], span: Range<usize>, avx2: bool) -> FastScan {
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: `avx2` is `has_avx2()`: the CPU has AVX2 and POPCNT.
        return unsafe { fast_scan_avx2(doc, span) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = avx2;
    scan_with(doc, span, Masks::of)
}

/// [`scan_on`] of a line on its own, asking the CPU first (the tests'
/// entry).
#[cfg(test)]
pub fn fast_scan(text: &[u8]) -> FastScan {
    scan_on(text, 0..text.len(), has_avx2())
}

/// [`scan_on`] with 32-byte compares and one instruction per popcount
/// (without POPCNT, a count is a dozen instructions); the same counts.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt")]
#[inline]
fn fast_scan_avx2(doc: &[u8], span: Range<usize>) -> FastScan {
    // The closure has this function's target features.
    scan_with(doc, span, |block, chunks| {
        Masks::of_avx2(block, chunks.div_ceil(2))
    })
}

#[inline(always)]
fn scan_with(
    doc: &[u8],
    span: Range<usize>,
    masks_of: impl Fn(&[u8; 64], usize) -> Masks,
) -> FastScan {
    let text = &doc[span.clone()];
    let mut s = FastScan {
        bytes: text.len() as u32,
        ..FastScan::default()
    };
    // The previous block's masks (before the line: white space).
    let mut prev = Masks {
        space: u64::MAX,
        ..Masks::default()
    };
    let mut blocks = text.chunks_exact(64);
    for block in &mut blocks {
        let block: &[u8; 64] = block.try_into().expect("chunks of 64");
        let m = masks_of(block, 4);
        s.add(&m, &prev);
        prev = m;
    }
    // The last block, as if padded with white space (a whole block of it
    // when the line fills its last block), so the last token ends like any
    // other.
    let rest = blocks.remainder();
    let rest_start = span.end - rest.len();
    let m = if rest.is_empty() {
        Masks {
            space: u64::MAX,
            ..Masks::default()
        }
    } else if let Some(block) = doc.get(rest_start..rest_start + 64) {
        let block: &[u8; 64] = block.try_into().expect("a slice of 64");
        masks_of(block, 4).first(rest.len())
    } else {
        let mut last = [b' '; 64];
        last[..rest.len()].copy_from_slice(rest);
        masks_of(&last, 4)
    };
    s.add(&m, &prev);

    // Only the end matters (trimming the start too cost a loop a line).
    let trimmed = text.trim_ascii_end();
    if let Some(&last) = trimmed.last() {
        // The full-width marks are three bytes ending beyond ASCII: most
        // lines end in ASCII and compare no suffix.
        let wide_end = |suffix: &str| last >= 0x80 && trimmed.ends_with(suffix.as_bytes());
        if matches!(last, b'.' | b'!' | b'?') || wide_end("。") || wide_end("！") || wide_end("？")
        {
            s.flags |= bits::ENDS_TERMINAL;
        }
    }
    s
}

/// One 64-byte block's byte classes, bit `k` for byte `k`.
#[derive(Debug, Clone, Copy, Default)]
struct Masks {
    space: u64,
    upper: u64,
    lower: u64,
    punct: u64,
}

impl Masks {
    /// The masks of the block's first `len` bytes (1 to 63), the rest
    /// white space: what padding the line with spaces would give.
    #[inline(always)]
    fn first(self, len: usize) -> Masks {
        let keep = u64::MAX >> (64 - len);
        Masks {
            space: self.space | !keep,
            upper: self.upper & keep,
            lower: self.lower & keep,
            punct: self.punct & keep,
        }
    }

    /// The masks of a block whose first `chunks` sixteen-byte chunks hold
    /// the line; the rest is white space.
    #[cfg(target_arch = "x86_64")]
    fn of(block: &[u8; 64], chunks: usize) -> Masks {
        use std::arch::x86_64::*;
        let mut m = Masks {
            space: u64::MAX.checked_shl(16 * chunks as u32).unwrap_or(0),
            ..Masks::default()
        };
        for k in 0..chunks.min(4) {
            // SAFETY: SSE2 is part of x86_64; sixteen bytes read from a
            // block of 64 at k * 16.
            let bits = unsafe {
                let v = _mm_loadu_si128(block.as_ptr().add(k * 16).cast());
                let eq = |c: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8));
                // lo <= v <= hi, unsigned.
                let within = |lo: u8, hi: u8| {
                    let x = _mm_sub_epi8(v, _mm_set1_epi8(lo as i8));
                    _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8((hi - lo) as i8)), x)
                };
                let bits = |x: __m128i| u64::from(_mm_movemask_epi8(x) as u16) << (k * 16);
                let punct = _mm_or_si128(
                    _mm_or_si128(within(0x21, 0x2f), within(0x3a, 0x40)),
                    _mm_or_si128(within(0x5b, 0x60), within(0x7b, 0x7e)),
                );
                [
                    bits(_mm_or_si128(eq(b' '), within(9, 13))),
                    bits(within(b'A', b'Z')),
                    bits(within(b'a', b'z')),
                    bits(punct),
                ]
            };
            m.space |= bits[0];
            m.upper |= bits[1];
            m.lower |= bits[2];
            m.punct |= bits[3];
        }
        m
    }

    /// [`Masks::of`] 32 bytes at a time: the first `halves` halves of the
    /// block hold the line.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    #[inline]
    fn of_avx2(block: &[u8; 64], halves: usize) -> Masks {
        use std::arch::x86_64::*;
        let mut m = Masks {
            space: u64::MAX.checked_shl(32 * halves as u32).unwrap_or(0),
            ..Masks::default()
        };
        for k in 0..halves.min(2) {
            // SAFETY: 32 bytes read from a block of 64 at k * 32.
            let v = unsafe { _mm256_loadu_si256(block.as_ptr().add(k * 32).cast()) };
            let eq = |c: u8| _mm256_cmpeq_epi8(v, _mm256_set1_epi8(c as i8));
            // lo <= v <= hi, unsigned, in two instructions: v - lo + 128,
            // signed, is below hi - lo - 127 exactly then.
            let within = |lo: u8, hi: u8| {
                let x = _mm256_add_epi8(v, _mm256_set1_epi8(128u8.wrapping_sub(lo) as i8));
                _mm256_cmpgt_epi8(_mm256_set1_epi8((hi - lo).wrapping_sub(127) as i8), x)
            };
            let bits = |x: __m256i| u64::from(_mm256_movemask_epi8(x) as u32) << (k * 32);
            let (upper, lower) = (within(b'A', b'Z'), within(b'a', b'z'));
            // ASCII punctuation: the graphic bytes that are neither
            // letters nor digits (one range and a mask, not four ranges).
            let alnum = _mm256_or_si256(_mm256_or_si256(upper, lower), within(b'0', b'9'));
            let punct = _mm256_andnot_si256(alnum, within(0x21, 0x7e));
            m.space |= bits(_mm256_or_si256(eq(b' '), within(9, 13)));
            m.upper |= bits(upper);
            m.lower |= bits(lower);
            m.punct |= bits(punct);
        }
        m
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn of(block: &[u8; 64], _chunks: usize) -> Masks {
        Masks::of_bytes(block)
    }

    /// [`Masks::of`] a byte at a time, from the class table.
    #[cfg_attr(target_arch = "x86_64", allow(dead_code))]
    fn of_bytes(block: &[u8; 64]) -> Masks {
        let mut m = Masks::default();
        for (k, &b) in block.iter().enumerate() {
            let c = CLASS[b as usize];
            let bit = |class: u16| u64::from(c & class != 0) << k;
            m.space |= bit(SPACE);
            m.upper |= bit(UPPER);
            m.lower |= bit(LOWER);
            m.punct |= bit(PUNCT);
        }
        m
    }
}

/// `x` shifted `k` bytes later, the previous block's last bytes in front.
#[inline]
fn after(x: u64, prev: u64, k: u32) -> u64 {
    x << k | prev >> (64 - k)
}

impl FastScan {
    /// Adds one block's counts; `prev` is the block before's.
    #[inline]
    fn add(&mut self, m: &Masks, prev: &Masks) {
        let count = |x: u64| x.count_ones();
        let nonspace = !m.space;
        let prev_space = after(m.space, prev.space, 1);
        let start = nonspace & prev_space;
        let end = m.space & !prev_space;
        self.words += count(start);
        self.title += count(start & m.upper);
        // A short word ends here: one to three lowercase letters, white
        // space before them.
        let l1 = after(m.lower, prev.lower, 1);
        let l2 = after(m.lower, prev.lower, 2);
        let l3 = after(m.lower, prev.lower, 3);
        let s2 = after(m.space, prev.space, 2);
        let s3 = after(m.space, prev.space, 3);
        let s4 = after(m.space, prev.space, 4);
        self.short += count(end & l1 & (s2 | l2 & (s3 | l3 & s4)));
        self.nonspace += count(nonspace);
        self.upper += count(m.upper);
        self.lower += count(m.lower);
        self.punct += count(m.punct);
    }

    #[inline]
    fn bit(&self, b: u8) -> f32 {
        f32::from(u8::from(self.flags & b != 0))
    }

    fn short_share(&self) -> f32 {
        share(self.short, self.words)
    }

    fn punct_ratio(&self) -> f32 {
        share(self.punct, self.nonspace)
    }
}

/// [`ratio`] without its branch, for counts that are 0 whenever `whole`
/// is (0 / 1 is the 0.0 `ratio` gives): the document pass's two shares.
/// (In `row_into` the branches cost less than the `max`.)
#[inline]
fn share(part: u32, whole: u32) -> f32 {
    debug_assert!(whole > 0 || part == 0);
    part as f32 / whole.max(1) as f32
}

/// What the document pass keeps of a non-blank line.
#[derive(Debug, Clone, Copy)]
struct FastLine {
    scan: FastScan,
    rule: RuleMark,
    blank_before: bool,
    block_lines: u32,
    block_position: u32,
    /// Set by [`FastScratch::finish`]: what the line gives its neighbours'
    /// rows, and its distances to the nearest prose line above and below.
    as_neighbour: [f32; NEIGHBOUR_FEATURES],
    prose_above: u32,
    prose_below: u32,
}

impl FastLine {
    /// A line before its scan is stored.
    const BLANK: FastLine = FastLine {
        scan: FastScan {
            bytes: 0,
            nonspace: 0,
            words: 0,
            short: 0,
            title: 0,
            upper: 0,
            lower: 0,
            punct: 0,
            flags: 0,
        },
        rule: RuleMark::Undecided,
        blank_before: false,
        block_lines: 0,
        block_position: 0,
        as_neighbour: [0.0; NEIGHBOUR_FEATURES],
        prose_above: 0,
        prose_below: 0,
    };
}

/// Sums over the lines before a line: words, long lines and rule-dropped
/// lines, for the windows (one record, so that a row reads two records,
/// not six arrays).
#[derive(Debug, Clone, Copy, Default)]
struct Before {
    words: u32,
    long: u32,
    dropped: u32,
}

/// Per-document buffers of `--fast`, reused across documents.
#[derive(Debug, Clone, Default)]
pub struct FastScratch {
    lines: Vec<FastLine>,
    /// The sums before each line, and over all lines, last.
    before: Vec<Before>,
    previous_blank: bool,
    /// [`has_avx2`], set by [`FastScratch::begin`].
    avx2: bool,
    doc: FastDoc,
}

#[derive(Debug, Clone, Copy, Default)]
struct FastDoc {
    words: u32,
    longest: u32,
    long_lines: u32,
    short_sum: f32,
    rule_dropped: u32,
    /// The document's cells of every row: long lines, mean short-word
    /// share and rule-dropped lines, per line (divided once, not per row).
    rates: [f32; 3],
}

impl FastScratch {
    /// Starts a new document.
    pub fn begin(&mut self) {
        self.lines.clear();
        self.previous_blank = true;
        self.avx2 = has_avx2();
    }

    /// Notes a blank line.
    pub fn push_blank(&mut self) {
        self.previous_blank = true;
    }

    /// True when the CPU has AVX2 and POPCNT (asked by [`FastScratch::begin`]).
    pub fn has_avx2(&self) -> bool {
        self.avx2
    }

    /// Adds the next non-blank line and returns its word count
    /// (white-space separated tokens).
    #[inline(always)]
    pub fn push(&mut self, doc: &[u8], span: Range<usize>) -> u32 {
        let scan = scan_on(doc, span, self.avx2);
        // The line is pushed blank and its scan stored field by field:
        // pushed whole, it was built on the stack by narrow stores and
        // copied by wide loads, which cannot take their bytes from those
        // stores and wait for them (a stall on every line).
        self.lines.push(FastLine::BLANK);
        if let Some(line) = self.lines.last_mut() {
            let FastScan {
                bytes,
                nonspace,
                words,
                short,
                title,
                upper,
                lower,
                punct,
                flags,
            } = scan;
            let s = &mut line.scan;
            (s.bytes, s.nonspace, s.words, s.short) = (bytes, nonspace, words, short);
            (s.title, s.upper, s.lower, s.punct, s.flags) = (title, upper, lower, punct, flags);
            line.blank_before = self.previous_blank;
        }
        self.previous_blank = false;
        scan.words
    }

    /// What the rules said of the `i`-th non-blank line pushed.
    pub fn mark(&mut self, i: usize, rule: RuleMark) {
        if let Some(line) = self.lines.get_mut(i) {
            line.rule = rule;
        }
    }

    /// Computes what the rows need from the whole document.
    pub fn finish(&mut self) {
        // Document sums, the neighbours' cells, the sums before each line,
        // the distance to the prose above and the position in the block
        // (runs of lines between blank lines), in one pass (each line's
        // short-word share computed once).
        self.before.clear();
        let mut doc = FastDoc::default();
        let mut distance = MAX_DISTANCE;
        let mut position = 0;
        for (i, line) in self.lines.iter_mut().enumerate() {
            position = if i == 0 || line.blank_before {
                0
            } else {
                position + 1
            };
            line.block_position = position;
            let s = &line.scan;
            let share = s.short_share();
            let long = s.words >= LONG_LINE_WORDS;
            let dropped = line.rule == RuleMark::Dropped;
            self.before.push(Before {
                words: doc.words,
                long: doc.long_lines,
                dropped: doc.rule_dropped,
            });
            doc.words += s.words;
            doc.longest = doc.longest.max(s.words);
            doc.long_lines += u32::from(long);
            doc.short_sum += share;
            doc.rule_dropped += u32::from(dropped);
            line.as_neighbour = [
                log_count(s.words),
                s.punct_ratio(),
                f32::from(u8::from(dropped)),
            ];
            let prose = !dropped && long && share >= PROSE_SHORT_SHARE;
            distance = if prose {
                0
            } else {
                (distance + 1).min(MAX_DISTANCE)
            };
            line.prose_above = distance;
        }
        self.before.push(Before {
            words: doc.words,
            long: doc.long_lines,
            dropped: doc.rule_dropped,
        });
        let nf = self.lines.len() as f32;
        doc.rates = [
            doc.long_lines as f32 / nf,
            doc.short_sum / nf,
            doc.rule_dropped as f32 / nf,
        ];
        self.doc = doc;
        // Backwards: the distance to the prose below (a prose line is at
        // distance 0 from the prose above), the block's length (its last
        // line's position plus one).
        let mut below = MAX_DISTANCE;
        let (mut block_lines, mut ends_block) = (0, true);
        for line in self.lines.iter_mut().rev() {
            below = if line.prose_above == 0 {
                0
            } else {
                (below + 1).min(MAX_DISTANCE)
            };
            line.prose_below = below;
            if ends_block {
                block_lines = line.block_position + 1;
            }
            line.block_lines = block_lines;
            ends_block = line.block_position == 0;
        }
    }

    /// Writes the row of the `i`-th non-blank line into `row`
    /// ([`FAST_FEATURE_COUNT`] values), once [`FastScratch::finish`] ran.
    /// The values go into a fixed-size array by constant index, and each
    /// line's facts are one record: a row costs a few bounds checks, not
    /// one per value (they were a quarter of its instructions).
    pub fn row_into(&self, i: usize, row: &mut [f32]) {
        self.row_with(i, row, LogTables::get());
    }

    /// The rows of the non-blank lines `lines` (indices as pushed), one
    /// after the other in `rows`: [`FastScratch::row_into`] in a loop that
    /// takes the log tables once, not at every value.
    pub fn rows_into(&self, lines: impl Iterator<Item = usize>, rows: &mut [f32]) {
        let logs = LogTables::get();
        for (i, row) in lines.zip(rows.chunks_exact_mut(FAST_FEATURE_COUNT)) {
            self.row_with(i, row, logs);
        }
    }

    #[inline(always)]
    fn row_with(&self, i: usize, row: &mut [f32], logs: LogTables) {
        debug_assert_eq!(row.len(), FAST_FEATURE_COUNT);
        let Some(row) = row.first_chunk_mut::<FAST_FEATURE_COUNT>() else {
            return;
        };
        let lines = &self.lines[..];
        let n = lines.len();
        let line = &lines[i];
        let s = &line.scan;
        // The neighbours' cells (-1 past the edges).
        let cell = |j: Option<usize>| {
            j.and_then(|j| lines.get(j))
                .map_or([-1.0; NEIGHBOUR_FEATURES], |l| l.as_neighbour)
        };
        let (above, below) = (cell(i.checked_sub(1)), cell(Some(i + 1)));
        // The +-3-line window: sums before its last line's successor minus
        // sums before its first line.
        let lo = i.saturating_sub(3);
        let hi = (i + 3).min(n - 1);
        let span = (hi - lo + 1) as f32;
        let (first, last) = (&self.before[lo], &self.before[hi + 1]);
        let window_words = last.words - first.words;
        *row = [
            logs.count(s.bytes),
            // log_count(s.words) and s.punct_ratio(), computed by finish.
            line.as_neighbour[0],
            ratio(s.nonspace, s.words),
            ratio(s.title, s.words),
            ratio(s.upper, s.upper + s.lower),
            line.as_neighbour[1],
            s.bit(bits::ENDS_TERMINAL),
            logs.count(line.block_lines),
            above[1],
            above[2],
            below[0],
            below[1],
            logs.mean(window_words as f32, hi - lo + 1),
            (last.long - first.long) as f32 / span,
            (last.dropped - first.dropped) as f32 / span,
            line.prose_above as f32,
            line.prose_below as f32,
            i as f32 / n as f32,
            ratio(self.before[i].words, self.doc.words),
            ratio(s.words, self.doc.longest),
            self.doc.rates[0],
            self.doc.rates[1],
            self.doc.rates[2],
        ];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::xorshift;

    /// [`fast_scan`]'s counts a byte at a time.
    fn reference(text: &[u8]) -> FastScan {
        let mut s = fast_scan(b"");
        s.bytes = text.len() as u32;
        let mut prev_space = 1u32;
        let (mut len, mut all_lower) = (0u32, 0u32);
        for &b in text.iter().chain(b" ") {
            let c = CLASS[b as usize];
            let has = |bit: u16| u32::from(c & bit != 0);
            let space = has(SPACE);
            let start = (space ^ 1) & prev_space;
            let end = space & (prev_space ^ 1);
            s.words += start;
            s.title += start & has(UPPER);
            s.short += end & u32::from(len <= 3) & all_lower;
            len = (space ^ 1) * (len + 1);
            all_lower = (all_lower | start) & has(LOWER);
            s.nonspace += space ^ 1;
            s.upper += has(UPPER);
            s.lower += has(LOWER);
            s.punct += has(PUNCT);
            prev_space = space;
        }
        // A sentence's end, by the list of marks (the scan tests the
        // last byte first).
        let trimmed = text.trim_ascii_end();
        if [".", "!", "?", "。", "！", "？"]
            .iter()
            .any(|mark| trimmed.ends_with(mark.as_bytes()))
        {
            s.flags |= bits::ENDS_TERMINAL;
        }
        s
    }

    #[test]
    fn the_block_scan_counts_as_a_byte_at_a_time() {
        let alphabet: &[&[u8]] = &[
            b"a",
            b"b",
            b"c",
            b"A",
            b"Z",
            b"1",
            b" ",
            b"  ",
            b"\t",
            b".",
            b"!",
            b"?",
            b",",
            b"|",
            b"@",
            b":",
            b"/",
            b"-",
            "·".as_bytes(),
            "»".as_bytes(),
            "•".as_bytes(),
            "—".as_bytes(),
            "©".as_bytes(),
            "é".as_bytes(),
            "中".as_bytes(),
            "。".as_bytes(),
            "！".as_bytes(),
            "？".as_bytes(),
            b"\xff",
            b"\x80",
            b"\r",
            b"\x0b",
            b"\x0c",
            b"~",
            b"`",
            b"[",
            b"{",
        ];
        let mut state = 0x2545_f491_4f6c_dd1d;
        for n in 0..3000 {
            let mut text = Vec::new();
            let len = (xorshift(&mut state) % 200) as usize;
            while text.len() < len {
                let piece = alphabet[(xorshift(&mut state) % alphabet.len() as u64) as usize];
                text.extend_from_slice(piece);
            }
            // Lengths around the block size too.
            if n % 7 == 0 {
                text.resize(64 * (1 + n % 3) - (n / 7) % 3, b'a');
            }
            // Both the portable scan and, where the CPU has it, AVX2's.
            for avx2 in [false, has_avx2()] {
                assert_eq!(
                    scan_on(&text, 0..text.len(), avx2),
                    reference(&text),
                    "avx2 {avx2}: {:?}",
                    String::from_utf8_lossy(&text)
                );
            }
        }
        // The portable and SIMD masks equal the byte-by-byte ones on every
        // byte value (four blocks of 64 in a row, and shuffled).
        let mut blocks: Vec<[u8; 64]> = (0..4)
            .map(|b| std::array::from_fn(|k| (64 * b + k) as u8))
            .collect();
        blocks.push(std::array::from_fn(|k| (k * 37 + 11) as u8));
        blocks.push(std::array::from_fn(|k| (k * 101 + 200) as u8));
        for block in &blocks {
            let (a, b) = (Masks::of(block, 4), Masks::of_bytes(block));
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "{block:?}");
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") {
                for (chunks, halves) in [(4, 2), (2, 1), (0, 0)] {
                    // SAFETY: the CPU has AVX2, checked just above.
                    let c = unsafe { Masks::of_avx2(block, halves) };
                    assert_eq!(format!("{c:?}"), format!("{:?}", Masks::of(block, chunks)));
                }
            }
        }
    }

    /// A line's last block read in place from its document, the bytes
    /// after it masked, counts as the line copied into a padded block.
    #[test]
    fn a_line_scanned_in_its_document_counts_as_on_its_own() {
        let mut state = 0x9e37_79b9_7f4a_7c15;
        let pieces: &[&[u8]] = &[
            b"ab",
            b"Cd",
            b" ",
            b".",
            b"\t",
            "é".as_bytes(),
            b"\xff",
            b"\n",
        ];
        for _ in 0..2000 {
            let mut doc = Vec::new();
            let len = (xorshift(&mut state) % 300) as usize;
            while doc.len() < len {
                doc.extend_from_slice(
                    pieces[(xorshift(&mut state) % pieces.len() as u64) as usize],
                );
            }
            let start = (xorshift(&mut state) as usize) % (doc.len() + 1);
            let end = start + (xorshift(&mut state) as usize) % (doc.len() - start + 1);
            let line = doc[start..end].to_vec();
            for avx2 in [false, has_avx2()] {
                assert_eq!(
                    scan_on(&doc, start..end, avx2),
                    scan_on(&line, 0..line.len(), avx2),
                    "{:?} in {:?}",
                    String::from_utf8_lossy(&line),
                    String::from_utf8_lossy(&doc)
                );
            }
        }
    }

    #[test]
    fn counts_words_and_short_words() {
        let s = fast_scan(b"  The cat sat on a Mat. Done!  ");
        assert_eq!(s.words, 7);
        // "cat", "sat", "on", "a" (not "The", "Mat.", "Done!").
        assert_eq!(s.short, 4);
        assert_eq!(s.title, 3);
        assert_eq!(s.flags & bits::ENDS_TERMINAL, bits::ENDS_TERMINAL);
    }

    #[test]
    fn invalid_utf8_is_counted_never_refused() {
        let s = fast_scan(b"\xff\xc2 ab \xe4\xb8\xad");
        assert_eq!((s.words, s.short, s.punct), (3, 1, 0));
    }

    #[test]
    fn rows_have_every_feature_and_neighbours_at_the_edges() {
        let mut f = FastScratch::default();
        f.begin();
        let (menu, prose) = (
            b"Menu",
            b"This is a line of prose, as long as a sentence in an article is.",
        );
        f.push(menu, 0..menu.len());
        f.push_blank();
        f.push(prose, 0..prose.len());
        f.mark(0, RuleMark::Dropped);
        f.finish();
        let mut row = [f32::NAN; FAST_FEATURE_COUNT];
        f.row_into(1, &mut row);
        assert!(row.iter().all(|v| v.is_finite()), "{row:?}");
        let at = |name: &str| FAST_FEATURE_NAMES.iter().position(|&n| n == name).unwrap();
        // No line below: the neighbour cells say so.
        assert_eq!(row[at("log_words@+1")], -1.0);
        // The line above was dropped by a rule.
        assert_eq!(row[at("rule_dropped@-1")], 1.0);
        assert_eq!(row[at("punct_ratio@-1")], 0.0);
        // Its own block: one line, the first.
        assert_eq!(row[at("log_block_lines")], 1f32.ln_1p());
    }
}
