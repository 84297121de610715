//! One thread's cleaner: cleans a batch of units into one output.

use std::borrow::Cow;
use std::io::Write;
use std::sync::Mutex;

use super::jsonl::{self, JsonlOptions, OnError};
use super::units::Format;
use super::units::Unit;
use super::wet::{Page, WetOptions};
use crate::cleaner::Cleaner;
use crate::document::{DocumentReader, Limits, Piece, is_separator, lines, part_end};
use crate::output::{Mode, Stats};
use crate::sites::site_of_url;
use crate::verdict::Verdict;

/// A record that could not be used: where it is (its line for JSON Lines,
/// its byte offset for WET) and what is wrong.
pub(super) type Problem = (u64, String);

/// The cleaned output of a batch.
#[derive(Default)]
pub(super) struct BatchOutput {
    /// The output, in order. Kept in pieces (one per unit when parallel):
    /// joining them would hold the batch's output twice for no gain.
    pub(super) chunks: Vec<Vec<u8>>,
    pub(super) stats: Stats,
    /// Records dropped under `--on-error skip`.
    pub(super) skipped: Vec<Problem>,
    /// The record that stopped the run under `--on-error fail`; `chunks`
    /// hold the output of the units before it.
    pub(super) failed: Option<Problem>,
}

/// One thread's cleaner and scratch space.
pub(super) struct Worker {
    pub(super) cleaner: Cleaner,
    pub(super) verdicts: Vec<Verdict>,
    pub(super) scratch: Vec<u8>,
    /// A written batch's output buffer, kept for the next batch: a fresh
    /// one of a batch's size comes from the kernel as new pages, each
    /// faulted in and zeroed again (about 500 page faults a batch).
    spare_output: Vec<u8>,
    /// The line limit (`--max-line-bytes`), for text held in memory (a WET
    /// page), which a stream's reader did not apply.
    pub(super) max_line: usize,
}

impl Worker {
    pub(super) fn new(cleaner: Cleaner) -> Worker {
        Worker {
            cleaner,
            verdicts: Vec::new(),
            scratch: Vec::new(),
            spare_output: Vec::new(),
            max_line: crate::document::DEFAULT_MAX_LINE,
        }
    }

    /// Cleans one document (or one part of a document cut at the size
    /// limits), appending its output and separator to `out`.
    /// `follows_part`: a later part, whose document its first part counted.
    pub(super) fn clean_document(
        &mut self,
        mode: Mode,
        doc: &[u8],
        separator: Option<&[u8]>,
        follows_part: bool,
        out: &mut Vec<u8>,
        stats: &mut Stats,
    ) {
        self.cleaner.classify(doc, &mut self.verdicts);
        self.cleaner
            .write_and_count(mode, doc, &self.verdicts, out, stats);
        if follows_part {
            // The parts of a document count as one, with the first: so it
            // is counted even if a read error ends it early.
            stats.documents -= 1;
        }
        if let Some(separator) = separator {
            // A separator passes through: a line in and out, so that the
            // bytes in add up to the input's size.
            stats.add_separator(separator);
            if mode == Mode::Explain {
                out.extend_from_slice(b"keep\tseparator\t");
            }
            out.extend_from_slice(separator);
            if !separator.ends_with(b"\n") && mode == Mode::Explain {
                out.push(b'\n');
            }
        }
    }

    /// Cleans text held in memory exactly as a stream of it would be: split
    /// at form-feed lines, each document cleaned on its own (in parts when
    /// over the [`Limits`]).
    pub(super) fn clean_text(
        &mut self,
        mode: Mode,
        text: &[u8],
        out: &mut Vec<u8>,
        stats: &mut Stats,
    ) {
        let mut start = 0;
        let mut at = 0;
        for line in lines(text) {
            if is_separator(line) {
                self.clean_parts(mode, &text[start..at], Some(line), out, stats);
                start = at + line.len();
            }
            at += line.len();
        }
        if start < text.len() {
            self.clean_parts(mode, &text[start..], None, out, stats);
        }
    }

    /// [`Worker::clean_text`] for text that may hold a line over the line
    /// limit (a WET page, up to 16 MiB): then it is read as a stream of it
    /// is, so such a line is dropped (`too-long`) and the document around
    /// it cleaned in parts, exactly as on standard input.
    fn clean_text_limited(
        &mut self,
        mode: Mode,
        text: &[u8],
        out: &mut Vec<u8>,
        stats: &mut Stats,
    ) {
        let max_line = self.max_line;
        if text.len() <= max_line || !text.split(|&b| b == b'\n').any(|l| l.len() > max_line) {
            // The common case, without the reader's copies.
            return self.clean_text(mode, text, out, stats);
        }
        let mut reader = DocumentReader::new(text).with_max_line(max_line);
        // Reading a slice cannot fail.
        while let Ok(Some(piece)) = reader.next_piece() {
            match piece {
                Piece::Document(d) => self.clean_document(
                    mode,
                    &d.bytes,
                    d.separator.as_deref(),
                    d.follows_part,
                    out,
                    stats,
                ),
                Piece::LongLine(c) => long_line(
                    mode,
                    &c.bytes,
                    c.first,
                    c.last,
                    c.opens_document,
                    out,
                    stats,
                ),
            }
        }
    }

    /// [`Worker::clean_document`] for a whole document in memory, part by
    /// part when it is over the [`Limits`].
    pub(super) fn clean_parts(
        &mut self,
        mode: Mode,
        mut doc: &[u8],
        separator: Option<&[u8]>,
        out: &mut Vec<u8>,
        stats: &mut Stats,
    ) {
        let mut follows_part = false;
        while let Some(end) = part_end(doc, Limits::DEFAULT) {
            self.clean_document(mode, &doc[..end], None, follows_part, out, stats);
            follows_part = true;
            doc = &doc[end..];
        }
        self.clean_document(mode, doc, separator, follows_part, out, stats);
    }

    /// Cleans one unit, appending its output to `out`. A record that cannot
    /// be used appends nothing and is returned.
    pub(super) fn clean_unit(
        &mut self,
        mode: Mode,
        format: &Format,
        unit: &Unit,
        out: &mut Vec<u8>,
        stats: &mut Stats,
    ) -> Result<(), Problem> {
        match (unit, format) {
            (
                Unit::Document {
                    bytes,
                    separator,
                    follows_part,
                },
                _,
            ) => {
                self.clean_document(mode, bytes, separator.as_deref(), *follows_part, out, stats);
                Ok(())
            }
            (
                Unit::LongLine {
                    bytes,
                    first,
                    last,
                    opens_document,
                },
                _,
            ) => {
                long_line(mode, bytes, *first, *last, *opens_document, out, stats);
                Ok(())
            }
            (Unit::LongRecord { line, max_line }, _) => Err((
                *line,
                format!(
                    "record longer than {max_line} bytes (--max-line-bytes), not read whole; \
                     raise --max-line-bytes to clean it"
                ),
            )),
            (Unit::Record { line, bytes }, Format::Jsonl(options)) => {
                self.clean_record(mode, options, *line, bytes, out, stats)
            }
            (Unit::Wet(record), Format::Wet(options)) => {
                let page = record
                    .page
                    .as_ref()
                    .map_err(|message| (record.offset, message.clone()))?;
                if self.cleaner.has_profile() {
                    self.cleaner
                        .set_record_site(site_of_url(&page.url).as_deref());
                }
                self.clean_page(mode, options, page, out, stats);
                Ok(())
            }
            (Unit::Record { bytes, .. }, _) => {
                // Not produced: records are only read for JSON Lines.
                out.extend_from_slice(bytes);
                Ok(())
            }
            // Not produced: WET records are only read for WET.
            (Unit::Wet(_), _) => Ok(()),
        }
    }

    /// Cleans a JSON Lines record's text field, writing every other byte of
    /// it back as it came.
    fn clean_record(
        &mut self,
        mode: Mode,
        options: &JsonlOptions,
        line: u64,
        bytes: &[u8],
        out: &mut Vec<u8>,
        stats: &mut Stats,
    ) -> Result<(), Problem> {
        if crate::document::is_blank(crate::document::content(bytes)) {
            // Blank lines between records are not records; pass them on so
            // line numbers of input and output still match.
            out.extend_from_slice(bytes);
            return Ok(());
        }
        let field = jsonl::locate(bytes, &options.field).map_err(|message| (line, message))?;
        if self.cleaner.has_profile() {
            // A record without a usable URL is cleaned with the stream's site.
            let site = jsonl::locate(bytes, &options.url_field)
                .ok()
                .and_then(|url| site_of_url(&url.text));
            self.cleaner.set_record_site(site.as_deref());
        }
        let mut record_stats = Stats::default();
        let mut cleaned = std::mem::take(&mut self.scratch);
        cleaned.clear();
        self.clean_text(mode, field.text.as_bytes(), &mut cleaned, &mut record_stats);
        out.extend_from_slice(&bytes[..field.span.start]);
        jsonl::write_string(&as_text(&cleaned), out);
        let rest = &bytes[field.span.end..];
        match rest.iter().rposition(|&b| b == b'}') {
            Some(close) if options.annotate => {
                out.extend_from_slice(&rest[..close]);
                write_annotation(&record_stats, out);
                out.extend_from_slice(&rest[close..]);
            }
            _ => out.extend_from_slice(rest),
        }
        self.scratch = cleaned;
        *stats += &record_stats;
        Ok(())
    }

    /// Cleans a WET page's text as the same text on standard input would be
    /// cleaned, and writes it as one JSON Lines record:
    /// `{"id":…,"url":…,"date":…,["language":…,]"text":…}`.
    fn clean_page(
        &mut self,
        mode: Mode,
        options: &WetOptions,
        page: &Page,
        out: &mut Vec<u8>,
        stats: &mut Stats,
    ) {
        let mut record_stats = Stats::default();
        let mut cleaned = std::mem::take(&mut self.scratch);
        cleaned.clear();
        self.clean_text_limited(mode, &page.text, &mut cleaned, &mut record_stats);
        out.extend_from_slice(b"{\"id\":");
        jsonl::write_string(&page.id, out);
        out.extend_from_slice(b",\"url\":");
        jsonl::write_string(&page.url, out);
        out.extend_from_slice(b",\"date\":");
        jsonl::write_string(&page.date, out);
        if let Some(language) = &page.language {
            out.extend_from_slice(b",\"language\":");
            jsonl::write_string(language, out);
        }
        out.extend_from_slice(b",\"text\":");
        // Kept lines are the page's own bytes: a page that is not valid
        // UTF-8 (WET text should be) gets U+FFFD for its invalid bytes, as a
        // JSON string must be text.
        jsonl::write_string(&as_text(&cleaned), out);
        if options.annotate {
            write_annotation(&record_stats, out);
        }
        out.extend_from_slice(b"}\n");
        self.scratch = cleaned;
        *stats += &record_stats;
    }

    /// Cleans a batch in order on this thread.
    pub(super) fn clean_batch(
        &mut self,
        mode: Mode,
        format: &Format,
        batch: &[Unit],
    ) -> BatchOutput {
        let mut output = BatchOutput::default();
        // Room for the whole batch's input at once: growing by doubling
        // copied the output over and over.
        let mut bytes = std::mem::take(&mut self.spare_output);
        bytes.clear();
        bytes.reserve(batch.iter().map(Unit::len).sum());
        for unit in batch {
            let mark = bytes.len();
            if let Err(problem) = self.clean_unit(mode, format, unit, &mut bytes, &mut output.stats)
            {
                bytes.truncate(mark);
                if !record_problem(format, problem, &mut output) {
                    break;
                }
            }
        }
        output.chunks.push(bytes);
        output
    }

    /// Takes back a written batch's buffers for the next batch.
    pub(super) fn recycle(&mut self, chunks: Vec<Vec<u8>>) {
        if let Some(largest) = chunks.into_iter().max_by_key(Vec::capacity)
            && largest.capacity() > self.spare_output.capacity()
        {
            self.spare_output = largest;
        }
    }
}

/// A chunk of a line too long to hold: written (see [`write_long_line`])
/// and counted, the line once, with its first chunk.
fn long_line(
    mode: Mode,
    bytes: &[u8],
    first: bool,
    last: bool,
    opens_document: bool,
    out: &mut Vec<u8>,
    stats: &mut Stats,
) {
    write_long_line(mode, bytes, first, last, out);
    if first {
        stats.lines_in += 1;
        stats.lines_too_long += 1;
        stats.documents += u64::from(opens_document);
    }
    stats.bytes_in += bytes.len() as u64;
}

/// Writes a chunk of a line too long to hold: nothing in the plain output
/// (it is dropped), as it came under `--invert`, and under `--explain` in
/// a `drop<TAB>too-long<TAB>` row. Rows and removed lines always end with
/// a `\n`.
fn write_long_line(mode: Mode, bytes: &[u8], first: bool, last: bool, out: &mut Vec<u8>) {
    if mode == Mode::Clean {
        return;
    }
    if first && mode == Mode::Explain {
        out.extend_from_slice(b"drop\ttoo-long\t");
    }
    out.extend_from_slice(bytes);
    if last && !bytes.ends_with(b"\n") {
        out.push(b'\n');
    }
}

/// `,"kzclean":{"lines_removed":N,"bytes_removed":M}` for `--annotate`.
fn write_annotation(stats: &Stats, out: &mut Vec<u8>) {
    // Writing into a `Vec` cannot fail.
    let _ = write!(
        out,
        ",\"kzclean\":{{\"lines_removed\":{},\"bytes_removed\":{}}}",
        stats.lines_in - stats.lines_out,
        stats.bytes_in - stats.bytes_out
    );
}

/// Files a record problem: counted and kept when skipping (returns true: go
/// on), or the batch's stopping point when failing (returns false).
pub(super) fn record_problem(format: &Format, problem: Problem, output: &mut BatchOutput) -> bool {
    match format {
        Format::Jsonl(JsonlOptions {
            on_error: OnError::Skip,
            ..
        })
        | Format::Wet(WetOptions {
            on_error: OnError::Skip,
            ..
        }) => {
            output.stats.records_skipped += 1;
            output.skipped.push(problem);
            true
        }
        _ => {
            output.failed = Some(problem);
            false
        }
    }
}

/// The worker of the current pool thread. Each pool thread only ever locks
/// its own worker, so the lock is never contended; a poisoned lock only
/// means another unit panicked.
pub(super) fn lock_own_worker(workers: &[Mutex<Worker>]) -> std::sync::MutexGuard<'_, Worker> {
    let index = rayon::current_thread_index().unwrap_or(0);
    workers[index % workers.len()]
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Cleaned text as `str`: whole lines of valid UTF-8 cut at `\n` are valid
/// UTF-8, so the lossy path is only a guard (`from_utf8` checks ASCII a
/// word at a time, several times faster than `from_utf8_lossy`).
fn as_text(cleaned: &[u8]) -> Cow<'_, str> {
    std::str::from_utf8(cleaned).map_or_else(|_| String::from_utf8_lossy(cleaned), Cow::Borrowed)
}
