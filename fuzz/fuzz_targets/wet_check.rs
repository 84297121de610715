//! The WET reader and the pipeline on arbitrary bytes: the first byte picks
//! the options, the rest is read as a WET stream. Whatever the bytes, no
//! panic; one thread and two give the same output and the same outcome;
//! every output line is one JSON object with the page's string fields, and
//! an error or warning is one line naming the input.
//!
//! Shared by the fuzz target (`wet.rs`) and, on the seed corpus, by the test
//! `tests/fuzz_seeds.rs`, so the two never drift apart.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{LazyLock, Mutex};

use kzclean::{
    Cleaner, CleanerOptions, Error, Format, Mode, OnError, Pipeline, RuleSet, Stats, WetOptions,
};

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    skip: bool,
    annotate: bool,
    classifier: bool,
    threads: usize,
}

/// One pipeline per option set, kept across runs so regex caches stay warm
/// and thread pools are not rebuilt for every input.
static PIPELINES: LazyLock<Mutex<HashMap<Key, Pipeline>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn run(key: Key, input: &[u8]) -> (Vec<u8>, Result<(), String>) {
    let mut pipelines = PIPELINES.lock().unwrap_or_else(|e| e.into_inner());
    let pipeline = pipelines.entry(key).or_insert_with(|| {
        let cleaner = Cleaner::new(
            RuleSet::builtin(),
            CleanerOptions {
                classifier: key.classifier,
                explain: false,
                fast: false,
            },
        );
        let options = WetOptions {
            on_error: if key.skip {
                OnError::Skip
            } else {
                OnError::Fail
            },
            annotate: key.annotate,
        };
        Pipeline::with_format(cleaner, Mode::Clean, Format::Wet(options), key.threads)
            .expect("a pipeline starts")
    });
    let mut out = Vec::new();
    let mut stats = Stats::default();
    let result = pipeline.clean_stream(
        input,
        Path::new("in.warc.wet"),
        &mut out,
        Path::new("<out>"),
        &mut stats,
    );
    for w in pipeline.take_warnings() {
        assert_one_line_about_the_input(&w.to_string());
    }
    let result = result.map_err(|e: Error| e.to_string());
    if let Err(text) = &result {
        assert_one_line_about_the_input(text);
    }
    (out, result)
}

fn assert_one_line_about_the_input(text: &str) {
    assert!(
        text.starts_with("in.warc.wet") && !text.contains('\n'),
        "{text:?}"
    );
}

pub fn check(data: &[u8]) {
    let Some((&flags, input)) = data.split_first() else {
        return;
    };
    let key = |threads| Key {
        skip: flags & 1 != 0,
        annotate: flags & 2 != 0,
        classifier: flags & 4 != 0,
        threads,
    };
    let (out, result) = run(key(1), input);
    assert_eq!(
        run(key(2), input),
        (out.clone(), result),
        "threads changed the output"
    );
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let record: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(line).expect("each output line is a JSON object");
        for field in ["id", "url", "date", "text"] {
            assert!(
                record.get(field).is_some_and(|v| v.is_string()),
                "{field} missing: {record:?}"
            );
        }
        assert_eq!(flags & 2 != 0, record.contains_key("kzclean"), "--annotate");
    }
}
