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

use std::sync::LazyLock;

use crate::text::{CharTable, WordCount, count_words, decode_char, is_unspaced_script};

mod stoplists;
pub mod stopwords;

use stopwords::{LanguageSet, MAX_WORD_BYTES};

/// Lines of at least this many words (by [`count_words`]) are long: the
/// window share of long lines and the document's share of them use it.
const LONG_LINE_WORDS: f32 = 15.0;
/// A line is prose for the distance features when it is long and at least
/// this share of its words are stop words.
const GOOD_STOP_DENSITY: f32 = 0.2;
/// Distances to the nearest prose line are capped here.
const MAX_DISTANCE: u32 = 20;
/// Stop words whose languages are kept per line: a 100 MB line of stop
/// words would otherwise hold 16 bytes for each. Beyond this, a line's
/// density in the document's language is scaled from its first ones.
const MAX_STOP_SETS_PER_LINE: u32 = 4096;
/// Duplicate counts are capped here.
const MAX_DUPLICATES: u32 = 5;

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

/// Scans one line's content (not blank). Stop-word hits (language sets of the
/// tokens found in some stoplist) are appended to `word_sets`.
pub fn scan_line(text: &[u8], word_sets: &mut Vec<LanguageSet>) -> LineScan {
    let mut s = LineScan {
        stop_start: word_sets.len() as u32,
        ..LineScan::default()
    };
    // On an ASCII line without vertical tabs (nearly every line), the
    // scan's tokens are exactly count_words' words: no second pass.
    let plain_ascii = text.is_ascii() && memchr::memchr(b'\x0b', text).is_none();
    let untrimmed = text;
    let text = trim_white(text);
    s.hash = crate::text::hash_bytes(text);
    // Lines largely beyond ASCII (Cyrillic, Chinese, …: over a third of
    // their first 64 bytes) go character by character: the block scan
    // would decode nearly every character anyway, at a higher cost per
    // character (6% more instructions on such lines).
    let head = &text[..text.len().min(64)];
    let mostly_other_scripts =
        !plain_ascii && head.iter().filter(|&&b| b >= 0x80).count() * 3 > head.len();
    let has_digit_anywhere = if mostly_other_scripts {
        // Counts the words too: the white space trimmed counts as none.
        scan_any(text, &mut s, word_sets)
    } else {
        if !plain_ascii {
            s.words = count_words(untrimmed);
        }
        scan_blocks(text, plain_ascii, &mut s, word_sets)
    };
    if plain_ascii {
        s.words = s.tokens;
    }
    if !has_digit_anywhere {
        // Dates and prices need a digit; month names alone are not dates.
        s.flags &= !(flag::DATE_LIKE | flag::HAS_PRICE);
    }
    if !text.is_empty() {
        let last = final_char(text);
        if last == ':' {
            s.flags |= flag::ENDS_COLON;
        }
        if text.ends_with(b"...") || last == '…' {
            s.flags |= flag::ENDS_ELLIPSIS;
        } else if matches!(
            last,
            '.' | '!'
                | '?'
                | '"'
                | '\''
                | ')'
                | '”'
                | '’'
                | '»'
                | ':'
                | '。'
                | '！'
                | '？'
                | '」'
                | '』'
                | '】'
                | '）'
        ) {
            s.flags |= flag::ENDS_TERMINAL;
        }
    }
    s
}

/// The per-character facts of a trimmed line, any bytes, one character at
/// a time: counts and flags into `s`, each white-space token through
/// [`finish_token`]; returns whether the line holds a digit. The
/// definition [`scan_blocks`] is tested against.
fn scan_any(text: &[u8], s: &mut LineScan, word_sets: &mut Vec<LanguageSet>) -> bool {
    first_char_flags(text, s);
    let mut words = WordCount::default();
    let mut token_start: Option<usize> = None;
    let mut in_run = false;
    let mut run_numeric = true;
    let mut i = 0;
    while i < text.len() {
        let (c, len, class) = char_at(text, i);
        let at = i;
        i += len;
        s.chars += 1;
        words.add(c);
        if class & SPACE != 0 {
            if let Some(start) = token_start.take() {
                finish_token(text, start, at, s, word_sets);
            }
            if in_run && run_numeric {
                s.numeric_runs += 1;
            }
            in_run = false;
            continue;
        }
        s.nonspace += 1;
        if token_start.is_none() {
            token_start = Some(at);
        }
        if class & (ALPHA | NUMERIC) != 0 || c == '_' {
            if !in_run {
                in_run = true;
                run_numeric = true;
                s.word_runs += 1;
            }
            if class & NUMERIC == 0 {
                run_numeric = false;
            }
        } else {
            if in_run && run_numeric {
                s.numeric_runs += 1;
            }
            in_run = false;
        }
        char_counts(c, class, s);
        if class & (ALPHA | NUMERIC) == 0 {
            match c {
                '.' | '!' | '?' | '。' | '！' | '？' => {
                    let next_is_end = i >= text.len() || decode_char(text, i).0.is_whitespace();
                    if next_is_end {
                        s.sentence_ends += 1;
                    }
                }
                ':' if text[i..].starts_with(b"//") => s.flags |= flag::HAS_URL,
                _ => {}
            }
        }
    }
    if in_run && run_numeric {
        s.numeric_runs += 1;
    }
    if let Some(start) = token_start {
        finish_token(text, start, text.len(), s, word_sets);
    }
    s.words = words.total();
    s.digits > 0
}

/// Byte classes of 64 bytes of a line, one bit per byte (bit k: byte k).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct BlockMasks {
    /// ASCII white space as `char::is_whitespace` (`\t`..`\r`, space).
    space: u64,
    upper: u64,
    lower: u64,
    digit: u64,
    underscore: u64,
    comma: u64,
    /// `|` and `/`.
    separator: u64,
    /// `$` and `:`, which need a closer look (prices, `://`).
    special: u64,
    /// Bytes of characters beyond ASCII (0x80 and above).
    high: u64,
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn block_masks(block: &[u8; 64]) -> BlockMasks {
    use std::arch::x86_64::*;
    let mut m = BlockMasks::default();
    for (part, chunk) in block.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is part of every x86-64 CPU; sixteen bytes are read
        // from a chunk of sixteen.
        let bits = unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast());
            let eq = |b: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8));
            // `lo <= v <= hi` exactly when (v - lo) mod 256 <= hi - lo.
            let within = |lo: u8, hi: u8| {
                let d = _mm_sub_epi8(v, _mm_set1_epi8(lo as i8));
                _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8((hi - lo) as i8)), d)
            };
            let mask = |x: __m128i| _mm_movemask_epi8(x) as u16 as u64;
            [
                mask(_mm_or_si128(within(b'\t', b'\r'), eq(b' '))),
                mask(within(b'A', b'Z')),
                mask(within(b'a', b'z')),
                mask(within(b'0', b'9')),
                mask(eq(b'_')),
                mask(eq(b',')),
                mask(_mm_or_si128(eq(b'|'), eq(b'/'))),
                mask(_mm_or_si128(eq(b'$'), eq(b':'))),
                mask(v),
            ]
        };
        let shift = 16 * part;
        m.space |= bits[0] << shift;
        m.upper |= bits[1] << shift;
        m.lower |= bits[2] << shift;
        m.digit |= bits[3] << shift;
        m.underscore |= bits[4] << shift;
        m.comma |= bits[5] << shift;
        m.separator |= bits[6] << shift;
        m.special |= bits[7] << shift;
        m.high |= bits[8] << shift;
    }
    m
}

#[cfg(any(test, not(target_arch = "x86_64")))]
fn block_masks_by_byte(block: &[u8; 64]) -> BlockMasks {
    let mut m = BlockMasks::default();
    for (k, &b) in block.iter().enumerate() {
        let bit = |yes: bool| u64::from(yes) << k;
        m.space |= bit(matches!(b, b'\t'..=b'\r' | b' '));
        m.upper |= bit(b.is_ascii_uppercase());
        m.lower |= bit(b.is_ascii_lowercase());
        m.digit |= bit(b.is_ascii_digit());
        m.underscore |= bit(b == b'_');
        m.comma |= bit(b == b',');
        m.separator |= bit(b == b'|' || b == b'/');
        m.special |= bit(b == b'$' || b == b':');
        m.high |= bit(b >= 0x80);
    }
    m
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn block_masks(block: &[u8; 64]) -> BlockMasks {
    block_masks_by_byte(block)
}

/// The per-character facts of a trimmed line (see [`scan_any`], which
/// defines them), 64 bytes at a time: byte classes as bit masks, counts by
/// popcount, `\w` runs and tokens from the masks' edges, each token's word
/// facts through [`finish_token`]. Characters beyond ASCII (a curly quote
/// or a dash in an English paragraph; every letter of a Russian one) are
/// decoded one by one, their counts added and their bytes marked in the
/// masks. `ascii` says the line is all ASCII. Returns whether the line
/// holds a digit.
fn scan_blocks(
    text: &[u8],
    ascii: bool,
    s: &mut LineScan,
    word_sets: &mut Vec<LanguageSet>,
) -> bool {
    first_char_flags(text, s);
    // Carried from one block to the next: the last byte was a word
    // character / not white space; a run of digits that began a `\w` run
    // reached the block's end; a character's bytes that went past it.
    let (mut word_before, mut token_before, mut digits_carry) = (0u64, 0u64, 0u64);
    let (mut spill, mut spill_class) = (0usize, 0u8);
    let mut any_special = 0u64;
    let mut token_start = 0usize;
    let mut tail = [0u8; 64];
    for (index, chunk) in text.chunks(64).enumerate() {
        let base = 64 * index;
        let block: &[u8; 64] = match chunk.first_chunk::<64>() {
            Some(block) => block,
            None => {
                // The line's last, short block, zero-padded: a zero byte
                // is no word character and no white space, and is masked
                // out of the counts as not part of the line.
                tail[..chunk.len()].copy_from_slice(chunk);
                &tail
            }
        };
        let m = block_masks(block);
        let in_line = if chunk.len() == 64 {
            u64::MAX
        } else {
            (1u64 << chunk.len()) - 1
        };
        // Counts of the ASCII bytes (each one character).
        let alpha = m.upper | m.lower;
        let ascii_nonspace = in_line & !m.space & !m.high;
        s.chars += (in_line & !m.high).count_ones();
        s.letters += alpha.count_ones();
        s.uppercase += m.upper.count_ones();
        s.digits += m.digit.count_ones();
        s.symbols += (ascii_nonspace & !alpha & !m.digit).count_ones();
        s.commas += m.comma.count_ones();
        s.separators += m.separator.count_ones();
        s.nonspace += ascii_nonspace.count_ones();
        any_special |= m.special;
        // The masks the runs and tokens come from, all bytes of each
        // character marked.
        let mut space = m.space;
        let mut word = alpha | m.digit | m.underscore;
        let mut digit = m.digit;
        let mut others = m.high;
        if spill > 0 {
            let bytes = (1u64 << spill) - 1;
            mark_class(spill_class, bytes, &mut space, &mut word, &mut digit);
            others &= !bytes;
            spill = 0;
        }
        while others != 0 {
            let at = others.trailing_zeros() as usize;
            let (c, len, class) = char_at(text, base + at);
            other_char_facts(c, class, s);
            let end = (at + len).min(64);
            let bytes = ((1u64 << (end - at)) - 1) << at;
            mark_class(class, bytes, &mut space, &mut word, &mut digit);
            others &= !bytes;
            if at + len > 64 {
                (spill, spill_class) = (at + len - 64, class);
            }
        }
        // `\w` runs start where a word byte follows a non-word byte.
        let word_starts = word & !(word << 1 | word_before);
        s.word_runs += word_starts.count_ones();
        // A run is numeric when it is all digits: add 1 at each digit that
        // starts a run, and the carry ripples through its digits to the
        // byte after them, which must not be a word byte.
        let (sum, over) = digit.overflowing_add(digit & word_starts);
        let (sum, over_carry) = sum.overflowing_add(digits_carry);
        s.numeric_runs += (sum & !digit & !word).count_ones();
        digits_carry = u64::from(over || over_carry);
        // Tokens: runs of non-space bytes; an end is the first byte after.
        let nonspace = in_line & !space;
        let starts = nonspace & !(nonspace << 1 | token_before);
        let ends = !nonspace & (nonspace << 1 | token_before);
        let mut edges = starts | ends;
        while edges != 0 {
            let at = edges.trailing_zeros() as usize;
            edges &= edges - 1;
            if starts & (1 << at) != 0 {
                token_start = base + at;
            } else {
                finish_line_token(text, token_start, base + at, ascii, s, word_sets);
            }
        }
        word_before = word >> 63;
        token_before = nonspace >> 63;
    }
    // The line ends inside a token, or with a numeric run, at a block's end.
    if token_before != 0 {
        finish_line_token(text, token_start, text.len(), ascii, s, word_sets);
    }
    s.numeric_runs += digits_carry as u32;
    if any_special != 0 {
        if memchr::memchr(b'$', text).is_some() {
            s.flags |= flag::HAS_PRICE;
        }
        if memchr::memmem::find(text, b"://").is_some() {
            s.flags |= flag::HAS_URL;
        }
    }
    s.digits > 0
}

// Character classes, as bits: one table lookup for ASCII, [`class_of`]
// (the `char` methods, by table: see [`other_class`]) for the rest.
const SPACE: u8 = 1;
const ALPHA: u8 = 1 << 1;
const UPPER: u8 = 1 << 2;
const LOWER: u8 = 1 << 3;
const NUMERIC: u8 = 1 << 4;
const UNSPACED: u8 = 1 << 5;

const ASCII_CLASS: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        // As `char::is_whitespace`, which (unlike `is_ascii_whitespace`)
        // includes the vertical tab.
        if matches!(c, b'\t'..=b'\r' | b' ') {
            table[b] |= SPACE;
        }
        if c.is_ascii_alphabetic() {
            table[b] |= ALPHA;
        }
        if c.is_ascii_uppercase() {
            table[b] |= UPPER;
        }
        if c.is_ascii_lowercase() {
            table[b] |= LOWER;
        }
        if c.is_ascii_digit() {
            table[b] |= NUMERIC;
        }
        b += 1;
    }
    table
};

fn class_of(c: char) -> u8 {
    let mut class = 0;
    if c.is_whitespace() {
        class |= SPACE;
    }
    if c.is_alphabetic() {
        class |= ALPHA;
        if c.is_uppercase() {
            class |= UPPER;
        }
        if is_unspaced_script(c) {
            class |= UNSPACED;
        }
    } else if c.is_numeric() {
        class |= NUMERIC;
    }
    if c.is_lowercase() {
        class |= LOWER;
    }
    class
}

/// The last character of a non-empty token as a decoder reading forwards
/// from its start sees it: a stray continuation byte at the end is a
/// character of its own (U+FFFD), not the end of the character before.
fn final_char(token: &[u8]) -> char {
    let end = token.len();
    let mut at = end - 1;
    while at > 0 && end - at < 4 && token[at] & 0xC0 == 0x80 {
        at -= 1;
    }
    match decode_char(token, at) {
        (c, len) if at + len == end => c,
        _ => char::REPLACEMENT_CHARACTER,
    }
}

/// Marks the bytes of one character of class `class` in the masks.
#[inline]
fn mark_class(class: u8, bytes: u64, space: &mut u64, word: &mut u64, digit: &mut u64) {
    if class & SPACE != 0 {
        *space |= bytes;
    } else {
        if class & (ALPHA | NUMERIC) != 0 {
            *word |= bytes;
        }
        if class & NUMERIC != 0 {
            *digit |= bytes;
        }
    }
}

/// The counts and flags of one character beyond ASCII, as [`scan_any`]
/// takes them (its place in runs and tokens comes from the masks).
fn other_char_facts(c: char, class: u8, s: &mut LineScan) {
    s.chars += 1;
    if class & SPACE != 0 {
        return;
    }
    s.nonspace += 1;
    char_counts(c, class, s);
}

/// The counts of one character that is not white space: letters (upper
/// case, unspaced scripts), digits, or symbols and what they say.
#[inline]
fn char_counts(c: char, class: u8, s: &mut LineScan) {
    if class & ALPHA != 0 {
        s.letters += 1;
        if class & UPPER != 0 {
            s.uppercase += 1;
        }
        if class & UNSPACED != 0 {
            s.unspaced += 1;
        }
    } else if class & NUMERIC != 0 {
        s.digits += 1;
    } else {
        s.symbols += 1;
        symbol_facts(c, s);
    }
}

/// The character at `text[i]`, its length in bytes and its class: one
/// table lookup for ASCII, a page of [`CLASSES`] for the rest.
#[inline]
fn char_at(text: &[u8], i: usize) -> (char, usize, u8) {
    let b = text[i];
    if b < 0x80 {
        (b as char, 1, ASCII_CLASS[usize::from(b)])
    } else {
        let (c, len) = decode_char(text, i);
        (c, len, other_class(c))
    }
}

/// [`class_of`] by table (see [`CharTable`]).
static CLASSES: CharTable<u8> = CharTable::new(class_of, 0);

#[inline]
fn other_class(c: char) -> u8 {
    CLASSES.get(c)
}

/// The flags of a line's first character that is not white space.
fn first_char_flags(text: &[u8], s: &mut LineScan) {
    let mut i = 0;
    while i < text.len() {
        let (c, len, class) = char_at(text, i);
        if class & SPACE == 0 {
            if class & LOWER != 0 {
                s.flags |= flag::STARTS_LOWER;
            }
            if is_bullet(c) || starts_with_number(text) {
                s.flags |= flag::STARTS_BULLET;
            }
            return;
        }
        i += len;
    }
}

/// What a symbol character says of its line: separators, commas, the
/// copyright sign, currency signs (prices, kept only when the line has a
/// digit: see scan_line).
fn symbol_facts(c: char, s: &mut LineScan) {
    match c {
        '|' | '·' | '•' | '»' | '›' | '/' | '–' | '—' => s.separators += 1,
        ',' | '，' | '、' => s.commas += 1,
        '©' => s.flags |= flag::HAS_COPYRIGHT,
        '$' | '€' | '£' | '¥' | '₹' | '₽' | '₩' | '₺' | '฿' | '¢' => {
            s.flags |= flag::HAS_PRICE
        }
        _ => {}
    }
}

/// Characters that open a list item.
fn is_bullet(c: char) -> bool {
    matches!(
        c,
        '•' | '·'
            | '-'
            | '*'
            | '–'
            | '—'
            | '►'
            | '▸'
            | '▪'
            | '■'
            | '□'
            | '○'
            | '●'
            | '◦'
            | '✓'
            | '✔'
            | '➤'
            | '→'
            | '>'
    )
}

/// The facts of one token of a line that need the token itself: a
/// sentence end (the token ends the sentence, as white space or the line's
/// end follows it), and the word facts.
#[inline]
fn finish_line_token(
    text: &[u8],
    start: usize,
    end: usize,
    ascii: bool,
    s: &mut LineScan,
    word_sets: &mut Vec<LanguageSet>,
) {
    let last = text[end - 1];
    let ends_sentence = if last < 0x80 {
        matches!(last, b'.' | b'!' | b'?')
    } else {
        matches!(final_char(&text[start..end]), '。' | '！' | '？')
    };
    if ends_sentence {
        s.sentence_ends += 1;
    }
    // On an ASCII line, no second check of the token's bytes.
    if ascii && end - start <= 16 {
        finish_short_ascii_token(
            load_short(text, start, end),
            &text[start..end],
            s,
            word_sets,
        );
    } else {
        finish_token(text, start, end, s, word_sets);
    }
}

/// Facts of the white-space token `text[start..end]`: stop words, title
/// case, e-mail, price, date shapes, URL endings. (The line is passed, not
/// just the token, so that a short token can be read sixteen bytes at once.)
#[inline]
fn finish_token(
    text: &[u8],
    start: usize,
    end: usize,
    s: &mut LineScan,
    word_sets: &mut Vec<LanguageSet>,
) {
    let token = &text[start..end];
    if token.len() <= 16 && token.is_ascii() {
        return finish_short_ascii_token(load_short(text, start, end), token, s, word_sets);
    }
    s.tokens += 1;
    let mut buf = [0u8; MAX_WORD_BYTES];
    let first_letter = token
        .iter()
        .position(|b| b.is_ascii_alphabetic() || *b >= 0x80)
        .map(|at| char_at(token, at).2)
        .filter(|class| class & ALPHA != 0);
    if let Some(class) = first_letter {
        s.alpha_tokens += 1;
        if class & UPPER != 0 {
            s.title_tokens += 1;
        }
    }
    if let Some(word) = stopwords::normalise(token, &mut buf) {
        let has_dot = memchr::memchr(b'.', word).is_some();
        word_facts(word, stopwords::lookup(word), has_dot, s, word_sets);
    }
    token_facts(token, s);
}

/// The bytes of `text[start..end]` (1 to 16 bytes) as a little-endian
/// integer, zero above the token: one unaligned load where the line has
/// sixteen bytes on either side of the token's start or end.
#[inline]
fn load_short(text: &[u8], start: usize, end: usize) -> u128 {
    let len = end - start;
    debug_assert!((1..=16).contains(&len));
    if let Some(chunk) = text[start..].first_chunk::<16>() {
        u128::from_le_bytes(*chunk) & low_bytes(len)
    } else if let Some(chunk) = text[..end].last_chunk::<16>() {
        u128::from_le_bytes(*chunk) >> (8 * (16 - len))
    } else {
        // A line shorter than sixteen bytes.
        let mut bytes = [0u8; 16];
        for (d, b) in bytes.iter_mut().zip(&text[start..end]) {
            *d = *b;
        }
        u128::from_le_bytes(bytes)
    }
}

/// A mask of the low `len` bytes (0 to 16) of a `u128`, from a table: a
/// variable shift of a `u128` is a dozen instructions.
#[inline]
fn low_bytes(len: usize) -> u128 {
    const LOW_BYTES: [u128; 17] = {
        let mut table = [u128::MAX; 17];
        let mut len = 0;
        while len < 16 {
            table[len] = (1u128 << (8 * len)) - 1;
            len += 1;
        }
        table
    };
    LOW_BYTES[len.min(16)]
}

/// Classes of the sixteen bytes of a short ASCII token (zero-padded), one
/// bit per byte, and the bytes lowercased.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ShortToken {
    lowered: u128,
    alnum: u32,
    alpha: u32,
    upper: u32,
    digit: u32,
    at: u32,
    dot: u32,
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn short_token_classes(bytes: u128) -> ShortToken {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of every x86-64 CPU; the loads and stores are of
    // sixteen-byte arrays.
    unsafe {
        let v = _mm_loadu_si128(bytes.to_le_bytes().as_ptr().cast());
        // The bytes are ASCII or zero, so signed compares order them.
        let within = |lo: u8, hi: u8| {
            _mm_and_si128(
                _mm_cmpgt_epi8(v, _mm_set1_epi8(lo as i8 - 1)),
                _mm_cmplt_epi8(v, _mm_set1_epi8(hi as i8 + 1)),
            )
        };
        let upper = within(b'A', b'Z');
        let lower = within(b'a', b'z');
        let digit = within(b'0', b'9');
        let lowered = _mm_add_epi8(v, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
        let mut out = [0u8; 16];
        _mm_storeu_si128(out.as_mut_ptr().cast(), lowered);
        let mask = |m: __m128i| _mm_movemask_epi8(m) as u32;
        let (upper, lower, digit) = (mask(upper), mask(lower), mask(digit));
        ShortToken {
            lowered: u128::from_le_bytes(out),
            alnum: upper | lower | digit,
            alpha: upper | lower,
            upper,
            digit,
            at: mask(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'@' as i8))),
            dot: mask(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'.' as i8))),
        }
    }
}

#[cfg(any(test, not(target_arch = "x86_64")))]
fn short_token_classes_by_byte(bytes: u128) -> ShortToken {
    let mut t = ShortToken {
        lowered: 0,
        alnum: 0,
        alpha: 0,
        upper: 0,
        digit: 0,
        at: 0,
        dot: 0,
    };
    for (k, b) in bytes.to_le_bytes().into_iter().enumerate() {
        let bit = |yes: bool| u32::from(yes) << k;
        t.lowered |= u128::from(b.to_ascii_lowercase()) << (8 * k);
        t.alnum |= bit(b.is_ascii_alphanumeric());
        t.alpha |= bit(b.is_ascii_alphabetic());
        t.upper |= bit(b.is_ascii_uppercase());
        t.digit |= bit(b.is_ascii_digit());
        t.at |= bit(b == b'@');
        t.dot |= bit(b == b'.');
    }
    t
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn short_token_classes(bytes: u128) -> ShortToken {
    short_token_classes_by_byte(bytes)
}

/// [`finish_token`] for a token of at most 16 ASCII bytes (most tokens),
/// given as [`load_short`] read it: the same facts from the byte classes of
/// one sixteen-byte compare, the word lowercased and looked up in place,
/// and the rarer checks (e-mail, dates, web addresses) only for tokens
/// that hold an `@`, a digit or a dot.
#[inline]
fn finish_short_ascii_token(
    bytes: u128,
    token: &[u8],
    s: &mut LineScan,
    word_sets: &mut Vec<LanguageSet>,
) {
    let t = short_token_classes(bytes);
    s.tokens += 1;
    if t.alpha != 0 {
        s.alpha_tokens += 1;
        if t.upper & (1 << t.alpha.trailing_zeros()) != 0 {
            s.title_tokens += 1;
        }
    }
    if t.alnum != 0 {
        let start = t.alnum.trailing_zeros() as usize;
        let end = 32 - t.alnum.leading_zeros() as usize;
        let len = end - start;
        // Most words start the token: no shift.
        let word = if start == 0 {
            t.lowered
        } else {
            t.lowered >> (8 * start)
        } & low_bytes(len);
        let set = if len < 16 {
            stopwords::lookup_short(word, len)
        } else {
            stopwords::lookup(&word.to_le_bytes())
        };
        let has_dot = t.dot != 0 && (t.dot >> start) & ((1 << len) - 1) != 0;
        word_facts(&word.to_le_bytes()[..len], set, has_dot, s, word_sets);
        if set & stopwords::MARK_CURRENCY != 0 && matches!(token, b"EUR" | b"USD" | b"GBP") {
            s.flags |= flag::HAS_PRICE;
        }
    }
    if t.at & !1 != 0 {
        email_facts(token, s);
    }
    if t.digit & 0b11 != 0 && is_numeric_date(token) {
        s.flags |= flag::DATE_LIKE;
    }
}

/// Facts of a normalised (lowercased, stripped) word: its stoplists and
/// marks (`set`, looked up by the caller), web addresses.
#[inline]
fn word_facts(
    word: &[u8],
    set: LanguageSet,
    has_dot: bool,
    s: &mut LineScan,
    word_sets: &mut Vec<LanguageSet>,
) {
    let languages = set & stopwords::LANGUAGES;
    if languages != 0 {
        s.stop_tokens += 1;
        if s.stop_tokens <= MAX_STOP_SETS_PER_LINE {
            word_sets.push(languages);
        }
    }
    s.flags |= (u16::from(set & stopwords::MARK_DATE != 0) * flag::DATE_LIKE)
        | (u16::from(set & stopwords::MARK_COPYRIGHT != 0) * flag::HAS_COPYRIGHT);
    if has_dot
        && (word.ends_with(b".com")
            || word.ends_with(b".org")
            || word.ends_with(b".net")
            || word.ends_with(b".html")
            || word.starts_with(b"www."))
    {
        s.flags |= flag::HAS_URL;
    }
}

/// Facts of a token as it stands: e-mail, numeric date. (A currency code
/// is a short ASCII token: see [`finish_short_ascii_token`].)
#[inline]
fn token_facts(token: &[u8], s: &mut LineScan) {
    email_facts(token, s);
    if is_numeric_date(token) {
        s.flags |= flag::DATE_LIKE;
    }
}

/// An `@` after the first byte with a dot after it: an e-mail address.
#[inline]
fn email_facts(token: &[u8], s: &mut LineScan) {
    if let Some(at) = memchr::memchr(b'@', token)
        && at > 0
        && memchr::memchr(b'.', &token[at..]).is_some()
    {
        s.flags |= flag::HAS_EMAIL;
    }
}

/// `2024-05-01`, `01/05/2024`, `1.5.24`: three digit groups joined by one of
/// `-/.`, optionally wrapped in punctuation.
fn is_numeric_date(token: &[u8]) -> bool {
    // Most tokens are words: no digit in the first two bytes.
    if !token.iter().take(2).any(u8::is_ascii_digit) || token.len() < 5 {
        return false;
    }
    let start = token.iter().position(u8::is_ascii_digit);
    let end = token.iter().rposition(u8::is_ascii_digit);
    let (Some(start), Some(end)) = (start, end) else {
        return false;
    };
    let core = &token[start..=end];
    let mut groups = 0;
    let mut sep: Option<u8> = None;
    for part in core.split(|b| matches!(b, b'-' | b'/' | b'.')) {
        if part.is_empty() || part.len() > 4 || !part.iter().all(u8::is_ascii_digit) {
            return false;
        }
        groups += 1;
    }
    for &b in core {
        if matches!(b, b'-' | b'/' | b'.') {
            match sep {
                None => sep = Some(b),
                Some(s) if s != b => return false,
                _ => {}
            }
        }
    }
    groups == 3
}

fn starts_with_number(text: &[u8]) -> bool {
    let rest = text.strip_prefix(b"(").unwrap_or(text);
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    (1..=3).contains(&digits)
        && matches!(rest.get(digits), Some(b'.' | b')'))
        && rest.get(digits + 1).is_none_or(|b| b.is_ascii_whitespace())
}

fn trim_white(text: &[u8]) -> &[u8] {
    let text = text.trim_ascii();
    let text = text.strip_prefix("\u{a0}".as_bytes()).unwrap_or(text);
    text.strip_suffix("\u{a0}".as_bytes()).unwrap_or(text)
}

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
    "blank_before",
    "blank_after",
    "log_block_lines",
    "block_position",
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
    "log_block_lines@-2",
    "rule_dropped@-2",
    "log_words@-1",
    "stop_density@-1",
    "ends_terminal@-1",
    "title_ratio@-1",
    "symbol_ratio@-1",
    "digit_ratio@-1",
    "starts_bullet@-1",
    "duplicates@-1",
    "log_block_lines@-1",
    "rule_dropped@-1",
    "log_words@+1",
    "stop_density@+1",
    "ends_terminal@+1",
    "title_ratio@+1",
    "symbol_ratio@+1",
    "digit_ratio@+1",
    "starts_bullet@+1",
    "duplicates@+1",
    "log_block_lines@+1",
    "rule_dropped@+1",
    "log_words@+2",
    "stop_density@+2",
    "ends_terminal@+2",
    "title_ratio@+2",
    "symbol_ratio@+2",
    "digit_ratio@+2",
    "starts_bullet@+2",
    "duplicates@+2",
    "log_block_lines@+2",
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
];

/// The number of features in a row.
pub const FEATURE_COUNT: usize = 85;
const _: () = assert!(FEATURE_NAMES.len() == FEATURE_COUNT);

/// Neighbour offsets, in the order of the neighbour features.
const NEIGHBOURS: [isize; 4] = [-2, -1, 1, 2];
const NEIGHBOUR_FEATURES: usize = 10;
const LINE_FEATURES: usize = 31;

/// Per-document buffers: line scans, stop-word hits, feature rows. Reused
/// across documents, so a thread allocates only while documents grow.
#[derive(Debug, Clone, Default)]
pub struct FeatureScratch {
    /// One per non-blank line.
    lines: Vec<Line>,
    word_sets: Vec<LanguageSet>,
    /// Line hashes with their line index (hash above index, one integer
    /// to sort), sorted, for duplicate counts.
    hashes: Vec<u128>,
    /// Distance of each line to the nearest prose line above it.
    prose_above: Vec<u32>,
    prose_below: Vec<u32>,
    /// jusText's forward pass: the nearest decided line above each line
    /// (true = good), and whether a near-good line lies between.
    justext_above: Vec<(bool, bool)>,
    /// Words in the non-blank lines above each line.
    words_before: Vec<f32>,
    doc: DocStats,
    /// Each line's features as a neighbour, computed once and copied into
    /// the rows of the lines around it.
    as_neighbour: Vec<[f32; NEIGHBOUR_FEATURES]>,
    previous_blank: bool,
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
}

/// What the document pass keeps of a non-blank line.
#[derive(Debug, Clone, Copy)]
struct Line {
    scan: LineScan,
    stop_hits: u32,
    rule: RuleMark,
    blank_before: bool,
    blank_after: bool,
    /// Derived in [`FeatureScratch::finish`].
    stop_density: f32,
    duplicates: u32,
    block_lines: u32,
    block_position: u32,
    shape_run: u32,
    /// jusText's class of the line: 3 good, 2 near-good, 1 short, 0 bad.
    justext_class: u8,
    /// jusText's verdict after its context pass.
    justext_keep: bool,
}

impl FeatureScratch {
    /// Starts a new document.
    pub fn begin(&mut self) {
        self.lines.clear();
        self.word_sets.clear();
        self.previous_blank = true;
        self.language = None;
    }

    /// Notes a blank line: it only marks the lines around it.
    pub fn push_blank(&mut self) {
        if let Some(last) = self.lines.last_mut() {
            last.blank_after = true;
        }
        self.previous_blank = true;
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
        let scan = scan_line(text, &mut self.word_sets);
        let words = scan.words;
        self.lines.push(Line {
            scan,
            stop_hits: 0,
            rule: RuleMark::Undecided,
            blank_before: self.previous_blank,
            blank_after: false,
            stop_density: 0.0,
            duplicates: 0,
            block_lines: 0,
            block_position: 0,
            shape_run: 0,
            justext_class: 0,
            justext_keep: false,
        });
        self.previous_blank = false;
        words
    }

    /// The number of non-blank lines pushed.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Computes what the feature rows need from the whole document; then
    /// [`FeatureScratch::row_into`] gives any line's row. Rows are built on
    /// demand, a few at a time, so a document of a million short lines does
    /// not hold a million rows.
    pub fn finish(&mut self) {
        let n = self.lines.len();
        if let Some(last) = self.lines.last_mut() {
            last.blank_after = true;
        }
        self.pick_language();
        self.count_duplicates();
        self.mark_blocks_and_shapes();
        self.justext();

        let lines = &self.lines;
        let words = |i: usize| lines[i].scan.words as f32;
        let mut doc = DocStats::default();
        for (i, line) in lines.iter().enumerate() {
            doc.words += words(i);
            doc.longest = doc.longest.max(words(i));
            doc.long_lines += u32::from(words(i) >= LONG_LINE_WORDS);
            doc.stop_sum += line.stop_density;
            doc.rule_dropped += u32::from(line.rule == RuleMark::Dropped);
        }
        let is_prose = |i: usize| {
            let l = &lines[i];
            l.rule != RuleMark::Dropped
                && words(i) >= LONG_LINE_WORDS
                && l.stop_density >= GOOD_STOP_DENSITY
        };
        self.as_neighbour.clear();
        self.as_neighbour
            .extend(lines.iter().map(neighbour_features));
        // Distances to the nearest prose line above (filled forwards) and
        // below (backwards), and the words above each line.
        self.prose_above.clear();
        self.prose_above.resize(n, 0);
        self.prose_below.clear();
        self.prose_below.resize(n, 0);
        self.words_before.clear();
        self.words_before.resize(n, 0.0);
        let mut distance = MAX_DISTANCE;
        for i in 0..n {
            distance = if is_prose(i) {
                0
            } else {
                (distance + 1).min(MAX_DISTANCE)
            };
            self.prose_above[i] = distance;
        }
        let mut below = MAX_DISTANCE;
        let mut words_before = doc.words;
        for i in (0..n).rev() {
            below = if is_prose(i) {
                0
            } else {
                (below + 1).min(MAX_DISTANCE)
            };
            self.prose_below[i] = below;
            words_before -= words(i);
            self.words_before[i] = words_before;
        }
        self.doc = doc;
    }

    /// Writes the feature row of the `i`-th non-blank line into `row`
    /// ([`FEATURE_COUNT`] values), once [`FeatureScratch::finish`] ran.
    pub fn row_into(&self, i: usize, row: &mut [f32]) {
        let lines = &self.lines;
        let n = lines.len();
        let doc = &self.doc;
        let nf = n.max(1) as f32;
        line_features(&lines[i], &mut row[..LINE_FEATURES]);
        let mut at = LINE_FEATURES;
        for offset in NEIGHBOURS {
            let j = i as isize + offset;
            let cell = &mut row[at..at + NEIGHBOUR_FEATURES];
            if j < 0 || j >= n as isize {
                cell.fill(-1.0);
            } else {
                cell.copy_from_slice(&self.as_neighbour[j as usize]);
            }
            at += NEIGHBOUR_FEATURES;
        }
        let lo = i.saturating_sub(3);
        let hi = (i + 3).min(n - 1);
        let span = (hi - lo + 1) as f32;
        let (mut w, mut st, mut long, mut dropped) = (0.0, 0.0, 0.0, 0.0);
        for line in &lines[lo..=hi] {
            let line_words = line.scan.words as f32;
            w += line_words;
            st += line.stop_density;
            long += f32::from(u8::from(line_words >= LONG_LINE_WORDS));
            dropped += f32::from(u8::from(line.rule == RuleMark::Dropped));
        }
        let tail = [
            log_mean(w, hi - lo + 1),
            st / span,
            long / span,
            dropped / span,
            self.prose_above[i] as f32,
            self.prose_below[i] as f32,
            self.words_before[i] / doc.words.max(1.0),
            doc.long_lines as f32 / nf,
            lines[i].scan.words as f32 / doc.longest.max(1.0),
            doc.stop_sum / nf,
            doc.rule_dropped as f32 / nf,
            f32::from(u8::from(self.language.is_some())),
            f32::from(lines[i].justext_class),
            f32::from(u8::from(lines[i].justext_keep)),
        ];
        row[at..].copy_from_slice(&tail);
    }

    /// What the rules said of the `i`-th non-blank line.
    pub fn rule(&self, i: usize) -> RuleMark {
        self.lines[i].rule
    }

    /// Picks the document's language by stop-word hits, then counts each
    /// line's hits in it; with no language, hits in any list count.
    fn pick_language(&mut self) {
        self.language = stopwords::pick_language(&count_languages(&self.word_sets));
        let mask: LanguageSet = self.language.map_or(LanguageSet::MAX, |l| 1 << l);
        for line in &mut self.lines {
            let start = line.scan.stop_start as usize;
            let stored = line.scan.stop_tokens.min(MAX_STOP_SETS_PER_LINE);
            let sets = &self.word_sets[start..start + stored as usize];
            let hits = sets.iter().filter(|&&s| s & mask != 0).count() as u32;
            // A giant line kept only its first stop words: scale.
            line.stop_hits = if stored == line.scan.stop_tokens {
                hits
            } else {
                (u64::from(hits) * u64::from(line.scan.stop_tokens) / u64::from(stored)) as u32
            };
            line.stop_density = ratio(line.stop_hits, line.scan.tokens);
        }
    }

    fn count_duplicates(&mut self) {
        self.hashes.clear();
        self.hashes.extend(
            self.lines
                .iter()
                .enumerate()
                .map(|(i, l)| u128::from(l.scan.hash) << 64 | i as u128),
        );
        self.hashes.sort_unstable();
        // Each run of equal hashes is a line and its duplicates.
        for run in self.hashes.chunk_by(|a, b| a >> 64 == b >> 64) {
            let duplicates = ((run.len() - 1) as u32).min(MAX_DUPLICATES);
            for &key in run {
                self.lines[key as u64 as usize].duplicates = duplicates;
            }
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
        for line in &self.lines {
            self.justext_above.push(last);
            match line.justext_class {
                GOOD => last = (true, false),
                BAD => last = (false, false),
                NEAR_GOOD => last.1 = true,
                _ => {}
            }
        }
        let mut below = (false, false);
        for (i, line) in self.lines.iter_mut().enumerate().rev() {
            let (up, up_near) = self.justext_above[i];
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

    /// Blocks are runs of non-blank lines between blank lines; a shape run is
    /// a run of lines that look alike (length bucket, ending, bullet, digits),
    /// as the items of a list or a product grid do.
    fn mark_blocks_and_shapes(&mut self) {
        let n = self.lines.len();
        let mut start = 0;
        while start < n {
            let mut end = start + 1;
            while end < n && !self.lines[end].blank_before {
                end += 1;
            }
            for (k, line) in self.lines[start..end].iter_mut().enumerate() {
                line.block_lines = (end - start) as u32;
                line.block_position = k as u32;
            }
            start = end;
        }
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

#[inline]
fn ratio(part: u32, whole: u32) -> f32 {
    if whole == 0 {
        0.0
    } else {
        part as f32 / whole as f32
    }
}

/// How many of `sets` hold each language. Common words are in dozens of
/// lists, so the sets are added as bit-sliced binary counters (plane `p`
/// holds bit `p` of all 128 counts): a few word operations per set instead
/// of one increment per language.
fn count_languages(sets: &[LanguageSet]) -> [u32; 128] {
    let mut planes = [0 as LanguageSet; 32];
    for &set in sets {
        let mut carry = set;
        for plane in &mut planes {
            let next = *plane & carry;
            *plane ^= carry;
            carry = next;
            if carry == 0 {
                break;
            }
        }
    }
    let mut hits = [0u32; 128];
    for (p, &plane) in planes.iter().enumerate() {
        let mut bits = plane;
        while bits != 0 {
            hits[bits.trailing_zeros() as usize] |= 1 << p;
            bits &= bits - 1;
        }
    }
    hits
}

#[inline]
fn bit(s: &LineScan, b: u16) -> f32 {
    f32::from(u8::from(s.has(b)))
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
fn log_mean(words: f32, lines: usize) -> f32 {
    let whole = words as usize;
    match WINDOW_LOG_MEANS
        .get(lines.wrapping_sub(1))
        .and_then(|t| t.get(whole))
    {
        Some(&value) if whole as f32 == words => value,
        _ => (words / lines as f32).ln_1p(),
    }
}

#[inline]
fn log_count(n: u32) -> f32 {
    match SMALL_LOG_COUNTS.get(n as usize) {
        Some(&value) => value,
        None => (n as f32).ln_1p(),
    }
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
        f32::from(u8::from(line.blank_before)),
        f32::from(u8::from(line.blank_after)),
        log_count(line.block_lines),
        ratio(line.block_position, line.block_lines),
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
        log_count(line.block_lines),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The block scan against the character-by-character definition, on
    /// random lines from an alphabet with every class and special case:
    /// word runs with digits and `_`, sentence ends, `$`, `://`, bullets,
    /// numbering, long tokens; and, for lines beyond ASCII, letters of
    /// other scripts (cased, unspaced, numeric), Unicode spaces, dashes,
    /// quotes, currency, full-width punctuation and invalid bytes, with
    /// characters split across 64-byte blocks.
    fn assert_block_scan_agrees(alphabet: &[&[u8]], ascii: bool, seed: u64) {
        let mut state = seed;
        let mut next = move || xorshift(&mut state);
        let mut line = Vec::new();
        for round in 0..20_000 {
            line.clear();
            // Every third line long enough to span several 64-byte blocks.
            let pieces = next() % if round % 3 == 0 { 90 } else { 24 };
            for _ in 0..pieces {
                line.extend_from_slice(alphabet[(next() % alphabet.len() as u64) as usize]);
            }
            if round % 500 == 0 {
                line.extend(std::iter::repeat_n(b'7', 300));
                line.extend_from_slice(b"x_");
                line.extend(std::iter::repeat_n(b'a', 260));
            }
            let text = trim_white(&line);
            assert_eq!(text.is_ascii(), ascii || text.is_ascii());
            let (mut blocks, mut any) = (LineScan::default(), LineScan::default());
            let (mut block_sets, mut any_sets) = (Vec::new(), Vec::new());
            let digit_blocks = scan_blocks(text, text.is_ascii(), &mut blocks, &mut block_sets);
            let digit_any = scan_any(text, &mut any, &mut any_sets);
            // scan_any counts the words as count_words does; scan_line
            // calls count_words before the block scan.
            blocks.words = count_words(text);
            assert_eq!(blocks, any, "{}", text.escape_ascii());
            assert_eq!(block_sets, any_sets);
            assert_eq!(digit_blocks, digit_any);
        }
    }

    const ASCII_PIECES: &[&[u8]] = &[
        b"a",
        b"B",
        b"7",
        b"_",
        b" ",
        b"  ",
        b"\t",
        b".",
        b"!",
        b"?",
        b",",
        b"|",
        b"/",
        b"$",
        b"://",
        b"-",
        b"*",
        b">",
        b"(",
        b")",
        b"1.",
        b"x",
        b"the",
        b"Copyright",
        b"@",
        b"www.",
        b".com",
        b"2024-05-01",
        b"ago",
        b"USD",
    ];

    #[test]
    fn block_scan_agrees_with_the_general_one_on_ascii() {
        assert_block_scan_agrees(ASCII_PIECES, true, 0x853c_49e6_748f_ea9b);
    }

    #[test]
    fn block_scan_agrees_with_the_general_one_beyond_ascii() {
        let mut alphabet: Vec<&[u8]> = ASCII_PIECES.to_vec();
        alphabet.extend([
            "é".as_bytes(),
            "É".as_bytes(),
            "ü".as_bytes(),
            "Привет".as_bytes(),
            "и".as_bytes(),
            "中文".as_bytes(),
            "ไทย".as_bytes(),
            "Ⅻ".as_bytes(),
            "٣".as_bytes(),
            "😀".as_bytes(),
            "\u{a0}".as_bytes(),
            "\u{3000}".as_bytes(),
            "\u{2009}".as_bytes(),
            "\u{85}".as_bytes(),
            "\x0b".as_bytes(),
            "—".as_bytes(),
            "–".as_bytes(),
            "’".as_bytes(),
            "“".as_bytes(),
            "…".as_bytes(),
            "。".as_bytes(),
            "！".as_bytes(),
            "？".as_bytes(),
            "，".as_bytes(),
            "、".as_bytes(),
            "·".as_bytes(),
            "•".as_bytes(),
            "»".as_bytes(),
            "©".as_bytes(),
            "€".as_bytes(),
            "ſ".as_bytes(),
            b"\xff",
            b"\xe3\x80",
            b"\xc3",
            b"\x80",
        ]);
        assert_block_scan_agrees(&alphabet, false, 0x2545_f491_4f6c_dd1d);
    }

    #[test]
    fn language_counts_equal_a_count_per_bit() {
        let sets: Vec<LanguageSet> = (0..3000u32)
            .map(|i| {
                let x = u128::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835);
                x ^ (x >> 61) ^ if i % 7 == 0 { u128::MAX } else { 0 }
            })
            .collect();
        let mut want = [0u32; 128];
        for set in &sets {
            for (l, count) in want.iter_mut().enumerate() {
                *count += u32::from((set >> l) & 1 == 1);
            }
        }
        assert_eq!(count_languages(&sets), want);
        assert_eq!(count_languages(&[]), [0; 128]);
    }

    #[test]
    fn window_log_means_equal_the_logarithm() {
        for lines in 1..=8 {
            for words in (0..600).chain([5000, u32::MAX]) {
                let words = words as f32;
                let want = (words / lines as f32).ln_1p();
                assert_eq!(
                    log_mean(words, lines).to_bits(),
                    want.to_bits(),
                    "{words} {lines}"
                );
            }
        }
        assert_eq!(log_mean(2.5, 2).to_bits(), 1.25f32.ln_1p().to_bits());
    }

    #[test]
    fn log_count_table_equals_the_logarithm() {
        for n in (0..600).chain([u32::MAX]) {
            assert_eq!(log_count(n).to_bits(), (n as f32).ln_1p().to_bits(), "{n}");
        }
    }

    #[test]
    fn word_counts() {
        let table: &[(&str, u32)] = &[
            ("", 0),
            ("   ", 0),
            ("one", 1),
            ("  two words  ", 2),
            ("Share on Facebook", 3),
            ("a\u{a0}b", 2),
            ("中国人民", 2),
            ("中国人民银行", 3),
            ("iPhone 15 发布会", 4),
            ("สวัสดีครับ", 5),
            ("Привет, мир!", 2),
        ];
        for &(line, want) in table {
            assert_eq!(count_words(line.as_bytes()), want, "{line:?}");
        }
    }

    #[test]
    fn ascii_word_count_agrees_with_a_count_by_character() {
        // Every mix of a few bytes, white space included (the vertical tab
        // is not white space).
        let alphabet = [b'a', b' ', b'\t', b'\x0b', b'\r', b'\n', b'\x0c', b'.'];
        let mut line = Vec::new();
        for n in 0..8u32.pow(5) {
            line.clear();
            let mut k = n;
            for _ in 0..5 {
                line.push(alphabet[(k % 8) as usize]);
                k /= 8;
            }
            assert_eq!(count_words(&line), count_words_by_char(&line), "{line:?}");
        }
        // Lines across the 16-byte chunks, runs crossing chunk borders.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            xorshift(&mut state);
            let len = (state % 70) as usize;
            line.clear();
            line.extend((0..len).map(|k| alphabet[((state >> (k % 60)) % 8) as usize]));
            assert_eq!(count_words(&line), count_words_by_char(&line), "{line:?}");
        }
    }

    /// `count_words` character by character, without its ASCII chunks.
    fn count_words_by_char(line: &[u8]) -> u32 {
        let (mut words, mut unspaced) = (0u32, 0u32);
        let (mut in_token, mut spaced) = (false, false);
        let mut i = 0;
        while i < line.len() {
            let (c, len) = decode_char(line, i);
            i += len;
            if c.is_ascii_whitespace() || c == '\u{a0}' || c == '\u{3000}' {
                words += u32::from(in_token && spaced);
                (in_token, spaced) = (false, false);
            } else if !c.is_ascii() && is_unspaced_script(c) {
                unspaced += 1;
                in_token = true;
            } else {
                (in_token, spaced) = (true, true);
            }
        }
        words + u32::from(in_token && spaced) + unspaced.div_ceil(2)
    }

    #[test]
    fn word_count_chunks_agree_with_a_count_by_character() {
        let pieces: &[&str] = &[
            "a",
            "word",
            " ",
            "  ",
            "\t",
            "\u{a0}",
            "\u{3000}",
            "中",
            "文字",
            "ไทย",
            "é",
            "—",
            "\x0b",
            "abcdefghijklmnop",
            "                ",
            "x y z w v u t s ",
        ];
        let mut state = 0x1234_5678_9abc_def1u64;
        let mut line = Vec::new();
        for _ in 0..30_000 {
            xorshift(&mut state);
            line.clear();
            for k in 0..(state % 12) {
                let piece = pieces[((state >> (5 * k)) % pieces.len() as u64) as usize];
                line.extend_from_slice(piece.as_bytes());
            }
            if state.is_multiple_of(13) {
                line.push(0xff);
            }
            assert_eq!(
                count_words(&line),
                count_words_by_char(&line),
                "{:?}",
                String::from_utf8_lossy(&line)
            );
        }
    }

    #[test]
    fn decode_survives_bad_bytes() {
        for bad in [
            &b"\xff"[..],
            b"\xc3",
            b"\xe2\x82",
            b"\xc0\x80",
            b"\xed\xa0\x80",
        ] {
            assert_eq!(decode_char(bad, 0), (char::REPLACEMENT_CHARACTER, 1));
        }
        assert_eq!(decode_char("é".as_bytes(), 0), ('é', 2));
        assert_eq!(count_words(b"a \xff\xfe b"), 3);
    }

    #[test]
    fn block_masks_agree_with_a_byte_by_byte_count() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for round in 0..2_000 {
            let mut block = [0u8; 64];
            for b in block.iter_mut() {
                // Half the rounds any byte, half ASCII (what lines hold).
                let r = xorshift(&mut state);
                *b = if round % 2 == 0 {
                    r as u8
                } else {
                    (r % 128) as u8
                };
            }
            assert_eq!(
                block_masks(&block),
                block_masks_by_byte(&block),
                "{block:?}"
            );
        }
    }

    #[test]
    fn ascii_table_agrees_with_char_methods() {
        for b in 0..128u8 {
            assert_eq!(ASCII_CLASS[b as usize], class_of(b as char), "{b}");
        }
    }

    #[test]
    fn class_pages_agree_with_char_methods() {
        // Beyond the pages too: astral characters go to class_of itself.
        for c in '\u{80}'..='\u{10FFF}' {
            assert_eq!(other_class(c), class_of(c), "{:?} U+{:04X}", c, c as u32);
        }
    }

    /// The sixteen-byte read of a short token, wherever it sits in its line
    /// (start, middle, end, a line under sixteen bytes), is the token
    /// zero-padded; its byte classes agree with a byte-by-byte count.
    #[test]
    fn short_tokens_load_and_classify_like_bytes() {
        let mut state = 0x2545_f491_4f6c_dd1d;
        let alphabet = b"aZ09@.-_$Q x";
        for line_len in 1..40 {
            let line: Vec<u8> = (0..line_len)
                .map(|_| alphabet[(xorshift(&mut state) % alphabet.len() as u64) as usize])
                .collect();
            for start in 0..line_len {
                for end in start + 1..=line_len.min(start + 16) {
                    let mut padded = [0u8; 16];
                    padded[..end - start].copy_from_slice(&line[start..end]);
                    let bytes = load_short(&line, start, end);
                    assert_eq!(
                        bytes,
                        u128::from_le_bytes(padded),
                        "{line:?} {start}..{end}"
                    );
                    assert_eq!(
                        short_token_classes(bytes),
                        short_token_classes_by_byte(bytes),
                        "{line:?} {start}..{end}"
                    );
                }
            }
        }
    }

    fn scan(line: &str) -> LineScan {
        scan_line(line.as_bytes(), &mut Vec::new())
    }

    #[test]
    fn line_scan_counts() {
        let s = scan("The cat sat on the mat, twice: 2 times!");
        assert_eq!(s.tokens, 9);
        assert_eq!(s.words, 9);
        assert_eq!(s.word_runs, 9);
        assert_eq!(s.numeric_runs, 1);
        assert_eq!(s.digits, 1);
        assert_eq!(s.commas, 1);
        assert_eq!(s.sentence_ends, 1);
        assert_eq!((s.title_tokens, s.alpha_tokens), (1, 8));
        assert!(s.stop_tokens >= 3, "the, on, the: {}", s.stop_tokens);
        assert!(s.has(flag::ENDS_TERMINAL));
        assert!(!s.has(flag::STARTS_LOWER));
    }

    #[test]
    fn line_scan_flags() {
        // (line, flag, expected)
        let table: &[(&str, u16, bool)] = &[
            ("Read more...", flag::ENDS_ELLIPSIS, true),
            ("Read more…", flag::ENDS_ELLIPSIS, true),
            ("Read more...", flag::ENDS_TERMINAL, false),
            ("Contents:", flag::ENDS_COLON, true),
            ("他说。", flag::ENDS_TERMINAL, true),
            ("• First item", flag::STARTS_BULLET, true),
            ("1. First item", flag::STARTS_BULLET, true),
            ("(12) First item", flag::STARTS_BULLET, true),
            ("2024 was a year", flag::STARTS_BULLET, false),
            ("see https://example.org/x", flag::HAS_URL, true),
            ("www.example.com", flag::HAS_URL, true),
            ("example.com", flag::HAS_URL, true),
            ("mail me: jane@example.org", flag::HAS_EMAIL, true),
            ("@jane on X", flag::HAS_EMAIL, false),
            ("© 2024 Acme", flag::HAS_COPYRIGHT, true),
            ("Copyright Acme", flag::HAS_COPYRIGHT, true),
            ("$19.99", flag::HAS_PRICE, true),
            ("12,99 €", flag::HAS_PRICE, true),
            ("12,99€", flag::HAS_PRICE, true),
            ("Price in $", flag::HAS_PRICE, false),
            ("March 5, 2024", flag::DATE_LIKE, true),
            ("2024-03-05", flag::DATE_LIKE, true),
            ("05/03/24", flag::DATE_LIKE, true),
            ("3 hours ago", flag::DATE_LIKE, true),
            ("March on, soldiers", flag::DATE_LIKE, false),
            ("1.5.2.4", flag::DATE_LIKE, false),
            ("version 1.2", flag::DATE_LIKE, false),
            ("ja, wirklich", flag::STARTS_LOWER, true),
        ];
        for &(line, bit, want) in table {
            assert_eq!(scan(line).has(bit), want, "{line:?}");
        }
        // A stray continuation byte after a full stop is a character of its
        // own: the line does not end in the full stop.
        let stray: &[u8] = "他说。".as_bytes();
        assert!(scan_line(stray, &mut Vec::new()).has(flag::ENDS_TERMINAL));
        let stray = [stray, b"\x80"].concat();
        assert!(!scan_line(&stray, &mut Vec::new()).has(flag::ENDS_TERMINAL));
    }

    #[test]
    fn a_giant_line_keeps_few_stop_word_sets_and_scales_its_density() {
        let line = "the cat ".repeat(10_000);
        let f = rows(&[(&line, U)]);
        assert_eq!(f.word_sets.len(), MAX_STOP_SETS_PER_LINE as usize);
        assert!((feature(&f, 0, "stop_density") - 0.5).abs() < 1e-3);
    }

    #[test]
    fn stop_word_hits_are_recorded_per_line() {
        let mut sets = Vec::new();
        let a = scan_line(b"the cat and the dog", &mut sets);
        let b = scan_line("и он сказал".as_bytes(), &mut sets);
        assert_eq!(a.stop_start, 0);
        assert_eq!(b.stop_start, a.stop_tokens);
        assert_eq!(sets.len() as u32, a.stop_tokens + b.stop_tokens);
    }

    /// Feature rows of a document given as (line, rule) pairs; blank lines
    /// are "".
    fn rows(doc: &[(&str, RuleMark)]) -> FeatureScratch {
        let mut f = FeatureScratch::default();
        f.begin();
        for &(line, rule) in doc {
            if line.is_empty() {
                f.push_blank();
            } else {
                f.push(line.as_bytes());
                f.mark(f.len() - 1, rule);
            }
        }
        f.finish();
        f
    }

    fn feature(f: &FeatureScratch, row: usize, name: &str) -> f32 {
        let at = FEATURE_NAMES.iter().position(|n| *n == name).unwrap();
        let mut values = [0.0; FEATURE_COUNT];
        f.row_into(row, &mut values);
        values[at]
    }

    const U: RuleMark = RuleMark::Undecided;
    const PROSE: &str = "The committee said on Monday that the new rules would come into force \
                         next year, after a long consultation with the industry and the public.";

    #[test]
    fn neighbours_windows_and_document() {
        let f = rows(&[
            ("Home", RuleMark::Dropped),
            ("News", U),
            ("", U),
            (PROSE, U),
            ("Sport", U),
            (PROSE, U),
        ]);
        assert_eq!(f.len(), 5);
        // The rules' verdicts show as context.
        assert_eq!(f.rule(0), RuleMark::Dropped);
        assert_eq!(feature(&f, 1, "rule_dropped@-1"), 1.0);
        assert_eq!(feature(&f, 1, "log_words@-2"), -1.0, "no line two above");
        assert_eq!(feature(&f, 1, "blank_after"), 1.0);
        assert_eq!(feature(&f, 2, "blank_before"), 1.0);
        // Prose is two lines away from "News", next to "Sport".
        assert_eq!(feature(&f, 1, "prose_distance_below"), 1.0);
        assert_eq!(feature(&f, 3, "prose_distance_above"), 1.0);
        assert_eq!(feature(&f, 3, "prose_distance_below"), 1.0);
        assert_eq!(feature(&f, 2, "prose_distance_above"), 0.0);
        assert_eq!(feature(&f, 1, "duplicates"), 0.0);
        assert_eq!(feature(&f, 2, "duplicates"), 1.0);
        assert_eq!(feature(&f, 2, "doc_language_known"), 1.0);
        assert!(feature(&f, 2, "stop_density") > 0.3);
        assert_eq!(feature(&f, 2, "words_over_longest"), 1.0);
        assert!((feature(&f, 3, "window_rule_dropped") - 0.2).abs() < 1e-6);
    }

    #[test]
    fn justext_context_pass() {
        // A short line between prose is kept (a heading of the article); a
        // short line between prose and a dropped line follows the bad side;
        // a run of short lines at an edge is dropped.
        let f = rows(&[
            ("Menu", U),
            ("Login", U),
            (PROSE, U),
            ("Background", U),
            (PROSE, U),
            ("Tags", U),
            ("Share this", RuleMark::Dropped),
        ]);
        let keep: Vec<f32> = (0..f.len())
            .map(|i| feature(&f, i, "justext_keep"))
            .collect();
        assert_eq!(&keep[..6], &[0.0, 0.0, 1.0, 1.0, 1.0, 0.0]);
        assert_eq!(feature(&f, 2, "justext_class"), 3.0);
        assert_eq!(feature(&f, 3, "justext_class"), 1.0);
    }

    #[test]
    fn shape_runs_and_blocks() {
        let f = rows(&[
            ("Red shoes $20", U),
            ("Blue shoes $25", U),
            ("Green shoes $30", U),
            ("", U),
            (PROSE, U),
        ]);
        assert_eq!(feature(&f, 0, "log_shape_run"), 3f32.ln_1p());
        assert_eq!(feature(&f, 3, "log_shape_run"), 1f32.ln_1p());
        assert_eq!(feature(&f, 1, "log_block_lines"), 3f32.ln_1p());
        assert!((feature(&f, 2, "block_position") - 2.0 / 3.0).abs() < 1e-6);
        assert_eq!(feature(&f, 0, "has_price"), 1.0);
    }
}
