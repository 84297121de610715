//! The fuzz targets' checks on their seed corpora, on stable Rust, in the
//! main test suite: each target's body is a `check` function in
//! `fuzz/fuzz_targets/TARGET_check.rs`, included both here and by the fuzz
//! target itself, so a target whose code or setup rots (an API change, its
//! rules no longer compiling) fails here and not only when someone fuzzes.
//! Fuzzing itself (cargo-fuzz, new inputs) stays in `fuzz/`.

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;

#[path = "../fuzz/fuzz_targets/clean_document_check.rs"]
mod clean_document;
#[path = "../fuzz/fuzz_targets/document_reader_check.rs"]
mod document_reader;
#[path = "../fuzz/fuzz_targets/jsonl_check.rs"]
mod jsonl;
#[path = "../fuzz/fuzz_targets/rule_file_check.rs"]
mod rule_file;
#[path = "../fuzz/fuzz_targets/wet_check.rs"]
mod wet;

/// Runs `check` on the empty input and on every file of
/// `fuzz/corpus/TARGET`, and fails naming each seed it panicked on. The
/// corpus must not be empty: a test that checks nothing cannot fail.
fn run_seeds(target: &str, check: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut seeds: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a corpus entry").path())
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    let mut failed = Vec::new();
    let mut run = |name: String, data: &[u8]| {
        if panic::catch_unwind(AssertUnwindSafe(|| check(data))).is_err() {
            failed.push(name);
        }
    };
    run("the empty input".to_string(), b"");
    for seed in &seeds {
        let data = fs::read(seed).unwrap_or_else(|e| panic!("{}: {e}", seed.display()));
        run(seed.display().to_string(), &data);
    }
    assert!(
        failed.is_empty(),
        "fuzz target {target} fails on (see the panics above): {failed:#?}"
    );
}

#[test]
fn clean_document_seeds() {
    run_seeds("clean_document", clean_document::check);
}

#[test]
fn document_reader_seeds() {
    run_seeds("document_reader", document_reader::check);
}

#[test]
fn jsonl_seeds() {
    run_seeds("jsonl", jsonl::check);
}

#[test]
fn rule_file_seeds() {
    run_seeds("rule_file", rule_file::check);
}

#[test]
fn wet_seeds() {
    run_seeds("wet", wet::check);
}
