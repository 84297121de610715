//! The five labelled seed pages: every `K` line must be kept and every `D`
//! line removed by the default pipeline (`?` lines may go either way).

use std::fs;
use std::path::Path;

use kzclean::{Cleaner, CleanerOptions, RuleSet};

#[test]
fn seed_pages_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seeds");
    let mut names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".labels").map(str::to_string)
        })
        .collect();
    names.sort();
    assert_eq!(names.len(), 5);
    let mut failures = Vec::new();
    for name in &names {
        let page = fs::read(dir.join(format!("{name}.txt"))).unwrap();
        let labels = fs::read_to_string(dir.join(format!("{name}.labels"))).unwrap();
        let mut cleaner = Cleaner::new(RuleSet::builtin(), CleanerOptions::default());
        let out = cleaner.clean(&page);
        let kept: std::collections::HashSet<&[u8]> = out.split(|&b| b == b'\n').collect();
        for (i, (label, line)) in labels
            .split_whitespace()
            .zip(page.split(|&b| b == b'\n'))
            .enumerate()
        {
            let text = String::from_utf8_lossy(line);
            match label {
                "K" if !kept.contains(line) => {
                    failures.push(format!("{name}:{}: dropped article line: {text}", i + 1))
                }
                "D" if kept.contains(line) => {
                    failures.push(format!("{name}:{}: kept boilerplate: {text}", i + 1))
                }
                _ => {}
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
