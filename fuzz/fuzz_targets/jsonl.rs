//! Fuzz target `jsonl`. What it feeds and what it asserts is in
//! `jsonl_check.rs`, which `tests/fuzz_seeds.rs` also runs on the seed
//! corpus `fuzz/corpus/jsonl` in the main test suite.
#![no_main]

#[path = "jsonl_check.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
