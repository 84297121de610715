//! The rule-file parser and compiler on arbitrary bytes: `RuleSet::build`
//! returns rules or errors (never panics, never hangs), every error names
//! the file and a line that exists, and a rule set that builds can clean.
//!
//! Shared by the fuzz target (`rule_file.rs`) and, on the seed corpus,
//! by the test `tests/fuzz_seeds.rs`, so the two never drift apart.

use kzclean::{Cleaner, CleanerOptions, Mode, Preset, RuleSet, RuleSource};

const PAGE: &[u8] = b"Skip to content\nShare\n\nThe minister said the plan would start in May, after a long debate.\r\nRelated posts\n3 hours ago\n\xff\xfe\n";

/// The fuzz target's checks on one input; panics on a failure.
pub fn check(data: &[u8]) {
    // The first byte picks the preset and whether the defaults come first.
    let (flags, bytes) = data.split_first().unwrap_or((&0, data));
    let preset = [Preset::Balanced, Preset::Precision, Preset::Recall][usize::from(flags % 3)];
    let defaults = flags & 0x80 != 0;
    let source = RuleSource {
        path: "fuzz.rules".into(),
        bytes,
    };
    let lines = bytes.split(|&b| b == b'\n').count();
    match RuleSet::build(defaults, &[source], preset) {
        Err(errors) => {
            assert!(!errors.is_empty(), "an empty error list");
            for e in &errors {
                match e.path.as_str() {
                    // Rules too large together: no line is at fault.
                    "fuzz.rules" if e.line == 0 => {
                        assert!(e.message.contains("together too large"), "{e}")
                    }
                    "fuzz.rules" => assert!(e.line >= 1 && e.line <= lines, "{e}"),
                    "<rules>" => assert_eq!(e.line, 0, "{e}"),
                    other => panic!("error names an unknown file {other:?}: {e}"),
                }
                assert!(!e.message.is_empty());
                assert!(!e.message.contains('\n'), "multi-line message: {e}");
            }
        }
        Ok(rules) => {
            let mut cleaner = Cleaner::new(rules, CleanerOptions::default());
            let mut verdicts = Vec::new();
            cleaner.classify(PAGE, &mut verdicts);
            assert_eq!(verdicts.len(), kzclean::document::lines(PAGE).count());
            for mode in [Mode::Clean, Mode::Explain, Mode::Invert] {
                let mut out = Vec::new();
                kzclean::write_document(mode, PAGE, &verdicts, cleaner.rules(), &mut out);
            }
        }
    }
}
