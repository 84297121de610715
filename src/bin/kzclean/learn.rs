//! `kzclean learn`: a site profile from a corpus, or the sum of profiles;
//! and the first pass of `--learn-sites`.

use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kzclean::{
    Error, Format, JsonlOptions, OnError, Plan, Selection, SiteProfile, WetOptions, codec,
    learn_stream, site_of_path,
};

use crate::args::{InputFormat, LearnArgs};
use crate::config::{may_read_records, record_flag_without_records, tree_input};
use crate::report::report;

/// A profile file larger than this is refused (its counts are all held in
/// memory).
const MAX_PROFILE_FILE: u64 = 4 << 30;

pub fn learn(args: &LearnArgs) -> Result<ExitCode, Error> {
    let mut profile = SiteProfile::new(args.max_lines);
    let mut failed = 0;
    if args.merge {
        if args.files.is_empty() {
            return Err(Error::Usage(
                "--merge needs the profiles to merge".to_string(),
            ));
        }
        for path in &args.files {
            let other = read_profile(path)?;
            profile.merge(&other).map_err(|message| {
                Error::Profile(vec![kzclean::LineError {
                    path: kzclean::shown_path(path),
                    line: 0,
                    message,
                }])
            })?;
        }
    } else {
        let given = if args.jsonl {
            Some(InputFormat::Jsonl)
        } else {
            args.input_format
        };
        if args.on_error.is_some() && !may_read_records(given, args.recursive, &args.files) {
            return Err(record_flag_without_records("--on-error"));
        }
        let on_error = args.on_error.map_or(OnError::Fail, OnError::from);
        let wet = Format::Wet(WetOptions {
            on_error,
            annotate: false,
        });
        let (format, wet_by_name) = match given {
            Some(InputFormat::Jsonl) => (
                Format::Jsonl(JsonlOptions {
                    field: args.field.clone(),
                    url_field: args.url_field.clone(),
                    on_error,
                    annotate: false,
                }),
                None,
            ),
            Some(InputFormat::Wet) => (wet, None),
            Some(InputFormat::Text) => (Format::Text, None),
            None => (Format::Text, Some(wet)),
        };
        let inputs = if args.recursive {
            let plan = tree_plan(&args.files, &args.glob, args.follow)?;
            for e in &plan.unreadable {
                report(e);
            }
            for warning in &plan.links_not_followed {
                report(warning);
            }
            plan.jobs.into_iter().map(|j| j.input).collect()
        } else if args.files.is_empty() {
            vec![PathBuf::from("-")]
        } else {
            args.files.clone()
        };
        failed = learn_inputs(
            &inputs,
            &format,
            wet_by_name.as_ref(),
            args.site.as_deref(),
            &mut profile,
            args.max_line_bytes,
        )?;
    }
    profile
        .prune(args.min_pages, args.min_share)
        .map_err(Error::Usage)?;
    let stdout = Path::new("<stdout>");
    let mut out = BufWriter::with_capacity(256 * 1024, io::stdout().lock());
    profile
        .write(&mut out)
        .and_then(|()| out.flush())
        .map_err(|e| Error::io(stdout, e))?;
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The files under the one directory of `-r`, following links to
/// directories with `follow` (`-L`). Returns the plan: what could not be
/// read and the links not followed are the caller's to report (the cleaning
/// pass of `--learn-sites` reports them; its learning pass does not, so
/// each is named once).
pub fn tree_plan(files: &[PathBuf], glob: &[String], follow: bool) -> Result<Plan, Error> {
    let selection = Selection::new(glob)?.follow_links(follow);
    kzclean::list(tree_input(files)?, &selection)
}

/// Learns every input into `profile`, in `format`, or in `wet_by_name`
/// when its name says WET (as cleaning reads them): a text file's pages
/// belong to `site` or, without it, to the file's folder; standard input
/// needs `site` (or records with URLs). No line or record over `max_line`
/// bytes is held (see `learn_stream`). Returns how many inputs could not
/// be read (each is reported); stops at an unusable record under
/// `--on-error fail`.
pub fn learn_inputs(
    inputs: &[PathBuf],
    format: &Format,
    wet_by_name: Option<&Format>,
    site: Option<&str>,
    profile: &mut SiteProfile,
    max_line: usize,
) -> Result<usize, Error> {
    let mut failed = 0;
    let mut skipped = 0;
    for path in inputs {
        let format = format.for_input(wet_by_name, path);
        let stdin = path.as_os_str() == "-";
        let site = match site {
            Some(site) => Some(site.to_string()),
            None if stdin => None,
            None => site_of_path(path),
        };
        if site.is_none() && *format == Format::Text {
            return Err(Error::Usage(format!(
                "{}: no site for its pages: name one with --site NAME",
                if stdin {
                    "<stdin>".to_string()
                } else {
                    kzclean::shown_path(path)
                }
            )));
        }
        let result = if stdin {
            learn_stream(
                io::stdin().lock(),
                Path::new("<stdin>"),
                format,
                site.as_deref(),
                profile,
                max_line,
            )
        } else {
            match codec::open(path) {
                Ok(file) => learn_stream(file, path, format, site.as_deref(), profile, max_line),
                Err(e) => Err(Error::io(path, e)),
            }
        };
        match result {
            Ok(summary) => {
                for warning in &summary.warnings {
                    report(warning);
                }
                skipped += summary.skipped;
            }
            Err(e @ Error::Io { .. }) => {
                failed += 1;
                report(&e);
            }
            Err(e) => return Err(e),
        }
    }
    if skipped > 0 {
        let _ = writeln!(
            io::stderr().lock(),
            "kzclean: {skipped} records left out of the profile (no usable URL or text)"
        );
    }
    Ok(failed)
}

/// Reads and parses a profile file, a line at a time: a file that is not
/// a profile fails at its first line too long to be one, not after it was
/// read whole.
pub fn read_profile(path: &Path) -> Result<SiteProfile, Error> {
    let shown = kzclean::shown_path(path);
    let cannot = |e: io::Error| Error::Usage(format!("{shown}: cannot read profile: {e}"));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut reader = io::BufReader::with_capacity(256 * 1024, file.take(MAX_PROFILE_FILE + 1));
    let parsed = SiteProfile::read(&shown, &mut reader).map_err(cannot)?;
    if reader.get_ref().limit() == 0 {
        // More than the cap was there: the parse saw a cut file.
        return Err(Error::Usage(format!(
            "{shown}: larger than {} GiB, the most a profile may hold",
            MAX_PROFILE_FILE >> 30
        )));
    }
    parsed.map_err(Error::Profile)
}
