//! Fuzz target `wet`. What it feeds and what it asserts is in
//! `wet_check.rs`, which `tests/fuzz_seeds.rs` also runs on the seed corpus
//! `fuzz/corpus/wet` in the main test suite.
#![no_main]

#[path = "wet_check.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
