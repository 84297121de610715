//! The pipeline on a small corpus: threads change nothing, JSON Lines
//! cleans like text, and bad records stop or are skipped.

use super::jsonl::{JsonlOptions, OnError};
use super::units::{BATCH_UNITS, Unit, UnitReader};
use super::worker::BatchOutput;
use super::*;
use crate::document::{is_separator, lines};
use crate::{CleanerOptions, RuleSet};

fn pipeline(format: Format, threads: usize) -> Pipeline {
    let cleaner = Cleaner::new(
        RuleSet::builtin(),
        CleanerOptions {
            classifier: false,
            ..CleanerOptions::default()
        },
    );
    Pipeline::with_format(cleaner, Mode::Clean, format, threads).unwrap()
}

fn run(format: Format, threads: usize, input: &[u8]) -> (Vec<u8>, Stats, Result<(), Error>) {
    let mut p = pipeline(format, threads);
    let mut out = Vec::new();
    let mut stats = Stats::default();
    let r = p.clean_stream(
        input,
        Path::new("in"),
        &mut out,
        Path::new("out"),
        &mut stats,
    );
    (out, stats, r)
}

/// The pool may finish a batch before the one read before it: they are
/// still written in the order they were read, and not before their turn.
#[test]
fn cleaned_batches_are_written_in_input_order() {
    let batch = |text: &[u8]| {
        Ok(BatchOutput {
            chunks: vec![text.to_vec()],
            ..BatchOutput::default()
        })
    };
    let (tx, cleaned) = std::sync::mpsc::channel();
    let mut in_order = stream::InOrder::default();
    in_order.sent = 3;
    tx.send((1, batch(b"second"))).unwrap();
    tx.send((2, batch(b"third"))).unwrap();
    assert!(
        in_order.ready(&cleaned).is_none(),
        "the first is not cleaned yet"
    );
    assert_eq!(in_order.in_flight(), 3);
    tx.send((0, batch(b"first"))).unwrap();
    let mut written = Vec::new();
    while let Some(output) = in_order.ready(&cleaned) {
        written.push(output.chunks.concat());
    }
    assert_eq!(written, [&b"first"[..], b"second", b"third"]);
    assert_eq!(in_order.in_flight(), 0);
    // Waiting for the next one: it comes after one later than it.
    in_order.sent = 5;
    tx.send((4, batch(b"fifth"))).unwrap();
    tx.send((3, batch(b"fourth"))).unwrap();
    assert_eq!(in_order.next(&cleaned).unwrap().chunks.concat(), b"fourth");
    assert_eq!(in_order.next(&cleaned).unwrap().chunks.concat(), b"fifth");
}

/// A panic while a batch was cleaned reaches the writing thread when that
/// batch's turn comes (it does not wait forever for the batch), and the
/// batches before it are written first.
#[test]
fn a_panic_while_cleaning_reaches_the_writer_in_turn() {
    let (tx, cleaned) = std::sync::mpsc::channel::<(u64, stream::Cleaned)>();
    let mut in_order = stream::InOrder::default();
    in_order.sent = 2;
    tx.send((1, Err(Box::new("cleaning failed")))).unwrap();
    tx.send((0, Ok(BatchOutput::default()))).unwrap();
    // Without a sender, waiting on ends in an error rather than a hang.
    drop(tx);
    assert!(in_order.next(&cleaned).is_ok(), "the batch before it first");
    let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        in_order.next(&cleaned).is_ok()
    })) else {
        panic!("the panic goes on");
    };
    assert_eq!(panic.downcast_ref::<&str>(), Some(&"cleaning failed"));
}

/// Many documents of varied sizes, so batches split mid-stream.
fn corpus() -> Vec<u8> {
    let mut s = Vec::new();
    for i in 0..(2 * BATCH_UNITS + 1000) {
        s.extend_from_slice(b"Skip to content\nHome | News | Sport | Contact\n");
        for _ in 0..(i % 10) {
            s.extend_from_slice(
                format!("Paragraph {i} of the article says something long enough to keep.\n")
                    .as_bytes(),
            );
        }
        s.extend_from_slice(b"\x0c\n");
    }
    s
}

proptest::proptest! {
    // Each read zero-fills a 256 KiB buffer: keep the case count modest.
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Whatever the bytes and however reads split them, every separator
    /// line is found, and documents and separators put back together
    /// are the input.
    #[test]
    fn documents_and_separators_reassemble_the_input(
        input in proptest::collection::vec(
            proptest::sample::select(vec![b'a', b'\n', b'\r', b'\x0c']), 0..300),
        chunk in 1usize..40,
    ) {
        let reader = crate::document::tests::Chunked(&input, chunk);
        let mut reader = UnitReader::new(reader, &Format::Text, crate::document::DEFAULT_MAX_LINE);
        let mut back = Vec::new();
        while let Some(Unit::Document {
            bytes, separator, ..
        }) = reader.next().unwrap()
        {
            proptest::prop_assert!(separator.as_deref().is_none_or(is_separator));
            // No separator is missed: none is left inside a document.
            proptest::prop_assert!(!lines(&bytes).any(is_separator), "{:?}", bytes);
            back.extend(bytes);
            back.extend(separator.unwrap_or_default());
        }
        proptest::prop_assert_eq!(back, input);
    }
}

#[test]
fn parallel_output_equals_sequential() {
    let input = corpus();
    let (one, s1, r1) = run(Format::Text, 1, &input);
    let (two, s2, r2) = run(Format::Text, 3, &input);
    assert!(r1.is_ok() && r2.is_ok());
    assert_eq!(
        s1.documents as usize,
        2 * BATCH_UNITS + 1000,
        "spans three batches"
    );
    assert!(one.len() < input.len(), "something was removed");
    assert!(one == two, "outputs differ");
    assert_eq!(s1, s2);
}

#[test]
fn jsonl_text_equals_text_filter_and_other_fields_stay() {
    let doc = "Skip to content\nThe minister said the plan would start in May, after a long debate.\n\u{c}\nÉté «x» \"q\"\n";
    let (text_out, _, _) = run(Format::Text, 1, doc.as_bytes());
    let mut record = br#"{"id":1.50,"text":"#.to_vec();
    jsonl::write_string(doc, &mut record);
    record.extend_from_slice(b",\"z\":[1, 2]}\n");
    for threads in [1, 2] {
        let (out, stats, r) = run(Format::Jsonl(JsonlOptions::default()), threads, &record);
        r.unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.starts_with(r#"{"id":1.50,"text":"#) && out.ends_with(",\"z\":[1, 2]}\n"));
        let field = jsonl::locate(out.as_bytes(), "text").unwrap();
        assert_eq!(field.text.as_bytes(), &text_out[..]);
        assert_eq!(stats.documents, 2);
    }
}

#[test]
fn bad_record_stops_after_whole_records_or_is_skipped() {
    let mut input = Vec::new();
    for i in 1..=5000 {
        if i == 4321 {
            input.extend_from_slice(b"{\"text\": oops}\n");
        } else {
            input.extend_from_slice(format!("{{\"text\":\"line {i}\\n\"}}\n").as_bytes());
        }
    }
    for threads in [1, 2] {
        let (out, _, r) = run(Format::Jsonl(JsonlOptions::default()), threads, &input);
        match r {
            Err(Error::Record { line: 4321, .. }) => {}
            other => panic!("expected a record error, got {other:?}"),
        }
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 4320);
        assert!(out.ends_with(b"{\"text\":\"line 4320\\n\"}\n"));

        let skip = JsonlOptions {
            on_error: OnError::Skip,
            ..JsonlOptions::default()
        };
        let (out, stats, r) = run(Format::Jsonl(skip), threads, &input);
        r.unwrap();
        assert_eq!(stats.records_skipped, 1);
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 4999);
    }
}
