//! Where documents meet threads: the only module that knows about rayon and
//! threads.
//!
//! A stream (text, JSON Lines or WET) is read in batches of whole units — a
//! document, or a record — bounded in bytes, so memory stays flat on endless
//! streams. With one thread everything runs in order on the caller's thread.
//! With more, the caller's thread reads the next batch and writes the
//! previous one while a coordinator thread has the pool clean the current
//! one; outputs are written in input order. A directory tree is cleaned file
//! by file, files in parallel, each file streamed by one worker.
//!
//! Each pool thread owns one [`Cleaner`] for the whole run, so regex caches
//! stay warm and are never shared between threads.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::cleaner::Cleaner;
use crate::error::{Error, Warning};
use crate::output::{Mode, Stats};
use crate::sites::site_of_path;
use files::{Streamer, clean_file};
use stream::{Output, stream_parallel, stream_sequential, warn_if_oversized};
use tree::FileJob;
pub use units::Format;
use units::UnitReader;
pub use wet::WetOptions;
use worker::{Worker, lock_own_worker};

/// What happened to one file of a tree.
#[derive(Debug)]
pub enum FileOutcome {
    /// Cleaned and renamed into place.
    Done(Stats),
    /// Not cleaned: its output exists (`--skip-existing`).
    Skipped,
    /// Not cleaned: nothing was left at its output path (but for a bad
    /// record, which leaves the records before it).
    Failed(Error),
    /// Not cleaned, or stopped mid-file, because the run was asked to stop
    /// ([`Pipeline::stop_when`]): nothing was left at its output path.
    Stopped,
}

/// Totals over a tree.
#[derive(Debug, Default)]
pub struct TreeSummary {
    /// The counts of the files cleaned, added up.
    pub stats: Stats,
    /// Files cleaned ([`FileOutcome::Done`]).
    pub done: usize,
    /// Files whose output existed ([`FileOutcome::Skipped`]).
    pub skipped: usize,
    /// Files that failed ([`FileOutcome::Failed`]).
    pub failed: usize,
    /// Files not cleaned because the run was asked to stop.
    pub stopped: usize,
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
            FileOutcome::Stopped => self.stopped += 1,
            FileOutcome::Failed(e) => {
                self.failed += 1;
                if matches!(e, Error::Record { .. } | Error::WetRecord { .. }) {
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
        self.stopped += other.stopped;
        self.failed_records += other.failed_records;
        self
    }
}

/// The most threads a [`Pipeline`] runs on (`-j`'s limit): far above any
/// machine's cores; each thread holds a cleaner and its caches.
pub const MAX_THREADS: usize = 1024;

/// Cleans streams and trees on a fixed number of threads.
///
/// ```
/// use kzclean::{Cleaner, CleanerOptions, Format, JsonlOptions, Mode, Pipeline, RuleSet, Stats};
/// let cleaner = Cleaner::new(RuleSet::builtin(), CleanerOptions::default());
/// let format = Format::Jsonl(JsonlOptions::default());
/// let mut pipeline = Pipeline::with_format(cleaner, Mode::Clean, format, 2)?;
/// let input = br#"{"id":7,"text":"Skip to content\nThe minister said the plan would start in May, after a long debate.\n"}"#;
/// let (mut out, mut stats) = (Vec::new(), Stats::default());
/// pipeline.clean_stream(&input[..], "in.jsonl".as_ref(), &mut out, "out.jsonl".as_ref(), &mut stats)?;
/// assert_eq!(
///     out,
///     br#"{"id":7,"text":"The minister said the plan would start in May, after a long debate.\n"}"#
/// );
/// assert_eq!((stats.lines_in, stats.lines_out), (2, 1));
/// # Ok::<(), kzclean::Error>(())
/// ```
pub struct Pipeline {
    mode: Mode,
    format: Format,
    /// Inputs named like WET files are read in this format (WET) instead.
    wet_by_name: Option<Format>,
    /// The caller's worker, used when there is one thread.
    local: Worker,
    /// A pool and one worker per pool thread, when more than one thread.
    parallel: Option<(rayon::ThreadPool, Vec<Mutex<Worker>>)>,
    /// The first skipped records, for the caller to report.
    warnings: Mutex<Vec<Warning>>,
    /// Set from outside (a signal handler) to stop the run early.
    stop: Arc<AtomicBool>,
    /// The longest line held whole (bytes before its `\n`).
    max_line: usize,
    /// With a site profile, the site of every file of a tree (`--site`);
    /// `None`: each file's folder name.
    tree_site: Option<String>,
}

impl Pipeline {
    /// A pipeline on `threads` threads (0: one per core) for text input.
    ///
    /// # Errors
    ///
    /// [`Error::Usage`] for more than [`MAX_THREADS`] threads;
    /// [`Error::Internal`] when the threads cannot be started.
    pub fn new(cleaner: Cleaner, mode: Mode, threads: usize) -> Result<Pipeline, Error> {
        Pipeline::with_format(cleaner, mode, Format::Text, threads)
    }

    /// A pipeline on `threads` threads (0: one per core), each with a
    /// clone of `cleaner`.
    ///
    /// # Errors
    ///
    /// [`Error::Usage`] for more than [`MAX_THREADS`] threads;
    /// [`Error::Internal`] when the threads cannot be started.
    pub fn with_format(
        cleaner: Cleaner,
        mode: Mode,
        format: Format,
        threads: usize,
    ) -> Result<Pipeline, Error> {
        if threads > MAX_THREADS {
            return Err(Error::Usage(format!(
                "{threads} threads: at most {MAX_THREADS}; 0 gives one per core"
            )));
        }
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
            wet_by_name: None,
            local: Worker::new(cleaner),
            parallel,
            warnings: Mutex::new(Vec::new()),
            stop: Arc::new(AtomicBool::new(false)),
            max_line: crate::document::DEFAULT_MAX_LINE,
            tree_site: None,
        })
    }

    /// Sets the longest line held in memory, in bytes before its `\n`
    /// ([`crate::document::DEFAULT_MAX_LINE`] unless set). A longer line is
    /// never held whole: it is dropped as it is read (written by `--explain`
    /// and `--invert` chunk by chunk) and counted in
    /// [`Stats::lines_too_long`]; under JSON Lines such a record is an
    /// unusable record. Memory stays bounded whatever the input.
    pub fn set_max_line_bytes(&mut self, max_line: usize) {
        self.max_line = max_line.max(1);
        // Workers apply it to WET pages, which come whole from their reader.
        self.local.max_line = self.max_line;
        for worker in self.parallel.iter().flat_map(|(_, workers)| workers) {
            worker.lock().unwrap_or_else(|p| p.into_inner()).max_line = self.max_line;
        }
    }

    /// Stops the run early once `flag` is set (by a signal handler, say):
    /// a tree starts no new file, and a stream or file under way ends at its
    /// next batch with [`Error::Interrupted`] (in a tree, the file is
    /// [`FileOutcome::Stopped`] and its temporary output removed).
    pub fn stop_when(&mut self, flag: Arc<AtomicBool>) {
        self.stop = flag;
    }

    /// Reads the inputs whose names say WET ([`wet::is_wet_name`]:
    /// `*.warc.wet.gz`, `*.wet`, …) as WET with these options, whatever the
    /// pipeline's format; `None` reads every input in that format.
    pub fn read_wet_by_name(&mut self, options: Option<WetOptions>) {
        self.wet_by_name = options.map(Format::Wet);
    }

    /// True when the cleaner has a site profile.
    pub fn has_profile(&self) -> bool {
        self.local.cleaner.has_profile()
    }

    /// The site of the streams cleaned next, for the cleaner's site profile
    /// (see [`Cleaner::set_site`]; JSON Lines records with a URL field use
    /// their URL's site instead). For trees: the site of every file, where
    /// `None` means each file's folder name.
    pub fn set_site(&mut self, site: Option<&str>) {
        self.tree_site = site.map(str::to_string);
        set_workers_site(&mut self.local, self.parallel.as_ref(), site);
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
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when reading `input` (named `input_name`) or writing
    /// `out` (named `output_name`) fails; [`Error::Record`] or
    /// [`Error::WetRecord`] for an unusable record under
    /// [`OnError::Fail`](crate::OnError::Fail); [`Error::Interrupted`]
    /// once the flag of [`Pipeline::stop_when`] is set.
    pub fn clean_stream<R: Read, W: Write>(
        &mut self,
        input: R,
        input_name: &Path,
        out: &mut W,
        output_name: &Path,
        stats: &mut Stats,
    ) -> Result<(), Error> {
        let format = self
            .format
            .for_input(self.wet_by_name.as_ref(), input_name)
            .clone();
        let mut reader = UnitReader::new(input, &format, self.max_line);
        let too_long_before = stats.lines_too_long;
        let sink = Output {
            out,
            output_name,
            input_name,
            stats: &mut *stats,
            warnings: &self.warnings,
            wet: matches!(format, Format::Wet(_)),
            stop: &self.stop,
        };
        let result = match &self.parallel {
            None => stream_sequential(&mut self.local, self.mode, &format, &mut reader, sink),
            Some((pool, workers)) => {
                stream_parallel(pool, workers, self.mode, &format, &mut reader, sink)
            }
        };
        let too_long = stats.lines_too_long - too_long_before;
        warn_if_oversized(&reader, &format, too_long, input_name, &self.warnings);
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
        let (mode, warnings) = (self.mode, &self.warnings);
        let (format, wet_by_name) = (&self.format, self.wet_by_name.as_ref());
        let (stop, max_line) = (&*self.stop, self.max_line);
        let profiled = self.local.cleaner.has_profile();
        let tree_site = self.tree_site.as_deref();
        let site_of = |job: &FileJob| {
            tree_site
                .map(str::to_string)
                .or_else(|| site_of_path(&job.input))
        };
        let run = |streamer: Streamer<'_>, job: &FileJob| {
            let format = format.for_input(wet_by_name, &job.input);
            let outcome = if stop.load(Ordering::Relaxed) {
                // Not started: said once by the caller, not once a file.
                let mut summary = TreeSummary::default();
                summary.add(&FileOutcome::Stopped);
                return summary;
            } else if skip_existing && fs::symlink_metadata(&job.output).is_ok() {
                FileOutcome::Skipped
            } else {
                match clean_file(streamer, mode, format, job, warnings, stop, max_line) {
                    Ok(stats) => FileOutcome::Done(stats),
                    Err(Error::Interrupted) => FileOutcome::Stopped,
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
                .map(|job| {
                    if profiled {
                        self.local.cleaner.set_site(site_of(job).as_deref());
                    }
                    run(Streamer::Sequential(&mut self.local), job)
                })
                .fold(TreeSummary::default(), TreeSummary::merge),
            // Fewer files than threads (one big shard, say): files in
            // parallel would leave threads idle, so each file in turn is
            // streamed on all of them.
            Some((pool, workers)) if jobs.len() < workers.len() => jobs
                .iter()
                .map(|job| {
                    if profiled {
                        let site = site_of(job);
                        for worker in workers {
                            lock(worker).cleaner.set_site(site.as_deref());
                        }
                    }
                    run(Streamer::Parallel(pool, workers), job)
                })
                .fold(TreeSummary::default(), TreeSummary::merge),
            Some((pool, workers)) => pool.install(|| {
                jobs.par_iter()
                    // One file per task: files vary widely in size, and
                    // rayon's splitting would otherwise pair small ones.
                    .with_max_len(1)
                    .map(|job| {
                        let mut worker = lock_own_worker(workers);
                        if profiled {
                            worker.cleaner.set_site(site_of(job).as_deref());
                        }
                        run(Streamer::Sequential(&mut worker), job)
                    })
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

/// Sets the site on the caller's worker and on every pool worker.
fn set_workers_site(
    local: &mut Worker,
    parallel: Option<&(rayon::ThreadPool, Vec<Mutex<Worker>>)>,
    site: Option<&str>,
) {
    local.cleaner.set_site(site);
    if let Some((_, workers)) = parallel {
        for worker in workers {
            lock(worker).cleaner.set_site(site);
        }
    }
}

/// Locks a worker; a poisoned lock only means a unit panicked.
fn lock(worker: &Mutex<Worker>) -> std::sync::MutexGuard<'_, Worker> {
    worker.lock().unwrap_or_else(|p| p.into_inner())
}

pub mod codec;
mod files;
pub mod jsonl;
pub mod learn;
mod stream;
#[cfg(test)]
mod tests;
pub(crate) mod tree;
mod units;
pub mod wet;
mod worker;
