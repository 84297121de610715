//! A stream cleaned batch after batch: in order on the caller's thread, or
//! with the pool cleaning several batches while the next is read, written
//! back in input order.

use std::io::{Read, Write};
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use rayon::prelude::*;

use super::units::Format;
use super::units::{Unit, UnitReader};
use super::worker::{BatchOutput, Problem, Worker, lock_own_worker, record_problem};
use crate::document::Oversized;
use crate::error::{Error, Warning};
use crate::output::{Mode, Stats};

/// Where cleaned batches go, and what they are labelled with.
pub(super) struct Output<'a, W> {
    pub(super) out: &'a mut W,
    pub(super) output_name: &'a Path,
    pub(super) input_name: &'a Path,
    pub(super) stats: &'a mut Stats,
    pub(super) warnings: &'a Mutex<Vec<Warning>>,
    /// Records are WET records, placed by byte offset, not by line.
    pub(super) wet: bool,
    /// Set when the run must stop: checked before each batch is read.
    pub(super) stop: &'a AtomicBool,
}

impl<W: Write> Output<'_, W> {
    /// Writes a batch's output; its bad record, if any, ends the stream.
    /// Hands back the written buffers, for reuse.
    pub(super) fn put(&mut self, batch: BatchOutput) -> Result<Vec<Vec<u8>>, Error> {
        for chunk in &batch.chunks {
            self.out
                .write_all(chunk)
                .map_err(|e| Error::io(self.output_name, e))?;
        }
        *self.stats += &batch.stats;
        if !batch.skipped.is_empty() {
            let mut warnings = self.warnings.lock().unwrap_or_else(|p| p.into_inner());
            for (place, message) in batch.skipped {
                let (path, message) = (self.input_name.to_path_buf(), message + " (skipped)");
                let warning = if self.wet {
                    Warning::WetRecordSkipped {
                        path,
                        offset: place,
                        message,
                    }
                } else {
                    Warning::RecordSkipped {
                        path,
                        line: place,
                        message,
                    }
                };
                add_record_warning(&mut warnings, warning);
            }
        }
        match batch.failed {
            Some((line, message)) => {
                Err(self.record_error(line, message + "; use --on-error skip to drop such records"))
            }
            None => Ok(batch.chunks),
        }
    }

    /// [`Error::Interrupted`] once the run was asked to stop.
    fn check_stop(&self) -> Result<(), Error> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(Error::Interrupted);
        }
        Ok(())
    }

    pub(super) fn record_error(&self, place: u64, message: String) -> Error {
        let path = self.input_name.to_path_buf();
        if self.wet {
            Error::WetRecord {
                path,
                offset: place,
                message,
            }
        } else {
            Error::Record {
                path,
                line: place,
                message,
            }
        }
    }
}

/// Tells the caller (once per input) that a document was cleaned in parts,
/// and that lines were too long to hold: `lines_too_long` is the input's
/// count of them (its [`Stats::lines_too_long`]). A text reader knows where
/// the first one was; a WET page's text is cut into lines only when
/// cleaned, so for WET the count is all there is to say.
pub(super) fn warn_if_oversized<R: Read>(
    reader: &UnitReader<R>,
    format: &Format,
    lines_too_long: u64,
    input_name: &Path,
    warnings: &Mutex<Vec<Warning>>,
) {
    let path = || input_name.to_path_buf();
    // At most one of each per input, so never capped.
    let mut found = Vec::new();
    if let Some(Oversized { document, start }) = reader.first_oversized() {
        found.push(Warning::Oversized {
            path: path(),
            document,
            start,
        });
    }
    if let (count @ 1.., Some(Oversized { document, start })) = reader.long_lines() {
        found.push(Warning::LongLines {
            path: path(),
            count,
            document,
            start,
        });
    } else if matches!(format, Format::Wet(_)) && lines_too_long > 0 {
        found.push(Warning::WetLongLines {
            path: path(),
            count: lines_too_long,
        });
    }
    if !found.is_empty() {
        let mut warnings = warnings.lock().unwrap_or_else(|p| p.into_inner());
        warnings.extend(found);
    }
}

/// Reads, cleans and writes batch after batch on the caller's thread.
pub(super) fn stream_sequential<R: Read, W: Write>(
    worker: &mut Worker,
    mode: Mode,
    format: &Format,
    reader: &mut UnitReader<R>,
    mut sink: Output<'_, W>,
) -> Result<(), Error> {
    let mut batch = Vec::new();
    loop {
        sink.check_stop()?;
        batch.clear();
        let read = reader.next_batch(&mut batch);
        if batch.is_empty() && read.is_ok() {
            return Ok(());
        }
        // What was read before an error is still cleaned and written.
        let written = sink.put(worker.clean_batch(mode, format, &batch))?;
        worker.recycle(written);
        read.map_err(|e| Error::io(sink.input_name, e))?;
    }
}

/// Like [`stream_sequential`], but batches are cleaned by the pool while
/// this thread reads the next batch and writes the oldest one cleaned. At
/// most [`IN_FLIGHT`] batches are cleaned or waiting to be written at once,
/// so memory stays bounded; they are written in input order.
///
/// Each batch is a job of its own in the pool, not one after the other:
/// a thread done with its share of a batch takes documents of a later one
/// instead of waiting for the batch's last document to be cleaned.
pub(super) fn stream_parallel<R: Read, W: Write>(
    pool: &rayon::ThreadPool,
    workers: &[Mutex<Worker>],
    mode: Mode,
    format: &Format,
    reader: &mut UnitReader<R>,
    mut sink: Output<'_, W>,
) -> Result<(), Error> {
    std::thread::scope(|scope| {
        let (batches, to_clean) = mpsc::sync_channel::<(u64, Vec<Unit>)>(1);
        let (cleaned_tx, cleaned) = mpsc::sync_channel::<(u64, Cleaned)>(IN_FLIGHT);
        scope.spawn(move || {
            pool.in_place_scope(|jobs| {
                for (seq, batch) in to_clean {
                    let cleaned_tx = cleaned_tx.clone();
                    jobs.spawn(move |_| {
                        // A panic goes to this thread as a value: the pool
                        // would hold it until every batch is sent, while
                        // this thread waited for the batch.
                        let output = std::panic::catch_unwind(AssertUnwindSafe(|| {
                            clean_parallel(pool, workers, mode, format, &batch)
                        }));
                        drop(batch);
                        // An error is the reader gone (a write error, a bad
                        // record): nobody wants the output.
                        let _ = cleaned_tx.send((seq, output));
                    });
                }
            });
        });
        let mut in_order = InOrder::default();
        loop {
            // Returning drops `batches`: the coordinator ends with the scope.
            sink.check_stop()?;
            let mut batch = Vec::new();
            let read = reader.next_batch(&mut batch);
            let last = batch.is_empty() || read.is_err();
            if !batch.is_empty() {
                if in_order.in_flight() == IN_FLIGHT {
                    sink.put(in_order.next(&cleaned)?)?;
                }
                if batches.send((in_order.sent, batch)).is_err() {
                    // The coordinator is gone only if it panicked; the scope
                    // re-raises that panic.
                    break;
                }
                in_order.sent += 1;
            }
            // Write whatever is ready without waiting, so outputs don't queue.
            while let Some(output) = in_order.ready(&cleaned) {
                sink.put(output)?;
            }
            if last {
                drop(batches);
                while in_order.in_flight() > 0 {
                    sink.put(in_order.next(&cleaned)?)?;
                }
                return read.map_err(|e| Error::io(sink.input_name, e));
            }
        }
        Ok(())
    })
}

/// Batches being cleaned or waiting to be written, at most: enough that
/// the pool has work while the oldest one's last documents are cleaned.
const IN_FLIGHT: usize = 4;

/// A batch's output, or the panic that stopped its cleaning.
pub(super) type Cleaned = std::thread::Result<BatchOutput>;

/// Puts cleaned batches, which the pool may finish in any order, back in
/// the order they were read.
#[derive(Default)]
pub(super) struct InOrder {
    /// Batches sent to be cleaned.
    pub(super) sent: u64,
    /// Batches written.
    written: u64,
    /// Cleaned batches that wait for one before them.
    early: Vec<(u64, Cleaned)>,
}

impl InOrder {
    pub(super) fn in_flight(&self) -> usize {
        (self.sent - self.written) as usize
    }

    /// The next batch to write, if it is cleaned, without waiting.
    pub(super) fn ready(
        &mut self,
        cleaned: &mpsc::Receiver<(u64, Cleaned)>,
    ) -> Option<BatchOutput> {
        while let Ok(done) = cleaned.try_recv() {
            self.early.push(done);
        }
        self.take_next()
    }

    /// The next batch to write, once it is cleaned.
    pub(super) fn next(
        &mut self,
        cleaned: &mpsc::Receiver<(u64, Cleaned)>,
    ) -> Result<BatchOutput, Error> {
        loop {
            if let Some(output) = self.take_next() {
                return Ok(output);
            }
            self.early.push(receive(cleaned)?);
        }
    }

    /// The next batch in order, if cleaned; a panic that stopped its
    /// cleaning goes on here, on the thread that writes.
    fn take_next(&mut self) -> Option<BatchOutput> {
        let at = self
            .early
            .iter()
            .position(|(seq, _)| *seq == self.written)?;
        self.written += 1;
        match self.early.swap_remove(at).1 {
            Ok(output) => Some(output),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

/// The next cleaned batch. Fails only if the coordinator died, which the
/// enclosing scope turns back into its panic.
pub(super) fn receive<T>(cleaned: &mpsc::Receiver<T>) -> Result<T, Error> {
    cleaned
        .recv()
        .map_err(|_| Error::Internal("cleaning thread stopped".to_string()))
}

/// Cleans a batch's units in parallel; their outputs keep the input order.
pub(super) fn clean_parallel(
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

/// Skipped records reported one by one (the first by input and line, or
/// byte offset for WET); the
/// rest are only counted.
const MAX_RECORD_WARNINGS: usize = 20;

/// Keeps the first [`MAX_RECORD_WARNINGS`] skipped records by input and
/// line, whichever order files finish in on several threads.
pub(super) fn add_record_warning(warnings: &mut Vec<Warning>, warning: Warning) {
    warnings.push(warning);
    let record_place = |w: &Warning| match w {
        Warning::RecordSkipped { path, line, .. } => Some((path.clone(), *line)),
        Warning::WetRecordSkipped { path, offset, .. } => Some((path.clone(), *offset)),
        Warning::Oversized { .. }
        | Warning::NotFollowed { .. }
        | Warning::LongLines { .. }
        | Warning::WetLongLines { .. } => None,
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
