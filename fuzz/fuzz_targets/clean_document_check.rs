//! The cleaner on one document of arbitrary bytes, in every output mode:
//! one verdict per line; the plain output is a subsequence of the input
//! lines, byte for byte; explain has one row per line and its keep rows are
//! the plain output; invert and plain partition the non-blank lines; and
//! the verdicts stay the same when every LF line end becomes CRLF (what
//! lies past a line's content must not change it: `--fast` reads a line's
//! last 64-byte block in place, bytes past the line masked).
//!
//! Shared by the fuzz target (`clean_document.rs`) and, on the seed corpus,
//! by the test `tests/fuzz_seeds.rs`, so the two never drift apart.

use std::sync::{LazyLock, Mutex};

use kzclean::document::{content, is_blank, lines};
use kzclean::write_document;
use kzclean::{Cleaner, CleanerOptions, Mode, Preset, RuleSet, RuleSource, UnwrapWidth};

const PAGE_RULES: &str = include_str!("../../tests/fixtures/page.rules");

/// How many cleaners [`check`] picks from (by its input's first byte).
pub const CLEANER_COUNT: usize = 9;

/// Kept across runs (not cloned per run): a clone starts with cold regex
/// caches, which would make every run pay for building them again.
/// Picked by the first byte modulo [`CLEANER_COUNT`]: 0 page rules, 1 page
/// rules without the classifier, 2 built-in rules, 3 page rules `--fast`,
/// 4 built-in `--fast`, 5 page rules `--unwrap`, 6 built-in without the
/// classifier `--unwrap=40`, 7 page rules `--fast --unwrap`, 8 built-in
/// `--fast --unwrap=40`. (`--fast` conflicts with `--no-classifier`.)
static CLEANERS: LazyLock<Mutex<Vec<Cleaner>>> = LazyLock::new(|| {
    let page = RuleSet::build(
        true,
        &[RuleSource {
            path: "page.rules".into(),
            bytes: PAGE_RULES.as_bytes(),
        }],
        Preset::Balanced,
    )
    .expect("the fuzz rules compile");
    let builtin = RuleSet::builtin;
    let default = CleanerOptions::default();
    let rules_only = CleanerOptions {
        classifier: false,
        ..default
    };
    let fast = CleanerOptions {
        fast: true,
        ..default
    };
    let cleaners = vec![
        Cleaner::new(page.clone(), default),
        Cleaner::new(page.clone(), rules_only),
        Cleaner::new(builtin(), default),
        Cleaner::new(page.clone(), fast),
        Cleaner::new(builtin(), fast),
        Cleaner::new(page.clone(), default).with_unwrap(UnwrapWidth::Auto),
        Cleaner::new(builtin(), rules_only).with_unwrap(UnwrapWidth::Columns(40)),
        Cleaner::new(page, fast).with_unwrap(UnwrapWidth::Auto),
        Cleaner::new(builtin(), fast).with_unwrap(UnwrapWidth::Columns(40)),
    ];
    assert_eq!(cleaners.len(), CLEANER_COUNT);
    Mutex::new(cleaners)
});

fn blank(line: &[u8]) -> bool {
    is_blank(content(line))
}

fn terminated(line: &[u8]) -> Vec<u8> {
    let mut l = line.to_vec();
    if !l.ends_with(b"\n") {
        l.push(b'\n');
    }
    l
}

/// `doc` with every LF line end made CRLF: the same lines' contents, other
/// bytes after each.
fn with_crlf(doc: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(doc.len() * 2);
    for line in lines(doc) {
        match line.strip_suffix(b"\n") {
            Some(text) if !text.ends_with(b"\r") => {
                out.extend_from_slice(text);
                out.extend_from_slice(b"\r\n");
            }
            _ => out.extend_from_slice(line),
        }
    }
    out
}

/// The fuzz target's checks on one input; panics on a failure.
pub fn check(data: &[u8]) {
    let (pick, doc) = data.split_first().unwrap_or((&0, data));
    let mut cleaners = CLEANERS.lock().unwrap_or_else(|e| e.into_inner());
    let count = cleaners.len();
    let cleaner = &mut cleaners[usize::from(*pick) % count];
    let mut verdicts = Vec::new();
    cleaner.classify(doc, &mut verdicts);
    let input: Vec<&[u8]> = lines(doc).collect();
    assert_eq!(verdicts.len(), input.len());
    let crlf = with_crlf(doc);
    let mut crlf_verdicts = Vec::new();
    cleaner.classify(&crlf, &mut crlf_verdicts);
    assert_eq!(crlf_verdicts, verdicts, "CRLF line ends changed a verdict");

    let mut plain = Vec::new();
    write_document(Mode::Clean, doc, &verdicts, cleaner.rules(), &mut plain);
    let mut explain = Vec::new();
    write_document(Mode::Explain, doc, &verdicts, cleaner.rules(), &mut explain);
    let mut invert = Vec::new();
    write_document(Mode::Invert, doc, &verdicts, cleaner.rules(), &mut invert);

    // Plain: a subsequence of the input lines, byte for byte.
    let kept: Vec<&[u8]> = lines(&plain).collect();
    let mut hay = input.iter();
    for line in &kept {
        assert!(
            hay.any(|h| h == line),
            "output line {line:?} not in input order"
        );
    }
    // No blank line at the edges, none twice in a row.
    assert!(kept.first().is_none_or(|l| !blank(l)));
    assert!(kept.last().is_none_or(|l| !blank(l)));
    assert!(!kept.windows(2).any(|w| blank(w[0]) && blank(w[1])));

    // Explain: one row per line, the line as it came; keep rows = plain.
    let rows: Vec<&[u8]> = lines(&explain).collect();
    assert_eq!(rows.len(), input.len());
    let mut keep_rows = Vec::new();
    for (row, line) in rows.iter().zip(&input) {
        let mut fields = row.splitn(3, |&b| b == b'\t');
        let verdict = fields.next().unwrap_or_default();
        let _reason = fields.next().expect("a reason column");
        let text = fields.next().expect("a line column");
        assert_eq!(text, &terminated(line)[..]);
        match verdict {
            b"keep" => keep_rows.extend_from_slice(text),
            b"drop" => {}
            other => panic!("bad verdict {other:?}"),
        }
    }
    let plain_terminated = if plain.is_empty() {
        plain.clone()
    } else {
        terminated(&plain)
    };
    assert_eq!(keep_rows, plain_terminated);

    // Invert + plain: every non-blank line exactly once.
    let nonblank = |b: &[u8]| lines(b).filter(|l| !blank(l)).count();
    assert_eq!(nonblank(&plain) + nonblank(&invert), nonblank(doc));
    assert!(plain.len() <= doc.len());
}
