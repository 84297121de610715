//! Whole outputs compared with files: `tests/cli/cmd/NAME.toml` gives the
//! arguments and exit status, `NAME.stdin` the input, `NAME.stdout` and
//! `NAME.stderr` what must come out. A change to --help, --explain or an
//! error message fails here until the files are rewritten on purpose:
//! `TRYCMD=overwrite cargo test --release --test cli snapshots`.

#[test]
fn outputs_match_their_snapshots() {
    trycmd::TestCases::new()
        .default_bin_path(env!("CARGO_BIN_EXE_kzclean"))
        .case("tests/cli/cmd/*.toml");
}
