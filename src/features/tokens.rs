//! Characters and tokens: their classes, and what a token says of its line
//! (case, stop words, e-mail, price and date shapes, web addresses).

use super::facts::{LineScan, MAX_STOP_SETS_PER_LINE, flag};
use super::stopwords::{self, Entry, MAX_WORD_BYTES, SetId, Table};
use crate::text::{CharTable, decode_char, is_unspaced_script};

pub(super) const SPACE: u8 = 1;
pub(super) const ALPHA: u8 = 1 << 1;
pub(super) const UPPER: u8 = 1 << 2;
pub(super) const LOWER: u8 = 1 << 3;
pub(super) const NUMERIC: u8 = 1 << 4;
pub(super) const UNSPACED: u8 = 1 << 5;
/// A character that [`count_words`](crate::text::count_words) sees
/// otherwise than the scan: white space it does not split at (`\x0b`,
/// U+2000..), or a character of an unspaced script (letter or not). A line
/// without one has as many words as white-space tokens.
pub(super) const WORDS_DIFFER: u8 = 1 << 6;

pub(super) const ASCII_CLASS: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        // As `char::is_whitespace`, which (unlike `is_ascii_whitespace`)
        // includes the vertical tab.
        if matches!(c, b'\t'..=b'\r' | b' ') {
            table[b] |= SPACE;
        }
        if c == b'\x0b' {
            table[b] |= WORDS_DIFFER;
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

pub(super) fn class_of(c: char) -> u8 {
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
    let splits_words = c.is_ascii_whitespace() || c == '\u{a0}' || c == '\u{3000}';
    if (c.is_whitespace() && !splits_words) || is_unspaced_script(c) {
        class |= WORDS_DIFFER;
    }
    class
}

/// The last character of a non-empty token as a decoder reading forwards
/// from its start sees it: a stray continuation byte at the end is a
/// character of its own (U+FFFD), not the end of the character before.
pub(super) fn final_char(token: &[u8]) -> char {
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
pub(super) fn mark_class(class: u8, bytes: u64, space: &mut u64, word: &mut u64, digit: &mut u64) {
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
pub(super) fn other_char_facts(c: char, class: u8, s: &mut LineScan) {
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
pub(super) fn char_counts(c: char, class: u8, s: &mut LineScan) {
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
pub(super) fn char_at(text: &[u8], i: usize) -> (char, usize, u8) {
    let b = text[i];
    if b < 0x80 {
        (b as char, 1, ASCII_CLASS[usize::from(b)])
    } else {
        let (c, len) = decode_char(text, i);
        (c, len, other_class(c))
    }
}

/// [`class_of`] by table (see [`CharTable`]).
pub(super) static CLASSES: CharTable<u8> = CharTable::new(class_of, 0);

#[inline]
pub(super) fn other_class(c: char) -> u8 {
    CLASSES.get(c)
}

/// The flags of a line's first character that is not white space.
pub(super) fn first_char_flags(text: &[u8], s: &mut LineScan) {
    // Most lines start with an ASCII letter: no bullet, no number.
    if let Some(&b) = text.first()
        && b.is_ascii_alphabetic()
    {
        if b.is_ascii_lowercase() {
            s.flags |= flag::STARTS_LOWER;
        }
        return;
    }
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
pub(super) fn symbol_facts(c: char, s: &mut LineScan) {
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
pub(super) fn is_bullet(c: char) -> bool {
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
#[inline(always)]
pub(super) fn finish_line_token(
    text: &[u8],
    start: usize,
    end: usize,
    ascii: bool,
    s: &mut LineScan,
    table: &Table,
    stops: &mut StopWords,
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
    // On an ASCII line, no second check of the token's bytes; on another
    // line, the sixteen bytes loaded anyway say whether the token is ASCII
    // (most tokens of a line with a curly quote or a dash are).
    if end - start <= 16 {
        let bytes = load_short(text, start, end);
        if ascii || bytes & HIGH_BITS == 0 {
            return finish_short_ascii_token(bytes, &text[start..end], s, table, stops);
        }
    }
    finish_token(text, start, end, s, table, stops);
}

/// The top bit of each of sixteen bytes: set in a byte beyond ASCII.
const HIGH_BITS: u128 = 0x8080_8080_8080_8080_8080_8080_8080_8080;

/// Facts of the white-space token `text[start..end]`: stop words, title
/// case, e-mail, price, date shapes, URL endings. (The line is passed, not
/// just the token, so that a short token can be read sixteen bytes at once.)
#[inline]
pub(super) fn finish_token(
    text: &[u8],
    start: usize,
    end: usize,
    s: &mut LineScan,
    table: &Table,
    stops: &mut StopWords,
) {
    let token = &text[start..end];
    if token.len() <= 16 && token.is_ascii() {
        return finish_short_ascii_token(load_short(text, start, end), token, s, table, stops);
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
        stops.look_up_now(table, word, s);
        url_facts(word, has_dot, s);
    }
    token_facts(token, s);
}

/// The bytes of `text[start..end]` (1 to 16 bytes) as a little-endian
/// integer, zero above the token: one unaligned load where the line has
/// sixteen bytes on either side of the token's start or end.
#[inline]
pub(super) fn load_short(text: &[u8], start: usize, end: usize) -> u128 {
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
pub(super) fn low_bytes(len: usize) -> u128 {
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
pub(super) struct ShortToken {
    pub(super) lowered: u128,
    pub(super) alnum: u32,
    pub(super) alpha: u32,
    pub(super) upper: u32,
    pub(super) digit: u32,
    pub(super) at: u32,
    pub(super) dot: u32,
}

#[cfg(target_arch = "x86_64")]
#[inline]
pub(super) fn short_token_classes(bytes: u128) -> ShortToken {
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
pub(super) fn short_token_classes_by_byte(bytes: u128) -> ShortToken {
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
pub(super) fn short_token_classes(bytes: u128) -> ShortToken {
    short_token_classes_by_byte(bytes)
}

/// [`finish_token`] for a token of at most 16 ASCII bytes (most tokens),
/// given as [`load_short`] read it: the same facts from the byte classes of
/// one sixteen-byte compare, the word lowercased and looked up in place,
/// and the rarer checks (e-mail, dates, web addresses) only for tokens
/// that hold an `@`, a digit or a dot.
// Inlined into the scan's loop over token ends: a call per token cost
// more than the body's copies.
#[inline(always)]
pub(super) fn finish_short_ascii_token(
    bytes: u128,
    token: &[u8],
    s: &mut LineScan,
    table: &Table,
    stops: &mut StopWords,
) {
    let t = short_token_classes(bytes);
    s.tokens += 1;
    // Most tokens of prose are letters, lowercase but for the first, and
    // perhaps one mark after them (`the`, `The`, `said,`, `end.`): the
    // word is the token as loaded (its first letter lowercased, the mark
    // cut off), and there is no dot in it, no `@` before its end, no digit
    // and no currency code to look at.
    let full = (1u32 << token.len()) - 1;
    if t.upper & !1 == 0
        && t.alnum == t.alpha
        && t.alpha != 0
        && (t.alpha == full || t.alpha == full >> 1)
    {
        s.alpha_tokens += 1;
        s.title_tokens += t.upper;
        let len = t.alpha.count_ones() as usize;
        // `t.upper` is 1 exactly when the first byte is a capital.
        let word = (bytes | (u128::from(t.upper) * 0x20)) & low_bytes(len);
        stops.look_up(table, word, len, s);
        return;
    }
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
        stops.look_up(table, word, len, s);
        let has_dot = t.dot != 0 && (t.dot >> start) & ((1 << len) - 1) != 0;
        url_facts(&word.to_le_bytes()[..len], has_dot, s);
        // The table marks these three as currencies (`MARKED_WORDS`): the
        // token alone tells, without waiting for its lookup.
        if matches!(token, b"EUR" | b"USD" | b"GBP") {
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

/// The stop words of a document, looked up a few words at a time. One
/// word at a time, each lookup (a hash, a load from the Bloom filter, for
/// most words of prose a load from the table) waits on its loads between
/// the token's other work, and the branch on the filter's answer is
/// mispredicted for a good share of words; in a batch, the filter's loads
/// overlap and carry no branch. The language sets found are appended to
/// `sets` in the order of the words, as one at a time would.
#[derive(Debug, Clone, Default)]
pub struct StopWords {
    /// The language set of each stop word found, in order.
    pub(super) sets: Vec<SetId>,
    /// Short keys ([`stopwords::short_key`]) waiting for their lookup:
    /// kept with the sets, so that no line zeroes a buffer of its own.
    pending: [u128; PENDING],
    len: usize,
}

/// Words looked up together, at most.
const PENDING: usize = stopwords::MAX_BATCH;

impl StopWords {
    /// Looks `word` (`len` bytes, lowercased, as a little-endian integer)
    /// up, now or with the next batch; its facts reach `s` by the time
    /// [`StopWords::flush`] returns.
    #[inline(always)]
    pub(super) fn look_up(&mut self, table: &Table, word: u128, len: usize, s: &mut LineScan) {
        if len < 16 {
            if self.len == PENDING {
                self.flush(table, s);
            }
            self.pending[self.len] = stopwords::short_key(word, len);
            self.len += 1;
        } else {
            self.look_up_now(table, &word.to_le_bytes(), s);
        }
    }

    /// Looks `word` (normalised) up at once, after the words waiting, so
    /// that the sets stay in the order of the words.
    #[inline]
    pub(super) fn look_up_now(&mut self, table: &Table, word: &[u8], s: &mut LineScan) {
        self.flush(table, s);
        entry_facts(table.entry(word), s, &mut self.sets);
    }

    /// Looks up the words waiting, and records what they are.
    #[inline]
    pub(super) fn flush(&mut self, table: &Table, s: &mut LineScan) {
        let waiting = &self.pending[..std::mem::take(&mut self.len)];
        let sets = &mut self.sets;
        table.short_entries(waiting, |_, entry| entry_facts(entry, s, sets));
    }
}

/// Facts of a word from its table entry: its stoplists, and its marks
/// (month names, copyright).
#[inline(always)]
pub(super) fn entry_facts(entry: Entry, s: &mut LineScan, word_sets: &mut Vec<SetId>) {
    let id = (entry & stopwords::ENTRY_SET) as SetId;
    if id != 0 {
        s.stop_tokens += 1;
        if s.stop_tokens <= MAX_STOP_SETS_PER_LINE {
            word_sets.push(id);
        }
    }
    s.flags |=
        (entry >> stopwords::ENTRY_FLAGS_SHIFT) as u16 & (flag::DATE_LIKE | flag::HAS_COPYRIGHT);
}

/// A normalised word that ends like a web address, or starts like one.
#[inline(always)]
pub(super) fn url_facts(word: &[u8], has_dot: bool, s: &mut LineScan) {
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
pub(super) fn token_facts(token: &[u8], s: &mut LineScan) {
    email_facts(token, s);
    if is_numeric_date(token) {
        s.flags |= flag::DATE_LIKE;
    }
}

/// An `@` after the first byte with a dot after it: an e-mail address.
#[inline]
pub(super) fn email_facts(token: &[u8], s: &mut LineScan) {
    if let Some(at) = memchr::memchr(b'@', token)
        && at > 0
        && memchr::memchr(b'.', &token[at..]).is_some()
    {
        s.flags |= flag::HAS_EMAIL;
    }
}

/// `2024-05-01`, `01/05/2024`, `1.5.24`: three digit groups joined by one of
/// `-/.`, optionally wrapped in punctuation.
pub(super) fn is_numeric_date(token: &[u8]) -> bool {
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

pub(super) fn starts_with_number(text: &[u8]) -> bool {
    let rest = text.strip_prefix(b"(").unwrap_or(text);
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    (1..=3).contains(&digits)
        && matches!(rest.get(digits), Some(b'.' | b')'))
        && rest.get(digits + 1).is_none_or(|b| b.is_ascii_whitespace())
}

pub(super) fn trim_white(text: &[u8]) -> &[u8] {
    let text = text.trim_ascii();
    let text = text.strip_prefix("\u{a0}".as_bytes()).unwrap_or(text);
    text.strip_suffix("\u{a0}".as_bytes()).unwrap_or(text)
}
