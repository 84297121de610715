//! Source files generated from data in the repository, checked to be up to
//! date: a stoplist added to rules/stoplists/ must reach the binary.
//! `KZCLEAN_BLESS=1 cargo test --test generated` rewrites them.

use std::fs;
use std::path::Path;

/// src/features/stoplists.rs: one `include_str!` per file of rules/stoplists/.
fn stoplists_source(root: &Path) -> String {
    let mut languages: Vec<String> = fs::read_dir(root.join("rules/stoplists"))
        .expect("rules/stoplists is readable")
        .map(|entry| entry.expect("a directory entry").file_name())
        .filter_map(|name| name.to_str()?.strip_suffix(".txt").map(str::to_owned))
        .filter(|name| !name.starts_with("LICENSE"))
        .collect();
    languages.sort();
    let mut out = String::from(
        "//! The stoplists, embedded: (language, one word per line). Generated from\n\
         //! the files in rules/stoplists/ (jusText, BSD-2-Clause; see LICENSE-justext.txt)\n\
         //! by tests/generated.rs: do not edit; run\n\
         //! `KZCLEAN_BLESS=1 cargo test --test generated` after changing the files.\n\n\
         #[rustfmt::skip]\n\
         pub const STOPLISTS: &[(&str, &str)] = &[\n",
    );
    for language in &languages {
        out.push_str(&format!(
            "    (\"{language}\", include_str!(\"../../rules/stoplists/{language}.txt\")),\n"
        ));
    }
    out.push_str("];\n");
    out
}

#[test]
fn stoplists_source_is_generated_from_the_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("src/features/stoplists.rs");
    let want = stoplists_source(root);
    if std::env::var_os("KZCLEAN_BLESS").is_some() {
        fs::write(&path, &want).expect("src/features/stoplists.rs is writable");
        return;
    }
    let have = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "src/features/stoplists.rs is out of date with rules/stoplists/: \
         run `KZCLEAN_BLESS=1 cargo test --test generated`"
    );
}
