//! Running the cleaner over the inputs: streams to standard output, or a
//! directory tree into another, and --dump-features.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use flate2::write::GzEncoder;

use kzclean::document::DocumentReader;
use kzclean::{
    Cleaner, Error, FileOutcome, Format, OutputNames, Pipeline, Selection, SiteProfile, Stats,
    WetOptions, codec, site_of_path,
};

use crate::args::Args;
use crate::config::{build_cleaner, input_format, output_mode, tree_input, with_profile};
use crate::report::{print_stats, progress_bar, report, report_fast_skips, report_warnings};
use crate::signals;

pub fn run(args: Args) -> Result<ExitCode, Error> {
    let (format, wet_by_name, names) = input_format(&args)?;
    let mut cleaner = build_cleaner(&args)?;
    if args.fast {
        report_fast_skips(cleaner.rules());
    }
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
    let rule_ids: Vec<String> = cleaner
        .rules()
        .rules()
        .iter()
        .map(|r| r.id.clone())
        .collect();
    if args.learn_sites {
        cleaner = learn_sites(&args, &format, wet_by_name.as_ref(), cleaner)?;
    }
    // Never dropped: the process ends right after, and freeing the compiled
    // rules one allocation at a time cost 4% of the start-up that a user
    // cleaning one page per process pays for every page.
    let mut pipeline = std::mem::ManuallyDrop::new(Pipeline::with_format(
        cleaner,
        output_mode(&args),
        format,
        usize::from(args.threads),
    )?);
    pipeline.read_wet_by_name(wet_by_name);
    pipeline.set_max_line_bytes(args.max_line_bytes);
    if args.recursive {
        return run_tree(&args, &mut pipeline, names, &rule_ids);
    }
    run_streams(&args, &mut pipeline, &rule_ids)
}

/// Cleans each input (files, or standard input) in turn to standard
/// output. A failed input is reported and the others go on; a failed
/// output, or a bad record, stops the run.
fn run_streams(
    args: &Args,
    pipeline: &mut Pipeline,
    rule_ids: &[String],
) -> Result<ExitCode, Error> {
    let inputs = input_paths(args);
    refuse_output_on_input(&inputs)?;
    let started = Instant::now();
    let mut stats = Stats::default();
    let stdout = io::stdout().lock();
    let stdout = BufWriter::with_capacity(256 * 1024, stdout);
    let mut out = LastByte::new(if args.compress {
        Stdout::Gzip(GzEncoder::new(stdout, flate2::Compression::default()))
    } else {
        Stdout::Plain(stdout)
    });
    let stdout_name = Path::new("<stdout>");
    let mut failed = 0usize;
    for path in &inputs {
        // A file whose output did not end its last line must not run into the
        // next file's first line.
        if out.last.is_some_and(|b| b != b'\n')
            && let Err(e) = out.write_all(b"\n")
        {
            return output_failed(Error::io(stdout_name, e), failed);
        }
        if pipeline.has_profile() {
            let site = match &args.site {
                Some(site) => Some(site.clone()),
                None if path.as_os_str() == "-" => None,
                None => site_of_path(path),
            };
            pipeline.set_site(site.as_deref());
        }
        let result = if path.as_os_str() == "-" {
            let stdin_name = Path::new("<stdin>");
            match codec::sniff(io::stdin().lock()) {
                Ok(stdin) => {
                    pipeline.clean_stream(stdin, stdin_name, &mut out, stdout_name, &mut stats)
                }
                Err(e) => Err(Error::io(stdin_name, e)),
            }
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
            Err(e @ (Error::Record { .. } | Error::WetRecord { .. })) => {
                // Every whole record before the bad one goes out first.
                out.inner.finish().map_err(|e| Error::io(stdout_name, e))?;
                report_warnings(pipeline, &stats);
                return Err(e);
            }
            Err(e) => return output_failed(e, failed),
        }
    }
    if let Err(e) = out.inner.finish() {
        return output_failed(Error::io(stdout_name, e), failed);
    }
    report_warnings(pipeline, &stats);
    if args.stats {
        print_stats(&stats, rule_ids, started.elapsed().as_secs_f64());
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

/// Refuses `kzclean f > f` (and `kzclean < f >> f`): when standard output
/// is a regular file that is also an input (same device and inode), the
/// shell has already emptied it, or the output would be read back as
/// input. Where the system cannot tell, nothing is refused.
fn refuse_output_on_input(inputs: &[PathBuf]) -> Result<(), Error> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::MetadataExt;
        let identity = |fd: std::os::fd::BorrowedFd<'_>| {
            let file = std::fs::File::from(fd.try_clone_to_owned().ok()?);
            let meta = file.metadata().ok()?;
            meta.is_file().then(|| (meta.dev(), meta.ino()))
        };
        let Some(out) = identity(io::stdout().as_fd()) else {
            return Ok(());
        };
        for path in inputs {
            let same = if path.as_os_str() == "-" {
                identity(io::stdin().as_fd()) == Some(out)
            } else {
                std::fs::metadata(path).is_ok_and(|m| (m.dev(), m.ino()) == out)
            };
            if same {
                let name = if path.as_os_str() == "-" {
                    "<stdin>".into()
                } else {
                    kzclean::shown_path(path)
                };
                return Err(Error::Usage(format!(
                    "{name}: is also standard output, so the output would overwrite the \
                     input as it is read (a shell empties a file given to `>` before kzclean \
                     starts); write to another file, then rename it"
                )));
            }
        }
    }
    let _ = inputs;
    Ok(())
}

/// `-r IN -o OUT`: cleans a tree, file by file, with a progress bar on a
/// terminal. Failed files are reported as they happen and counted.
fn run_tree(
    args: &Args,
    pipeline: &mut Pipeline,
    names: OutputNames,
    rule_ids: &[String],
) -> Result<ExitCode, Error> {
    let input = tree_input(&args.files)?;
    let output = args.output.as_deref().unwrap_or(Path::new("."));
    let selection = Selection::new(&args.glob)?.follow_links(args.follow);
    let plan = kzclean::plan_with(input, output, &selection, names)?;
    // Each file's folder is its site unless --site names one.
    pipeline.set_site(args.site.as_deref());
    for e in &plan.unreadable {
        report(e);
    }
    for warning in &plan.links_not_followed {
        report(warning);
    }
    if let Some(first) = plan.leftovers.first() {
        let _ = writeln!(
            io::stderr().lock(),
            "kzclean: not cleaned: {} file(s) or folder(s) named like kzclean's temporary \
             outputs, left by an interrupted run (the first: {}); delete them, or rename them if \
             they are pages",
            plan.leftovers.len(),
            kzclean::shown_path(first)
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
            kzclean::shown_path(input)
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
    pipeline.stop_when(signals::stop_on_signals());
    let summary = pipeline.clean_tree(&plan.jobs, args.skip_existing, &on_file);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    report_warnings(pipeline, &summary.stats);
    if let Some(signal) = signals::received() {
        let _ = writeln!(
            io::stderr().lock(),
            "kzclean: stopped by {}: {} of {total} files cleaned, {} not (no partial output \
             left; --skip-existing resumes)",
            signals::name(signal),
            summary.done,
            summary.stopped
        );
        return Err(Error::Interrupted);
    }
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

/// `--learn-sites`: the first pass, over the same inputs as the second.
fn learn_sites(
    args: &Args,
    format: &Format,
    wet_by_name: Option<&WetOptions>,
    cleaner: Cleaner,
) -> Result<Cleaner, Error> {
    let inputs = if args.recursive {
        crate::learn::tree_plan(&args.files, &args.glob, args.follow)?
            .jobs
            .into_iter()
            .map(|j| j.input)
            .collect()
    } else {
        input_paths(args)
    };
    if inputs.iter().any(|p| p.as_os_str() == "-") {
        return Err(Error::Usage(
            "--learn-sites reads its inputs twice: name files (or -r DIR), not standard input; \
             or learn a profile first (kzclean learn) and use --profile"
                .to_string(),
        ));
    }
    let mut profile = SiteProfile::default();
    let wet_by_name = wet_by_name.cloned().map(Format::Wet);
    let failed = crate::learn::learn_inputs(
        &inputs,
        format,
        wet_by_name.as_ref(),
        args.site.as_deref(),
        &mut profile,
        args.max_line_bytes,
    )?;
    if failed > 0 {
        return Err(Error::Usage(format!(
            "--learn-sites: {failed} inputs could not be read; nothing was cleaned"
        )));
    }
    Ok(with_profile(args, cleaner, profile))
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
fn dump_features(args: &Args, mut cleaner: Cleaner) -> Result<ExitCode, Error> {
    let stdout_name = Path::new("<stdout>");
    let mut out = BufWriter::with_capacity(256 * 1024, io::stdout().lock());
    let inputs = input_paths(args);
    let names = if args.fast {
        kzclean::FAST_FEATURE_NAMES
    } else {
        kzclean::FEATURE_NAMES
    };
    let header = ["doc", "line", "state"]
        .iter()
        .chain(names)
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

/// The files to read, in order; `-` (standard input) when none is named.
fn input_paths(args: &Args) -> Vec<PathBuf> {
    if args.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.files.clone()
    }
}

fn is_output_error(e: &Error, stdout_name: &Path) -> bool {
    matches!(e, Error::Io { path, .. } if path == stdout_name)
}

/// Standard output, gzip-compressed with `-z`.
enum Stdout<W: Write> {
    Plain(W),
    Gzip(GzEncoder<W>),
}

impl<W: Write> Stdout<W> {
    /// Ends the gzip stream, if any, and flushes everything.
    fn finish(self) -> io::Result<()> {
        match self {
            Stdout::Plain(mut w) => w.flush(),
            Stdout::Gzip(w) => w.finish()?.flush(),
        }
    }
}

impl<W: Write> Write for Stdout<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stdout::Plain(w) => w.write(buf),
            Stdout::Gzip(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stdout::Plain(w) => w.flush(),
            Stdout::Gzip(w) => w.flush(),
        }
    }
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
