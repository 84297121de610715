//! Files generated from the flags themselves, so they never fall out of
//! step with `--help`: shell completions and the man page.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::args::Args;

/// `kzclean completions SHELL`.
pub fn completions(shell: Shell) -> ExitCode {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Args::command(), "kzclean", &mut out);
    write_stdout(&out)
}

/// `kzclean man`.
pub fn man_page() -> ExitCode {
    let mut out = Vec::new();
    // Rendering into a Vec cannot fail.
    if clap_mangen::Man::new(Args::command())
        .render(&mut out)
        .is_err()
    {
        return ExitCode::from(1);
    }
    write_stdout(&out)
}

/// Writes all of `bytes`; a closed pipe (`kzclean man | head`) is success.
fn write_stdout(bytes: &[u8]) -> ExitCode {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            crate::report::report(&format!("<stdout>: {e}"));
            ExitCode::from(1)
        }
    }
}
