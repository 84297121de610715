//! WARC files of text, as Common Crawl's WET files: records framed by their
//! `Content-Length` (never by searching for the next `WARC/1.0`), read one
//! at a time; each `conversion` record's block is a page.
//!
//! A record is a version line (`WARC/1.0` or `WARC/1.1`), header lines
//! (`Name: value`, ending in CRLF; LF alone is accepted), a blank line,
//! exactly `Content-Length` bytes of block, then CRLF CRLF. Blank lines
//! between records are passed over. Offsets count the bytes of the input as
//! read, that is after decompression (a `.gz` file holds one gzip member
//! per record, which the reader sees as one stream).

use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use super::jsonl::OnError;
use crate::document::{Limits, content};
use crate::error::quote_input;

/// How WET input is read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WetOptions {
    /// What to do with a conversion record that cannot be used (a field
    /// missing, a block over the size limit) when its framing is sound.
    pub on_error: OnError,
    /// Add `"kzclean":{"lines_removed":N,"bytes_removed":M}` to each record.
    pub annotate: bool,
}

/// The page of a `conversion` record: its header fields and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// `WARC-Record-ID`, as it came (`<urn:uuid:…>`).
    pub id: String,
    /// `WARC-Target-URI`.
    pub url: String,
    /// `WARC-Date`.
    pub date: String,
    /// `WARC-Identified-Content-Language`, when the record has one.
    pub language: Option<String>,
    /// The block: the page's text.
    pub text: Vec<u8>,
}

/// A `conversion` record: its page, or why it cannot be used. Either way
/// its framing was sound, so the records after it can still be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Offset of its `WARC/` line in the input (after decompression).
    pub offset: u64,
    /// The page, or what is wrong with the record (a field missing, a
    /// block over the size limit).
    pub page: Result<Page, String>,
}

/// A record's header may hold at most this many bytes: Common Crawl's are
/// under 1 KB; a file that is not WARC must not be read whole as a header.
pub const MAX_HEADER_BYTES: usize = 256 * 1024;

/// The largest block cleaned: the document size limit ([`Limits`]). A
/// larger conversion record is passed over unread (its framing holds) and
/// reported as unusable; Common Crawl cuts fetched pages at 1 MiB, so a
/// real WET page is far below it.
pub const MAX_BLOCK_BYTES: u64 = Limits::DEFAULT.bytes as u64;

/// True for a file name that says WET: ending in `.wet`, or `.wet`
/// followed by `.gz` or `.zst` (`.warc.wet.gz` included), case ignored.
pub fn is_wet_name(path: &Path) -> bool {
    wet_stem(path).is_some()
}

/// The output name for a WET input under `-r`: the `.warc.wet` (or `.wet`)
/// part of its name replaced by `.jsonl`, compression kept
/// (`CC-MAIN-…-00000.warc.wet.gz` → `CC-MAIN-…-00000.jsonl.gz`); `None`
/// when the name is not a WET name.
pub fn jsonl_name(path: &Path) -> Option<std::path::PathBuf> {
    let (stem, compression) = wet_stem(path)?;
    Some(path.with_file_name(format!("{stem}.jsonl{compression}")))
}

/// The name before `.warc.wet`/`.wet`, and the compression suffix after it.
fn wet_stem(path: &Path) -> Option<(&str, &str)> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    let compression = [".gz", ".zst", ""]
        .into_iter()
        .find(|c| lower.ends_with(c))
        .unwrap_or("");
    let rest = &lower[..lower.len() - compression.len()];
    let wet = [".warc.wet", ".wet"]
        .into_iter()
        .find(|w| rest.ends_with(w) && rest.len() > w.len())?;
    let stem_len = rest.len() - wet.len();
    // Lowercasing ASCII keeps byte positions, so they hold in `name`.
    Some((&name[..stem_len], &name[rest.len()..]))
}

/// The header fields kept, by their index in [`FIELDS`]; the others are
/// read over.
const ID: usize = 2;
const URL: usize = 3;
const DATE: usize = 4;
const LANGUAGE: usize = 5;
const FIELDS: [&str; 6] = [
    "WARC-Type",
    "Content-Length",
    "WARC-Record-ID",
    "WARC-Target-URI",
    "WARC-Date",
    "WARC-Identified-Content-Language",
];

/// Reads the `conversion` records of a WARC stream, passing over the others
/// (`warcinfo`, `request`, `response`, `metadata`, …) unread.
pub struct WetReader<R> {
    reader: BufReader<R>,
    /// Bytes of the stream read so far.
    consumed: u64,
    line: Vec<u8>,
}

impl<R: Read> WetReader<R> {
    /// A reader of the WARC records of `input` (decompressed already).
    pub fn new(input: R) -> WetReader<R> {
        WetReader {
            reader: BufReader::with_capacity(256 * 1024, input),
            consumed: 0,
            line: Vec::new(),
        }
    }

    /// The next conversion record, or `None` at the end of the stream.
    /// An error means the framing is lost (the stream is cut short, a
    /// header is malformed, a block is not followed by CRLF CRLF, the
    /// decompressor failed): it names the record's offset, and nothing
    /// after it can be read.
    pub fn next_record(&mut self) -> io::Result<Option<Record>> {
        loop {
            let Some((offset, fields)) = self.read_header()? else {
                return Ok(None);
            };
            let [kind, length, id, url, date, language] = fields;
            let length = parse_length(length.as_deref()).map_err(|m| corrupt(offset, &m))?;
            let conversion = kind.as_deref() == Some(b"conversion");
            if !conversion || length > MAX_BLOCK_BYTES {
                self.pass_over(offset, length)?;
                self.read_trailer(offset)?;
                if !conversion {
                    continue;
                }
                return Ok(Some(Record {
                    offset,
                    page: Err(format!(
                        "its block of {length} bytes is over the {} MiB limit for one page, \
                         so it was not read",
                        MAX_BLOCK_BYTES >> 20
                    )),
                }));
            }
            let mut text = Vec::with_capacity(length as usize);
            let got = (&mut self.reader)
                .take(length)
                .read_to_end(&mut text)
                .map_err(|e| at(offset, e))?;
            self.consumed += got as u64;
            if (got as u64) < length {
                return Err(cut_short(offset, length, got as u64));
            }
            self.read_trailer(offset)?;
            let page = (|| {
                Ok(Page {
                    id: required(id, ID)?,
                    url: required(url, URL)?,
                    date: required(date, DATE)?,
                    language: language.map(|l| utf8(l, LANGUAGE)).transpose()?,
                    text,
                })
            })();
            return Ok(Some(Record { offset, page }));
        }
    }

    /// Reads one line into `self.line` (cleared first), at most `budget`
    /// bytes of it; its length, 0 at the end of the stream.
    fn read_line(&mut self, budget: usize, offset: u64) -> io::Result<usize> {
        self.line.clear();
        let n = (&mut self.reader)
            .take(budget as u64)
            .read_until(b'\n', &mut self.line)
            .map_err(|e| at(offset, e))?;
        self.consumed += n as u64;
        Ok(n)
    }

    /// Reads a header: where its record starts, and the fields kept.
    /// `None` at the end of the stream (blank lines before it passed over).
    #[allow(clippy::type_complexity)]
    fn read_header(&mut self) -> io::Result<Option<(u64, [Option<Vec<u8>>; 6])>> {
        let offset = loop {
            let offset = self.consumed;
            if self.read_line(MAX_HEADER_BYTES, offset)? == 0 {
                return Ok(None);
            }
            if !content(&self.line).is_empty() {
                break offset;
            }
        };
        if !self.line.starts_with(b"WARC/1.") || !self.line.ends_with(b"\n") {
            let shown = quote_input(self.line[..self.line.len().min(40)].trim_ascii_end());
            return Err(corrupt(
                offset,
                &format!(
                    "expected a `WARC/1.0` line, found `{shown}`: this is not a WARC file, or \
                     the record before has a wrong Content-Length"
                ),
            ));
        }
        let mut budget = MAX_HEADER_BYTES - self.line.len();
        let mut fields: [Option<Vec<u8>>; 6] = Default::default();
        let mut last = None;
        loop {
            let n = self.read_line(budget, offset)?;
            budget -= n;
            if !self.line.ends_with(b"\n") {
                return Err(corrupt(
                    offset,
                    &if budget == 0 {
                        format!("its header runs past {} KiB", MAX_HEADER_BYTES >> 10)
                    } else {
                        "cut short: the input ends inside its header".to_string()
                    },
                ));
            }
            let line = content(&self.line);
            if line.is_empty() {
                return Ok(Some((offset, fields)));
            }
            if matches!(line[0], b' ' | b'\t') {
                // A folded line continues the field before it.
                if let Some(value) = last.and_then(|i: usize| fields[i].as_mut()) {
                    value.push(b' ');
                    value.extend_from_slice(line.trim_ascii());
                }
                continue;
            }
            let Some(colon) = memchr::memchr(b':', line) else {
                let shown = quote_input(&line[..line.len().min(40)]);
                return Err(corrupt(
                    offset,
                    &format!("a header line without `:`: `{shown}`"),
                ));
            };
            let name = line[..colon].trim_ascii();
            last = FIELDS
                .iter()
                .position(|f| f.as_bytes().eq_ignore_ascii_case(name));
            if let Some(i) = last {
                fields[i] = Some(line[colon + 1..].trim_ascii().to_vec());
            }
        }
    }

    /// Reads `length` bytes of block and lets them go.
    fn pass_over(&mut self, offset: u64, length: u64) -> io::Result<()> {
        let got = io::copy(&mut (&mut self.reader).take(length), &mut io::sink())
            .map_err(|e| at(offset, e))?;
        self.consumed += got;
        if got < length {
            return Err(cut_short(offset, length, got));
        }
        Ok(())
    }

    /// Reads the CRLF CRLF that ends every record.
    fn read_trailer(&mut self, offset: u64) -> io::Result<()> {
        self.line.clear();
        let got = (&mut self.reader)
            .take(4)
            .read_to_end(&mut self.line)
            .map_err(|e| at(offset, e))?;
        self.consumed += got as u64;
        if self.line != b"\r\n\r\n" {
            return Err(corrupt(
                offset,
                &if got < 4 {
                    "cut short: the input ends before the CRLF CRLF after its block".to_string()
                } else {
                    format!(
                        "its block is not followed by CRLF CRLF (found `{}`): its \
                         Content-Length is wrong, or the file is corrupt",
                        quote_input(&self.line)
                    )
                },
            ));
        }
        Ok(())
    }
}

/// Where an error is: the record's offset, counted in the input as read.
fn place(offset: u64) -> String {
    format!("WARC record at byte {offset} (uncompressed)")
}

/// A read error met inside the record at `offset`, with that said.
fn at(offset: u64, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", place(offset)))
}

fn corrupt(offset: u64, message: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {message}", place(offset)),
    )
}

fn cut_short(offset: u64, length: u64, got: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!(
            "{}: cut short: its Content-Length is {length}, but the input ends after {got} \
             bytes of its block",
            place(offset)
        ),
    )
}

fn parse_length(value: Option<&[u8]>) -> Result<u64, String> {
    let value = value.ok_or("no Content-Length: where the record ends is unknown")?;
    std::str::from_utf8(value)
        .ok()
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            format!(
                "Content-Length `{}` is not a number of bytes",
                quote_input(&value[..value.len().min(40)])
            )
        })
}

fn required(value: Option<Vec<u8>>, field: usize) -> Result<String, String> {
    let value = value.ok_or_else(|| format!("its header has no {}", FIELDS[field]))?;
    utf8(value, field)
}

fn utf8(value: Vec<u8>, field: usize) -> Result<String, String> {
    String::from_utf8(value).map_err(|_| format!("its {} is not UTF-8", FIELDS[field]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: &str, extra: &[u8], block: &[u8]) -> Vec<u8> {
        let n = block.len();
        let mut r = format!(
            "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: http://a.example/{n}\r\n\
             WARC-Date: 2024-01-02T03:04:05Z\r\nWARC-Record-ID: <urn:uuid:{n}>\r\n"
        )
        .into_bytes();
        r.extend_from_slice(extra);
        r.extend_from_slice(format!("Content-Length: {n}\r\n\r\n").as_bytes());
        r.extend_from_slice(block);
        r.extend_from_slice(b"\r\n\r\n");
        r
    }

    fn read_all(bytes: &[u8]) -> (Vec<Record>, Option<io::Error>) {
        let mut reader = WetReader::new(bytes);
        let mut records = Vec::new();
        loop {
            match reader.next_record() {
                Ok(Some(r)) => records.push(r),
                Ok(None) => return (records, None),
                Err(e) => return (records, Some(e)),
            }
        }
    }

    #[test]
    fn conversion_records_are_read_by_their_length_and_others_passed_over() {
        let mut bytes = record("warcinfo", b"", b"software: x\r\n");
        // A block holding a whole record of its own: framing is by length.
        let inner = record("conversion", b"", b"not a record");
        bytes.extend(record("conversion", b"", &inner));
        bytes.extend(record("response", b"", b"HTTP/1.1 200 OK\r\n\r\n<html>"));
        bytes.extend(record(
            "conversion",
            b"WARC-Identified-Content-Language: eng,deu\r\n",
            b"Line one\nLine two",
        ));
        let (records, error) = read_all(&bytes);
        assert!(error.is_none(), "{error:?}");
        assert_eq!(records.len(), 2);
        let first = records[0].page.as_ref().unwrap();
        assert_eq!(first.text, inner);
        assert_eq!(first.language, None);
        let second = records[1].page.as_ref().unwrap();
        assert_eq!(second.text, b"Line one\nLine two");
        assert_eq!(second.language.as_deref(), Some("eng,deu"));
        assert_eq!(second.url, "http://a.example/17");
        assert_eq!(second.id, "<urn:uuid:17>");
        assert_eq!(second.date, "2024-01-02T03:04:05Z");
        let warcinfo = record("warcinfo", b"", b"software: x\r\n").len();
        assert_eq!(records[0].offset, warcinfo as u64);
    }

    #[test]
    fn framing_errors_name_the_record_and_keep_what_came_before() {
        let good = record("conversion", b"", b"some text here");
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (
                good[..good.len() - 10].to_vec(),
                "cut short: its Content-Length is 14, but the input ends after 8 bytes",
            ),
            (
                good[..good.len() - 2].to_vec(),
                "cut short: the input ends before",
            ),
            (
                good[..30].to_vec(),
                "cut short: the input ends inside its header",
            ),
            (
                String::from_utf8_lossy(&good)
                    .replace("Length: 14", "Length: 13")
                    .into_bytes(),
                "not followed by CRLF CRLF",
            ),
            (
                String::from_utf8_lossy(&good)
                    .replace("Length: 14", "Length: x14")
                    .into_bytes(),
                "Content-Length `x14` is not a number",
            ),
            (
                String::from_utf8_lossy(&good)
                    .replace("Content-Length: 14\r\n", "")
                    .into_bytes(),
                "no Content-Length",
            ),
            (
                b"<html>\n".to_vec(),
                "expected a `WARC/1.0` line, found `<html>`",
            ),
        ];
        for (bad, message) in cases {
            let mut bytes = good.clone();
            bytes.extend_from_slice(b"\r\n");
            bytes.extend(&bad);
            let (records, error) = read_all(&bytes);
            assert_eq!(records.len(), 1, "{message}");
            let error = error.expect(message).to_string();
            let place = format!("WARC record at byte {} (uncompressed): ", good.len() + 2);
            assert!(error.starts_with(&place), "{error}");
            assert!(error.contains(message), "{error}");
        }
        let (_, error) = read_all(&vec![b'x'; MAX_HEADER_BYTES + 10]);
        assert!(error.unwrap().to_string().contains("found `xxxx"));
        let mut long = b"WARC/1.0\r\nX: ".to_vec();
        long.resize(MAX_HEADER_BYTES + 10, b'a');
        let (_, error) = read_all(&long);
        assert!(
            error
                .unwrap()
                .to_string()
                .contains("header runs past 256 KiB")
        );
    }

    #[test]
    fn unusable_records_keep_their_framing() {
        let mut bytes = record("conversion", b"", b"ok");
        bytes.extend(
            String::from_utf8_lossy(&record("conversion", b"", b"no url"))
                .replace("WARC-Target-URI: http://a.example/6\r\n", "")
                .into_bytes(),
        );
        bytes.extend(record(
            "conversion",
            b"WARC-Identified-Content-Language: \xff\r\n",
            b"x",
        ));
        bytes.extend(record("conversion", b"", b"last"));
        let (records, error) = read_all(&bytes);
        assert!(error.is_none(), "{error:?}");
        let pages: Vec<_> = records.iter().map(|r| r.page.clone()).collect();
        assert!(pages[0].is_ok());
        assert_eq!(
            pages[1],
            Err("its header has no WARC-Target-URI".to_string())
        );
        assert_eq!(
            pages[2],
            Err("its WARC-Identified-Content-Language is not UTF-8".to_string())
        );
        assert_eq!(pages[3].as_ref().unwrap().text, b"last");
        // Over the size limit: passed over unread, and the next one is read.
        let mut bytes = record("conversion", b"", &vec![b'a'; MAX_BLOCK_BYTES as usize + 1]);
        bytes.extend(record("conversion", b"", b"next"));
        let (records, error) = read_all(&bytes);
        assert!(error.is_none(), "{error:?}");
        assert!(
            records[0]
                .page
                .as_ref()
                .unwrap_err()
                .contains("over the 16 MiB limit")
        );
        assert_eq!(records[1].page.as_ref().unwrap().text, b"next");
    }

    #[test]
    fn lf_headers_folded_lines_and_blank_lines_between_records_are_read() {
        let mut bytes = b"\r\n\n".to_vec();
        bytes.extend_from_slice(
            b"WARC/1.1\nwarc-type: conversion\nWARC-Target-URI: http://x/\n  a\n\
              WARC-Date: d\nWARC-Record-ID: <i>\ncontent-length:  2 \n\nab\r\n\r\n",
        );
        let (records, error) = read_all(&bytes);
        assert!(error.is_none(), "{error:?}");
        let page = records[0].page.as_ref().unwrap();
        assert_eq!(
            (page.url.as_str(), page.text.as_slice()),
            ("http://x/ a", &b"ab"[..])
        );
        assert_eq!(records[0].offset, 3);
    }

    #[test]
    fn wet_names_and_their_jsonl_outputs() {
        for (name, out) in [
            ("a/CC-1.warc.wet.gz", Some("a/CC-1.jsonl.gz")),
            ("x.wet", Some("x.jsonl")),
            ("x.WET.GZ", Some("x.jsonl.GZ")),
            ("x.warc.wet.zst", Some("x.jsonl.zst")),
            ("x.wet.txt", None),
            (".wet", None),
            ("x.warc.gz", None),
            ("wet.gz", None),
        ] {
            let path = Path::new(name);
            assert_eq!(is_wet_name(path), out.is_some(), "{name}");
            assert_eq!(jsonl_name(path).as_deref(), out.map(Path::new), "{name}");
        }
    }
}
