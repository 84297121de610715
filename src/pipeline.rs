//! Where documents meet threads: the only module that knows about rayon.
//!
//! A stream is read in batches of whole documents (bounded in bytes, so
//! memory stays flat on endless streams). With one thread a batch is cleaned
//! in order on the caller's thread; with more, its documents are cleaned in
//! parallel and the outputs are written back in input order. Each pool
//! thread owns one [`Cleaner`] for the whole run, so regex caches stay warm
//! and are never shared between threads.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Mutex;

use rayon::prelude::*;

use crate::classify::{Cleaner, Verdict};
use crate::document::{Document, DocumentReader};
use crate::error::Error;
use crate::output::{Mode, Stats, write_document};

/// A batch holds at most this many bytes of input (or one larger document).
const BATCH_BYTES: usize = 8 * 1024 * 1024;
/// …and at most this many documents.
const BATCH_DOCUMENTS: usize = 4096;

/// One thread's cleaner and scratch space.
struct Worker {
    cleaner: Cleaner,
    verdicts: Vec<Verdict>,
}

impl Worker {
    /// Cleans one document, appending its output (and separator) to `out`.
    fn clean(&mut self, mode: Mode, doc: &Document, out: &mut Vec<u8>, stats: &mut Stats) {
        self.cleaner.classify(&doc.bytes, &mut self.verdicts);
        let rules = self.cleaner.rules();
        write_document(mode, &doc.bytes, &self.verdicts, rules, out);
        stats.add_document(&doc.bytes, &self.verdicts, rules.rules().len());
        if let Some(separator) = &doc.separator {
            if mode == Mode::Explain {
                out.extend_from_slice(b"keep\tseparator\t");
            }
            out.extend_from_slice(separator);
            if !separator.ends_with(b"\n") && mode == Mode::Explain {
                out.push(b'\n');
            }
        }
    }
}

/// Cleans streams of documents on a fixed number of threads.
pub struct Pipeline {
    mode: Mode,
    /// The caller's worker, used when there is one thread or one document.
    local: Worker,
    /// A pool and one worker per pool thread, when more than one thread.
    parallel: Option<(rayon::ThreadPool, Vec<Mutex<Worker>>)>,
}

impl Pipeline {
    /// A pipeline on `threads` threads (0: one per core).
    pub fn new(cleaner: Cleaner, mode: Mode, threads: usize) -> Result<Pipeline, Error> {
        let threads = if threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            threads
        };
        let parallel = if threads > 1 {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|e| Error::Usage(format!("cannot start {threads} threads: {e}")))?;
            let workers = (0..threads)
                .map(|_| {
                    Mutex::new(Worker {
                        cleaner: cleaner.clone(),
                        verdicts: Vec::new(),
                    })
                })
                .collect();
            Some((pool, workers))
        } else {
            None
        };
        Ok(Pipeline {
            mode,
            local: Worker {
                cleaner,
                verdicts: Vec::new(),
            },
            parallel,
        })
    }

    /// Cleans every document of `input` into `out`, in input order.
    /// `input_name` labels read errors; write errors are labelled `<stdout>`
    /// unless `output_name` says otherwise.
    pub fn clean_stream<R: Read, W: Write>(
        &mut self,
        input: R,
        input_name: &Path,
        out: &mut W,
        output_name: &Path,
        stats: &mut Stats,
    ) -> Result<(), Error> {
        let mut reader = DocumentReader::new(input);
        let mut batch: Vec<Document> = Vec::new();
        let mut buffer = Vec::new();
        loop {
            let mut batch_bytes = 0;
            batch.clear();
            while batch_bytes < BATCH_BYTES && batch.len() < BATCH_DOCUMENTS {
                match reader.next_document() {
                    Ok(Some(doc)) => {
                        batch_bytes += doc.bytes.len();
                        batch.push(doc);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        // Write what was read so far before reporting: nothing
                        // already cleaned is lost.
                        buffer.clear();
                        self.clean_batch(&batch, &mut buffer, stats);
                        write_all(out, &buffer, output_name)?;
                        return Err(Error::io(input_name, e));
                    }
                }
            }
            if batch.is_empty() {
                return Ok(());
            }
            buffer.clear();
            self.clean_batch(&batch, &mut buffer, stats);
            write_all(out, &buffer, output_name)?;
        }
    }

    /// Cleans a batch into `out` (appending), in order.
    fn clean_batch(&mut self, batch: &[Document], out: &mut Vec<u8>, stats: &mut Stats) {
        let mode = self.mode;
        match &self.parallel {
            Some((pool, workers)) if batch.len() > 1 => {
                let results: Vec<(Vec<u8>, Stats)> = pool.install(|| {
                    batch
                        .par_iter()
                        .map(|doc| {
                            let index = rayon::current_thread_index().unwrap_or(0);
                            // Each pool thread only ever locks its own worker,
                            // so the lock is never contended; a poisoned lock
                            // only means another document panicked.
                            let mut worker = workers[index % workers.len()]
                                .lock()
                                .unwrap_or_else(|poisoned| poisoned.into_inner());
                            let mut doc_out = Vec::with_capacity(doc.bytes.len());
                            let mut doc_stats = Stats::default();
                            worker.clean(mode, doc, &mut doc_out, &mut doc_stats);
                            (doc_out, doc_stats)
                        })
                        .collect()
                });
                for (bytes, doc_stats) in &results {
                    out.extend_from_slice(bytes);
                    *stats += doc_stats;
                }
            }
            _ => {
                for doc in batch {
                    self.local.clean(mode, doc, out, stats);
                }
            }
        }
    }
}

fn write_all<W: Write>(out: &mut W, bytes: &[u8], name: &Path) -> Result<(), Error> {
    out.write_all(bytes).map_err(|e| Error::io(name, e))
}
