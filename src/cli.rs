//! Command-line flags (clap) and their translation into library settings.

use std::path::PathBuf;

use clap::{ArgAction, Parser};

/// Strip scraped-page boilerplate from plain-text page dumps; keep the article.
///
/// Reads each FILE (or standard input) as a stream of documents separated by
/// form-feed lines, and writes the lines it keeps, byte for byte.
#[derive(Debug, Parser)]
#[command(
    name = "kzclean",
    version,
    max_term_width = 100,
    after_help = "Examples:
  cat page.txt | kzclean > clean.txt
  kzclean page.txt other.txt > clean.txt
  kzclean --rules site.rules page.txt
  kzclean --explain page.txt | grep ^drop
  kzclean --stats < page.txt > /dev/null

Exit status: 0 success (also when the reader closes the pipe), 1 when some
inputs could not be read, 2 for bad usage or a bad rule file."
)]
pub struct Args {
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

    /// Remove more: fewer boilerplate lines get through, some text is lost.
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

    /// Print counts (documents, lines, bytes, per rule) and speed to stderr.
    #[arg(long, help_heading = "Output")]
    pub stats: bool,

    /// Threads to clean on (0: one per core). Output is the same for any N.
    #[arg(
        short = 'j',
        long = "threads",
        value_name = "N",
        default_value_t = 0,
        help_heading = "Performance"
    )]
    pub threads: usize,
}
