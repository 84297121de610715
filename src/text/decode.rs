//! UTF-8 decoding that never fails: dumps hold invalid bytes, and every
//! byte of them must still be walked.

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
