//! Learning a site profile from a stream: every document (or JSON Lines
//! record) is one page of its site.

use std::io::Read;
use std::path::Path;

use super::jsonl::{self, JsonlOptions, OnError};
use super::units::{Format, Unit, UnitReader};
use super::wet::{WetOptions, WetReader};
use crate::document::DocumentReader;
use crate::error::{Error, Warning};
use crate::sites::{SiteProfile, page_keys, site_name_problem, site_of_url};

/// What a stream added to a profile.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LearnSummary {
    /// Pages counted.
    pub pages: u64,
    /// Records or documents left out: no site (a record without a usable
    /// URL and no `site` to fall back to), or unusable under
    /// `--on-error skip` (listed in `warnings`, the first 20).
    pub skipped: u64,
    /// The first 20 records skipped, and inputs whose documents were cut
    /// into parts or had lines too long to hold.
    pub warnings: Vec<Warning>,
}

/// Adds every page of `input` to `profile`. Text: each document (form-feed
/// lines separate them) is a page of `site`; without a site nothing is
/// learned. JSON Lines: each record is a page of its URL field's site, or
/// of `site` when it has no URL. WET: each `conversion` record is a page
/// of its `WARC-Target-URI`'s site, as when it is cleaned. An unusable
/// record stops the stream under [`OnError::Fail`] (the pages before it
/// are counted). No text line or JSON Lines record longer than `max_line`
/// bytes is held, as when cleaning: such a line is left out of its page,
/// such a record is unusable.
///
/// # Errors
///
/// [`Error::Usage`] for a `site` a profile cannot hold
/// ([`crate::site_name_problem`]), before anything is read; [`Error::Io`]
/// when reading `input` fails; [`Error::Record`] or [`Error::WetRecord`]
/// for an unusable record under [`OnError::Fail`]. The pages before the
/// error stay counted in `profile`.
///
/// ```
/// use std::sync::Arc;
/// use kzclean::{Cleaner, CleanerOptions, Format, ProfileOptions, RuleSet, SiteProfile};
/// // Three pages of one site, form-feed lines between them.
/// let pages = b"Tea of the week: oolong\nFirst story.\n\x0c\n\
///               Tea of the week: oolong\nSecond story.\n\x0c\n\
///               Tea of the week: oolong\nThird story.\n";
/// let mut profile = SiteProfile::new(kzclean::DEFAULT_MAX_LINES);
/// let summary = kzclean::learn_stream(
///     &pages[..], "pages.txt".as_ref(), &Format::Text, Some("example.com"), &mut profile, 1 << 20,
/// )?;
/// assert_eq!(summary.pages, 3);
///
/// let options = CleanerOptions { classifier: false, ..CleanerOptions::default() };
/// let mut cleaner = Cleaner::new(RuleSet::builtin(), options)
///     .with_profile(Arc::new(profile), ProfileOptions::default());
/// cleaner.set_site(Some("example.com"));
/// let out = cleaner.clean(b"Tea of the week: oolong\nA new story.\n");
/// assert_eq!(out, b"A new story.\n");
/// # Ok::<(), kzclean::Error>(())
/// ```
pub fn learn_stream<R: Read>(
    input: R,
    input_name: &Path,
    format: &Format,
    site: Option<&str>,
    profile: &mut SiteProfile,
    max_line: usize,
) -> Result<LearnSummary, Error> {
    if let Some(problem) = site.and_then(site_name_problem) {
        return Err(Error::Usage(format!(
            "{}: bad site name for its pages: {problem}",
            crate::shown_path(input_name)
        )));
    }
    let mut summary = LearnSummary::default();
    let mut keys = Vec::new();
    match format {
        Format::Text => {
            let mut documents = DocumentReader::new(input).with_max_line(max_line);
            let mut pending: Option<()> = None;
            while let Some(doc) = documents
                .next_document()
                .map_err(|e| Error::io(input_name, e))?
            {
                // The parts of a document cut at the size limits are one page.
                if !doc.follows_part && pending.take().is_some() {
                    add(profile, site, &mut keys, &mut summary);
                }
                page_keys(&doc.bytes, &mut keys);
                pending = Some(());
            }
            if pending.is_some() {
                add(profile, site, &mut keys, &mut summary);
            }
        }
        Format::Jsonl(options) => {
            let mut records = UnitReader::new(input, format, max_line);
            learn_records(
                &mut records,
                input_name,
                options,
                site,
                profile,
                &mut summary,
            )?;
        }
        Format::Wet(options) => {
            learn_pages(input, input_name, options, site, profile, &mut summary)?;
        }
    }
    Ok(summary)
}

fn add(
    profile: &mut SiteProfile,
    site: Option<&str>,
    keys: &mut Vec<u64>,
    summary: &mut LearnSummary,
) {
    // `site` was checked, and a URL's site is one a profile can hold.
    match site.map(|site| profile.add_page_keys(site, keys)) {
        Some(Ok(())) => summary.pages += 1,
        Some(Err(_)) | None => summary.skipped += 1,
    }
    keys.clear();
}

fn learn_records<R: Read>(
    records: &mut UnitReader<R>,
    input_name: &Path,
    options: &JsonlOptions,
    site: Option<&str>,
    profile: &mut SiteProfile,
    summary: &mut LearnSummary,
) -> Result<(), Error> {
    let bad = |summary: &mut LearnSummary, line: u64, message: String| {
        let path = || input_name.to_path_buf();
        unusable(
            options.on_error,
            summary,
            message,
            |message| Error::Record {
                path: path(),
                line,
                message,
            },
            |message| Warning::RecordSkipped {
                path: path(),
                line,
                message,
            },
        )
    };
    let mut keys = Vec::new();
    while let Some(unit) = records.next().map_err(|e| Error::io(input_name, e))? {
        let (line, bytes) = match unit {
            Unit::Record { line, bytes } => (line, bytes),
            // Skipped unread by the reader, as when cleaning.
            Unit::LongRecord { line, max_line } => {
                let message = format!(
                    "record longer than {max_line} bytes (--max-line-bytes), not read whole; \
                     raise --max-line-bytes to learn it"
                );
                bad(summary, line, message)?;
                continue;
            }
            // Not produced: the reader reads records.
            _ => continue,
        };
        if bytes.trim_ascii().is_empty() {
            continue;
        }
        let field = match jsonl::locate(&bytes, &options.field) {
            Ok(field) => field,
            Err(message) => {
                bad(summary, line, message)?;
                continue;
            }
        };
        let url_site = jsonl::locate(&bytes, &options.url_field)
            .ok()
            .and_then(|url| site_of_url(&url.text));
        page_keys(field.text.as_bytes(), &mut keys);
        add(profile, url_site.as_deref().or(site), &mut keys, summary);
    }
    Ok(())
}

fn learn_pages<R: Read>(
    input: R,
    input_name: &Path,
    options: &WetOptions,
    site: Option<&str>,
    profile: &mut SiteProfile,
    summary: &mut LearnSummary,
) -> Result<(), Error> {
    let mut records = WetReader::new(input);
    let mut keys = Vec::new();
    while let Some(record) = records
        .next_record()
        .map_err(|e| Error::io(input_name, e))?
    {
        match record.page {
            Ok(page) => {
                let url_site = site_of_url(&page.url);
                page_keys(&page.text, &mut keys);
                add(profile, url_site.as_deref().or(site), &mut keys, summary);
            }
            Err(message) => {
                let (path, offset) = (|| input_name.to_path_buf(), record.offset);
                unusable(
                    options.on_error,
                    summary,
                    message,
                    |message| Error::WetRecord {
                        path: path(),
                        offset,
                        message,
                    },
                    |message| Warning::WetRecordSkipped {
                        path: path(),
                        offset,
                        message,
                    },
                )?;
            }
        }
    }
    Ok(())
}

/// A record that cannot be learned: under [`OnError::Fail`], the error that
/// stops the stream; under [`OnError::Skip`], counted, and the first 20
/// listed.
fn unusable(
    on_error: OnError,
    summary: &mut LearnSummary,
    message: String,
    stop: impl FnOnce(String) -> Error,
    skip: impl FnOnce(String) -> Warning,
) -> Result<(), Error> {
    match on_error {
        OnError::Fail => Err(stop(message + "; use --on-error skip to drop such records")),
        OnError::Skip => {
            summary.skipped += 1;
            if summary.warnings.len() < 20 {
                summary.warnings.push(skip(message + " (skipped)"));
            }
            Ok(())
        }
    }
}
