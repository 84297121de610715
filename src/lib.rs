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

mod cleaner;
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
mod verdict;

pub use cleaner::{Cleaner, CleanerOptions, ExplainedLine, expected_f_threshold};
pub use error::{Error, LineError, Warning};
pub use jsonl::{JsonlOptions, OnError};
pub use output::{Mode, Stats};
pub use params::{Params, Preset};
pub use pipeline::{FileOutcome, Format, Pipeline, TreeSummary};
pub use rules::{RuleSet, RuleSource};
pub use tree::{FileJob, Plan, Selection};
pub use verdict::{Reason, Verdict};
