//! JSON Lines records: find the text field's string in the raw line, so that
//! only that span is replaced and every other byte of the record (key order,
//! number formatting, escapes, white space) is written back as it came.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

/// How JSON Lines input is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonlOptions {
    /// The field holding the text to clean.
    pub field: String,
    /// What to do with a record that is not usable.
    pub on_error: OnError,
    /// Add `"kzclean":{"lines_removed":N,"bytes_removed":M}` to each record.
    pub annotate: bool,
    /// The field holding the page's URL, whose site picks the site
    /// profile's counts (read only with a profile).
    pub url_field: String,
}

impl Default for JsonlOptions {
    fn default() -> JsonlOptions {
        JsonlOptions {
            field: "text".to_string(),
            on_error: OnError::Fail,
            annotate: false,
            url_field: "url".to_string(),
        }
    }
}

/// What to do with a record that is not a JSON object with a string field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// Stop at the record, after writing every whole record before it.
    #[default]
    Fail,
    /// Drop the record, count it and go on.
    Skip,
}

/// The text field of one record.
#[derive(Debug, PartialEq, Eq)]
pub struct Field {
    /// Where the field's value (quotes included) is in the line.
    pub span: Range<usize>,
    /// The value, decoded.
    pub text: String,
}

/// Finds `field` in a line holding one JSON object (its terminator may be
/// there). The error says what is wrong with the record, without location.
pub fn locate(line: &[u8], field: &str) -> Result<Field, String> {
    // A UTF-8 byte-order mark before a record (files saved by Windows
    // tools, and files made by concatenating them) is not JSON: the record
    // starts after it, and it stays among the bytes written back as they
    // came.
    let json = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    let mut de = serde_json::Deserializer::from_slice(json);
    let found = FindField { field }
        .deserialize(&mut de)
        .and_then(|found| de.end().map(|()| found))
        .map_err(|e| describe(&e))?;
    let raw = found.ok_or_else(|| {
        format!("no field `{field}` in this record; use --field NAME to name the text field")
    })?;
    let value = raw.get();
    // The value borrows from `json`, part of `line`, so its offset in the
    // line is a pointer difference.
    let start = value.as_ptr() as usize - line.as_ptr() as usize;
    let span = start..start + value.len();
    let kind = match value.as_bytes().first() {
        Some(b'"') => None,
        Some(b'{') => Some("an object"),
        Some(b'[') => Some("an array"),
        Some(b't' | b'f') => Some("a boolean"),
        Some(b'n') => Some("null"),
        _ => Some("a number"),
    };
    if let Some(kind) = kind {
        return Err(format!(
            "field `{field}` is {kind}, not a string; use --field NAME to name the text field"
        ));
    }
    let text = match decode_plain_string(value) {
        Some(text) => text,
        None => serde_json::from_str::<String>(value).map_err(|e| describe(&e))?,
    };
    Ok(Field { span, text })
}

/// Decodes a JSON string that serde_json has already checked (`value` is a
/// raw value: quotes, valid escapes, no raw control characters), in one
/// pass of `memchr` over its backslashes: serde_json's second parse was a
/// tenth of a `--fast` run over small records. `None` for a `\u` escape
/// of a UTF-16 surrogate, left to serde_json to pair or to refuse.
fn decode_plain_string(value: &str) -> Option<String> {
    let inner = value.strip_prefix('"')?.strip_suffix('"')?.as_bytes();
    let mut text = Vec::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(at) = memchr::memchr(b'\\', rest) {
        text.extend_from_slice(&rest[..at]);
        let escaped = *rest.get(at + 1)?;
        let mut skip = 2;
        match escaped {
            b'n' => text.push(b'\n'),
            b't' => text.push(b'\t'),
            b'r' => text.push(b'\r'),
            b'"' | b'\\' | b'/' => text.push(escaped),
            b'b' => text.push(0x08),
            b'f' => text.push(0x0c),
            b'u' => {
                let hex = std::str::from_utf8(rest.get(at + 2..at + 6)?).ok()?;
                let code = u32::from_str_radix(hex, 16).ok()?;
                let c = char::from_u32(code)?; // None for surrogates
                let mut buf = [0; 4];
                text.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                skip = 6;
            }
            _ => return None,
        }
        rest = &rest[at + skip..];
    }
    text.extend_from_slice(rest);
    // Valid: UTF-8 pieces of a `str` cut at ASCII bytes, and whole chars.
    String::from_utf8(text).ok()
}

/// Appends `text` as a JSON string (quotes included), escaped as
/// serde_json escapes it: `"`, `\\` and the control characters only;
/// non-ASCII stays UTF-8. Eight bytes at a time: the per-byte table
/// lookup of serde_json's writer cost a tenth of a `--fast` run over
/// small JSON Lines records.
pub fn write_string(text: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut at = 0;
    while at < bytes.len() {
        if at + 8 <= bytes.len() {
            let mut word = [0; 8];
            word.copy_from_slice(&bytes[at..at + 8]);
            if !needs_escape(u64::from_le_bytes(word)) {
                at += 8;
                continue;
            }
        }
        let b = bytes[at];
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\t' => b"\\t",
            b'\r' => b"\\r",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ],
            _ => {
                at += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[start..at]);
        out.extend_from_slice(escape);
        at += 1;
        start = at;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Whether any of eight bytes is `"`, `\\` or below 0x20 (SWAR: a byte
/// that is zero after XOR, or below 0x20, borrows into its high bit).
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    (has_zero(word ^ (ONES * u64::from(b'"')))
        | has_zero(word ^ (ONES * u64::from(b'\\')))
        | below_space)
        != 0
}

/// A serde_json message without its `at line 1 column N` tail, with the
/// column said plainly (records are one line, so the line is the caller's).
fn describe(e: &serde_json::Error) -> String {
    // serde_json may quote the record (`invalid type: string "…"`).
    let full = crate::error::quote_input(e.to_string().as_bytes());
    let message = full.rfind(" at line ").map_or(&full[..], |i| &full[..i]);
    let mut described = if e.column() > 0 {
        format!("not a valid JSON record: {message} (column {})", e.column())
    } else {
        format!("not a valid JSON record: {message}")
    };
    // serde_json's words for a lone UTF-16 surrogate (`"\ud800"`, which
    // scraped text has now and then) do not say what is wrong.
    if message.contains("surrogate") || message.contains("end of hex escape") {
        described.push_str(
            ": a \\uD800-\\uDFFF escape without its pair is half a character, not text, \
             and cannot be cleaned",
        );
    }
    described
}

/// Walks the top-level object and keeps the raw value of the wanted key.
/// A duplicated key gives its last value, as most JSON readers do.
struct FindField<'f> {
    field: &'f str,
}

impl<'de> DeserializeSeed<'de> for FindField<'_> {
    type Value = Option<&'de RawValue>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FindField<'_> {
    type Value = Option<&'de RawValue>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == self.field {
                found = Some(map.next_value::<&'de RawValue>()?);
            } else {
                // Still parsed in full, so an invalid record is never passed.
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(line: &str) -> Result<(String, String), String> {
        locate(line.as_bytes(), "text").map(|f| (line[f.span].to_string(), f.text))
    }

    #[test]
    fn finds_the_raw_span_and_decodes_it() {
        let line = r#"{"id": 1.50, "text": "a\nb \u00e9 \"q\"", "n": {"text": 3}}"#;
        let (raw, text) = field(line).unwrap();
        assert_eq!(raw, r#""a\nb \u00e9 \"q\"""#);
        assert_eq!(text, "a\nb é \"q\"");
        // Nested keys of the same name are not the field.
        assert_eq!(
            field(r#"{"x":{"text":"no"},"text":"yes"}"#).unwrap().1,
            "yes"
        );
        // An escaped key is still the field.
        assert_eq!(field(r#"{"te\u0078t":"yes"}"#).unwrap().1, "yes");
        assert_eq!(field("{\"text\":\"x\"}\r\n").unwrap().1, "x");
    }

    #[test]
    fn a_byte_order_mark_before_a_record_is_not_part_of_it() {
        let line = "\u{feff}{\"text\":\"\\u00e9\"}\n";
        let (raw, text) = field(line).unwrap();
        assert_eq!((raw.as_str(), text.as_str()), (r#""\u00e9""#, "é"));
        assert_eq!(locate(line.as_bytes(), "text").unwrap().span, 11..19);
        // Only before the record: anywhere else it is still an error.
        assert!(field("{\"text\":\"a\"}\u{feff}").is_err());
        assert!(field("\u{feff}\u{feff}{\"text\":\"a\"}").is_err());
    }

    #[test]
    fn unusable_records_say_why() {
        let err = |l: &str| field(l).unwrap_err();
        assert!(
            err(r#"{"text": "a""#).starts_with("not a valid JSON record"),
            "{}",
            err(r#"{"text": "a""#)
        );
        assert!(
            err("[1]").contains("expected a JSON object"),
            "{}",
            err("[1]")
        );
        assert!(err(r#"{"id":1}"#).contains("no field `text`"));
        assert!(err(r#"{"text":5}"#).contains("is a number, not a string"));
        assert!(err(r#"{"text":null}"#).contains("is null"));
        assert!(err(r#"{"text":"a"} x"#).contains("trailing characters"));
        assert!(err("{\"text\":\"\u{0}\"}").starts_with("not a valid JSON record"));
        for lone in [r#"{"text":"\ud800 a"}"#, r#"{"text":"\udc00"}"#] {
            assert!(
                err(lone).ends_with(
                    "escape without its pair is half a character, not text, and cannot be cleaned"
                ),
                "{}",
                err(lone)
            );
        }
    }

    #[test]
    fn strings_are_written_back_as_json() {
        let mut out = Vec::new();
        write_string("é \"q\"\n\t\\ \u{1}", &mut out);
        assert_eq!(out, r#""é \"q\"\n\t\\ \u0001""#.as_bytes());
        let back: String = serde_json::from_slice(&out).unwrap();
        assert_eq!(back, "é \"q\"\n\t\\ \u{1}");
    }

    /// Strings around the eight-byte steps and every escape kind.
    const AWKWARD: &[&str] = &[
        "",
        "a",
        "abcdefgh",
        "abcdefg\"",
        "abcdefgh\\",
        "\u{0}\u{7}\u{8}\u{b}\u{c}\u{1f} \u{7f}",
        "line one\r\nline two\n\ttab/slash",
        "ünïcödé ✓ 𝄞 and \"quotes\" over more than eight bytes",
        "\\\\\\\\\\",
    ];

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for text in AWKWARD {
            let mut out = Vec::new();
            write_string(text, &mut out);
            assert_eq!(out, serde_json::to_vec(text).unwrap(), "{text:?}");
        }
    }

    #[test]
    fn strings_are_decoded_as_serde_json_decodes_them() {
        let escaped = [
            r#""plain""#,
            r#""a\nb\tc\rd\\e\"f\/g\bh\fi""#,
            r#""\u00e9\u0001\u20AC\u0000 tail""#,
            r#""pair \ud834\udd1e kept""#,
            r#""\\\\""#,
        ];
        for value in escaped {
            let record = format!(r#"{{"text":{value}}}"#);
            let decoded = locate(record.as_bytes(), "text").unwrap().text;
            assert_eq!(
                decoded,
                serde_json::from_str::<String>(value).unwrap(),
                "{value}"
            );
        }
        for text in AWKWARD {
            let record = format!(r#"{{"text":{}}}"#, serde_json::to_string(text).unwrap());
            assert_eq!(locate(record.as_bytes(), "text").unwrap().text, *text);
        }
    }

    proptest::proptest! {
        #[test]
        fn any_string_round_trips_as_serde_json_writes_it(text in "(?s).{0,40}") {
            let mut out = Vec::new();
            write_string(&text, &mut out);
            proptest::prop_assert_eq!(&out, &serde_json::to_vec(&text).unwrap());
            let record = format!(r#"{{"text":{}}}"#, String::from_utf8(out).unwrap());
            proptest::prop_assert_eq!(locate(record.as_bytes(), "text").unwrap().text, text);
        }
    }
}
