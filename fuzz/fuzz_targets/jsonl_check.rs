//! The JSON Lines path the CLI takes for `--jsonl`, on arbitrary bytes:
//! `Pipeline::clean_stream` with `Format::Jsonl`, in both `--on-error`
//! modes, with and without `--annotate`, in every output mode. No panic;
//! each input line comes out as the model below says (a blank line as it
//! came, a bad record dropped or ending the stream with its line number, a
//! good record with every byte outside its field's raw span unchanged and a
//! valid JSON string in the span); the same on two threads.
//!
//! Shared by the fuzz target (`jsonl.rs`) and, on the seed corpus,
//! by the test `tests/fuzz_seeds.rs`, so the two never drift apart.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{LazyLock, Mutex};

use kzclean::document::{content, is_blank, lines};
use kzclean::jsonl::{self, JsonlOptions, OnError};
use kzclean::{
    Cleaner, CleanerOptions, Error, Format, Mode, Pipeline, Preset, RuleSet, RuleSource, Stats,
    Warning,
};

const PAGE_RULES: &str = include_str!("../../tests/fixtures/page.rules");

/// The options one input runs with, from its first byte.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    skip: bool,
    annotate: bool,
    mode: u8,
    classifier: bool,
    body: bool,
    threads: usize,
}

impl Key {
    fn new(flags: u8, threads: usize) -> Key {
        Key {
            skip: flags & 1 != 0,
            annotate: flags & 2 != 0,
            mode: (flags >> 2) % 3,
            classifier: flags & 0x10 != 0,
            body: flags & 0x40 != 0,
            threads,
        }
    }

    fn mode(self) -> Mode {
        [Mode::Clean, Mode::Explain, Mode::Invert][usize::from(self.mode)]
    }

    fn field(self) -> &'static str {
        if self.body { "body" } else { "text" }
    }

    fn options(self) -> JsonlOptions {
        JsonlOptions {
            field: self.field().to_string(),
            on_error: if self.skip {
                OnError::Skip
            } else {
                OnError::Fail
            },
            annotate: self.annotate,
            ..JsonlOptions::default()
        }
    }
}

static RULES: LazyLock<RuleSet> = LazyLock::new(|| {
    RuleSet::build(
        true,
        &[RuleSource {
            path: "page.rules".into(),
            bytes: PAGE_RULES.as_bytes(),
        }],
        Preset::Balanced,
    )
    .expect("the fuzz rules compile")
});

/// One pipeline per option set, kept across runs so regex caches stay warm
/// and thread pools are not rebuilt for every input.
static PIPELINES: LazyLock<Mutex<HashMap<Key, Pipeline>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn run(key: Key, input: &[u8]) -> (Vec<u8>, Stats, Result<(), Error>) {
    let mut pipelines = PIPELINES.lock().unwrap_or_else(|e| e.into_inner());
    let pipeline = pipelines.entry(key).or_insert_with(|| {
        let cleaner = Cleaner::new(
            RULES.clone(),
            CleanerOptions {
                classifier: key.classifier,
                // As the CLI sets it: reasons named under `--explain`.
                explain: key.mode() == Mode::Explain,
                fast: false,
            },
        );
        Pipeline::with_format(
            cleaner,
            key.mode(),
            Format::Jsonl(key.options()),
            key.threads,
        )
        .expect("a pipeline starts")
    });
    let mut out = Vec::new();
    let mut stats = Stats::default();
    let result = pipeline.clean_stream(
        input,
        Path::new("in.jsonl"),
        &mut out,
        Path::new("<out>"),
        &mut stats,
    );
    // Warnings of skipped records pile up unless taken.
    let warnings = pipeline.take_warnings();
    for w in &warnings {
        let text = w.to_string();
        assert!(
            matches!(w, Warning::RecordSkipped { .. })
                && text.starts_with("in.jsonl:")
                && !text.contains('\n'),
            "{text:?}"
        );
    }
    (out, stats, result)
}

fn assert_one_line_record_error(e: &Error) {
    let text = e.to_string();
    assert!(
        matches!(e, Error::Record { .. }) && text.starts_with("in.jsonl:") && !text.contains('\n'),
        "{text:?}"
    );
}

/// Checks one good record's output line against its input line: the bytes
/// before the field's span and after it are unchanged (with `--annotate`,
/// the annotation is the only insertion, just before the closing brace),
/// and the span now holds one valid JSON string.
fn check_record(key: Key, line: &[u8], field: &jsonl::Field, out: &[u8]) {
    let prefix = &line[..field.span.start];
    assert!(
        out.starts_with(prefix),
        "bytes before the field changed:\n in: {line:?}\nout: {out:?}"
    );
    let after = &out[prefix.len()..];
    let mut strings = serde_json::Deserializer::from_slice(after).into_iter::<String>();
    let text = match strings.next() {
        Some(Ok(text)) => text,
        other => panic!("the field is not a JSON string: {other:?} in {out:?}"),
    };
    let tail = &after[strings.byte_offset()..];
    let rest = &line[field.span.end..];
    match rest.iter().rposition(|&b| b == b'}') {
        Some(close) if key.annotate => {
            let (before, closing) = rest.split_at(close);
            assert!(tail.starts_with(before), "{rest:?} -> {tail:?}");
            assert!(tail.ends_with(closing), "{rest:?} -> {tail:?}");
            let inserted = &tail[before.len()..tail.len() - closing.len()];
            let inserted = std::str::from_utf8(inserted).expect("the annotation is UTF-8");
            let numbers = inserted
                .strip_prefix(",\"kzclean\":{\"lines_removed\":")
                .and_then(|s| s.strip_suffix('}'))
                .and_then(|s| s.split_once(",\"bytes_removed\":"));
            assert!(
                numbers.is_some_and(|(l, b)| [l, b]
                    .iter()
                    .all(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))),
                "bad annotation {inserted:?}"
            );
        }
        _ => assert_eq!(tail, rest, "bytes after the field changed"),
    }
    if key.mode() == Mode::Clean {
        // Cleaning only deletes lines of the text.
        let old: Vec<&[u8]> = lines(field.text.as_bytes()).collect();
        let mut hay = old.iter();
        for kept in lines(text.as_bytes()) {
            assert!(
                hay.any(|l| *l == kept),
                "{kept:?} is not a line of the field, in order"
            );
        }
    }
}

/// The fuzz target's checks on one input; panics on a failure.
pub fn check(data: &[u8]) {
    let (flags, input) = data.split_first().unwrap_or((&0, data));
    let key = Key::new(*flags, 1);
    let (out, stats, result) = run(key, input);

    // What each input line must have become, in order.
    let mut outputs = out.split_inclusive(|&b| b == b'\n');
    let mut failed_at = None;
    let mut skipped = 0;
    for (i, line) in input.split_inclusive(|&b| b == b'\n').enumerate() {
        if is_blank(content(line)) {
            assert_eq!(outputs.next(), Some(line), "a blank line passes through");
            continue;
        }
        match jsonl::locate(line, key.field()) {
            Ok(field) => {
                let out_line = outputs.next().expect("a good record has an output line");
                check_record(key, line, &field, out_line);
            }
            Err(message) => {
                assert!(!message.contains('\n'), "{message:?}");
                if key.skip {
                    skipped += 1;
                } else {
                    failed_at = Some(i as u64 + 1);
                    break;
                }
            }
        }
    }
    assert_eq!(outputs.next(), None, "output after the last record");
    match (&result, failed_at) {
        (Ok(()), None) => assert_eq!(stats.records_skipped, skipped),
        (Err(e @ Error::Record { line, .. }), Some(at)) => {
            assert_eq!(*line, at, "the error names the bad record's line");
            assert_one_line_record_error(e);
        }
        (other, at) => panic!("expected the run to stop at {at:?}, got {other:?}"),
    }

    // Two threads: the same bytes, the same outcome.
    if flags & 0x20 != 0 {
        let (out2, stats2, result2) = run(Key::new(*flags, 2), input);
        assert!(out2 == out, "two threads wrote other bytes");
        assert_eq!(stats2, stats);
        assert_eq!(
            result2.map_err(|e| e.to_string()),
            result.map_err(|e| e.to_string())
        );
    }
}
