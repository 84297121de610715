//! Line features: numbers that describe one line, computed in one pass over
//! its bytes without allocating.

/// Decodes the UTF-8 character starting at `bytes[i]`: (char, byte length).
/// Invalid or truncated sequences yield U+FFFD for one byte, so any input is
/// walked to its end.
#[inline]
pub fn decode_char(bytes: &[u8], i: usize) -> (char, usize) {
    let b0 = bytes[i];
    if b0 < 0x80 {
        return (b0 as char, 1);
    }
    let (len, init) = match b0 {
        0xC2..=0xDF => (2, (b0 & 0x1F) as u32),
        0xE0..=0xEF => (3, (b0 & 0x0F) as u32),
        0xF0..=0xF4 => (4, (b0 & 0x07) as u32),
        _ => return (char::REPLACEMENT_CHARACTER, 1),
    };
    if i + len > bytes.len() {
        return (char::REPLACEMENT_CHARACTER, 1);
    }
    let mut cp = init;
    for &b in &bytes[i + 1..i + len] {
        if b & 0xC0 != 0x80 {
            return (char::REPLACEMENT_CHARACTER, 1);
        }
        cp = (cp << 6) | (b & 0x3F) as u32;
    }
    match char::from_u32(cp) {
        // Reject overlong encodings, as a strict decoder would.
        Some(c) if c.len_utf8() == len => (c, len),
        _ => (char::REPLACEMENT_CHARACTER, 1),
    }
}

/// Scripts written without spaces between words: Han, kana, Thai, Lao,
/// Khmer, Myanmar. Hangul is written with spaces and is not included.
#[inline]
pub fn is_unspaced_script(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF     // Thai, Lao
        | 0x1000..=0x109F   // Myanmar
        | 0x1780..=0x17FF   // Khmer
        | 0x3040..=0x30FF   // Hiragana, Katakana
        | 0x3400..=0x4DBF   // CJK Extension A
        | 0x4E00..=0x9FFF   // CJK Unified Ideographs
        | 0xF900..=0xFAFF   // CJK Compatibility Ideographs
        | 0x20000..=0x2FA1F // CJK Extensions B..
    )
}

/// The number of words in a line: white-space separated tokens, where text in
/// unspaced scripts (Chinese, Japanese, Thai, …) counts one word per two
/// characters, so that a Chinese paragraph is not "one word".
pub fn count_words(line: &[u8]) -> u32 {
    let mut words = 0u32;
    let mut unspaced = 0u32;
    let mut in_token = false;
    let mut token_has_spaced_text = false;
    let mut i = 0;
    while i < line.len() {
        let b = line[i];
        if b < 0x80 {
            i += 1;
            if b.is_ascii_whitespace() {
                if in_token && token_has_spaced_text {
                    words += 1;
                }
                in_token = false;
                token_has_spaced_text = false;
            } else {
                in_token = true;
                token_has_spaced_text = true;
            }
            continue;
        }
        let (c, len) = decode_char(line, i);
        i += len;
        if c == '\u{a0}' || c == '\u{3000}' {
            if in_token && token_has_spaced_text {
                words += 1;
            }
            in_token = false;
            token_has_spaced_text = false;
        } else if is_unspaced_script(c) {
            unspaced += 1;
            in_token = true;
        } else {
            in_token = true;
            token_has_spaced_text = true;
        }
    }
    if in_token && token_has_spaced_text {
        words += 1;
    }
    words + unspaced.div_ceil(2)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
