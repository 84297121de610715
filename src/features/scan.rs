//! One pass over a line's bytes: the facts of [`LineScan`], sixty-four
//! bytes at a time for ASCII, character by character beyond it.

use super::facts::{LineScan, flag};
use super::stopwords::{self, Table};
use super::tokens::{
    ALPHA, NUMERIC, SPACE, StopWords, WORDS_DIFFER, char_at, char_counts, final_char,
    finish_line_token, finish_token, first_char_flags, mark_class, other_char_facts, trim_white,
};
use crate::text::{WordCount, count_words, decode_char};

/// Scans one line's content (not blank). Stop-word hits (language sets of the
/// tokens found in some stoplist) are appended to `stops`.
pub fn scan_line(text: &[u8], stops: &mut StopWords) -> LineScan {
    // The table once per line, not a check of its initialisation per word.
    let table = stopwords::table();
    #[cfg(target_arch = "x86_64")]
    if *HAS_AVX2 {
        // SAFETY: the CPU has the features scan_line_avx2 enables (HAS_AVX2).
        return unsafe { scan_line_avx2(text, table, stops) };
    }
    scan_line_with(text, table, stops, block_masks)
}

/// Whether the CPU has what [`scan_line_avx2`] enables: one check per line
/// rather than five.
#[cfg(target_arch = "x86_64")]
static HAS_AVX2: std::sync::LazyLock<bool> = std::sync::LazyLock::new(|| {
    std::is_x86_feature_detected!("avx2")
        && std::is_x86_feature_detected!("popcnt")
        && std::is_x86_feature_detected!("bmi1")
        && std::is_x86_feature_detected!("bmi2")
        && std::is_x86_feature_detected!("lzcnt")
});

/// [`scan_line`] with 32-byte compares for the block masks and one
/// instruction per popcount (without POPCNT, each of the dozen counts per
/// 64 bytes is a dozen instructions), per zero count (tokens' edges and
/// words) and per variable shift (BMI). The same counts. Every CPU with
/// AVX2 has the others.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt,bmi1,bmi2,lzcnt")]
fn scan_line_avx2(text: &[u8], table: &Table, stops: &mut StopWords) -> LineScan {
    // The closure has this function's target features.
    scan_line_with(text, table, stops, |block| block_masks_avx2(block))
}

#[inline(always)]
pub(super) fn scan_line_with(
    text: &[u8],
    table: &Table,
    stops: &mut StopWords,
    masks_of: impl Fn(&[u8; 64]) -> BlockMasks,
) -> LineScan {
    let mut s = LineScan {
        stop_start: stops.sets.len() as u32,
        ..LineScan::default()
    };
    let untrimmed = text;
    let text = trim_white(text);
    s.hash = crate::text::hash_bytes(text);
    // The block scan says, from its first block's masks, whether the line
    // is largely beyond ASCII (Cyrillic, Chinese, …: over a third of its
    // first 64 bytes); such lines go character by character, as the block
    // scan would decode nearly every character anyway, at a higher cost
    // per character (6% more instructions on such lines).
    let has_digit_anywhere = match scan_blocks_with(text, true, &mut s, table, stops, &masks_of) {
        Some(BlockScan {
            has_digit,
            other_classes,
            vertical_tab,
        }) => {
            // Without a character that count_words sees otherwise (nor a
            // vertical tab), its words are the scan's tokens: no second
            // pass (nearly every line).
            s.words = if other_classes & WORDS_DIFFER == 0 && !vertical_tab {
                s.tokens
            } else {
                count_words(untrimmed)
            };
            has_digit
        }
        // Counts the words too: the white space trimmed counts as none.
        None => scan_any_with(text, &mut s, table, stops),
    };
    // The words' marks (month names) are in before the check below.
    stops.flush(table, &mut s);
    if !has_digit_anywhere {
        // Dates and prices need a digit; month names alone are not dates.
        s.flags &= !(flag::DATE_LIKE | flag::HAS_PRICE);
    }
    if !text.is_empty() {
        // Most lines end with an ASCII byte: no decoding backwards.
        let last = match text.last() {
            Some(&b) if b < 0x80 => char::from(b),
            _ => final_char(text),
        };
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
#[cfg(test)]
pub(super) fn scan_any(
    text: &[u8],
    s: &mut LineScan,
    table: &Table,
    stops: &mut StopWords,
) -> bool {
    let has_digit = scan_any_with(text, s, table, stops);
    stops.flush(table, s);
    has_digit
}

/// [`scan_any`], its stop words looked up through `stops` (some may still
/// wait there when it returns).
pub(super) fn scan_any_with(
    text: &[u8],
    s: &mut LineScan,
    table: &Table,
    stops: &mut StopWords,
) -> bool {
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
                finish_token(text, start, at, s, table, stops);
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
        finish_token(text, start, text.len(), s, table, stops);
    }
    s.words = words.total();
    s.digits > 0
}

/// Byte classes of 64 bytes of a line, one bit per byte (bit k: byte k).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct BlockMasks {
    /// ASCII white space as `char::is_whitespace` (`\t`..`\r`, space).
    pub(super) space: u64,
    pub(super) upper: u64,
    pub(super) lower: u64,
    pub(super) digit: u64,
    pub(super) underscore: u64,
    pub(super) comma: u64,
    /// `|` and `/`.
    pub(super) separator: u64,
    /// `$`: a price, if the line has a digit.
    pub(super) dollar: u64,
    /// `:`, which needs a closer look (`://`).
    pub(super) colon: u64,
    /// `\x0b`, white space that count_words does not split at.
    pub(super) vtab: u64,
    /// Bytes of characters beyond ASCII (0x80 and above).
    pub(super) high: u64,
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) fn block_masks(block: &[u8; 64]) -> BlockMasks {
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
                mask(eq(b'$')),
                mask(eq(b':')),
                mask(eq(b'\x0b')),
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
        m.dollar |= bits[7] << shift;
        m.colon |= bits[8] << shift;
        m.vtab |= bits[9] << shift;
        m.high |= bits[10] << shift;
    }
    m
}

/// [`block_masks`] by 32-byte compares.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
pub(super) fn block_masks_avx2(block: &[u8; 64]) -> BlockMasks {
    use std::arch::x86_64::*;
    let mut m = BlockMasks::default();
    for (part, chunk) in block.chunks_exact(32).enumerate() {
        // SAFETY: thirty-two bytes are read from a chunk of thirty-two.
        let v = unsafe { _mm256_loadu_si256(chunk.as_ptr().cast()) };
        let eq = |b: u8| _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b as i8));
        // `lo <= v <= hi` exactly when (v - lo) mod 256 <= hi - lo.
        let within = |lo: u8, hi: u8| {
            let d = _mm256_sub_epi8(v, _mm256_set1_epi8(lo as i8));
            _mm256_cmpeq_epi8(_mm256_min_epu8(d, _mm256_set1_epi8((hi - lo) as i8)), d)
        };
        let mask = |x: __m256i| _mm256_movemask_epi8(x) as u32 as u64;
        let shift = 32 * part;
        m.space |= mask(_mm256_or_si256(within(b'\t', b'\r'), eq(b' '))) << shift;
        m.upper |= mask(within(b'A', b'Z')) << shift;
        m.lower |= mask(within(b'a', b'z')) << shift;
        m.digit |= mask(within(b'0', b'9')) << shift;
        m.underscore |= mask(eq(b'_')) << shift;
        m.comma |= mask(eq(b',')) << shift;
        m.separator |= mask(_mm256_or_si256(eq(b'|'), eq(b'/'))) << shift;
        m.dollar |= mask(eq(b'$')) << shift;
        m.colon |= mask(eq(b':')) << shift;
        m.vtab |= mask(eq(b'\x0b')) << shift;
        m.high |= mask(v) << shift;
    }
    m
}

#[cfg(any(test, not(target_arch = "x86_64")))]
pub(super) fn block_masks_by_byte(block: &[u8; 64]) -> BlockMasks {
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
        m.dollar |= bit(b == b'$');
        m.colon |= bit(b == b':');
        m.vtab |= bit(b == b'\x0b');
        m.high |= bit(b >= 0x80);
    }
    m
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
pub(super) fn block_masks(block: &[u8; 64]) -> BlockMasks {
    block_masks_by_byte(block)
}

/// The per-character facts of a trimmed line (see [`scan_any`], which
/// defines them), 64 bytes at a time: byte classes as bit masks, counts by
/// popcount, `\w` runs and tokens from the masks' edges, each token's word
/// facts through [`finish_token`]. Characters beyond ASCII (a curly quote
/// or a dash in an English paragraph; every letter of a Russian one) are
/// decoded one by one, their counts added and their bytes marked in the
/// masks. Returns whether the line holds a digit, and the classes of its
/// characters beyond ASCII, ORed.
#[cfg(test)]
pub(super) fn scan_blocks(text: &[u8], s: &mut LineScan, stops: &mut StopWords) -> (bool, u8) {
    let table = stopwords::table();
    let scan = scan_blocks_with(text, false, s, table, stops, &block_masks);
    stops.flush(table, s);
    match scan {
        Some(scan) => (scan.has_digit, scan.other_classes),
        None => unreachable!("the scan bails out only when asked to"),
    }
}

/// What [`scan_blocks_with`] says of a line beyond `LineScan`.
pub(super) struct BlockScan {
    pub(super) has_digit: bool,
    /// The classes of the line's characters beyond ASCII, ORed.
    pub(super) other_classes: u8,
    pub(super) vertical_tab: bool,
}

/// [`scan_blocks`] with the block masks of `masks_of`. With `bail`, returns
/// `None` and leaves `s` and `stops` alone if over a third of the first
/// 64 bytes are beyond ASCII (for [`scan_any`]). Some stop words may still
/// wait in `stops` when it returns.
#[inline(always)]
fn scan_blocks_with(
    text: &[u8],
    bail: bool,
    s: &mut LineScan,
    table: &Table,
    stops: &mut StopWords,
    masks_of: &impl Fn(&[u8; 64]) -> BlockMasks,
) -> Option<BlockScan> {
    // Carried from one block to the next: the last byte was a word
    // character / not white space; a run of digits that began a `\w` run
    // reached the block's end; a character's bytes that went past it.
    let (mut word_before, mut token_before, mut digits_carry) = (0u64, 0u64, 0u64);
    let (mut spill, mut spill_class) = (0usize, 0u8);
    // `$` anywhere; `:` followed by a `/` (or at a block's end): a
    // possible `://`; the bytes beyond ASCII and vertical tabs so far.
    let (mut any_dollar, mut colon_slash, mut high_seen, mut any_vtab) = (0u64, 0u64, 0u64, 0u64);
    let mut other_classes = 0u8;
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
        let m = masks_of(block);
        if index == 0 {
            // The bytes beyond ASCII of the (zero-padded) first block.
            if bail && m.high.count_ones() as usize * 3 > chunk.len() {
                return None;
            }
            // Most lines start with an ASCII letter: its flag from the
            // masks, no call.
            if (m.upper | m.lower) & 1 != 0 {
                s.flags |= (m.lower & 1) as u16 * flag::STARTS_LOWER;
            } else {
                first_char_flags(text, s);
            }
        }
        high_seen |= m.high;
        // A token's bytes are all in this block or those before.
        let ascii = high_seen == 0;
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
        any_dollar |= m.dollar;
        colon_slash |= m.colon & (m.separator >> 1 | 1 << 63);
        any_vtab |= m.vtab;
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
            other_classes |= class;
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
                finish_line_token(text, token_start, base + at, ascii, s, table, stops);
            }
        }
        word_before = word >> 63;
        token_before = nonspace >> 63;
    }
    // The line ends inside a token, or with a numeric run, at a block's end.
    if token_before != 0 {
        finish_line_token(
            text,
            token_start,
            text.len(),
            high_seen == 0,
            s,
            table,
            stops,
        );
    }
    s.numeric_runs += digits_carry as u32;
    if any_dollar != 0 {
        s.flags |= flag::HAS_PRICE;
    }
    if colon_slash != 0 && memchr::memmem::find(text, b"://").is_some() {
        s.flags |= flag::HAS_URL;
    }
    Some(BlockScan {
        has_digit: s.digits > 0,
        other_classes,
        vertical_tab: any_vtab != 0,
    })
}

// Character classes, as bits: one table lookup for ASCII, [`class_of`]
// (the `char` methods, by table: see [`other_class`]) for the rest.
