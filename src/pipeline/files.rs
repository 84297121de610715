//! One file of a tree: cleaned into a temporary file beside its output,
//! then renamed into place.

use std::fs::{self, File};
use std::io;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use super::codec::{self, Sink};
use super::stream::{Output, stream_parallel, stream_sequential, warn_if_oversized};
use super::tree::{FileJob, temp_path};
use super::units::Format;
use super::units::UnitReader;
use super::worker::Worker;
use crate::error::{Error, Warning};
use crate::output::{Mode, Stats};

/// How a file's units are cleaned: by one worker, or by the whole pool.
pub(super) enum Streamer<'a> {
    Sequential(&'a mut Worker),
    Parallel(&'a rayon::ThreadPool, &'a [Mutex<Worker>]),
}

/// Cleans one file of a tree into a temporary file beside its output, then
/// renames it into place. On failure the temporary file is removed; a bad
/// record is the one failure that leaves an output: the records before it,
/// as a stream would have them.
pub(super) fn clean_file(
    streamer: Streamer<'_>,
    mode: Mode,
    format: &Format,
    job: &FileJob,
    warnings: &Mutex<Vec<Warning>>,
    stop: &AtomicBool,
    max_line: usize,
) -> Result<Stats, Error> {
    let input = codec::open(&job.input).map_err(|e| Error::io(&job.input, e))?;
    if let Some(parent) = job.output.parent() {
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let temp = temp_path(&job.output);
    let file = create_temp(&temp).map_err(|e| Error::io(&temp, e))?;
    let mut stats = Stats::default();
    let result = (|| {
        let mut sink = Sink::new(file, &job.output).map_err(|e| Error::io(&job.output, e))?;
        let mut reader = UnitReader::new(input, format, max_line);
        let output = Output {
            out: &mut sink,
            output_name: &job.output,
            input_name: &job.input,
            stats: &mut stats,
            warnings,
            wet: matches!(format, Format::Wet(_)),
            stop,
        };
        let streamed = match streamer {
            Streamer::Sequential(worker) => {
                stream_sequential(worker, mode, format, &mut reader, output)
            }
            Streamer::Parallel(pool, workers) => {
                stream_parallel(pool, workers, mode, format, &mut reader, output)
            }
        };
        warn_if_oversized(&reader, format, stats.lines_too_long, &job.input, warnings);
        // A bad record (`--on-error fail`) ends the file as it ends a
        // stream: the whole records before it make its output, and the
        // error names its place.
        let bad_record = match streamed {
            Err(e @ (Error::Record { .. } | Error::WetRecord { .. })) => Some(e),
            other => other.err().map_or(Ok(None), Err)?,
        };
        sink.finish().map_err(|e| Error::io(&job.output, e))?;
        fs::rename(&temp, &job.output).map_err(|e| Error::io(&job.output, e))?;
        bad_record.map_or(Ok(()), Err)
    })();
    if result.is_err() {
        // Gone already after a bad record (renamed into place).
        let _ = fs::remove_file(&temp);
    }
    result.map(|()| stats)
}

/// Creates the temporary output afresh: whatever is at its name (a leftover
/// of a killed run, or a symbolic link someone planted) is removed first,
/// and the file is then created only if nothing is there, so a link is
/// never followed (`O_CREAT | O_EXCL` refuses symbolic links).
pub(super) fn create_temp(temp: &Path) -> io::Result<File> {
    match fs::remove_file(temp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(temp)
}
