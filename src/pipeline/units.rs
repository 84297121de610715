//! The unit of work, a document, a JSON Lines record or a WET record, read
//! from a stream in whole units.

use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use super::jsonl::JsonlOptions;
use super::wet::{self, WetOptions, WetReader};
use crate::document::{DocumentReader, Oversized, Piece};

/// A batch holds at most this many bytes of input (or one larger unit).
/// With threads, up to six batches (being read, queued, four being cleaned
/// or written) and their outputs are alive at once: about 12 MB however
/// long the stream (the rest of the peak RSS is the rules' and the model's
/// state, and each thread's search caches). Four batches of 1 MiB in
/// flight ran faster than two or three of 2 MiB at `-j2` (default -1.7%,
/// `--fast` -9% against two), in the same peak RSS as two: a thread done
/// with its share of one batch finds another to work on.
pub(super) const BATCH_BYTES: usize = 1024 * 1024;
/// …and at most this many units.
pub(super) const BATCH_UNITS: usize = 4096;
/// How inputs are read. More formats may come in a minor release: a
/// `match` needs a `_` arm.
///
/// ```compile_fail,E0004
/// fn records(format: &kzclean::Format) -> bool {
///     match format {
///         kzclean::Format::Text => false,
///         kzclean::Format::Jsonl(_) | kzclean::Format::Wet(_) => true,
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Format {
    /// Plain text, documents separated by form-feed lines.
    #[default]
    Text,
    /// One JSON object per line; one of its string fields is the text.
    Jsonl(JsonlOptions),
    /// WARC records (Common Crawl's WET files): the text of each
    /// `conversion` record is cleaned into a JSON Lines record.
    Wet(WetOptions),
}

impl Format {
    /// The format `input` is read in: `wet_by_name` when the caller reads
    /// WET files by name and the name says WET, else this one.
    pub fn for_input<'a>(&'a self, wet_by_name: Option<&'a Format>, input: &Path) -> &'a Format {
        match wet_by_name {
            Some(wet) if wet::is_wet_name(input) => wet,
            _ => self,
        }
    }
}

/// The unit of work: a document of a text stream, a JSON Lines record, or a
/// WET conversion record.
pub(super) enum Unit {
    Document {
        bytes: Vec<u8>,
        separator: Option<Vec<u8>>,
        /// A later part of a document cut at the size limits.
        follows_part: bool,
    },
    Record {
        /// 1-based line number in its input.
        line: u64,
        bytes: Vec<u8>,
    },
    /// A WET `conversion` record, or why it cannot be used.
    Wet(wet::Record),
    /// A piece of a line too long to hold (over the line limit): dropped,
    /// and written only by `--explain` and `--invert`.
    LongLine {
        bytes: Vec<u8>,
        first: bool,
        last: bool,
        /// The line opens its document, which is counted with it.
        opens_document: bool,
    },
    /// A JSON Lines record too long to hold, skipped unread.
    LongRecord { line: u64, max_line: usize },
}

impl Unit {
    pub(super) fn len(&self) -> usize {
        match self {
            Unit::Document { bytes, .. }
            | Unit::Record { bytes, .. }
            | Unit::LongLine { bytes, .. } => bytes.len(),
            Unit::Wet(record) => record.page.as_ref().map_or(0, |p| p.text.len()),
            Unit::LongRecord { .. } => 0,
        }
    }
}

/// Reads units from a stream.
pub(super) enum UnitReader<R> {
    Documents(DocumentReader<R>),
    Records {
        reader: BufReader<R>,
        line: u64,
        max_line: usize,
    },
    Wet(WetReader<R>),
}

impl<R: Read> UnitReader<R> {
    /// Reads `input`, never holding a text line or JSON Lines record longer
    /// than `max_line` bytes.
    pub(super) fn new(input: R, format: &Format, max_line: usize) -> UnitReader<R> {
        match format {
            Format::Text => {
                UnitReader::Documents(DocumentReader::new(input).with_max_line(max_line))
            }
            Format::Jsonl(_) => UnitReader::Records {
                reader: BufReader::with_capacity(256 * 1024, input),
                line: 0,
                max_line: max_line.max(1),
            },
            Format::Wet(_) => UnitReader::Wet(WetReader::new(input)),
        }
    }

    pub(super) fn next(&mut self) -> io::Result<Option<Unit>> {
        match self {
            UnitReader::Documents(r) => Ok(r.next_piece()?.map(|piece| match piece {
                Piece::Document(d) => Unit::Document {
                    bytes: d.bytes,
                    separator: d.separator,
                    follows_part: d.follows_part,
                },
                Piece::LongLine(c) => Unit::LongLine {
                    bytes: c.bytes,
                    first: c.first,
                    last: c.last,
                    opens_document: c.opens_document,
                },
            })),
            UnitReader::Records {
                reader,
                line,
                max_line,
            } => {
                let mut bytes = Vec::new();
                let mut content_len = 0usize;
                let mut read_any = false;
                loop {
                    let buf = match reader.fill_buf() {
                        Ok(buf) => buf,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    };
                    if buf.is_empty() {
                        break;
                    }
                    read_any = true;
                    let (taken, ends) = match memchr::memchr(b'\n', buf) {
                        Some(at) => (at + 1, true),
                        None => (buf.len(), false),
                    };
                    content_len += taken - usize::from(ends);
                    if content_len <= *max_line {
                        bytes.extend_from_slice(&buf[..taken]);
                    } else {
                        // Too long: the rest of it is skipped, not held.
                        bytes = Vec::new();
                    }
                    reader.consume(taken);
                    if ends {
                        break;
                    }
                }
                if !read_any {
                    return Ok(None);
                }
                *line += 1;
                Ok(Some(if content_len > *max_line {
                    Unit::LongRecord {
                        line: *line,
                        max_line: *max_line,
                    }
                } else {
                    Unit::Record { line: *line, bytes }
                }))
            }
            UnitReader::Wet(r) => Ok(r.next_record()?.map(Unit::Wet)),
        }
    }

    /// The first document cut at the size limit, if any was.
    pub(super) fn first_oversized(&self) -> Option<Oversized> {
        match self {
            UnitReader::Documents(r) => r.first_oversized(),
            UnitReader::Records { .. } | UnitReader::Wet(_) => None,
        }
    }

    /// How many lines were too long, and where the first one is.
    pub(super) fn long_lines(&self) -> (u64, Option<Oversized>) {
        match self {
            UnitReader::Documents(r) => r.long_lines(),
            UnitReader::Records { .. } | UnitReader::Wet(_) => (0, None),
        }
    }

    /// Fills `batch` up to the limits. On a read error, `batch` keeps the
    /// units read before it.
    pub(super) fn next_batch(&mut self, batch: &mut Vec<Unit>) -> io::Result<()> {
        let mut bytes = 0;
        while bytes < BATCH_BYTES && batch.len() < BATCH_UNITS {
            match self.next()? {
                Some(unit) => {
                    bytes += unit.len();
                    batch.push(unit);
                }
                None => break,
            }
        }
        Ok(())
    }
}
