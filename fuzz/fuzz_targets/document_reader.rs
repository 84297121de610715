//! Fuzz target `document_reader`. What it feeds and what it asserts is in
//! `document_reader_check.rs`, which `tests/fuzz_seeds.rs` also runs on the seed
//! corpus `fuzz/corpus/document_reader` in the main test suite.
#![no_main]

#[path = "document_reader_check.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
