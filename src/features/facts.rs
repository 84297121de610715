//! What one pass over a line's bytes yields ([`LineScan`]), written by
//! the scan and its token rules, read by the feature rows; and the small
//! helpers both feature sets (the default and `--fast`'s) share.

use std::sync::LazyLock;

/// Stop words whose languages are kept per line: a 100 MB line of stop
/// words would otherwise hold 16 bytes for each. Beyond this, a line's
/// density in the document's language is scaled from its first ones.
pub(super) const MAX_STOP_SETS_PER_LINE: u32 = 4096;

/// The facts one pass over a line's bytes yields.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LineScan {
    pub chars: u32,
    /// Characters other than white space.
    pub nonspace: u32,
    /// White-space separated tokens.
    pub tokens: u32,
    /// Words as [`count_words`] counts them (unspaced scripts by characters).
    pub words: u32,
    /// `\w+` runs, as the scorer counts words.
    pub word_runs: u32,
    /// `\w+` runs made only of digits.
    pub numeric_runs: u32,
    pub letters: u32,
    pub uppercase: u32,
    pub digits: u32,
    /// Characters that are neither letters, digits nor white space.
    pub symbols: u32,
    /// Tokens with a letter, and those whose first letter is uppercase.
    pub alpha_tokens: u32,
    pub title_tokens: u32,
    /// `| · • » › / – —`
    pub separators: u32,
    /// `, ， 、`
    pub commas: u32,
    /// `. ! ? 。 ！ ？` followed by white space or the end of the line.
    pub sentence_ends: u32,
    /// Characters of unspaced scripts (CJK, Thai, …).
    pub unspaced: u32,
    /// Tokens found in any stoplist.
    pub stop_tokens: u32,
    /// This line's stop-word hits in [`FeatureScratch`]'s word sets.
    pub stop_start: u32,
    pub flags: u16,
    /// Hash of the trimmed line, for duplicate counts.
    pub hash: u64,
}

/// [`LineScan::flags`] bits.
pub mod flag {
    pub const ENDS_TERMINAL: u16 = 1;
    pub const ENDS_COLON: u16 = 1 << 1;
    pub const ENDS_ELLIPSIS: u16 = 1 << 2;
    pub const STARTS_BULLET: u16 = 1 << 3;
    pub const STARTS_LOWER: u16 = 1 << 4;
    pub const HAS_URL: u16 = 1 << 5;
    pub const HAS_EMAIL: u16 = 1 << 6;
    pub const HAS_COPYRIGHT: u16 = 1 << 7;
    pub const HAS_PRICE: u16 = 1 << 8;
    pub const DATE_LIKE: u16 = 1 << 9;
}

impl LineScan {
    #[inline]
    pub fn has(&self, bit: u16) -> bool {
        self.flags & bit != 0
    }
}

/// Duplicate counts are capped here.
pub(super) const MAX_DUPLICATES: u32 = 5;

/// What the rules said of a line, as the classifier sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleMark {
    /// No rule matched: the classifier decides.
    Undecided,
    /// A drop or cut rule matched.
    Dropped,
    /// A keep rule matched.
    Kept,
}

#[inline]
pub(super) fn ratio(part: u32, whole: u32) -> f32 {
    if whole == 0 {
        0.0
    } else {
        part as f32 / whole as f32
    }
}

/// ln(1 + n) of the small counts most lines have, computed by the same
/// function as larger ones (so values are identical): a lookup is several
/// times cheaper than the logarithm.
static SMALL_LOG_COUNTS: LazyLock<[f32; 256]> =
    LazyLock::new(|| std::array::from_fn(|n| (n as f32).ln_1p()));

/// ln(1 + words / lines) of a window of 1 to 7 lines holding fewer than
/// 512 words, computed by the same expression as other windows (so values
/// are identical): a lookup in place of the logarithm on every row.
static WINDOW_LOG_MEANS: LazyLock<Box<[[f32; 512]; 7]>> = LazyLock::new(|| {
    Box::new(std::array::from_fn(|k| {
        std::array::from_fn(|w| (w as f32 / (k + 1) as f32).ln_1p())
    }))
});

/// ln(1 + words / lines); `words` is a whole number.
#[inline]
pub(super) fn log_mean(words: f32, lines: usize) -> f32 {
    LogTables::get().mean(words, lines)
}

#[inline]
pub(super) fn log_count(n: u32) -> f32 {
    LogTables::get().count(n)
}

/// The tables behind [`log_count`] and [`log_mean`], taken once for a
/// loop over many rows: each use of the statics checks that they are
/// built (an atomic load and a branch).
#[derive(Clone, Copy)]
pub(super) struct LogTables {
    counts: &'static [f32; 256],
    means: &'static [[f32; 512]; 7],
}

impl LogTables {
    #[inline]
    pub(super) fn get() -> LogTables {
        LogTables {
            counts: &SMALL_LOG_COUNTS,
            means: &WINDOW_LOG_MEANS,
        }
    }

    /// [`log_count`].
    #[inline]
    pub(super) fn count(self, n: u32) -> f32 {
        match self.counts.get(n as usize) {
            Some(&value) => value,
            None => (n as f32).ln_1p(),
        }
    }

    /// [`log_mean`].
    #[inline]
    pub(super) fn mean(self, words: f32, lines: usize) -> f32 {
        let whole = words as usize;
        match self
            .means
            .get(lines.wrapping_sub(1))
            .and_then(|t| t.get(whole))
        {
            Some(&value) if whole as f32 == words => value,
            _ => (words / lines as f32).ln_1p(),
        }
    }
}

/// Writes the neighbours' cells of line `i`'s row from `at` on, one cell
/// of `table` per offset (-1 everywhere past the document's edges), and
/// returns where they end. `table` holds one cell per line.
pub(crate) fn copy_neighbours<const W: usize>(
    row: &mut [f32],
    mut at: usize,
    i: usize,
    offsets: &[isize],
    table: &[[f32; W]],
) -> usize {
    for &offset in offsets {
        let cell = &mut row[at..at + W];
        match i.checked_add_signed(offset).and_then(|j| table.get(j)) {
            Some(values) => cell.copy_from_slice(values),
            None => cell.fill(-1.0),
        }
        at += W;
    }
    at
}
