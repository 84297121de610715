//! Word counting: the unit of rules' `words<=N` and of the classifier's
//! lengths.

use super::decode::{decode_char, is_unspaced_script};

/// Bit k set when `chunk[k]` is ASCII white space (space, \t, \n, \x0c, \r).
#[cfg(target_arch = "x86_64")]
#[inline]
fn space_mask(chunk: &[u8; 16]) -> u32 {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of every x86-64 CPU; sixteen bytes are read from
    // an array of sixteen.
    unsafe {
        let v = _mm_loadu_si128(chunk.as_ptr().cast());
        let eq = |b: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8));
        let spaces = _mm_or_si128(
            _mm_or_si128(eq(b' '), eq(b'\t')),
            _mm_or_si128(_mm_or_si128(eq(b'\n'), eq(b'\x0c')), eq(b'\r')),
        );
        _mm_movemask_epi8(spaces) as u32
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn space_mask(chunk: &[u8; 16]) -> u32 {
    let mut spaces = 0u32;
    for (k, &b) in chunk.iter().enumerate() {
        spaces |= u32::from(matches!(b, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r')) << k;
    }
    spaces
}

/// The number of words in a line: white-space separated tokens, where text in
/// unspaced scripts (Chinese, Japanese, Thai, …) counts one word per two
/// characters, so that a Chinese paragraph is not "one word".
pub fn count_words(line: &[u8]) -> u32 {
    let mut count = WordCount::default();
    let mut i = 0;
    while i < line.len() {
        // Sixteen ASCII bytes at once (most of a line in a Latin script):
        // a space after a non-space ends a token that has spaced text.
        if let Some(chunk) = line.get(i..i + 16) {
            let chunk: &[u8; 16] = chunk.try_into().expect("sixteen bytes");
            if u128::from_le_bytes(*chunk) & 0x8080_8080_8080_8080_8080_8080_8080_8080 == 0 {
                let spaces = space_mask(chunk);
                count.words += (spaces & (!spaces << 1)).count_ones();
                if spaces & 1 == 1 && count.in_token && count.token_has_spaced_text {
                    count.words += 1;
                }
                let ends_in_token = spaces >> 15 == 0;
                count.in_token = ends_in_token;
                count.token_has_spaced_text = ends_in_token;
                i += 16;
                continue;
            }
        }
        let b = line[i];
        if b < 0x80 {
            i += 1;
            count.add_ascii(b);
            continue;
        }
        let (c, len) = decode_char(line, i);
        i += len;
        count.add(c);
    }
    count.total()
}

/// [`count_words`]' count, one character at a time: tokens separated by
/// white space with some spaced text, and two characters of an unspaced
/// script for a word.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WordCount {
    words: u32,
    unspaced: u32,
    in_token: bool,
    token_has_spaced_text: bool,
}

impl WordCount {
    #[inline]
    pub(crate) fn add_ascii(&mut self, b: u8) {
        if b.is_ascii_whitespace() {
            self.end_token();
        } else {
            self.in_token = true;
            self.token_has_spaced_text = true;
        }
    }

    #[inline]
    pub(crate) fn end_token(&mut self) {
        if self.in_token && self.token_has_spaced_text {
            self.words += 1;
        }
        self.in_token = false;
        self.token_has_spaced_text = false;
    }

    #[inline]
    pub(crate) fn add(&mut self, c: char) {
        if c.is_ascii_whitespace() || c == '\u{a0}' || c == '\u{3000}' {
            self.end_token();
        } else if is_unspaced_script(c) {
            self.unspaced += 1;
            self.in_token = true;
        } else {
            self.in_token = true;
            self.token_has_spaced_text = true;
        }
    }

    pub(crate) fn total(self) -> u32 {
        let last = u32::from(self.in_token && self.token_has_spaced_text);
        self.words + last + self.unspaced.div_ceil(2)
    }
}
