//! Throughput of the rule engine and the pipeline, in bytes of input per
//! second, on one thread (and the default pipeline on two).
//!
//! Inputs:
//! - `mix`: the seed pages (tests/fixtures/seeds) and a generated mix of
//!   boilerplate and prose in several scripts, about 8 MB, always present;
//! - `dev`: the dev corpus dumps (`../shared/corpus`, every `*.txt` that is
//!   not `*.gold.txt`, sorted, each followed by a form-feed line), when that
//!   directory exists. It is never needed.
//!
//! Run with `cargo bench`; `cargo bench -- rules/engine` for one group;
//! `cargo bench -- 'jsonl/pipeline-j1/mix|wet/pipeline-j1/mix'` to compare
//! WET input with JSON Lines on the same texts; `cargo bench -- small-docs`
//! for the cost per document (documents of eight lines, each format, the
//! default pipeline and `--fast`'s); `fast/` is `--fast`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use kzclean::Presearch;
use kzclean::count_words;
use kzclean::document::{content, is_blank, lines};
use kzclean::{
    Cleaner, CleanerOptions, Format, JsonlOptions, Mode, Pipeline, RuleSet, Stats, WetOptions,
};

/// The command's allocator (huge pages for blocks of 2 MiB or more, on
/// Linux), so that these figures are the command's: the library alone
/// leaves allocation to its host (Python, a user's program).
#[cfg(target_os = "linux")]
#[path = "../src/bin/kzclean/alloc.rs"]
#[allow(dead_code)] // its tests' helpers, unused where all targets build with cfg(test)
mod alloc;

#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: alloc::HugePages = alloc::HugePages;

/// The generated part of `mix`, in bytes (roughly).
const GENERATED_BYTES: usize = 8 * 1024 * 1024;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A small deterministic generator (xorshift), so every run benches the same
/// bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// Lines that the default rules drop (or cut at), in several languages.
const BOILERPLATE: &[&str] = &[
    "Skip to content",
    "Home",
    "Menu",
    "Search",
    "Log in",
    "Sign up",
    "Share on Facebook",
    "Tweet",
    "Facebook",
    "Twitter",
    "LinkedIn",
    "Advertisement",
    "Loading...",
    "Read more",
    "3 hours ago",
    "vor 3 Stunden",
    "3 часа назад",
    "5 min read",
    "March 3, 2024",
    "Photo: Reuters",
    "Getty Images",
    "12 comments",
    "Privacy Policy",
    "Terms of Use",
    "© 2024 Example Media. All rights reserved.",
    "We use cookies to improve your experience on our site.",
    "Sign up for our newsletter",
    "Your email address will not be published. Required fields are marked *",
    "Leave a Reply",
    "Related posts",
    "You may also like",
    "Tags: politics, economy",
    "Главная",
    "Поделиться",
    "首页",
    "分享",
    "Startseite",
    "Accueil",
    "» Read more",
    "Contact us",
];

/// Short lines the rules leave alone: headings, captions, list items.
const SHORT: &[&str] = &[
    "The minister's plan",
    "Key points",
    "What happens next?",
    "Budget 2024: the numbers",
    "A view of the harbour at dawn",
    "Interview with the mayor",
    "Экономика и бюджет",
    "市政府发布新计划",
];

/// Prose words. None of them is a rule's required literal: on the dev
/// corpus only 3% of lines hold one, and prose full of them would bench the
/// slow path instead.
const WORDS: &[&str] = &[
    "the",
    "minister",
    "said",
    "plan",
    "would",
    "start",
    "in",
    "May",
    "after",
    "a",
    "long",
    "debate",
    "over",
    "costs",
    "and",
    "who",
    "pays",
    "for",
    "new",
    "roads",
    "council",
    "budget",
    "residents",
    "city",
    "year",
    "its",
    "of",
    "to",
    "was",
    "that",
    "on",
    "with",
    "by",
    "more",
    "than",
    "people",
    "report",
    "week",
    "government",
    "Правительство",
    "города",
    "новый",
    "план",
    "und",
    "die",
    "Stadt",
    "neue",
    "le",
    "projet",
    "de",
    "loi",
];

/// A prose line of `n` words, ending like a sentence.
fn prose(rng: &mut Rng, n: usize, out: &mut Vec<u8>) {
    for i in 0..n {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(rng.pick(WORDS).as_bytes());
    }
    out.extend_from_slice(b".\n");
}

/// The seeds, then generated pages until about `GENERATED_BYTES` more.
fn mix() -> Vec<u8> {
    let mut out = Vec::new();
    let seeds = manifest_dir().join("tests/fixtures/seeds");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&seeds)
        .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    names.retain(|p| p.extension().is_some_and(|e| e == "txt"));
    names.sort();
    for name in &names {
        if let Ok(bytes) = std::fs::read(name) {
            out.extend_from_slice(&bytes);
            out.extend_from_slice(b"\x0c\n");
        }
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let target = out.len() + GENERATED_BYTES;
    while out.len() < target {
        // A page: a header of menu lines, an article of prose with a few
        // headings and captions among it, then a footer of boilerplate.
        for _ in 0..(5 + rng.next() % 15) {
            out.extend_from_slice(rng.pick(BOILERPLATE).as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
        for _ in 0..(5 + rng.next() % 20) {
            if rng.next().is_multiple_of(4) {
                out.extend_from_slice(rng.pick(SHORT).as_bytes());
                out.push(b'\n');
            }
            let n = 8 + (rng.next() % 70) as usize;
            prose(&mut rng, n, &mut out);
            out.push(b'\n');
        }
        for _ in 0..(5 + rng.next() % 25) {
            out.extend_from_slice(rng.pick(BOILERPLATE).as_bytes());
            out.push(b'\n');
        }
        out.extend_from_slice(b"\x0c\n");
    }
    out
}

/// The dev corpus as one stream, if it is there.
fn dev() -> Option<Vec<u8>> {
    let dir = manifest_dir().join("../shared/corpus");
    let mut files = Vec::new();
    collect_txt(&dir, &mut files);
    if files.is_empty() {
        return None;
    }
    files.sort();
    let mut out = Vec::new();
    for file in files {
        out.extend_from_slice(&std::fs::read(&file).ok()?);
        out.extend_from_slice(b"\x0c\n");
    }
    Some(out)
}

fn collect_txt(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_txt(&path, files);
        } else if path.to_string_lossy().ends_with(".txt")
            && !path.to_string_lossy().ends_with(".gold.txt")
        {
            files.push(path);
        }
    }
}

/// Every document of a text stream as one JSON Lines record.
fn to_jsonl(stream: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let text = String::from_utf8_lossy(stream);
    for (i, doc) in text.split("\x0c\n").enumerate() {
        out.extend_from_slice(format!("{{\"id\":{i},\"text\":").as_bytes());
        kzclean::jsonl::write_string(doc, &mut out);
        out.extend_from_slice(b"}\n");
    }
    out
}

/// Every document of a text stream as the block of a WET conversion record
/// (a warcinfo record first, as in Common Crawl's files), uncompressed.
fn to_wet(stream: &[u8]) -> Vec<u8> {
    let record = |out: &mut Vec<u8>, kind: &str, headers: &str, block: &[u8]| {
        out.extend_from_slice(
            format!(
                "WARC/1.0\r\nWARC-Type: {kind}\r\n{headers}Content-Length: {}\r\n\r\n",
                block.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(block);
        out.extend_from_slice(b"\r\n\r\n");
    };
    let mut out = Vec::new();
    record(&mut out, "warcinfo", "", b"isPartOf: bench\r\n");
    let text = String::from_utf8_lossy(stream);
    for (i, doc) in text.split("\x0c\n").enumerate() {
        let headers = format!(
            "WARC-Target-URI: https://example.com/{i}\r\nWARC-Date: 2024-05-01T00:00:00Z\r\n\
             WARC-Record-ID: <urn:uuid:{i:036}>\r\nWARC-Identified-Content-Language: eng\r\n\
             Content-Type: text/plain\r\n"
        );
        record(&mut out, "conversion", &headers, doc.as_bytes());
    }
    out
}

fn run_pipeline(pipeline: &mut Pipeline, input: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut stats = Stats::default();
    pipeline
        .clean_stream(input, Path::new("in"), out, Path::new("out"), &mut stats)
        .expect("in-memory streams do not fail");
    black_box(&out);
}

fn pipeline(classifier: bool, format: Format, threads: usize) -> Pipeline {
    pipeline_with(classifier, false, format, threads)
}

/// [`pipeline`], or `--fast`'s with `fast`.
fn pipeline_with(classifier: bool, fast: bool, format: Format, threads: usize) -> Pipeline {
    let cleaner = Cleaner::new(
        RuleSet::builtin(),
        CleanerOptions {
            classifier,
            fast,
            ..CleanerOptions::default()
        },
    );
    Pipeline::with_format(cleaner, Mode::Clean, format, threads).expect("threads start")
}

fn bench_input(
    group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    input: &[u8],
) {
    group.throughput(Throughput::Bytes(input.len() as u64));

    // The rule engine alone, as the cleaner drives it: the anchored rules
    // and the literal search over all non-blank lines (four in step), then
    // every line through `match_line_with`; word counts computed beforehand
    // (they belong to the features).
    let rules = RuleSet::builtin();
    let prepared: Vec<(&[u8], u32)> = lines(input)
        .map(content)
        .filter(|c| !is_blank(c))
        .map(|c| (c, count_words(c)))
        .collect();
    let mut found = vec![Presearch::default(); prepared.len()];
    group.bench_function(format!("rules/engine/{name}"), |b| {
        b.iter(|| {
            let indexed = prepared
                .iter()
                .enumerate()
                .map(|(i, &(line, words))| (i, line, words));
            rules.presearch(indexed, &mut found);
            let mut matched = 0u32;
            for (&(line, words), &f) in prepared.iter().zip(&found) {
                matched += rules.match_line_with(line, words, f).is_some() as u32;
            }
            black_box(matched)
        })
    });

    let mut out = Vec::with_capacity(input.len());
    let mut rules_only = pipeline(false, Format::Text, 1);
    group.bench_function(format!("rules/pipeline-j1/{name}"), |b| {
        b.iter(|| run_pipeline(&mut rules_only, input, &mut out))
    });
    let mut full = pipeline(true, Format::Text, 1);
    group.bench_function(format!("full/pipeline-j1/{name}"), |b| {
        b.iter(|| run_pipeline(&mut full, input, &mut out))
    });
    let mut fast = pipeline_with(true, true, Format::Text, 1);
    group.bench_function(format!("fast/pipeline-j1/{name}"), |b| {
        b.iter(|| run_pipeline(&mut fast, input, &mut out))
    });
    let mut full2 = pipeline(true, Format::Text, 2);
    group.bench_function(format!("full/pipeline-j2/{name}"), |b| {
        b.iter(|| run_pipeline(&mut full2, input, &mut out))
    });

    let records = to_jsonl(input);
    group.throughput(Throughput::Bytes(records.len() as u64));
    let mut jsonl = pipeline(true, Format::Jsonl(JsonlOptions::default()), 1);
    group.bench_function(format!("jsonl/pipeline-j1/{name}"), |b| {
        b.iter(|| run_pipeline(&mut jsonl, &records, &mut out))
    });

    // The same texts as WET records: compare the times with the JSON Lines
    // case above (the byte counts differ by the framing of each).
    let wet = to_wet(input);
    group.throughput(Throughput::Bytes(wet.len() as u64));
    let mut wet_pipeline = pipeline(true, Format::Wet(WetOptions::default()), 1);
    group.bench_function(format!("wet/pipeline-j1/{name}"), |b| {
        b.iter(|| run_pipeline(&mut wet_pipeline, &wet, &mut out))
    });
}

/// The same lines as documents of eight lines each, as a stream, JSON
/// Lines records and WET records, with the default pipeline and
/// `--fast`'s: per-document costs (a record's parse, escapes and headers,
/// a document's passes) weigh more than in whole pages. Compare each
/// format's time with the text stream's.
fn bench_small_documents(
    group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    input: &[u8],
) {
    let mut stream = Vec::with_capacity(input.len() + input.len() / 8);
    let kept = lines(input).filter(|l| content(l) != b"\x0c");
    for (i, line) in kept.enumerate() {
        if i > 0 && i % 8 == 0 {
            stream.extend_from_slice(b"\x0c\n");
        }
        stream.extend_from_slice(line);
        if !line.ends_with(b"\n") {
            stream.push(b'\n');
        }
    }
    let mut out = Vec::with_capacity(stream.len());
    let inputs = [
        ("text", Format::Text, stream.clone()),
        (
            "jsonl",
            Format::Jsonl(JsonlOptions::default()),
            to_jsonl(&stream),
        ),
        ("wet", Format::Wet(WetOptions::default()), to_wet(&stream)),
    ];
    for (format_name, format, bytes) in inputs {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        for (preset, fast) in [("full", false), ("fast", true)] {
            let mut p = pipeline_with(true, fast, format.clone(), 1);
            group.bench_function(
                format!("small-docs/{preset}/{format_name}-j1/{name}"),
                |b| b.iter(|| run_pipeline(&mut p, &bytes, &mut out)),
            );
        }
    }
}

fn throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("throughput");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8));
    let mix = mix();
    bench_input(&mut group, "mix", &mix);
    bench_small_documents(&mut group, "mix", &mix);
    if let Some(dev) = dev() {
        bench_input(&mut group, "dev", &dev);
    }
    group.finish();
}

criterion_group!(benches, throughput);
criterion_main!(benches);
