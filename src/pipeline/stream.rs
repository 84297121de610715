//! A stream cleaned batch after batch: in order on the caller's thread, or
//! with the pool cleaning one batch while the next is read.

use std::io::{Read, Write};
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
/// and that lines were too long to hold.
pub(super) fn warn_if_oversized<R: Read>(
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
    if let (count @ 1.., Some(Oversized { document, start })) = reader.long_lines() {
        let mut warnings = warnings.lock().unwrap_or_else(|p| p.into_inner());
        warnings.push(Warning::LongLines {
            path: input_name.to_path_buf(),
            count,
            document,
            start,
        });
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

/// Like [`stream_sequential`], but batches are cleaned by the pool on a
/// coordinator thread while this thread reads the next batch and writes
/// the previous one. At most two batches are in flight, so memory stays
/// bounded and the output order is the input order (the channels are FIFO).
pub(super) fn stream_parallel<R: Read, W: Write>(
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
            // Returning drops `batches`: the coordinator ends with the scope.
            sink.check_stop()?;
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
pub(super) fn receive(cleaned: &mpsc::Receiver<BatchOutput>) -> Result<BatchOutput, Error> {
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
        Warning::Oversized { .. } | Warning::NotFollowed { .. } | Warning::LongLines { .. } => None,
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
