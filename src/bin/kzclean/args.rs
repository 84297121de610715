//! Command-line flags (clap) and their translation into library settings.

use std::path::PathBuf;

use clap::{ArgAction, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;

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

Files ending in .gz or .zst are read (and, under -r, written) compressed;
other inputs, standard input too, are decompressed when they start with
gzip or zstd magic bytes. -z compresses standard output with gzip.

Exit status: 0 success (also when the reader closes the pipe), 1 when some
inputs could not be read or written (a WET file cut short), 2 for bad usage,
a bad rule file or (with --on-error fail) an unusable JSON Lines or WET
record; under -r, 130 or 143 when SIGINT or SIGTERM stopped the run (no
partial output is left)."
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

    /// Use this classifier model instead of the built-in one (a file written
    /// by tools/train-model/train.py).
    #[arg(long, value_name = "FILE", help_heading = "Rules")]
    pub model: Option<PathBuf>,

    /// Write the classifier's feature rows instead of cleaning (for
    /// tools/train-model/train.py).
    #[arg(long, hide = true, conflicts_with_all = ["recursive", "jsonl", "input_format", "explain", "invert"])]
    pub dump_features: bool,

    /// Remove more: less boilerplate gets through, some article text is lost.
    #[arg(long, conflicts_with = "recall", help_heading = "Rules")]
    pub precision: bool,

    /// Keep more: less text is lost, more boilerplate gets through.
    #[arg(long, help_heading = "Rules")]
    pub recall: bool,

    /// Check the rule files and exit: 0 when they compile, 2 otherwise.
    #[arg(long, help_heading = "Rules")]
    pub check_rules: bool,

    /// Print every input line as `keep|drop <TAB> reason <TAB> line`.
    #[arg(long, conflicts_with = "invert", help_heading = "Output")]
    pub explain: bool,

    /// Print only the removed lines.
    #[arg(long, help_heading = "Output")]
    pub invert: bool,

    /// Write standard output gzip-compressed (under -r, outputs are
    /// compressed by their names instead).
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
        value_parser = clap::value_parser!(u16).range(0..=1024),
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

#[cfg(test)]
mod tests {
    use super::parse_size;

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
