//! kzclean strips scraped-page boilerplate from plain-text dumps of web pages
//! and keeps the article body.
//!
//! Data flow, one module (or folder) per step:
//!
//! ```text
//! bytes ─► document   split at form-feed lines; lines with their terminators
//!       ─► text       characters, words, hashes (shared by the next two)
//!       ─► features   numbers per line, for the model
//!       ─► rules      rule files compiled once; which rule takes a line
//!       ─► model      gradient-boosted trees: a probability per line
//!       ─► sites      site profiles: the lines each site repeats
//!       ─► cleaner    the passes: rules, the model, site profiles, blank lines
//!       ─► verdict    keep or drop, and why
//!       ─► output     clean text | explain table | removed lines, stats
//! pipeline: streams, JSON Lines, WET, compressed files and directory trees,
//!           cleaned in batches on threads, output in input order
//! ```
//!
//! Most users need [`Cleaner`] alone (one document at a time) or
//! [`Pipeline`] (streams and trees on threads).
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
#![warn(missing_docs)]

mod cleaner;
pub mod document;
mod error;
mod features;
mod model;
mod output;
mod params;
mod pipeline;
mod rules;
mod sites;
mod text;
mod verdict;

pub use cleaner::{
    Cleaner, CleanerOptions, ExplainedLine, MAX_AUTO_WIDTH, ProfileOptions, UnwrapWidth,
    expected_f_threshold,
};
pub use error::{Error, LineError, Warning, shown_path};
pub use features::{FAST_FEATURE_NAMES, FEATURE_NAMES};
pub use model::Model;
pub use output::{Mode, Stats, write_document};
pub use params::{Params, Preset};
pub use pipeline::jsonl::{self, JsonlOptions, OnError};
pub use pipeline::learn::{LearnSummary, learn_stream};
pub use pipeline::tree::{FileJob, OutputNames, Plan, Selection, list, plan, plan_with};
pub use pipeline::{
    FileOutcome, Format, MAX_THREADS, Pipeline, TreeSummary, WetOptions, codec, wet,
};
pub use rules::{Action, DEFAULT_RULES, Origin, Presearch, Rule, RuleSet, RuleSource};
pub use sites::{
    DEFAULT_MAX_LINES, PROFILE_MAGIC, PROFILE_VERSION, SiteCounts, SiteProfile, line_key,
    page_keys, site_name_problem, site_of_path, site_of_url,
};
pub use text::count_words;
pub use verdict::{Reason, Verdict};
