//! Fuzz target `rule_file`. What it feeds and what it asserts is in
//! `rule_file_check.rs`, which `tests/fuzz_seeds.rs` also runs on the seed
//! corpus `fuzz/corpus/rule_file` in the main test suite.
#![no_main]

#[path = "rule_file_check.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
