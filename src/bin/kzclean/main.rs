//! The `kzclean` command: flags in, exit status out. All cleaning is done by
//! the library. `args` is the flags, `config` turns them into a cleaner,
//! `run` opens inputs and writes outputs, `report` prints to stderr,
//! `generate` writes shell completions and the man page, `learn` writes
//! site profiles. `alloc` asks Linux for huge pages on large blocks.

#[cfg(target_os = "linux")]
mod alloc;
mod args;
mod config;
mod generate;
mod learn;
mod report;
mod run;
mod signals;

use std::process::ExitCode;

use clap::Parser;
use kzclean::Error;

use args::{Args, Command};
use report::report;

#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: alloc::HugePages = alloc::HugePages;

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
    signals::ignore_file_size_signal();
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => return flag_exit(&e),
    };
    if let Some(command) = &args.command {
        return match command {
            Command::Completions { shell } => generate::completions(*shell),
            Command::Man => generate::man_page(),
            Command::Learn(learn) => match learn::learn(learn) {
                Ok(code) => code,
                Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
                Err(e) => {
                    report(&e);
                    exit_code(&e)
                }
            },
        };
    }
    match run::run(args) {
        Ok(code) => code,
        // The reader went away (`kzclean < x | head`): not a failure.
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        // Already said, with the counts.
        Err(e @ Error::Interrupted) => exit_code(&e),
        Err(e) => {
            report(&e);
            exit_code(&e)
        }
    }
}

/// Help and version on standard output (exit 0), a usage error on
/// stderr (exit 2), as clap's own exit does; but help that cannot be
/// written (`kzclean --help > /dev/full`) is reported and exits 1, like
/// any other output that is lost.
fn flag_exit(e: &clap::Error) -> ExitCode {
    let code = e.exit_code();
    let printed = e
        .print()
        .and_then(|()| std::io::Write::flush(&mut std::io::stdout()));
    match printed {
        Err(io) if !e.use_stderr() && io.kind() != std::io::ErrorKind::BrokenPipe => {
            report(&format!("<stdout>: {io}"));
            ExitCode::from(1)
        }
        _ => ExitCode::from(u8::try_from(code).unwrap_or(2)),
    }
}

/// 2 for what the user must fix before running again (flags, rule or model
/// files, an unusable record under `--on-error fail`); 1 for everything
/// else (a file that cannot be read or written or is cut short, an internal
/// error).
fn exit_code(e: &Error) -> ExitCode {
    match e {
        Error::Rules(_)
        | Error::Model(_)
        | Error::Profile(_)
        | Error::Usage(_)
        | Error::Record { .. }
        | Error::WetRecord { .. } => ExitCode::from(2),
        // As a shell reports a command a signal ended: 128 + the signal.
        Error::Interrupted => ExitCode::from(signals::received().map_or(130, |s| 128 + s as u8)),
        Error::Io { .. } | Error::Internal(_) => ExitCode::from(1),
    }
}
