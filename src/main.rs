//! The `kzclean` command: flags in, exit status out. All cleaning is done by
//! the library; this file opens inputs, reports errors and prints stats.

mod cli;

use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use clap::Parser;

use indicatif::{ProgressBar, ProgressStyle};
use kzclean::Model;
use kzclean::document::DocumentReader;
use kzclean::{
    Cleaner, CleanerOptions, Error, FileOutcome, Format, JsonlOptions, Mode, OnError, Pipeline,
    Preset, RuleSet, RuleSource, Selection, Stats, codec,
};

/// Makes glibc's allocator hand freed batch buffers back to the system.
/// By default it raises its mmap and trim thresholds each time a large
/// block is freed, so the 2 MB batches and documents that threads allocate
/// and free land in per-thread heaps that never shrink: peak RSS at two
/// threads on the 250 MB stream was 63 MiB with the default, 59 MiB with a
/// fixed threshold, at the same speed. Fixing the trim threshold also fixes
/// the mmap threshold at its 128 KiB default.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_freed_memory() {
    unsafe extern "C" {
        fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
    }
    const M_TRIM_THRESHOLD: std::ffi::c_int = -1;
    // SAFETY: mallopt only sets a tunable of glibc's malloc; it is called
    // before any other thread exists. A failure (0) leaves the default.
    unsafe {
        mallopt(M_TRIM_THRESHOLD, 4 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_freed_memory() {}

fn main() -> ExitCode {
    return_freed_memory();
    let args = cli::Args::parse();
    match run(args) {
        Ok(code) => code,
        // The reader went away (`kzclean < x | head`): not a failure.
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            report(&e);
            match e {
                Error::Rules(_) | Error::Model(_) | Error::Usage(_) | Error::Record { .. } => {
                    ExitCode::from(2)
                }
                _ => ExitCode::from(1),
            }
        }
    }
}

/// Prints an error on stderr. A closed stderr is ignored: nothing else can be
/// done about it, and panicking would lose the exit status.
fn report(e: &impl std::fmt::Display) {
    let mut stderr = io::stderr().lock();
    for line in e.to_string().lines() {
        let _ = writeln!(stderr, "kzclean: {line}");
    }
}

fn run(args: cli::Args) -> Result<ExitCode, Error> {
    let cleaner = build_cleaner(&args)?;
    if args.check_rules {
        let mut stderr = io::stderr().lock();
        let _ = writeln!(
            stderr,
            "kzclean: rules OK ({} rules)",
            cleaner.rules().rules().len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if args.dump_features {
        return dump_features(&args, cleaner);
    }
    let mode = if args.explain {
        Mode::Explain
    } else if args.invert {
        Mode::Invert
    } else {
        Mode::Clean
    };
    let rule_ids: Vec<String> = cleaner
        .rules()
        .rules()
        .iter()
        .map(|r| r.id.clone())
        .collect();
    let format = if args.jsonl {
        Format::Jsonl(JsonlOptions {
            field: args.field.clone(),
            on_error: match args.on_error {
                cli::OnErrorArg::Fail => OnError::Fail,
                cli::OnErrorArg::Skip => OnError::Skip,
            },
            annotate: args.annotate,
        })
    } else {
        Format::Text
    };
    // Never dropped: the process ends right after, and freeing the compiled
    // rules one allocation at a time cost 4% of the start-up that a user
    // cleaning one page per process pays for every page.
    let mut pipeline = std::mem::ManuallyDrop::new(Pipeline::with_format(
        cleaner,
        mode,
        format,
        usize::from(args.threads),
    )?);
    if args.recursive {
        return run_tree(&args, &mut pipeline, &rule_ids);
    }
    let started = Instant::now();
    let mut stats = Stats::default();
    let stdout = io::stdout().lock();
    let mut out = LastByte::new(BufWriter::with_capacity(256 * 1024, stdout));
    let stdout_name = Path::new("<stdout>");
    let inputs = input_paths(&args);
    let mut failed = 0usize;
    for path in &inputs {
        // A file whose output did not end its last line must not run into the
        // next file's first line.
        if out.last.is_some_and(|b| b != b'\n')
            && let Err(e) = out.write_all(b"\n")
        {
            return output_failed(Error::io(stdout_name, e), failed);
        }
        let result = if path.as_os_str() == "-" {
            let stdin = io::stdin().lock();
            pipeline.clean_stream(
                stdin,
                Path::new("<stdin>"),
                &mut out,
                stdout_name,
                &mut stats,
            )
        } else {
            match codec::open(path) {
                Ok(file) => pipeline.clean_stream(file, path, &mut out, stdout_name, &mut stats),
                Err(e) => Err(Error::io(path, e)),
            }
        };
        match result {
            Ok(()) => {}
            Err(e @ Error::Io { .. })
                if !e.is_broken_pipe() && !is_output_error(&e, stdout_name) =>
            {
                // One bad input does not stop the others.
                failed += 1;
                report(&e);
            }
            Err(e @ Error::Record { .. }) => {
                // Every whole record before the bad one goes out first.
                out.flush().map_err(|e| Error::io(stdout_name, e))?;
                report_warnings(&mut pipeline, &stats);
                return Err(e);
            }
            Err(e) => return output_failed(e, failed),
        }
    }
    if let Err(e) = out.flush() {
        return output_failed(Error::io(stdout_name, e), failed);
    }
    report_warnings(&mut pipeline, &stats);
    if args.stats {
        print_stats(&stats, &rule_ids, started.elapsed().as_secs_f64());
    }
    if failed > 0 {
        let mut stderr = io::stderr().lock();
        let _ = writeln!(
            stderr,
            "kzclean: {failed} of {} inputs failed",
            inputs.len()
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// `-r IN -o OUT`: cleans a tree, file by file, with a progress bar on a
/// terminal. Failed files are reported as they happen and counted.
fn run_tree(
    args: &cli::Args,
    pipeline: &mut Pipeline,
    rule_ids: &[String],
) -> Result<ExitCode, Error> {
    let [input] = args.files.as_slice() else {
        return Err(Error::Usage(format!(
            "-r takes exactly one input directory, got {}",
            args.files.len()
        )));
    };
    let output = args.output.as_deref().unwrap_or(Path::new("."));
    let selection = Selection::new(&args.glob)?;
    let plan = kzclean::plan(input, output, &selection)?;
    for e in &plan.unreadable {
        report(e);
    }
    if let Some(first) = plan.leftovers.first() {
        let _ = writeln!(
            io::stderr().lock(),
            "kzclean: not cleaned: {} file(s) or folder(s) named like kzclean's temporary \
             outputs, left by an interrupted run (the first: {}); delete them, or rename them if \
             they are pages",
            plan.leftovers.len(),
            first.display()
        );
    }
    if !plan.jobs.is_empty()
        && let Err(e) = std::fs::create_dir_all(output)
    {
        // Said once, not once a file.
        report(&Error::io(output, e));
        let _ = writeln!(
            io::stderr().lock(),
            "kzclean: cannot create the output directory; none of the {} files was cleaned",
            plan.jobs.len()
        );
        return Ok(ExitCode::from(1));
    }
    if plan.jobs.is_empty() {
        let _ = writeln!(
            io::stderr().lock(),
            "kzclean: no files to clean under {}",
            input.display()
        );
    }
    let started = Instant::now();
    let total = plan.jobs.len();
    let bar = progress_bar(total, plan.jobs.iter().map(|j| j.size).sum());
    let finished = AtomicUsize::new(0);
    let on_file = |job: &kzclean::FileJob, outcome: &FileOutcome| {
        let n = finished.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(bar) = &bar {
            bar.set_message(format!("{n}/{total} files"));
            bar.inc(job.size);
        }
        if let FileOutcome::Failed(e) = outcome {
            match &bar {
                Some(bar) => bar.suspend(|| report(e)),
                None => report(e),
            }
        }
    };
    let summary = pipeline.clean_tree(&plan.jobs, args.skip_existing, &on_file);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    report_warnings(pipeline, &summary.stats);
    let failed = summary.failed + plan.unreadable.len();
    let mut stderr = io::stderr().lock();
    if args.stats {
        print_stats(&summary.stats, rule_ids, started.elapsed().as_secs_f64());
        let _ = writeln!(
            stderr,
            "kzclean: files: {} cleaned, {} skipped (output exists), {} failed",
            summary.done, summary.skipped, failed
        );
    }
    if failed > 0 {
        let _ = writeln!(
            stderr,
            "kzclean: {failed} of {} files failed",
            total + plan.unreadable.len()
        );
    }
    Ok(if summary.failed_records > 0 {
        ExitCode::from(2)
    } else if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A bar counting files and bytes, only when stderr is a terminal (never in
/// logs or pipes).
fn progress_bar(files: usize, bytes: u64) -> Option<ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(bytes);
    // The template is a constant; if indicatif ever rejected it, no bar is
    // better than no run.
    let style = ProgressStyle::with_template(
        "{msg} [{wide_bar}] {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} ETA {eta}",
    )
    .ok()?;
    bar.set_style(style.progress_chars("=> "));
    bar.set_message(format!("0/{files} files"));
    Some(bar)
}

/// Reports the warnings: documents cleaned in parts, and the records
/// `--on-error skip` dropped (the first few by line, then the count).
fn report_warnings(pipeline: &mut Pipeline, stats: &Stats) {
    let warnings = pipeline.take_warnings();
    for e in &warnings {
        report(e);
    }
    if stats.records_skipped > 0 {
        let listed = warnings
            .iter()
            .filter(|w| matches!(w, kzclean::Warning::RecordSkipped { .. }))
            .count();
        let more = stats.records_skipped as usize - listed.min(stats.records_skipped as usize);
        let _ = writeln!(
            io::stderr().lock(),
            "kzclean: {} unusable records skipped{}",
            stats.records_skipped,
            if more > 0 {
                format!(" ({more} not listed above)")
            } else {
                String::new()
            }
        );
    }
}

/// Ends the run on an error that stops all output. A closed pipe is not a
/// failure in itself, but inputs that failed before it still make the exit
/// status 1 (their errors were already reported).
fn output_failed(e: Error, failed: usize) -> Result<ExitCode, Error> {
    if e.is_broken_pipe() && failed > 0 {
        return Ok(ExitCode::from(1));
    }
    Err(e)
}

/// `--dump-features`: one thread, documents in input order, rows numbered
/// by document across all inputs.
fn dump_features(args: &cli::Args, mut cleaner: Cleaner) -> Result<ExitCode, Error> {
    let stdout_name = Path::new("<stdout>");
    let mut out = BufWriter::with_capacity(256 * 1024, io::stdout().lock());
    let inputs = input_paths(args);
    let header = ["doc", "line", "state"]
        .iter()
        .chain(kzclean::FEATURE_NAMES)
        .copied()
        .collect::<Vec<_>>()
        .join("\t");
    writeln!(out, "{header}").map_err(|e| Error::io(stdout_name, e))?;
    let mut doc_index = 0u64;
    let mut verdicts = Vec::new();
    for path in &inputs {
        let reader: Box<dyn io::Read> = if path.as_os_str() == "-" {
            Box::new(io::stdin().lock())
        } else {
            codec::open(path).map_err(|e| Error::io(path, e))?
        };
        let mut documents = DocumentReader::new(reader);
        while let Some(doc) = documents.next_document().map_err(|e| Error::io(path, e))? {
            cleaner
                .dump_features(&doc.bytes, doc_index, &mut verdicts, &mut out)
                .map_err(|e| Error::io(stdout_name, e))?;
            doc_index += 1;
        }
    }
    out.flush().map_err(|e| Error::io(stdout_name, e))?;
    Ok(ExitCode::SUCCESS)
}

/// A rule file larger than this is refused before it is read whole: real
/// rule files are a few kilobytes, and `--rules /dev/zero` or a corpus
/// named by mistake would otherwise fill memory.
const MAX_RULE_FILE: u64 = 16 * 1024 * 1024;

fn read_rule_file(path: &Path) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_RULE_FILE + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_RULE_FILE {
        return Err(io::Error::other(format!(
            "larger than {} MiB, the most a rule file may hold; check that it is the rule \
             file you meant, or split it into several --rules files",
            MAX_RULE_FILE >> 20
        )));
    }
    Ok(bytes)
}

/// The files to read, in order; `-` (standard input) when none is named.
fn input_paths(args: &cli::Args) -> Vec<PathBuf> {
    if args.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.files.clone()
    }
}

fn is_output_error(e: &Error, stdout_name: &Path) -> bool {
    matches!(e, Error::Io { path, .. } if path == stdout_name)
}

fn build_cleaner(args: &cli::Args) -> Result<Cleaner, Error> {
    let mut contents = Vec::new();
    for path in &args.rules {
        let bytes = read_rule_file(path)
            .map_err(|e| Error::Usage(format!("{}: cannot read rule file: {e}", path.display())))?;
        contents.push((path.display().to_string(), bytes));
    }
    let sources: Vec<RuleSource<'_>> = contents
        .iter()
        .map(|(path, bytes)| RuleSource {
            path: path.clone(),
            bytes,
        })
        .collect();
    let preset = if args.precision {
        Preset::Precision
    } else if args.recall {
        Preset::Recall
    } else {
        Preset::Balanced
    };
    let rules = RuleSet::build(!args.no_default_rules, &sources, preset).map_err(Error::Rules)?;
    let options = CleanerOptions {
        classifier: !args.no_classifier,
        explain: args.explain,
    };
    let model = match &args.model {
        // Training data does not depend on the model, and must be producible
        // after the features changed and before a model fits them.
        None if args.dump_features => Arc::new(Model::empty()),
        None => Model::builtin(),
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| {
                Error::Usage(format!("{}: cannot read model file: {e}", path.display()))
            })?;
            let model = Model::parse(&path.display().to_string(), &bytes).map_err(Error::Model)?;
            Arc::new(model)
        }
    };
    Ok(Cleaner::with_model(rules, options, model))
}

fn print_stats(stats: &Stats, rule_ids: &[String], seconds: f64) {
    let pct = |a: u64, b: u64| {
        if b == 0 {
            0.0
        } else {
            100.0 * a as f64 / b as f64
        }
    };
    let mb = |b: u64| b as f64 / 1e6;
    let mut s = String::new();
    use std::fmt::Write as _;
    let _ = writeln!(
        s,
        "kzclean: {} documents; lines {} in, {} out ({:.1}%); bytes {:.3} MB in, {:.3} MB out ({:.1}%)",
        stats.documents,
        stats.lines_in,
        stats.lines_out,
        pct(stats.lines_out, stats.lines_in),
        mb(stats.bytes_in),
        mb(stats.bytes_out),
        pct(stats.bytes_out, stats.bytes_in),
    );
    let _ = writeln!(
        s,
        "kzclean: {:.3} s, {:.1} MB/s",
        seconds,
        if seconds > 0.0 {
            mb(stats.bytes_in) / seconds
        } else {
            0.0
        }
    );
    let mut by_rule: Vec<(u64, &str)> = stats
        .removed_by_rule
        .iter()
        .zip(rule_ids)
        .filter(|(n, _)| **n > 0)
        .map(|(n, id)| (*n, id.as_str()))
        .collect();
    by_rule.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    if stats.removed_by_classifier > 0 {
        by_rule.push((stats.removed_by_classifier, "(classifier)"));
    }
    if !by_rule.is_empty() {
        let _ = writeln!(s, "kzclean: lines removed by rule:");
        for (n, id) in by_rule {
            let _ = writeln!(s, "  {n:>10}  {id}");
        }
    }
    let _ = io::stderr().lock().write_all(s.as_bytes());
}

/// A writer that remembers the last byte written through it.
struct LastByte<W> {
    inner: W,
    last: Option<u8>,
}

impl<W: Write> LastByte<W> {
    fn new(inner: W) -> LastByte<W> {
        LastByte { inner, last: None }
    }
}

impl<W: Write> Write for LastByte<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        if n > 0 {
            self.last = Some(buf[n - 1]);
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
