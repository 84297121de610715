//! Helpers shared by the integration tests (`mod common;`): running the
//! built binary, reading what it gave back, scratch files, fault injection.
//! Each test file uses some of them, so unused ones are not warned about.
#![allow(dead_code)]

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The built binary, as a user runs it (classifier on).
pub fn kzclean() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kzclean"))
}

/// The built binary with `--no-classifier`, for tests about bytes, I/O and
/// rules: their lines are too short for the classifier to call them article
/// text, and its verdicts are not what they test.
pub fn rules_only() -> Command {
    let mut command = kzclean();
    command.arg("--no-classifier");
    command
}

/// Runs `command`, feeding `stdin` from a thread (so a large input cannot
/// deadlock against a full stdout pipe), and collects what it gave back.
pub fn run(command: &mut Command, stdin: &[u8]) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kzclean starts");
    let mut input = child.stdin.take().expect("stdin");
    let bytes = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // The child may exit without reading everything; that is its right.
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().expect("kzclean runs");
    writer.join().expect("stdin writer");
    out
}

/// `command | head -1`: runs it with stdout piped, reads the first line,
/// closes the pipe and waits. Returns the line and what was left.
pub fn first_line_then_close(command: &mut Command) -> (String, Output) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kzclean starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("a first line");
    // The reader is dropped here: the pipe closes.
    let out = child.wait_with_output().expect("kzclean runs");
    (first, out)
}

/// The exit status; a test fails if kzclean was killed by a signal.
pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed by a signal")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// What a run gave back, decoded for assertions.
pub struct Run {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: code(&out),
            stderr: stderr(&out),
            stdout: out.stdout,
        }
    }
}

/// The built binary (classifier on) with `args`, fed `stdin`.
pub fn run_args(args: &[&str], stdin: &[u8]) -> Run {
    run(kzclean().args(args), stdin).into()
}

/// A scratch path `name` in a directory of its own for `group` (one per
/// test file) under Cargo's temporary directory for integration tests.
pub fn scratch(group: &str, name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(group);
    fs::create_dir_all(&dir).expect("scratch dir");
    dir.join(name)
}

/// Writes `bytes` to `path`, creating its directories.
pub fn write(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, bytes).expect("write");
}

/// A path as a command-line argument.
pub fn arg(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}

/// Every output line is an input line, in input order, byte for byte.
pub fn is_subsequence(needle: &[&[u8]], hay: &[&[u8]]) -> bool {
    let mut hay = hay.iter();
    needle.iter().all(|line| hay.any(|h| h == line))
}

/// `/dev/full` and the file opened for writing, where the system has one
/// that fails every write with ENOSPC; otherwise a note on stderr and
/// `None`, and the test that asked skips.
pub fn dev_full() -> Option<(PathBuf, File)> {
    let path = PathBuf::from("/dev/full");
    let opened = fs::OpenOptions::new().write(true).open(&path);
    match opened {
        Ok(file)
            if (&file)
                .write_all(b"x")
                .is_err_and(|e| e.raw_os_error() == Some(28)) =>
        {
            Some((path, file))
        }
        other => {
            eprintln!("note: skipped, no /dev/full that fails writes with ENOSPC ({other:?})");
            None
        }
    }
}
