//! What one pass over a line's bytes yields ([`LineScan`]), written by
//! the scan and its token rules, read by the feature rows.

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
