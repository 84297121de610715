//! Errors and warnings as values with context: every message names the file
//! (and line) and, where it can, says how to fix the problem. The library
//! never prints them; the command does. Warnings are kept apart from errors:
//! they never change the exit status.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::document::Limits;

/// Input bytes quoted in a message, safe to print: control characters
/// (and the Unicode marks that reorder text on a terminal) are escaped as
/// Rust writes them (`\u{1b}`, `\0`, `\r`), so a hostile input cannot
/// drive the terminal the error is read on; other text, non-ASCII letters
/// included, is left as it is. Invalid UTF-8 shows as U+FFFD.
pub fn quote_input(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut quoted = String::with_capacity(text.len());
    for c in text.chars() {
        let reorders = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if c.is_control() || reorders {
            quoted.extend(c.escape_debug());
        } else {
            quoted.push(c);
        }
    }
    quoted
}

/// A path as messages show it: control characters (and the Unicode marks
/// that reorder text) escaped as Rust writes them (`\u{1b}`, `\n`), so a
/// file named by a crawl (`-r` over pages saved under their titles) cannot
/// break an error's line or drive the terminal.
pub fn shown_path(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    #[cfg(unix)]
    let shown = quote_input(std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()));
    #[cfg(not(unix))]
    let shown = quote_input(path.to_string_lossy().as_bytes());
    shown
}

/// One problem at a line of a file the user gave (a rule file, a model
/// file, a site profile), found while parsing or compiling it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// The file as the user named it (`<default>` for the built-in rules).
    pub path: String,
    /// 1-based line number, or 0 when the problem is not tied to a line.
    pub line: usize,
    /// What is wrong, and how to fix it.
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path, self.message)
        } else {
            write!(f, "{}:{}: {}", self.path, self.line, self.message)
        }
    }
}

impl std::error::Error for LineError {}

/// Everything that can go wrong in kzclean.
///
/// Not `#[non_exhaustive]`, unlike [`Warning`]: the command's exit status
/// is a `match` over every kind, and a new kind must be given its status.
#[derive(Debug)]
pub enum Error {
    /// Reading or writing a file failed.
    Io {
        /// The file (`<stdin>`, `<stdout>` for the standard streams).
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// One or more rule files are invalid; all problems found are listed.
    Rules(Vec<LineError>),
    /// The model file (`--model`) is invalid.
    Model(Vec<LineError>),
    /// A site profile file (`--profile`, `learn --merge`) is invalid.
    Profile(Vec<LineError>),
    /// The arguments do not make sense together.
    Usage(String),
    /// A record of a JSON Lines input is not usable.
    Record {
        /// The input.
        path: PathBuf,
        /// The record's 1-based line in the input.
        line: u64,
        /// What is wrong with the record.
        message: String,
    },
    /// The run was asked to stop ([`crate::Pipeline::stop_when`]) before
    /// it was done.
    Interrupted,
    /// A `conversion` record of a WET input is not usable (a field missing,
    /// a block over the size limit); its framing was sound.
    WetRecord {
        /// The input.
        path: PathBuf,
        /// Offset of the record's `WARC/` line in the input, after
        /// decompression.
        offset: u64,
        /// What is wrong with the record.
        message: String,
    },
    /// Something that should not happen did (a thread could not start or
    /// stopped): not the user's fault, so not "bad usage".
    Internal(String),
}

/// Something the user should know that does not make the run fail. More
/// kinds may come in a minor release: a `match` needs a `_` arm.
///
/// ```compile_fail,E0004
/// fn document(w: &kzclean::Warning) -> Option<u64> {
///     use kzclean::Warning::*;
///     match w {
///         Oversized { document, .. } | LongLines { document, .. } => Some(*document),
///         NotFollowed { .. } | RecordSkipped { .. } | WetRecordSkipped { .. } => None,
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// A document of `path` grew past the size limit without a form-feed
    /// line and was cleaned in parts.
    Oversized {
        /// The input.
        path: PathBuf,
        /// 1-based, counting the documents of the input.
        document: u64,
        /// Offset of its first byte in the input.
        start: u64,
    },
    /// Lines of `path` longer than the line limit (`--max-line-bytes`),
    /// dropped without being held whole.
    LongLines {
        /// The input.
        path: PathBuf,
        /// How many lines were too long.
        count: u64,
        /// The first one's document (1-based).
        document: u64,
        /// The first one's first byte in the input.
        start: u64,
    },
    /// Lines of WET pages in `path` longer than the line limit
    /// (`--max-line-bytes`), dropped; each page was cleaned without them.
    WetLongLines {
        /// The input.
        path: PathBuf,
        /// How many lines were too long.
        count: u64,
    },
    /// A directory of a tree not walked: a link to a directory without
    /// `-L`, or one already walked.
    NotFollowed {
        /// The directory, or the link to it.
        path: PathBuf,
        /// Why it was not walked.
        reason: String,
    },
    /// A JSON Lines record `--on-error skip` dropped.
    RecordSkipped {
        /// The input.
        path: PathBuf,
        /// The record's 1-based line in the input.
        line: u64,
        /// What is wrong with the record.
        message: String,
    },
    /// A WET record `--on-error skip` dropped.
    WetRecordSkipped {
        /// The input.
        path: PathBuf,
        /// As in [`Error::WetRecord`].
        offset: u64,
        /// What is wrong with the record.
        message: String,
    },
}

impl Warning {
    /// The input the warning is about.
    pub fn path(&self) -> &Path {
        match self {
            Warning::Oversized { path, .. }
            | Warning::RecordSkipped { path, .. }
            | Warning::NotFollowed { path, .. }
            | Warning::LongLines { path, .. }
            | Warning::WetLongLines { path, .. }
            | Warning::WetRecordSkipped { path, .. } => path,
        }
    }
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl AsRef<Path>, source: io::Error) -> Error {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// True when the error is, or wraps, a closed pipe on output: the reader
    /// went away (`kzclean < x | head`), which is not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {}", shown_path(path), source),
            Error::Rules(errors) | Error::Model(errors) | Error::Profile(errors) => {
                for (i, e) in errors.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{e}")?;
                }
                Ok(())
            }
            Error::Usage(msg) => write!(f, "{msg}"),
            Error::Record {
                path,
                line,
                message,
            } => write!(f, "{}:{}: {}", shown_path(path), line, message),
            Error::Interrupted => write!(f, "interrupted before the end"),
            Error::WetRecord {
                path,
                offset,
                message,
            } => write_wet_record(f, path, *offset, message),
            Error::Internal(msg) => write!(f, "internal error: {msg}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::Oversized {
                path,
                document,
                start,
            } => write!(
                f,
                "{}: document {document} (from byte {start}) runs past {} MiB or {} lines \
                 without a form-feed line, so it was cleaned in parts cut at line ends; if \
                 it holds several pages, put a line holding only a form feed between them",
                shown_path(path),
                Limits::DEFAULT.bytes >> 20,
                Limits::DEFAULT.lines
            ),
            Warning::RecordSkipped {
                path,
                line,
                message,
            } => write!(f, "{}:{}: {}", shown_path(path), line, message),
            Warning::LongLines {
                path,
                count,
                document,
                start,
            } => write!(
                f,
                "{}: {count} line(s) longer than --max-line-bytes dropped without being read \
                 whole (the first in document {document}, from byte {start}); raise \
                 --max-line-bytes to clean them",
                shown_path(path)
            ),
            Warning::WetLongLines { path, count } => write!(
                f,
                "{}: {count} line(s) of WET pages longer than --max-line-bytes dropped (each \
                 page was cleaned without them; --explain shows them as too-long); raise \
                 --max-line-bytes to clean them",
                shown_path(path)
            ),
            Warning::NotFollowed { path, reason } => {
                write!(f, "{}: not cleaned: {reason}", shown_path(path))
            }
            Warning::WetRecordSkipped {
                path,
                offset,
                message,
            } => write_wet_record(f, path, *offset, message),
        }
    }
}

/// `path: WARC record at byte N (uncompressed): message`, as the WET
/// reader's own errors say where they are.
fn write_wet_record(
    f: &mut fmt::Formatter<'_>,
    path: &Path,
    offset: u64,
    message: &str,
) -> fmt::Result {
    write!(
        f,
        "{}: WARC record at byte {offset} (uncompressed): {message}",
        shown_path(path)
    )
}

#[cfg(test)]
mod tests {
    use super::quote_input;

    #[test]
    fn quoted_input_has_no_control_characters_left() {
        assert_eq!(
            quote_input(b"X\x1b[31mRED\x00\x07\r\n\t\xe2\x80\xaeok \xff"),
            "X\\u{1b}[31mRED\\0\\u{7}\\r\\n\\t\\u{202e}ok \u{fffd}"
        );
        assert_eq!(
            quote_input("décision 市政府 \\".as_bytes()),
            "décision 市政府 \\"
        );
    }
}
