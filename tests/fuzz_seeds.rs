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

/// The seed files of `fuzz/corpus/TARGET`, sorted. The corpus must not be
/// empty: a test that checks nothing cannot fail.
fn seeds(target: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut seeds: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a corpus entry").path())
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    seeds
}

fn read_seed(seed: &PathBuf) -> Vec<u8> {
    fs::read(seed).unwrap_or_else(|e| panic!("{}: {e}", seed.display()))
}

/// Runs `check` on each named input and fails naming each one it panicked
/// on.
fn run_all(target: &str, check: fn(&[u8]), inputs: impl IntoIterator<Item = (String, Vec<u8>)>) {
    let mut failed = Vec::new();
    for (name, data) in inputs {
        if panic::catch_unwind(AssertUnwindSafe(|| check(&data))).is_err() {
            failed.push(name);
        }
    }
    assert!(
        failed.is_empty(),
        "fuzz target {target} fails on (see the panics above): {failed:#?}"
    );
}

/// Runs `check` on the empty input and on every file of
/// `fuzz/corpus/TARGET`.
fn run_seeds(target: &str, check: fn(&[u8])) {
    let inputs = seeds(target)
        .into_iter()
        .map(|seed| (seed.display().to_string(), read_seed(&seed)));
    run_all(
        target,
        check,
        std::iter::once(("the empty input".to_string(), Vec::new())).chain(inputs),
    );
}

#[test]
fn clean_document_seeds() {
    run_seeds("clean_document", clean_document::check);
}

/// Every `clean_document` seed with every cleaner (its first byte picks
/// one), not only the one its first byte names.
#[test]
fn clean_document_seeds_every_cleaner() {
    let mut inputs = Vec::new();
    for seed in seeds("clean_document") {
        let data = read_seed(&seed);
        for pick in 0..clean_document::CLEANER_COUNT {
            let mut input = data.clone();
            match input.first_mut() {
                Some(first) => *first = pick as u8,
                None => input.push(pick as u8),
            }
            inputs.push((format!("{} with cleaner {pick}", seed.display()), input));
        }
    }
    run_all("clean_document", clean_document::check, inputs);
}

/// Documents ending at and around 64-byte boundaries of their buffer, with
/// and without a final newline, under every cleaner: `--fast` reads a
/// line's last block in place when the document holds 64 bytes from there,
/// and copies it otherwise.
#[test]
fn clean_document_block_edges() {
    let prose = "The minister said the talks would resume next week, in Astana. ".repeat(4);
    let mut inputs = Vec::new();
    for len in (1..=70).chain(120..=136) {
        let line = &prose.as_bytes()[..len];
        let ends = ["", "\n", "\r\n", "\nMENU!", "\n\nRead more >>"];
        for (before, after) in ["", "Home | News\n"]
            .into_iter()
            .flat_map(|b| ends.map(|a| (b, a)))
        {
            let doc = [before.as_bytes(), line, after.as_bytes()].concat();
            for pick in 0..clean_document::CLEANER_COUNT {
                let input = [&[pick as u8][..], &doc].concat();
                let name = format!("{before:?} + {len} bytes + {after:?}, cleaner {pick}");
                inputs.push((name, input));
            }
        }
    }
    run_all("clean_document", clean_document::check, inputs);
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
