//! The unit of work, a document, a JSON Lines record or a WET record, read
//! from a stream in whole units.

use std::io::{self, BufRead, BufReader, Read};

use super::jsonl::JsonlOptions;
use super::wet::{self, WetOptions, WetReader};
use crate::document::{DocumentReader, Oversized};

/// A batch holds at most this many bytes of input (or one larger unit).
/// With threads, up to three batches (being read, queued, being cleaned)
/// and two outputs are alive at once: about 10 MB however long the stream
/// (the rest of the peak RSS is the rules' and the model's state, and each
/// thread's search caches). Smaller batches would leave cores idle at each
/// batch's tail more often; 1 MB batches saved only 1 MB.
pub(super) const BATCH_BYTES: usize = 2 * 1024 * 1024;
/// …and at most this many units.
pub(super) const BATCH_UNITS: usize = 4096;
/// How inputs are read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
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
}

impl Unit {
    pub(super) fn len(&self) -> usize {
        match self {
            Unit::Document { bytes, .. } | Unit::Record { bytes, .. } => bytes.len(),
            Unit::Wet(record) => record.page.as_ref().map_or(0, |p| p.text.len()),
        }
    }
}

/// Reads units from a stream.
pub(super) enum UnitReader<R> {
    Documents(DocumentReader<R>),
    Records { reader: BufReader<R>, line: u64 },
    Wet(WetReader<R>),
}

impl<R: Read> UnitReader<R> {
    pub(super) fn new(input: R, format: &Format) -> UnitReader<R> {
        match format {
            Format::Text => UnitReader::Documents(DocumentReader::new(input)),
            Format::Jsonl(_) => UnitReader::Records {
                reader: BufReader::with_capacity(256 * 1024, input),
                line: 0,
            },
            Format::Wet(_) => UnitReader::Wet(WetReader::new(input)),
        }
    }

    pub(super) fn next(&mut self) -> io::Result<Option<Unit>> {
        match self {
            UnitReader::Documents(r) => Ok(r.next_document()?.map(|d| Unit::Document {
                bytes: d.bytes,
                separator: d.separator,
                follows_part: d.follows_part,
            })),
            UnitReader::Records { reader, line } => {
                let mut bytes = Vec::new();
                if reader.read_until(b'\n', &mut bytes)? == 0 {
                    return Ok(None);
                }
                *line += 1;
                Ok(Some(Unit::Record { line: *line, bytes }))
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
