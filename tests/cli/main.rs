//! The command's tests, one binary: each module runs the built `kzclean` as
//! a user would. `common` has the helpers; `snapshots` compares whole
//! outputs (help, --explain, error messages, exit codes) with the files in
//! tests/cli/cmd/ (`TRYCMD=overwrite cargo test --test cli` rewrites them).

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod basics;
mod batch;
mod sites;
mod snapshots;
mod wet;
