//! kzclean strips scraped-page boilerplate from plain-text dumps of web pages
//! and keeps the article body.
//!
//! Data flow, one module per step:
//!
//! ```text
//! bytes ─► document (split at form-feed lines, lines with terminators)
//!       ─► features (numbers per line)
//!       ─► rules (rule files compiled once) + classify (verdict per line)
//!       ─► output (clean text | explain table | removed lines, stats)
//! pipeline: batches of documents on threads, output in input order
//! ```
//!
//! The library never prints; it writes to the `Write` it is given.
//!
//! ```
//! use kzclean::{Cleaner, CleanerOptions, RuleSet};
//! let mut cleaner = Cleaner::new(RuleSet::builtin(), CleanerOptions::default());
//! let page = b"Skip to content\nThe minister said the plan would start in May, after a long debate.\n";
//! let out = cleaner.clean(page);
//! assert_eq!(out, b"The minister said the plan would start in May, after a long debate.\n");
//!
//! let rows = cleaner.explain(page);
//! assert!(!rows[0].keep);
//! assert_eq!(rows[0].line, b"Skip to content");
//! assert!(rows[1].keep && rows[1].reason.starts_with("model:"));
//! ```
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod classify;
pub mod codec;
pub mod document;
pub mod error;
pub mod features;
pub mod jsonl;
pub mod model;
pub mod output;
pub mod params;
pub mod pipeline;
pub mod rules;
mod text;
pub mod tree;

pub use classify::{Cleaner, CleanerOptions, Reason, Verdict};
pub use error::{Error, RuleError};
pub use jsonl::{JsonlOptions, OnError};
pub use output::{Mode, Stats};
pub use params::{Params, Preset};
pub use pipeline::{FileOutcome, Format, Pipeline, TreeSummary};
pub use rules::{RuleSet, RuleSource};
pub use tree::{FileJob, Plan, Selection};

impl Cleaner {
    /// Cleans one document and returns the kept lines, byte for byte.
    pub fn clean(&mut self, doc: &[u8]) -> Vec<u8> {
        let mut verdicts = Vec::new();
        self.classify(doc, &mut verdicts);
        let mut out = Vec::with_capacity(doc.len());
        output::write_document(Mode::Clean, doc, &verdicts, self.rules(), &mut out);
        out
    }

    /// Cleans one document and says, for every input line, whether it is
    /// kept and why: the rows of `--explain`, with each line's content
    /// (without its line terminator).
    pub fn explain<'d>(&mut self, doc: &'d [u8]) -> Vec<ExplainedLine<'d>> {
        let mut verdicts = Vec::new();
        self.classify(doc, &mut verdicts);
        document::lines(doc)
            .zip(&verdicts)
            .map(|(line, v)| {
                let mut reason = Vec::new();
                output::write_reason(v.reason, self.rules(), &mut reason);
                ExplainedLine {
                    keep: v.keep,
                    reason: String::from_utf8_lossy(&reason).into_owned(),
                    line: document::content(line),
                }
            })
            .collect()
    }
}

/// One row of [`Cleaner::explain`].
#[derive(Debug, Clone, PartialEq)]
pub struct ExplainedLine<'d> {
    /// Whether the line is in the cleaned output.
    pub keep: bool,
    /// Why, as `--explain` names it (a rule id, `model:0.93/0.41 words`, ...).
    pub reason: String,
    /// The line's bytes without its `\n` or `\r\n`.
    pub line: &'d [u8],
}
