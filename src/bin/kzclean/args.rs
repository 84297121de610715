//! Command-line flags (clap) and their translation into library settings.

use std::path::PathBuf;

use clap::{ArgAction, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;
use kzclean::UnwrapWidth;

/// Strip scraped-page boilerplate from plain-text page dumps; keep the article.
///
/// Reads each FILE (or standard input) as a stream of documents separated by
/// form-feed lines, and writes the lines it keeps, byte for byte.
#[derive(Debug, Parser)]
#[command(
    name = "kzclean",
    version,
    max_term_width = 100,
    args_conflicts_with_subcommands = true,
    disable_help_subcommand = true,
    after_help = "Examples:
  cat page.txt | kzclean > clean.txt
  kzclean page.txt other.txt > clean.txt
  kzclean --rules site.rules page.txt
  kzclean --explain page.txt | grep ^drop
  kzclean --stats < page.txt > /dev/null
  kzclean -r dumps/ -o clean/ --glob '*.txt' --glob '*.txt.gz'
  kzclean --jsonl --field body < pages.jsonl > clean.jsonl
  kzclean --jsonl -r shards/ -o clean/ --skip-existing   # resume a killed run
  kzclean CC-MAIN-*.warc.wet.gz > pages.jsonl            # Common Crawl WET files
  kzclean learn --jsonl pages.jsonl > sites.prof   # a site profile, then:
  kzclean --jsonl --profile sites.prof < pages.jsonl > clean.jsonl

Files ending in .gz or .zst are read (and, under -r, written) compressed;
other inputs, standard input too, are decompressed when they start with
gzip or zstd magic bytes. -z compresses standard output with gzip.

Exit status: 0 success (also when the reader closes the pipe), 1 when some
inputs could not be read or written (a WET file cut short), 2 for bad usage,
a bad rule file or (with --on-error fail) an unusable JSON Lines or WET
record; under -r, 130 or 143 when SIGINT or SIGTERM stopped the run (no
partial output is left).

Environment: KZCLEAN_HUGE_PAGES=0 (or off) keeps the large tables off
Linux's transparent huge pages: a little less memory, up to ~10% slower."
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Files to clean; `-` or none reads standard input. Each file is at
    /// least one document; form-feed lines split it into more.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Add the rules of FILE to the built-in ones (repeatable).
    #[arg(long = "rules", value_name = "FILE", action = ArgAction::Append, help_heading = "Rules")]
    pub rules: Vec<PathBuf>,

    /// Start without the built-in rules.
    #[arg(long, help_heading = "Rules")]
    pub no_default_rules: bool,

    /// Decide only with rules: keep every line no rule drops.
    #[arg(long, help_heading = "Rules")]
    pub no_classifier: bool,

    /// Clean a whole crawl: only the rules anchored at a line's start and a
    /// small model over cheap features; several times faster, a little less
    /// accurate.
    #[arg(long, conflicts_with = "no_classifier", help_heading = "Rules")]
    pub fast: bool,

    /// Use this classifier model instead of the built-in one (a file written
    /// by tools/train-model/train.py).
    #[arg(long, value_name = "FILE", help_heading = "Rules")]
    pub model: Option<PathBuf>,

    /// Write the classifier's feature rows instead of cleaning (for
    /// tools/train-model/train.py).
    #[arg(long, hide = true, conflicts_with_all = ["recursive", "jsonl", "input_format", "explain", "invert", "no_classifier"])]
    pub dump_features: bool,

    /// Remove more: less boilerplate gets through, some article text is lost.
    #[arg(long, conflicts_with = "recall", help_heading = "Rules")]
    pub precision: bool,

    /// Keep more: less text is lost, more boilerplate gets through.
    #[arg(long, help_heading = "Rules")]
    pub recall: bool,

    /// For hard-wrapped dumps (lynx, w3m, html2text): join each paragraph's
    /// lines, decide the paragraph, keep or drop all its lines. WIDTH: the
    /// wrap width (default: each document's longest line).
    #[arg(
        long,
        value_name = "WIDTH",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "auto",
        value_parser = unwrap_width,
        conflicts_with = "dump_features",
        help_heading = "Rules"
    )]
    pub unwrap: Option<UnwrapWidth>,

    /// Check the rule files and exit: 0 when they compile, 2 otherwise.
    #[arg(long, help_heading = "Rules")]
    pub check_rules: bool,

    /// Print every input line as `keep|drop <TAB> reason <TAB> line`.
    #[arg(long, conflicts_with = "invert", help_heading = "Output")]
    pub explain: bool,

    /// Print only the removed lines.
    #[arg(long, help_heading = "Output")]
    pub invert: bool,

    /// Write standard output gzip-compressed (not with -r, whose outputs
    /// keep their inputs' names and compression).
    #[arg(
        short = 'z',
        long,
        conflicts_with = "recursive",
        help_heading = "Output"
    )]
    pub compress: bool,

    /// Print counts (documents, lines, bytes, per rule) and speed to stderr.
    #[arg(long, help_heading = "Output")]
    pub stats: bool,

    /// Threads to clean on (0: one per core; at most 1024). Output is the
    /// same for any N.
    #[arg(
        short = 'j',
        long = "threads",
        value_name = "N",
        default_value_t = 0,
        value_parser = clap::value_parser!(u16).range(0..=kzclean::MAX_THREADS as i64),
        help_heading = "Performance"
    )]
    pub threads: u16,

    /// Drop lines longer than SIZE bytes (K, M, G: binary multiples) as
    /// they are read, never holding one whole, so memory stays bounded on
    /// any input (under --jsonl such a record is unusable: see --on-error).
    /// --explain and --invert still print them.
    #[arg(
        long,
        value_name = "SIZE",
        default_value = "8M",
        value_parser = parse_size,
        help_heading = "Performance"
    )]
    pub max_line_bytes: usize,

    /// Clean the directory given as FILE into -o OUT: every file under it
    /// goes to the same relative path under OUT, files in parallel.
    #[arg(short = 'r', long, requires = "output", help_heading = "Directories")]
    pub recursive: bool,

    /// Where -r writes its outputs (created if missing; must not be inside
    /// the input directory).
    #[arg(
        short = 'o',
        long,
        value_name = "OUT",
        requires = "recursive",
        help_heading = "Directories"
    )]
    pub output: Option<PathBuf>,

    /// Clean only files matching PATTERN (repeatable; `!PATTERN` excludes).
    /// Without `/` it matches file names at any depth, with `/` the path
    /// under the input directory; `**` crosses directories. Default: all.
    #[arg(long, value_name = "PATTERN", action = ArgAction::Append, requires = "recursive", help_heading = "Directories")]
    pub glob: Vec<String>,

    /// Follow symbolic links to directories (each directory once, so loops
    /// end). Without it they are not followed, and each is named on stderr.
    #[arg(
        short = 'L',
        long,
        requires = "recursive",
        help_heading = "Directories"
    )]
    pub follow: bool,

    /// Leave files whose output already exists alone (resumes a killed run:
    /// outputs appear only once complete).
    #[arg(long, requires = "recursive", help_heading = "Directories")]
    pub skip_existing: bool,

    /// Read JSON Lines: clean one string field of each record and write the
    /// rest of the record back unchanged (same as --input-format jsonl).
    #[arg(long, help_heading = "JSON Lines and WET")]
    pub jsonl: bool,

    /// How to read the inputs. Default: wet for files named *.wet,
    /// *.warc.wet.gz, *.wet.gz or *.wet.zst, text for the others.
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        help_heading = "JSON Lines and WET"
    )]
    pub input_format: Option<InputFormat>,

    /// The JSON Lines field holding the text [default: text].
    #[arg(long, value_name = "NAME", help_heading = "JSON Lines and WET")]
    pub field: Option<String>,

    /// What to do with a record that cannot be used (JSON Lines: not an
    /// object with a string field; WET: a conversion record with a field
    /// missing or over 16 MiB) [default: fail].
    #[arg(
        long,
        value_enum,
        value_name = "ACTION",
        help_heading = "JSON Lines and WET"
    )]
    pub on_error: Option<OnErrorArg>,

    /// Add "kzclean":{"lines_removed":N,"bytes_removed":M} to each record.
    #[arg(long, help_heading = "JSON Lines and WET")]
    pub annotate: bool,

    /// The field holding each record's URL (its site picks the profile's
    /// counts).
    #[arg(
        long,
        value_name = "NAME",
        default_value = "url",
        requires = "jsonl",
        help_heading = "JSON Lines"
    )]
    pub url_field: String,

    /// Drop the lines a site repeats, as counted in this profile (written
    /// by `kzclean learn`): a line the rules left undecided, on enough of
    /// its site's pages.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "learn_sites",
        help_heading = "Site profiles"
    )]
    pub profile: Option<PathBuf>,

    /// Two passes over the inputs (files, -r or JSON Lines): learn their
    /// site profile, then clean them with it.
    #[arg(long, help_heading = "Site profiles")]
    pub learn_sites: bool,

    /// The site of the pages (default: a record's URL; a file's folder name).
    #[arg(long, value_name = "NAME", value_parser = site_name, help_heading = "Site profiles")]
    pub site: Option<String>,

    /// A repeated line must be on at least K of its site's other pages
    /// (the page cleaned is not counted, whether or not the profile was
    /// learned on it).
    #[arg(
        long,
        value_name = "K",
        default_value_t = 1,
        help_heading = "Site profiles"
    )]
    pub profile_min_pages: u32,

    /// ...and on at least this share of its site's other pages.
    #[arg(long, value_name = "SHARE", default_value_t = 0.7, value_parser = share, help_heading = "Site profiles")]
    pub profile_min_share: f64,
}

/// A share: a number from 0 to 1.
/// `--unwrap[=WIDTH]`: `auto`, or a width of 10 characters or more.
pub fn unwrap_width(text: &str) -> Result<UnwrapWidth, String> {
    match text {
        "auto" => Ok(UnwrapWidth::Auto),
        _ => match text.parse::<usize>() {
            Ok(n) if n >= 10 => Ok(UnwrapWidth::Columns(n)),
            _ => Err(format!(
                "`{text}` is not a wrap width: give a number of characters (10 or more), or no \
                 value to use each document's longest line"
            )),
        },
    }
}

pub fn share(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if (0.0..=1.0).contains(&s) => Ok(s),
        _ => Err(format!("`{text}` is not a share from 0 to 1")),
    }
}

/// `kzclean learn`: a site profile from a corpus.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  kzclean learn -r dumps/ > sites.prof            # a site per folder
  kzclean learn --jsonl shard1.jsonl > 1.prof     # a site per URL (field `url`)
  kzclean learn --merge 1.prof 2.prof > all.prof  # the same as learning both at once
  kzclean --jsonl --profile all.prof < shard1.jsonl > clean1.jsonl

The profile counts, per site, the pages each line (trimmed, hashed) is on,
and the site's pages. A site is the registered domain of a record's URL
(the last two labels of the host, three under co.uk-like suffixes), or a
file's folder name, or --site.")]
pub struct LearnArgs {
    /// Corpus files (with -r: one directory; with --merge: profiles); `-`
    /// or none reads standard input.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Learn from every file under the directory given as FILE.
    #[arg(short = 'r', long, conflicts_with = "merge")]
    pub recursive: bool,

    /// Under -r, only files matching PATTERN (as for cleaning).
    #[arg(long, value_name = "PATTERN", action = ArgAction::Append, requires = "recursive")]
    pub glob: Vec<String>,

    /// Follow symbolic links to directories under -r (each directory once).
    #[arg(short = 'L', long, requires = "recursive")]
    pub follow: bool,

    /// Add up the profiles given as FILEs instead of reading pages.
    #[arg(long)]
    pub merge: bool,

    /// Read JSON Lines: each record is a page of its URL's site.
    #[arg(long, conflicts_with = "merge")]
    pub jsonl: bool,

    /// How to read the inputs. Without it, files named *.warc.wet.gz,
    /// *.wet (or .gz, .zst) are read as WET (each conversion record is a
    /// page of its URL's site), the rest as text (or JSON Lines with
    /// --jsonl).
    #[arg(long, value_enum, value_name = "FORMAT", conflicts_with_all = ["merge", "jsonl"])]
    pub input_format: Option<InputFormat>,

    /// The field holding the text.
    #[arg(long, value_name = "NAME", default_value = "text", requires = "jsonl")]
    pub field: String,

    /// The field holding the URL.
    #[arg(long, value_name = "NAME", default_value = "url", requires = "jsonl")]
    pub url_field: String,

    /// What to do with a JSON Lines record that is not an object with a
    /// string field, or a WET record that is not usable [default: fail]
    #[arg(long, value_enum, value_name = "ACTION", conflicts_with = "merge")]
    pub on_error: Option<OnErrorArg>,

    /// The site of every page (records without a URL, standard input, files).
    #[arg(long, value_name = "NAME", conflicts_with = "merge", value_parser = site_name)]
    pub site: Option<String>,

    /// Write only the lines on at least K pages of their site (a smaller
    /// profile, which can no longer be merged).
    #[arg(long, value_name = "K", default_value_t = 1)]
    pub min_pages: u32,

    /// Write only the lines on at least this share of their site's pages
    /// (the same caveat).
    #[arg(long, value_name = "SHARE", default_value_t = 0.0, value_parser = share)]
    pub min_share: f64,

    /// Hold at most N line counts (about 55 bytes each); past it, lines
    /// are sampled by their hash, the same way whatever the input order.
    #[arg(long, value_name = "N", default_value_t = kzclean::DEFAULT_MAX_LINES)]
    pub max_lines: usize,

    /// Leave out lines longer than SIZE bytes (K, M, G) unread, as cleaning
    /// does, so memory stays bounded (under --jsonl such a record is
    /// unusable: see --on-error).
    #[arg(long, value_name = "SIZE", default_value = "8M", value_parser = parse_size)]
    pub max_line_bytes: usize,
}

/// `--input-format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// Pages separated by form-feed lines
    Text,
    /// JSON Lines, as --jsonl
    Jsonl,
    /// WARC records (Common Crawl WET): each conversion record's text,
    /// cleaned, as a JSON Lines record {"id","url","date","language","text"}
    Wet,
}

/// `--on-error` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnErrorArg {
    /// Stop with exit status 2; every record before it is written
    Fail,
    /// Drop the record, count it and go on
    Skip,
}

impl From<OnErrorArg> for kzclean::OnError {
    fn from(arg: OnErrorArg) -> kzclean::OnError {
        match arg {
            OnErrorArg::Fail => kzclean::OnError::Fail,
            OnErrorArg::Skip => kzclean::OnError::Skip,
        }
    }
}

/// What kzclean can do besides cleaning. A file named like one of these
/// is cleaned when given as `./NAME`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a shell completion script (e.g. `kzclean completions bash >
    /// ~/.local/share/bash-completion/completions/kzclean`)
    Completions {
        /// The shell to complete in
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the man page, in roff (e.g. `kzclean man > kzclean.1`)
    Man,
    /// Write a site profile: the lines each site repeats across its pages
    /// (e.g. `kzclean learn --jsonl pages.jsonl > sites.prof`)
    Learn(LearnArgs),
}

/// A size in bytes: digits, then optionally K, M or G (powers of 1024,
/// with or without a trailing `iB` or `B`).
fn parse_size(text: &str) -> Result<usize, String> {
    let upper = text.trim().to_ascii_uppercase();
    let digits = upper.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let shift = match &upper[digits.len()..] {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        other => return Err(format!("unknown unit `{other}`; use K, M or G")),
    };
    let n: usize = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size such as 4096, 64K or 8M"))?;
    match n.checked_mul(1 << shift) {
        Some(0) => Err("must be at least 1 byte".to_string()),
        Some(bytes) => Ok(bytes),
        None => Err(format!("`{text}` is too large")),
    }
}

/// A site name a profile can hold and read back (a profile written with
/// `--site $'a\nb'` could not be).
fn site_name(text: &str) -> Result<String, String> {
    match kzclean::site_name_problem(text) {
        Some(problem) => Err(problem),
        None => Ok(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_size, site_name};

    #[test]
    fn site_names_are_one_line() {
        assert_eq!(site_name("example.com"), Ok("example.com".to_string()));
        assert_eq!(site_name("my site"), Ok("my site".to_string()));
        for bad in ["", " ", "a\nb", "a\tb", "a\rb", " x", "x ", "a\u{1b}[31m"] {
            assert!(site_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("8m"), Ok(8 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        for bad in ["", "0", "-1", "8X", "M", "1.5M"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
