//! Fuzz target `clean_document`. What it feeds and what it asserts is in
//! `clean_document_check.rs`, which `tests/fuzz_seeds.rs` also runs on the seed
//! corpus `fuzz/corpus/clean_document` in the main test suite.
#![no_main]

#[path = "clean_document_check.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
