//! Where documents meet threads: the only module that knows about rayon and
//! threads.
//!
//! A stream (text or JSON Lines) is read in batches of whole units — a
//! document, or a record — bounded in bytes, so memory stays flat on endless
//! streams. With one thread everything runs in order on the caller's thread.
//! With more, the caller's thread reads the next batch and writes the
//! previous one while a coordinator thread has the pool clean the current
//! one; outputs are written in input order. A directory tree is cleaned file
//! by file, files in parallel, each file streamed by one worker.
//!
//! Each pool thread owns one [`Cleaner`] for the whole run, so regex caches
//! stay warm and are never shared between threads.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::sync::Mutex;
use std::sync::mpsc;

use rayon::prelude::*;

use crate::cleaner::Cleaner;
use crate::codec::{self, Sink};
use crate::document::{DocumentReader, Limits, Oversized, is_separator, lines, part_end};
use crate::error::{Error, Warning};
use crate::jsonl::{self, JsonlOptions, OnError};
use crate::output::{Mode, Stats, write_and_count};
use crate::tree::{FileJob, temp_path};
use crate::verdict::Verdict;

/// A batch holds at most this many bytes of input (or one larger unit).
/// With threads, up to three batches (being read, queued, being cleaned)
/// and two outputs are alive at once: about 10 MB however long the stream
/// (the rest of the peak RSS is the rules' and the model's state, and each
/// thread's search caches). Smaller batches would leave cores idle at each
/// batch's tail more often; 1 MB batches saved only 1 MB.
const BATCH_BYTES: usize = 2 * 1024 * 1024;
/// …and at most this many units.
const BATCH_UNITS: usize = 4096;
/// Skipped records reported one by one (the first by input and line); the
/// rest are only counted.
const MAX_RECORD_WARNINGS: usize = 20;

/// How inputs are read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Format {
    /// Plain text, documents separated by form-feed lines.
    #[default]
    Text,
    /// One JSON object per line; one of its string fields is the text.
    Jsonl(JsonlOptions),
}

/// What happened to one file of a tree.
#[derive(Debug)]
pub enum FileOutcome {
    /// Cleaned and renamed into place.
    Done(Stats),
    /// Not cleaned: its output exists (`--skip-existing`).
    Skipped,
    /// Not cleaned: nothing was left at its output path.
    Failed(Error),
}

/// Totals over a tree.
#[derive(Debug, Default)]
pub struct TreeSummary {
    pub stats: Stats,
    pub done: usize,
    pub skipped: usize,
    pub failed: usize,
    /// How many of the failures were unusable JSON Lines records.
    pub failed_records: usize,
}

impl TreeSummary {
    fn add(&mut self, outcome: &FileOutcome) {
        match outcome {
            FileOutcome::Done(stats) => {
                self.done += 1;
                self.stats += stats;
            }
            FileOutcome::Skipped => self.skipped += 1,
            FileOutcome::Failed(e) => {
                self.failed += 1;
                if matches!(e, Error::Record { .. }) {
                    self.failed_records += 1;
                }
            }
        }
    }

    fn merge(mut self, other: TreeSummary) -> TreeSummary {
        self.stats += &other.stats;
        self.done += other.done;
        self.skipped += other.skipped;
        self.failed += other.failed;
        self.failed_records += other.failed_records;
        self
    }
}

/// The unit of work: a document of a text stream, or a JSON Lines record.
enum Unit {
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
}

impl Unit {
    fn len(&self) -> usize {
        match self {
            Unit::Document { bytes, .. } | Unit::Record { bytes, .. } => bytes.len(),
        }
    }
}

/// Reads units from a stream.
enum UnitReader<R> {
    Documents(DocumentReader<R>),
    Records { reader: BufReader<R>, line: u64 },
}

impl<R: Read> UnitReader<R> {
    fn new(input: R, format: &Format) -> UnitReader<R> {
        match format {
            Format::Text => UnitReader::Documents(DocumentReader::new(input)),
            Format::Jsonl(_) => UnitReader::Records {
                reader: BufReader::with_capacity(256 * 1024, input),
                line: 0,
            },
        }
    }

    fn next(&mut self) -> io::Result<Option<Unit>> {
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
        }
    }

    /// The first document cut at the size limit, if any was.
    fn first_oversized(&self) -> Option<Oversized> {
        match self {
            UnitReader::Documents(r) => r.first_oversized(),
            UnitReader::Records { .. } => None,
        }
    }

    /// Fills `batch` up to the limits. On a read error, `batch` keeps the
    /// units read before it.
    fn next_batch(&mut self, batch: &mut Vec<Unit>) -> io::Result<()> {
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

/// A record that could not be used: its line and what is wrong.
type Problem = (u64, String);

/// The cleaned output of a batch.
#[derive(Default)]
struct BatchOutput {
    /// The output, in order. Kept in pieces (one per unit when parallel):
    /// joining them would hold the batch's output twice for no gain.
    chunks: Vec<Vec<u8>>,
    stats: Stats,
    /// Records dropped under `--on-error skip`.
    skipped: Vec<Problem>,
    /// The record that stopped the run under `--on-error fail`; `chunks`
    /// hold the output of the units before it.
    failed: Option<Problem>,
}

/// One thread's cleaner and scratch space.
struct Worker {
    cleaner: Cleaner,
    verdicts: Vec<Verdict>,
    scratch: Vec<u8>,
}

impl Worker {
    fn new(cleaner: Cleaner) -> Worker {
        Worker {
            cleaner,
            verdicts: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Cleans one document (or one part of a document cut at the size
    /// limits), appending its output and separator to `out`.
    /// `follows_part`: a later part, whose document its first part counted.
    fn clean_document(
        &mut self,
        mode: Mode,
        doc: &[u8],
        separator: Option<&[u8]>,
        follows_part: bool,
        out: &mut Vec<u8>,
        stats: &mut Stats,
    ) {
        self.cleaner.classify(doc, &mut self.verdicts);
        let rules = self.cleaner.rules();
        write_and_count(mode, doc, &self.verdicts, rules, out, stats);
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
    fn clean_text(&mut self, mode: Mode, text: &[u8], out: &mut Vec<u8>, stats: &mut Stats) {
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

    /// [`Worker::clean_document`] for a whole document in memory, part by
    /// part when it is over the [`Limits`].
    fn clean_parts(
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
    fn clean_unit(
        &mut self,
        mode: Mode,
        format: &Format,
        unit: &Unit,
        out: &mut Vec<u8>,
        stats: &mut Stats,
    ) -> Result<(), Problem> {
        let (line, bytes, options) = match (unit, format) {
            (
                Unit::Document {
                    bytes,
                    separator,
                    follows_part,
                },
                _,
            ) => {
                self.clean_document(mode, bytes, separator.as_deref(), *follows_part, out, stats);
                return Ok(());
            }
            (Unit::Record { line, bytes }, Format::Jsonl(options)) => (*line, bytes, options),
            (Unit::Record { bytes, .. }, Format::Text) => {
                // Not produced: records are only read for JSON Lines.
                out.extend_from_slice(bytes);
                return Ok(());
            }
        };
        if crate::document::is_blank(crate::document::content(bytes)) {
            // Blank lines between records are not records; pass them on so
            // line numbers of input and output still match.
            out.extend_from_slice(bytes);
            return Ok(());
        }
        let field = jsonl::locate(bytes, &options.field).map_err(|message| (line, message))?;
        let mut record_stats = Stats::default();
        let mut cleaned = std::mem::take(&mut self.scratch);
        cleaned.clear();
        self.clean_text(mode, field.text.as_bytes(), &mut cleaned, &mut record_stats);
        out.extend_from_slice(&bytes[..field.span.start]);
        // Whole lines of valid UTF-8 are cut at `\n`, so this is valid UTF-8;
        // the lossy path is only a guard.
        jsonl::write_string(&String::from_utf8_lossy(&cleaned), out);
        let rest = &bytes[field.span.end..];
        match rest.iter().rposition(|&b| b == b'}') {
            Some(close) if options.annotate => {
                out.extend_from_slice(&rest[..close]);
                let _ = write!(
                    out,
                    ",\"kzclean\":{{\"lines_removed\":{},\"bytes_removed\":{}}}",
                    record_stats.lines_in - record_stats.lines_out,
                    record_stats.bytes_in - record_stats.bytes_out
                );
                out.extend_from_slice(&rest[close..]);
            }
            _ => out.extend_from_slice(rest),
        }
        self.scratch = cleaned;
        *stats += &record_stats;
        Ok(())
    }

    /// Cleans a batch in order on this thread.
    fn clean_batch(&mut self, mode: Mode, format: &Format, batch: &[Unit]) -> BatchOutput {
        let mut output = BatchOutput::default();
        let mut bytes = Vec::new();
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
}

/// Files a record problem: counted and kept when skipping (returns true: go
/// on), or the batch's stopping point when failing (returns false).
fn record_problem(format: &Format, problem: Problem, output: &mut BatchOutput) -> bool {
    match format {
        Format::Jsonl(JsonlOptions {
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

/// Cleans streams and trees on a fixed number of threads.
pub struct Pipeline {
    mode: Mode,
    format: Format,
    /// The caller's worker, used when there is one thread.
    local: Worker,
    /// A pool and one worker per pool thread, when more than one thread.
    parallel: Option<(rayon::ThreadPool, Vec<Mutex<Worker>>)>,
    /// The first skipped records, for the caller to report.
    warnings: Mutex<Vec<Warning>>,
}

impl Pipeline {
    /// A pipeline on `threads` threads (0: one per core) for text input.
    pub fn new(cleaner: Cleaner, mode: Mode, threads: usize) -> Result<Pipeline, Error> {
        Pipeline::with_format(cleaner, mode, Format::Text, threads)
    }

    /// A pipeline on `threads` threads (0: one per core).
    pub fn with_format(
        cleaner: Cleaner,
        mode: Mode,
        format: Format,
        threads: usize,
    ) -> Result<Pipeline, Error> {
        let threads = if threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            threads
        };
        let parallel = if threads > 1 {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|e| Error::Internal(format!("cannot start {threads} threads: {e}")))?;
            let workers = (0..threads)
                .map(|_| Mutex::new(Worker::new(cleaner.clone())))
                .collect();
            Some((pool, workers))
        } else {
            None
        };
        Ok(Pipeline {
            mode,
            format,
            local: Worker::new(cleaner),
            parallel,
            warnings: Mutex::new(Vec::new()),
        })
    }

    /// Takes the warnings: the first skipped records (`--on-error skip`;
    /// [`Stats::records_skipped`] has the full count) and the inputs whose
    /// documents were too large to clean whole.
    pub fn take_warnings(&mut self) -> Vec<Warning> {
        std::mem::take(self.warnings.get_mut().unwrap_or_else(|p| p.into_inner()))
    }

    /// Cleans every unit of `input` into `out`, in input order.
    /// `input_name` labels read errors and bad records; write errors are
    /// labelled with `output_name`. On an error, the output of every unit
    /// before it has been written, and nothing after.
    pub fn clean_stream<R: Read, W: Write>(
        &mut self,
        input: R,
        input_name: &Path,
        out: &mut W,
        output_name: &Path,
        stats: &mut Stats,
    ) -> Result<(), Error> {
        let mut reader = UnitReader::new(input, &self.format);
        let sink = Output {
            out,
            output_name,
            input_name,
            stats,
            warnings: &self.warnings,
        };
        let result = match &self.parallel {
            None => stream_sequential(&mut self.local, self.mode, &self.format, &mut reader, sink),
            Some((pool, workers)) => {
                stream_parallel(pool, workers, self.mode, &self.format, &mut reader, sink)
            }
        };
        warn_if_oversized(&reader, input_name, &self.warnings);
        result
    }

    /// Cleans each file of a tree into its output, files in parallel. Each
    /// output is written to a temporary file beside it and renamed into
    /// place, so an interrupted run leaves no partial output under its final
    /// name. `on_file` hears about every file as it finishes (for progress
    /// and error reports); a failed file does not stop the others.
    pub fn clean_tree(
        &mut self,
        jobs: &[FileJob],
        skip_existing: bool,
        on_file: &(dyn Fn(&FileJob, &FileOutcome) + Sync),
    ) -> TreeSummary {
        let (mode, format, warnings) = (self.mode, &self.format, &self.warnings);
        let run = |streamer: Streamer<'_>, job: &FileJob| {
            let outcome = if skip_existing && fs::symlink_metadata(&job.output).is_ok() {
                FileOutcome::Skipped
            } else {
                match clean_file(streamer, mode, format, job, warnings) {
                    Ok(stats) => FileOutcome::Done(stats),
                    Err(e) => FileOutcome::Failed(e),
                }
            };
            on_file(job, &outcome);
            let mut summary = TreeSummary::default();
            summary.add(&outcome);
            summary
        };
        let summary = match &self.parallel {
            None => jobs
                .iter()
                .map(|job| run(Streamer::Sequential(&mut self.local), job))
                .fold(TreeSummary::default(), TreeSummary::merge),
            // Fewer files than threads (one big shard, say): files in
            // parallel would leave threads idle, so each file in turn is
            // streamed on all of them.
            Some((pool, workers)) if jobs.len() < workers.len() => jobs
                .iter()
                .map(|job| run(Streamer::Parallel(pool, workers), job))
                .fold(TreeSummary::default(), TreeSummary::merge),
            Some((pool, workers)) => pool.install(|| {
                jobs.par_iter()
                    // One file per task: files vary widely in size, and
                    // rayon's splitting would otherwise pair small ones.
                    .with_max_len(1)
                    .map(|job| run(Streamer::Sequential(&mut lock_own_worker(workers)), job))
                    .reduce(TreeSummary::default, TreeSummary::merge)
            }),
        };
        // Files finish in any order on several threads; warnings come out
        // by file, the same on every run (a file's own stay in line order).
        let warnings = self.warnings.get_mut().unwrap_or_else(|p| p.into_inner());
        warnings.sort_by(|a, b| a.path().cmp(b.path()));
        summary
    }
}

/// Keeps the first [`MAX_RECORD_WARNINGS`] skipped records by input and
/// line, whichever order files finish in on several threads.
fn add_record_warning(warnings: &mut Vec<Warning>, warning: Warning) {
    warnings.push(warning);
    let record_place = |w: &Warning| match w {
        Warning::RecordSkipped { path, line, .. } => Some((path.clone(), *line)),
        Warning::Oversized { .. } => None,
    };
    if warnings
        .iter()
        .filter(|w| record_place(w).is_some())
        .count()
        > MAX_RECORD_WARNINGS
        && let Some(last) = (0..warnings.len()).max_by_key(|&i| record_place(&warnings[i]))
    {
        warnings.remove(last);
    }
}

/// The worker of the current pool thread. Each pool thread only ever locks
/// its own worker, so the lock is never contended; a poisoned lock only
/// means another unit panicked.
fn lock_own_worker(workers: &[Mutex<Worker>]) -> std::sync::MutexGuard<'_, Worker> {
    let index = rayon::current_thread_index().unwrap_or(0);
    workers[index % workers.len()]
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Where cleaned batches go, and what they are labelled with.
struct Output<'a, W> {
    out: &'a mut W,
    output_name: &'a Path,
    input_name: &'a Path,
    stats: &'a mut Stats,
    warnings: &'a Mutex<Vec<Warning>>,
}

impl<W: Write> Output<'_, W> {
    /// Writes a batch's output; its bad record, if any, ends the stream.
    fn put(&mut self, batch: BatchOutput) -> Result<(), Error> {
        for chunk in &batch.chunks {
            self.out
                .write_all(chunk)
                .map_err(|e| Error::io(self.output_name, e))?;
        }
        *self.stats += &batch.stats;
        if !batch.skipped.is_empty() {
            let mut warnings = self.warnings.lock().unwrap_or_else(|p| p.into_inner());
            for (line, message) in batch.skipped {
                add_record_warning(
                    &mut warnings,
                    Warning::RecordSkipped {
                        path: self.input_name.to_path_buf(),
                        line,
                        message: message + " (skipped)",
                    },
                );
            }
        }
        match batch.failed {
            Some((line, message)) => {
                Err(self.record_error(line, message + "; use --on-error skip to drop such records"))
            }
            None => Ok(()),
        }
    }

    fn record_error(&self, line: u64, message: String) -> Error {
        Error::Record {
            path: self.input_name.to_path_buf(),
            line,
            message,
        }
    }
}

/// Tells the caller (once per input) that a document was cleaned in parts.
fn warn_if_oversized<R: Read>(
    reader: &UnitReader<R>,
    input_name: &Path,
    warnings: &Mutex<Vec<Warning>>,
) {
    if let Some(Oversized { document, start }) = reader.first_oversized() {
        // At most one per input, so never capped.
        let mut warnings = warnings.lock().unwrap_or_else(|p| p.into_inner());
        warnings.push(Warning::Oversized {
            path: input_name.to_path_buf(),
            document,
            start,
        });
    }
}

/// Reads, cleans and writes batch after batch on the caller's thread.
fn stream_sequential<R: Read, W: Write>(
    worker: &mut Worker,
    mode: Mode,
    format: &Format,
    reader: &mut UnitReader<R>,
    mut sink: Output<'_, W>,
) -> Result<(), Error> {
    let mut batch = Vec::new();
    loop {
        batch.clear();
        let read = reader.next_batch(&mut batch);
        if batch.is_empty() && read.is_ok() {
            return Ok(());
        }
        // What was read before an error is still cleaned and written.
        sink.put(worker.clean_batch(mode, format, &batch))?;
        read.map_err(|e| Error::io(sink.input_name, e))?;
    }
}

/// Like [`stream_sequential`], but batches are cleaned by the pool on a
/// coordinator thread while this thread reads the next batch and writes
/// the previous one. At most two batches are in flight, so memory stays
/// bounded and the output order is the input order (the channels are FIFO).
fn stream_parallel<R: Read, W: Write>(
    pool: &rayon::ThreadPool,
    workers: &[Mutex<Worker>],
    mode: Mode,
    format: &Format,
    reader: &mut UnitReader<R>,
    mut sink: Output<'_, W>,
) -> Result<(), Error> {
    std::thread::scope(|scope| {
        let (batches, to_clean) = mpsc::sync_channel::<Vec<Unit>>(1);
        let (cleaned_tx, cleaned) = mpsc::sync_channel::<BatchOutput>(2);
        scope.spawn(move || {
            for batch in to_clean {
                let output = clean_parallel(pool, workers, mode, format, &batch);
                drop(batch);
                if cleaned_tx.send(output).is_err() {
                    // The reader stopped (write error, bad record).
                    break;
                }
            }
        });
        let mut in_flight = 0usize;
        loop {
            let mut batch = Vec::new();
            let read = reader.next_batch(&mut batch);
            let last = batch.is_empty() || read.is_err();
            if !batch.is_empty() {
                if in_flight == 2 {
                    sink.put(receive(&cleaned)?)?;
                    in_flight -= 1;
                }
                if batches.send(batch).is_err() {
                    // The coordinator is gone only if it panicked; the scope
                    // re-raises that panic.
                    break;
                }
                in_flight += 1;
            }
            // Write whatever is ready without waiting, so outputs don't queue.
            while let Ok(output) = cleaned.try_recv() {
                in_flight -= 1;
                sink.put(output)?;
            }
            if last {
                drop(batches);
                while in_flight > 0 {
                    sink.put(receive(&cleaned)?)?;
                    in_flight -= 1;
                }
                return read.map_err(|e| Error::io(sink.input_name, e));
            }
        }
        Ok(())
    })
}

/// The next cleaned batch. Fails only if the coordinator died, which the
/// enclosing scope turns back into its panic.
fn receive(cleaned: &mpsc::Receiver<BatchOutput>) -> Result<BatchOutput, Error> {
    cleaned
        .recv()
        .map_err(|_| Error::Internal("cleaning thread stopped".to_string()))
}

/// Cleans a batch's units in parallel; their outputs keep the input order.
fn clean_parallel(
    pool: &rayon::ThreadPool,
    workers: &[Mutex<Worker>],
    mode: Mode,
    format: &Format,
    batch: &[Unit],
) -> BatchOutput {
    let results: Vec<(Vec<u8>, Stats, Option<Problem>)> = pool.install(|| {
        batch
            .par_iter()
            .map(|unit| {
                let mut worker = lock_own_worker(workers);
                let mut out = Vec::with_capacity(unit.len());
                let mut stats = Stats::default();
                let problem = worker
                    .clean_unit(mode, format, unit, &mut out, &mut stats)
                    .err();
                (out, stats, problem)
            })
            .collect()
    });
    let mut output = BatchOutput {
        chunks: Vec::with_capacity(results.len()),
        ..BatchOutput::default()
    };
    for (bytes, stats, problem) in results {
        if let Some(problem) = problem {
            if !record_problem(format, problem, &mut output) {
                break;
            }
            continue;
        }
        output.chunks.push(bytes);
        output.stats += &stats;
    }
    output
}

/// Cleans one file of a tree into a temporary file beside its output, then
/// renames it into place. On failure the temporary file is removed.
/// How a file's units are cleaned: by one worker, or by the whole pool.
enum Streamer<'a> {
    Sequential(&'a mut Worker),
    Parallel(&'a rayon::ThreadPool, &'a [Mutex<Worker>]),
}

fn clean_file(
    streamer: Streamer<'_>,
    mode: Mode,
    format: &Format,
    job: &FileJob,
    warnings: &Mutex<Vec<Warning>>,
) -> Result<Stats, Error> {
    let input = codec::open(&job.input).map_err(|e| Error::io(&job.input, e))?;
    if let Some(parent) = job.output.parent() {
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let temp = temp_path(&job.output);
    let file = create_temp(&temp).map_err(|e| Error::io(&temp, e))?;
    let mut stats = Stats::default();
    let result = (|| {
        let mut sink = Sink::new(file, &job.output).map_err(|e| Error::io(&job.output, e))?;
        let mut reader = UnitReader::new(input, format);
        let output = Output {
            out: &mut sink,
            output_name: &job.output,
            input_name: &job.input,
            stats: &mut stats,
            warnings,
        };
        let streamed = match streamer {
            Streamer::Sequential(worker) => {
                stream_sequential(worker, mode, format, &mut reader, output)
            }
            Streamer::Parallel(pool, workers) => {
                stream_parallel(pool, workers, mode, format, &mut reader, output)
            }
        };
        warn_if_oversized(&reader, &job.input, warnings);
        streamed?;
        sink.finish().map_err(|e| Error::io(&job.output, e))?;
        fs::rename(&temp, &job.output).map_err(|e| Error::io(&job.output, e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.map(|()| stats)
}

/// Creates the temporary output afresh: whatever is at its name (a leftover
/// of a killed run, or a symbolic link someone planted) is removed first,
/// and the file is then created only if nothing is there, so a link is
/// never followed (`O_CREAT | O_EXCL` refuses symbolic links).
fn create_temp(temp: &Path) -> io::Result<File> {
    match fs::remove_file(temp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(temp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CleanerOptions, RuleSet};

    fn pipeline(format: Format, threads: usize) -> Pipeline {
        let cleaner = Cleaner::new(
            RuleSet::builtin(),
            CleanerOptions {
                classifier: false,
                ..CleanerOptions::default()
            },
        );
        Pipeline::with_format(cleaner, Mode::Clean, format, threads).unwrap()
    }

    fn run(format: Format, threads: usize, input: &[u8]) -> (Vec<u8>, Stats, Result<(), Error>) {
        let mut p = pipeline(format, threads);
        let mut out = Vec::new();
        let mut stats = Stats::default();
        let r = p.clean_stream(
            input,
            Path::new("in"),
            &mut out,
            Path::new("out"),
            &mut stats,
        );
        (out, stats, r)
    }

    /// Many documents of varied sizes, so batches split mid-stream.
    fn corpus() -> Vec<u8> {
        let mut s = Vec::new();
        for i in 0..(2 * BATCH_UNITS + 1000) {
            s.extend_from_slice(b"Skip to content\nHome | News | Sport | Contact\n");
            for _ in 0..(i % 10) {
                s.extend_from_slice(
                    format!("Paragraph {i} of the article says something long enough to keep.\n")
                        .as_bytes(),
                );
            }
            s.extend_from_slice(b"\x0c\n");
        }
        s
    }

    proptest::proptest! {
        // Each read zero-fills a 256 KiB buffer: keep the case count modest.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Whatever the bytes and however reads split them, every separator
        /// line is found, and documents and separators put back together
        /// are the input.
        #[test]
        fn documents_and_separators_reassemble_the_input(
            input in proptest::collection::vec(
                proptest::sample::select(vec![b'a', b'\n', b'\r', b'\x0c']), 0..300),
            chunk in 1usize..40,
        ) {
            let reader = crate::document::tests::Chunked(&input, chunk);
            let mut reader = UnitReader::new(reader, &Format::Text);
            let mut back = Vec::new();
            while let Some(Unit::Document {
                bytes, separator, ..
            }) = reader.next().unwrap()
            {
                proptest::prop_assert!(separator.as_deref().is_none_or(is_separator));
                // No separator is missed: none is left inside a document.
                proptest::prop_assert!(!lines(&bytes).any(is_separator), "{:?}", bytes);
                back.extend(bytes);
                back.extend(separator.unwrap_or_default());
            }
            proptest::prop_assert_eq!(back, input);
        }
    }

    #[test]
    fn parallel_output_equals_sequential() {
        let input = corpus();
        let (one, s1, r1) = run(Format::Text, 1, &input);
        let (two, s2, r2) = run(Format::Text, 3, &input);
        assert!(r1.is_ok() && r2.is_ok());
        assert_eq!(
            s1.documents as usize,
            2 * BATCH_UNITS + 1000,
            "spans three batches"
        );
        assert!(one.len() < input.len(), "something was removed");
        assert!(one == two, "outputs differ");
        assert_eq!(s1, s2);
    }

    #[test]
    fn jsonl_text_equals_text_filter_and_other_fields_stay() {
        let doc = "Skip to content\nThe minister said the plan would start in May, after a long debate.\n\u{c}\nÉté «x» \"q\"\n";
        let (text_out, _, _) = run(Format::Text, 1, doc.as_bytes());
        let mut record = br#"{"id":1.50,"text":"#.to_vec();
        jsonl::write_string(doc, &mut record);
        record.extend_from_slice(b",\"z\":[1, 2]}\n");
        for threads in [1, 2] {
            let (out, stats, r) = run(Format::Jsonl(JsonlOptions::default()), threads, &record);
            r.unwrap();
            let out = String::from_utf8(out).unwrap();
            assert!(out.starts_with(r#"{"id":1.50,"text":"#) && out.ends_with(",\"z\":[1, 2]}\n"));
            let field = jsonl::locate(out.as_bytes(), "text").unwrap();
            assert_eq!(field.text.as_bytes(), &text_out[..]);
            assert_eq!(stats.documents, 2);
        }
    }

    #[test]
    fn bad_record_stops_after_whole_records_or_is_skipped() {
        let mut input = Vec::new();
        for i in 1..=5000 {
            if i == 4321 {
                input.extend_from_slice(b"{\"text\": oops}\n");
            } else {
                input.extend_from_slice(format!("{{\"text\":\"line {i}\\n\"}}\n").as_bytes());
            }
        }
        for threads in [1, 2] {
            let (out, _, r) = run(Format::Jsonl(JsonlOptions::default()), threads, &input);
            match r {
                Err(Error::Record { line: 4321, .. }) => {}
                other => panic!("expected a record error, got {other:?}"),
            }
            assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 4320);
            assert!(out.ends_with(b"{\"text\":\"line 4320\\n\"}\n"));

            let skip = JsonlOptions {
                on_error: OnError::Skip,
                ..JsonlOptions::default()
            };
            let (out, stats, r) = run(Format::Jsonl(skip), threads, &input);
            r.unwrap();
            assert_eq!(stats.records_skipped, 1);
            assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 4999);
        }
    }
}
