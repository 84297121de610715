//! Library-level properties: what kzclean promises about its output for any
//! input bytes and any rule set, checked on arbitrary bytes and on generated
//! page-like documents (prose, menus, boilerplate phrases, blank runs, CRLF,
//! form feeds, invalid UTF-8, NUL).
//!
//! Each property is stated next to its test. Case counts are kept moderate so
//! that `cargo test` stays fast in debug builds.

mod common;

use std::io::{self, Read};
use std::path::Path;
use std::sync::LazyLock;

use kzclean::document::{DocumentReader, Limits, content, is_blank, is_separator, lines, part_end};
use kzclean::write_document;
use kzclean::{
    Cleaner, CleanerOptions, Error, Mode, Pipeline, Preset, RuleSet, RuleSource, Stats, UnwrapWidth,
};
use proptest::prelude::*;

use common::is_subsequence;

// ---------------------------------------------------------------------------
// Rules

/// Rules that fire on the phrases the page generator writes, so the cleaner
/// really drops, cuts and keeps lines (the built-in rules are few).
const PAGE_RULES: &str = include_str!("fixtures/page.rules");

fn rule_set(text: &str, defaults: bool, preset: Preset) -> RuleSet {
    RuleSet::build(
        defaults,
        &[RuleSource {
            path: "test.rules".into(),
            bytes: text.as_bytes(),
        }],
        preset,
    )
    .unwrap_or_else(|e| panic!("test rules must compile: {e:?}"))
}

/// The page rules without the classifier: for tests about I/O, whose lines
/// are too short to be article text.
fn rules_only_cleaner() -> Cleaner {
    Cleaner::new(
        rule_set(PAGE_RULES, true, Preset::Balanced),
        CleanerOptions {
            classifier: false,
            ..CleanerOptions::default()
        },
    )
}

fn page_cleaner() -> Cleaner {
    Cleaner::new(
        rule_set(PAGE_RULES, true, Preset::Balanced),
        CleanerOptions::default(),
    )
}

/// Phrases the generated rules look for: the generator's vocabulary.
const RULE_PHRASES: &[&str] = &[
    "Share",
    "Related posts",
    "Advertisement",
    "Home",
    "Read more",
    "Comments",
    "kzkeep",
    "the",
    "minister",
    "Photo:",
    "ago",
    "Реклама",
];

/// A generated rule file: a few rules over the generator's vocabulary, with
/// every action, scope and word limit, plus maybe a cut threshold. `seed`
/// drives a small LCG so that the pool is the same on every run.
fn generated_rules(seed: u64) -> String {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = |n: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % n
    };
    let mut text = String::new();
    for i in 0..next(7) {
        let action = ["drop", "keep", "cut"][next(3)];
        let scope = ["line", "prefix", "contains"][next(3)];
        let limit = match next(3) {
            0 => format!("words<={} ", next(15)),
            _ => String::new(),
        };
        let phrases: Vec<&str> = (0..1 + next(2))
            .map(|_| RULE_PHRASES[next(RULE_PHRASES.len())])
            .collect();
        text.push_str(&format!(
            "{action} r{i} {scope} {limit}{}\n",
            phrases.join(" | ")
        ));
    }
    if next(2) == 0 {
        text.push_str(&format!("set cut-min-words-before {}\n", next(100)));
    }
    text
}

/// Cleaners to draw from, compiled once per test binary: the page rules,
/// and generated rule files with and without the defaults, the classifier
/// on and off, each preset, and `--unwrap`. (Compiling rules per case would dominate the
/// test time in debug builds.)
static CLEANERS: LazyLock<Vec<Cleaner>> = LazyLock::new(|| {
    let presets = [Preset::Balanced, Preset::Precision, Preset::Recall];
    let mut pool = vec![page_cleaner()];
    for seed in 0..24u64 {
        let text = generated_rules(seed);
        let rules = rule_set(&text, seed % 2 == 0, presets[(seed % 3) as usize]);
        let cleaner = Cleaner::new(
            rules,
            CleanerOptions {
                classifier: seed % 4 < 2,
                explain: seed % 3 == 0,
                fast: seed % 5 == 0,
            },
        );
        // Some join wrapped lines first (--unwrap): the same guarantees.
        pool.push(match seed % 6 {
            1 => cleaner.with_unwrap(UnwrapWidth::Auto),
            4 => cleaner.with_unwrap(UnwrapWidth::Columns(10 + seed as usize)),
            _ => cleaner,
        });
    }
    pool
});

fn cleaner_strategy() -> impl Strategy<Value = Cleaner> {
    (0..CLEANERS.len()).prop_map(|i| CLEANERS[i].clone())
}

// ---------------------------------------------------------------------------
// Inputs

const PROSE_WORDS: &[&[u8]] = &[
    b"the",
    b"minister",
    b"said",
    b"plan",
    b"would",
    b"start",
    b"in",
    b"May,",
    b"after",
    b"a",
    b"long",
    b"debate",
    b"about",
    b"taxes",
    b"and",
    b"troops.",
    b"Share",
    b"home",
    "Привет,".as_bytes(),
    "中国人民银行".as_bytes(),
    "café".as_bytes(),
    b"caf\xe9",
    b"\xff\xfe",
    b"\x00",
    b"kzkeep",
    b"related",
    b"posts",
    b"\xc3",
];

const MENU_WORDS: &[&[u8]] = &[
    b"Home",
    b"News",
    b"Sport",
    b"Login",
    b"Menu",
    b"Contact",
    b"World",
    b"\xffBad",
    "Реклама".as_bytes(),
];

const PHRASES: &[&[u8]] = &[
    b"Share",
    b"Tweet",
    b"Related posts",
    b"Advertisement",
    b"ADVERTISEMENT",
    b"3 hours ago",
    b"12 minutes ago",
    b"Skip to content",
    b"Read more",
    b"Comments (12)",
    "» Share on Facebook «".as_bytes(),
    b"This site uses cookies to help.",
    b"Photo: Reuters",
    b"kzkeep this line",
    b"\x0c",
    b"\x0c\r",
    b" \x0c",
    b"\x0cx",
];

const LEADING: &[&[u8]] = &[b"", b" ", b"  ", b"\t"];
const TRAILING: &[&[u8]] = &[b"", b" ", b"\t "];
const BLANKS: &[&[u8]] = &[b"", b" ", b"\t", b"  \t ", b"\x0b"];

fn prose_line() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(PROSE_WORDS), 8..30).prop_map(|w| w.join(&b' '))
}

fn menu_line() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(MENU_WORDS), 1..4).prop_map(|w| w.join(&b' '))
}

/// The body of one line (no `\n`), as a page dump has them.
fn body_strategy() -> impl Strategy<Value = Vec<u8>> {
    let padded = |s: BoxedStrategy<Vec<u8>>| {
        (
            prop::sample::select(LEADING),
            s,
            prop::sample::select(TRAILING),
        )
            .prop_map(|(a, s, b)| [a, &s[..], b].concat())
    };
    prop_oneof![
        4 => padded(prose_line().boxed()),
        2 => padded(menu_line().boxed()),
        3 => padded(prop::sample::select(PHRASES).prop_map(<[u8]>::to_vec).boxed()),
        3 => prop::sample::select(BLANKS).prop_map(<[u8]>::to_vec),
        2 => Just(b"\x0c".to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..24),
    ]
}

/// One generated page-like stream: lines with `\n`, `\r\n` or a lone `\r`,
/// maybe without a final terminator.
fn page_strategy() -> impl Strategy<Value = Vec<u8>> {
    let terminator =
        prop_oneof![6 => Just(&b"\n"[..]), 3 => Just(&b"\r\n"[..]), 1 => Just(&b"\r"[..])];
    (
        prop::collection::vec((body_strategy(), terminator), 0..60),
        any::<bool>(),
    )
        .prop_map(|(lines, last_unterminated)| {
            let mut out = Vec::new();
            let n = lines.len();
            for (i, (body, term)) in lines.into_iter().enumerate() {
                out.extend_from_slice(&body);
                if !(last_unterminated && i + 1 == n) {
                    out.extend_from_slice(term);
                }
            }
            out
        })
}

/// Bytes biased towards the ones that carry structure.
fn structured_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        3 => Just(b'\n'),
        2 => Just(b'\r'),
        2 => Just(b'\x0c'),
        2 => Just(b' '),
        1 => Just(b'\t'),
        1 => Just(0u8),
        1 => Just(0xffu8),
        4 => Just(b'a'),
        4 => any::<u8>(),
    ];
    prop::collection::vec(byte, 0..400)
}

/// Any input: raw bytes, structured bytes or a page.
fn input_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..600),
        2 => structured_bytes(),
        4 => page_strategy(),
    ]
}

// ---------------------------------------------------------------------------
// Helpers

/// Runs the library pipeline over `input` on `threads` threads.
fn run(cleaner: &Cleaner, mode: Mode, threads: usize, input: &[u8]) -> (Vec<u8>, Stats) {
    let mut pipeline = Pipeline::new(cleaner.clone(), mode, threads).expect("pipeline starts");
    let mut out = Vec::new();
    let mut stats = Stats::default();
    pipeline
        .clean_stream(
            input,
            Path::new("<in>"),
            &mut out,
            Path::new("<out>"),
            &mut stats,
        )
        .expect("cleaning a byte slice into a Vec cannot fail");
    (out, stats)
}

fn split(bytes: &[u8]) -> Vec<&[u8]> {
    lines(bytes).collect()
}

/// A line with a `\n` added when it has none: how rows of `--explain` and
/// `--invert` end an unterminated last line.
fn terminated(line: &[u8]) -> Vec<u8> {
    let mut l = line.to_vec();
    if !l.ends_with(b"\n") {
        l.push(b'\n');
    }
    l
}

fn blank(line: &[u8]) -> bool {
    is_blank(content(line))
}

/// The documents of `input`, as the reader splits them.
fn documents(input: &[u8]) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    read_documents(&mut DocumentReader::new(input))
}

/// Every document `reader` gives, with its separator.
fn read_documents<R: Read>(reader: &mut DocumentReader<R>) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let mut docs = Vec::new();
    while let Some(d) = reader.next_document().expect("in-memory reads cannot fail") {
        docs.push((d.bytes, d.separator));
    }
    docs
}

/// Splits an output stream at separator lines: (chunks, separators).
fn split_output(out: &[u8]) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let mut chunks = vec![Vec::new()];
    let mut separators = Vec::new();
    for line in lines(out) {
        if is_separator(line) {
            separators.push(line.to_vec());
            chunks.push(Vec::new());
        } else if let Some(last) = chunks.last_mut() {
            last.extend_from_slice(line);
        }
    }
    (chunks, separators)
}

/// One `--explain` row: (keep, reason, line as it came, `\n` added if none).
fn explain_rows(out: &[u8]) -> Vec<(bool, Vec<u8>, Vec<u8>)> {
    lines(out)
        .map(|row| {
            let mut fields = row.splitn(3, |&b| b == b'\t');
            let verdict = fields.next().unwrap_or_default();
            let reason = fields.next().expect("explain row has a reason").to_vec();
            let line = fields.next().expect("explain row has the line").to_vec();
            assert!(
                verdict == b"keep" || verdict == b"drop",
                "bad explain verdict in row {row:?}"
            );
            (verdict == b"keep", reason, line)
        })
        .collect()
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Shrunk failures are printed; no regression files from CI runs.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(config(160))]

    /// Cleaning only deletes: every output line (blank ones included) is an
    /// input line, byte for byte, in input order. Blank runs collapse: no two
    /// blank lines in a row, and none at the start or end of a document.
    #[test]
    fn clean_output_is_a_subsequence_of_the_input(input in input_strategy(), cleaner in cleaner_strategy()) {
        let (out, stats) = run(&cleaner, Mode::Clean, 1, &input);
        let (inl, outl) = (split(&input), split(&out));
        prop_assert!(is_subsequence(&outl, &inl), "output is not a subsequence of the input");
        prop_assert!(out.len() <= input.len());
        // Every input byte is counted in, separators included.
        prop_assert_eq!(stats.bytes_in as usize, input.len());
        let (chunks, _) = split_output(&out);
        for chunk in &chunks {
            let l = split(chunk);
            prop_assert!(l.first().is_none_or(|f| !blank(f)), "document output starts blank: {:?}", chunk);
            prop_assert!(l.last().is_none_or(|f| !blank(f)), "document output ends blank: {:?}", chunk);
            prop_assert!(!l.windows(2).any(|w| blank(w[0]) && blank(w[1])), "two blank lines in a row: {:?}", chunk);
        }
    }

    /// Form-feed lines are kept one for one, as they came, and each
    /// document's output lies between the separators that bound it.
    #[test]
    fn form_feed_boundaries_are_preserved(input in input_strategy(), cleaner in cleaner_strategy()) {
        let docs = documents(&input);
        let (out, _) = run(&cleaner, Mode::Clean, 1, &input);
        let (chunks, separators) = split_output(&out);
        let want_separators: Vec<Vec<u8>> = docs.iter().filter_map(|d| d.1.clone()).collect();
        prop_assert_eq!(&separators, &want_separators);
        let in_separators = split(&input).into_iter().filter(|l| is_separator(l)).count();
        prop_assert_eq!(separators.len(), in_separators);
        // One output chunk per document (a stream ending in a separator has
        // an empty last chunk), each the document cleaned alone.
        let mut single = cleaner.clone();
        let mut want: Vec<Vec<u8>> = docs.iter().map(|d| single.clean(&d.0)).collect();
        if docs.last().is_none_or(|d| d.1.is_some()) {
            want.push(Vec::new());
        }
        prop_assert_eq!(chunks, want);
    }

    /// `--explain` has one row per input line, the line as it came; its keep
    /// rows are exactly the plain output; separators are kept rows.
    #[test]
    fn explain_keep_rows_equal_the_plain_output(input in input_strategy(), cleaner in cleaner_strategy()) {
        let (plain, _) = run(&cleaner, Mode::Clean, 1, &input);
        let (explain, _) = run(&cleaner, Mode::Explain, 1, &input);
        let rows = explain_rows(&explain);
        let inl = split(&input);
        prop_assert_eq!(rows.len(), inl.len());
        for (row, line) in rows.iter().zip(&inl) {
            prop_assert_eq!(&row.2, &terminated(line));
            if is_separator(line) {
                prop_assert!(row.0 && row.1 == b"separator");
            }
        }
        let kept: Vec<u8> = rows.iter().filter(|r| r.0).flat_map(|r| r.2.clone()).collect();
        let plain = if plain.is_empty() { plain } else { terminated(&plain) };
        prop_assert_eq!(kept, plain);
    }

    /// `--invert` and the plain output partition the non-blank input lines:
    /// every non-blank line is in exactly one of them, in order.
    #[test]
    fn invert_and_clean_partition_the_nonblank_lines(input in input_strategy(), cleaner in cleaner_strategy()) {
        let (plain, _) = run(&cleaner, Mode::Clean, 1, &input);
        let (invert, _) = run(&cleaner, Mode::Invert, 1, &input);
        let (explain, _) = run(&cleaner, Mode::Explain, 1, &input);
        let content_lines = |b: &[u8]| -> Vec<Vec<u8>> {
            split(b).into_iter().filter(|l| !blank(l) && !is_separator(l)).map(terminated).collect()
        };
        let kept = content_lines(&plain);
        let removed = content_lines(&invert);
        let rows = explain_rows(&explain);
        let nonsep_rows = || rows.iter().filter(|r| r.1 != b"separator" && !blank(&r.2));
        // In order: kept lines are the keep rows, removed lines the drop rows.
        let keep_rows: Vec<Vec<u8>> = nonsep_rows().filter(|r| r.0).map(|r| r.2.clone()).collect();
        let drop_rows: Vec<Vec<u8>> = nonsep_rows().filter(|r| !r.0).map(|r| r.2.clone()).collect();
        prop_assert_eq!(&kept, &keep_rows);
        prop_assert_eq!(&removed, &drop_rows);
        // And together they are the input's non-blank lines, no more no less.
        let mut all = [kept, removed].concat();
        let mut want = content_lines(&input);
        all.sort();
        want.sort();
        prop_assert_eq!(all, want);
        // Invert keeps separators too.
        prop_assert_eq!(split_output(&invert).1.len(), split_output(&plain).1.len());
    }

    /// The thread count never changes the output or the counts.
    #[test]
    fn thread_count_does_not_change_output(input in input_strategy(), cleaner in cleaner_strategy(), threads in 2usize..4) {
        for mode in [Mode::Clean, Mode::Explain, Mode::Invert] {
            let one = run(&cleaner, mode, 1, &input);
            let many = run(&cleaner, mode, threads, &input);
            prop_assert_eq!(&one.0, &many.0, "mode {:?}, {} threads", mode, threads);
            prop_assert_eq!(&one.1, &many.1);
        }
    }

    /// The document reader gives the same documents however the input is cut
    /// into reads, and loses or adds no byte: documents and separators put
    /// back together are the input.
    #[test]
    fn document_reader_is_independent_of_read_sizes(input in input_strategy(), chunks in prop::collection::vec(1usize..40, 1..8)) {
        let whole = documents(&input);
        let mut reader = DocumentReader::new(Chunked { data: &input, sizes: chunks, at: 0 });
        let mut pieces = Vec::new();
        while let Some(d) = reader.next_document().expect("chunked reads cannot fail") {
            pieces.push((d.bytes, d.separator));
        }
        prop_assert_eq!(&pieces, &whole);
        let mut joined = Vec::new();
        for (i, (bytes, separator)) in whole.iter().enumerate() {
            prop_assert!(!split(bytes).iter().any(|l| is_separator(l)), "separator inside a document");
            match separator {
                Some(s) => {
                    prop_assert!(is_separator(s));
                    prop_assert!(bytes.is_empty() || bytes.ends_with(b"\n"));
                }
                None => prop_assert_eq!(i + 1, whole.len(), "only the last document has no separator"),
            }
            joined.extend_from_slice(bytes);
            joined.extend_from_slice(separator.as_deref().unwrap_or_default());
        }
        prop_assert_eq!(joined, input);
    }

    /// Documents over the size limits come in parts, the same however the
    /// input is cut into reads: each part ends at a line end and is within
    /// the limits (the byte limit unless it is one line), and parts and
    /// separators put back together are the input.
    #[test]
    fn oversized_documents_come_in_parts_cut_at_line_ends(input in input_strategy(), max in 1usize..60, max_lines in 1usize..8, chunks in prop::collection::vec(1usize..40, 1..8)) {
        let limits = Limits { bytes: max, lines: max_lines };
        let mut whole_reader = DocumentReader::with_limits(&input[..], limits);
        let whole = read_documents(&mut whole_reader);
        let chunked = read_documents(&mut DocumentReader::with_limits(Chunked { data: &input, sizes: chunks, at: 0 }, limits));
        prop_assert_eq!(&chunked, &whole);
        // The same parts as cutting each whole document in memory (how
        // JSON Lines text is cut).
        let mut in_memory = Vec::new();
        for (doc, separator) in documents(&input) {
            let mut rest = &doc[..];
            while let Some(end) = part_end(rest, limits) {
                in_memory.push((rest[..end].to_vec(), None));
                rest = &rest[end..];
            }
            in_memory.push((rest.to_vec(), separator));
        }
        prop_assert_eq!(&in_memory, &whole);
        let mut joined = Vec::new();
        for (i, (bytes, separator)) in whole.iter().enumerate() {
            let last = i + 1 == whole.len();
            if separator.is_none() && !last {
                prop_assert!(bytes.ends_with(b"\n"), "a part ends at a line end: {:?}", bytes);
                let lines = split(bytes).len();
                prop_assert!(bytes.len() <= max || lines == 1, "part of {} bytes", bytes.len());
                prop_assert!(lines <= max_lines, "part of {} lines", lines);
            }
            joined.extend_from_slice(bytes);
            joined.extend_from_slice(separator.as_deref().unwrap_or_default());
        }
        prop_assert_eq!(&joined, &input);
        let parts = whole.iter().enumerate().filter(|(i, (_, s))| s.is_none() && i + 1 < whole.len()).count();
        prop_assert_eq!(whole_reader.first_oversized().is_some(), parts > 0);
    }

    /// Classifying a document gives one verdict per line and every output
    /// mode writes without panicking, for any bytes as one document.
    #[test]
    fn one_document_any_bytes(doc in prop::collection::vec(any::<u8>(), 0..2000), cleaner in cleaner_strategy()) {
        let mut cleaner = cleaner;
        let mut verdicts = Vec::new();
        cleaner.classify(&doc, &mut verdicts);
        prop_assert_eq!(verdicts.len(), split(&doc).len());
        for mode in [Mode::Clean, Mode::Explain, Mode::Invert] {
            let mut out = Vec::new();
            write_document(mode, &doc, &verdicts, cleaner.rules(), &mut out);
        }
    }
}

/// A reader that hands out the input in reads of the given sizes, in turn.
struct Chunked<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    at: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = self.sizes[self.at % self.sizes.len()];
        self.at += 1;
        let n = self.data.len().min(size).min(buf.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

// ---------------------------------------------------------------------------
// Fixed cases the properties cannot reach cheaply

/// More documents than one batch holds (4096): batches are cut at the same
/// places and written in order whatever the thread count.
#[test]
fn many_documents_across_batches_same_output_on_any_thread_count() {
    let mut input = Vec::new();
    for i in 0..5000 {
        match i % 4 {
            0 => input.extend_from_slice(b"Share\n"),
            1 => input
                .extend_from_slice(format!("Document {i} has a line of its own.\r\n").as_bytes()),
            2 => input.extend_from_slice(b"\n\n3 hours ago\n"),
            _ => input.extend_from_slice(b"Related posts\nteaser\n"),
        }
        input.extend_from_slice(if i % 3 == 0 { b"\x0c\r\n" } else { b"\x0c\n" });
    }
    let cleaner = page_cleaner();
    for mode in [Mode::Clean, Mode::Explain, Mode::Invert] {
        let one = run(&cleaner, mode, 1, &input);
        for threads in [2, 3] {
            let many = run(&cleaner, mode, threads, &input);
            assert!(
                one.0 == many.0,
                "mode {mode:?}: output differs on {threads} threads"
            );
            assert_eq!(
                one.1, many.1,
                "mode {mode:?}: stats differ on {threads} threads"
            );
        }
        assert_eq!(
            one.1.documents, 5000,
            "a stream ending in a separator has no empty last document"
        );
    }
    let (out, _) = run(&cleaner, Mode::Clean, 2, &input);
    assert_eq!(split_output(&out).1.len(), 5000);
}

/// A reader that fails after handing out some bytes.
struct FailingAfter<'a>(&'a [u8]);

impl Read for FailingAfter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() {
            return Err(io::Error::other("disk on fire"));
        }
        let n = self.0.len().min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// A read error mid-stream: the documents read whole before it are cleaned
/// and written, then the error is returned naming the input.
#[test]
fn read_error_keeps_what_was_read_and_names_the_input() {
    let input = b"First page line.\nShare\n\x0c\nSecond page, cut short by the err";
    for threads in [1, 2] {
        let mut pipeline = Pipeline::new(rules_only_cleaner(), Mode::Clean, threads).unwrap();
        let mut out = Vec::new();
        let mut stats = Stats::default();
        let err = pipeline
            .clean_stream(
                FailingAfter(input),
                Path::new("pages.txt"),
                &mut out,
                Path::new("<out>"),
                &mut stats,
            )
            .unwrap_err();
        assert!(
            matches!(&err, Error::Io { path, .. } if path == Path::new("pages.txt")),
            "{err}"
        );
        assert_eq!(err.to_string(), "pages.txt: disk on fire");
        assert_eq!(out, b"First page line.\n\x0c\n");
    }
}

/// A write error is returned naming the output, not the input.
#[test]
fn write_error_names_the_output() {
    struct Closed;
    impl io::Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut pipeline = Pipeline::new(rules_only_cleaner(), Mode::Clean, 1).unwrap();
    let err = pipeline
        .clean_stream(
            &b"text\n"[..],
            Path::new("in.txt"),
            &mut Closed,
            Path::new("<stdout>"),
            &mut Stats::default(),
        )
        .unwrap_err();
    assert!(err.is_broken_pipe());
    assert!(err.to_string().starts_with("<stdout>: "), "{err}");
}

/// A disk that fills up: takes `room` bytes, then fails every write with
/// ENOSPC, as a full file system does.
struct FullAfter {
    written: Vec<u8>,
    room: usize,
}

impl io::Write for FullAfter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.room == 0 {
            return Err(io::Error::from_raw_os_error(28));
        }
        let n = buf.len().min(self.room);
        self.written.extend_from_slice(&buf[..n]);
        self.room -= n;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The disk fills up mid-stream, several batches in: the error names the
/// output and says why (not a closed pipe, which would be ignored), what was
/// written is the start of the full output, and the stream stops there.
#[test]
fn full_disk_mid_stream_names_the_output_and_stops() {
    let mut input = Vec::new();
    for i in 0..20_000 {
        input.extend_from_slice(format!("Share\nPage {i} has a line of text.\n\x0c\n").as_bytes());
    }
    let (whole, _) = run(&rules_only_cleaner(), Mode::Clean, 1, &input);
    let room = whole.len() / 2;
    for threads in [1, 2] {
        let mut pipeline = Pipeline::new(rules_only_cleaner(), Mode::Clean, threads).unwrap();
        let mut disk = FullAfter {
            written: Vec::new(),
            room,
        };
        let err = pipeline
            .clean_stream(
                &input[..],
                Path::new("pages.txt"),
                &mut disk,
                Path::new("clean.txt"),
                &mut Stats::default(),
            )
            .unwrap_err();
        assert!(
            matches!(&err, Error::Io { path, source }
                if path == Path::new("clean.txt") && source.raw_os_error() == Some(28)),
            "{err:?}"
        );
        assert!(!err.is_broken_pipe());
        assert!(
            err.to_string()
                .starts_with("clean.txt: No space left on device"),
            "{err}"
        );
        assert_eq!(disk.written.len(), room, "{threads} threads");
        assert!(whole.starts_with(&disk.written), "{threads} threads");
    }
}
