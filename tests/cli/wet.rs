//! WET input (Common Crawl's WARC files of text), through the built binary:
//! each conversion record's text is cleaned as the same text on standard
//! input would be, and written as one JSON Lines record. The fixtures are
//! built here: WARC records, each gzipped as its own member.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use serde_json::Value;

use crate::common::{arg, run_args as kzclean, scratch, write};

/// One WARC record: version line, header (CRLF), block, CRLF CRLF.
fn warc_record(kind: &str, headers: &[(&str, String)], block: &[u8]) -> Vec<u8> {
    let mut r = format!("WARC/1.0\r\nWARC-Type: {kind}\r\n").into_bytes();
    for (name, value) in headers {
        r.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    r.extend_from_slice(format!("Content-Length: {}\r\n\r\n", block.len()).as_bytes());
    r.extend_from_slice(block);
    r.extend_from_slice(b"\r\n\r\n");
    r
}

fn warcinfo() -> Vec<u8> {
    warc_record(
        "warcinfo",
        &[
            ("WARC-Date", "2024-05-01T00:00:00Z".to_string()),
            ("WARC-Record-ID", "<urn:uuid:info>".to_string()),
            ("Content-Type", "application/warc-fields".to_string()),
        ],
        b"isPartOf: CC-MAIN-TEST\r\noperator: Common Crawl Admin\r\n",
    )
}

/// The fields a conversion record of page `n` is written with.
fn id(n: usize) -> String {
    format!("<urn:uuid:00000000-0000-0000-0000-{n:012}>")
}
fn url(n: usize) -> String {
    format!("https://news.example/{n}?a=1&b=\"q\"")
}
fn date(n: usize) -> String {
    format!("2024-05-01T00:{:02}:{:02}Z", n / 60 % 60, n % 60)
}
/// Every third page has no language field, as in Common Crawl.
fn language(n: usize) -> Option<String> {
    (n % 3 != 2).then(|| ["eng", "deu,eng", "fra"][n % 3].to_string())
}

fn conversion(n: usize, text: &[u8]) -> Vec<u8> {
    let mut headers = vec![
        ("WARC-Target-URI", url(n)),
        ("WARC-Date", date(n)),
        ("WARC-Record-ID", id(n)),
        ("WARC-Refers-To", format!("<urn:uuid:ref-{n}>")),
        ("WARC-Block-Digest", "sha1:AAAA".to_string()),
    ];
    if let Some(language) = language(n) {
        headers.push(("WARC-Identified-Content-Language", language));
    }
    headers.push(("Content-Type", "text/plain".to_string()));
    warc_record("conversion", &headers, text)
}

/// A page as Common Crawl extracts it: LF lines, no newline after the last
/// one; boilerplate the built-in rules remove, a blank run, non-ASCII text.
fn page(n: usize) -> Vec<u8> {
    let mut p = format!(
        "Skip to content\nHome\nNews\n\n\n\nPage {n}: the minister said on Tuesday that the plan \
         would start in May, after a long debate over its costs and the schools it would help.\n"
    );
    for i in 0..(n % 5) {
        p.push_str(&format!(
            "Paragraph {i} of page {n}: the council met again — «décision» 市政府 — and agreed \
             to publish the full budget before the summer holidays begin.\n"
        ));
    }
    p.push_str("Share on Facebook\nTweet\n© 2024 Example Media. All rights reserved.");
    p.into_bytes()
}

/// Each record gzipped as its own member, as Common Crawl writes them.
fn gzip_members(records: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for record in records {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(record).expect("gzip");
        out.extend(e.finish().expect("gzip"));
    }
    out
}

/// A WET file's records: warcinfo, then page `n` for each of `pages`, with
/// a request, a response and a metadata record among them.
fn wet_records(pages: std::ops::Range<usize>) -> Vec<Vec<u8>> {
    let mut records = vec![warcinfo()];
    for n in pages {
        records.push(conversion(n, &page(n)));
        if n % 4 == 1 {
            let other = ["request", "response", "metadata"][n % 3];
            records.push(warc_record(
                other,
                &[("WARC-Target-URI", url(n))],
                b"HTTP/1.1 200 OK\r\n\r\n<html>not a page</html>",
            ));
        }
    }
    records
}

/// The stdin filter's output for `text`, with the same flags: what every
/// record's text must be.
fn filtered(flags: &[&str], text: &[u8]) -> String {
    let run = kzclean(flags, text);
    assert_eq!(run.code, 0, "{}", run.stderr);
    String::from_utf8(run.stdout).expect("pages are UTF-8")
}

fn json_records(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each output line is JSON"))
        .collect()
}

/// Checks `stdout` holds pages `pages` in order, each with its fields and
/// its text cleaned as stdin would clean it.
fn assert_pages(stdout: &[u8], pages: &[usize], flags: &[&str]) {
    let got = json_records(stdout);
    assert_eq!(
        got.len(),
        pages.len(),
        "{}",
        String::from_utf8_lossy(stdout)
    );
    let lines: Vec<&[u8]> = stdout.split_inclusive(|&b| b == b'\n').collect();
    for ((record, line), &n) in got.iter().zip(lines).zip(pages) {
        // The fields, in this order: id, url, date, language when the
        // record has one, text.
        let json = |v: &str| serde_json::to_string(v).unwrap();
        let mut head = format!(
            "{{\"id\":{},\"url\":{},\"date\":{},",
            json(&id(n)),
            json(&url(n)),
            json(&date(n))
        );
        if let Some(language) = language(n) {
            head.push_str(&format!("\"language\":{},", json(&language)));
        }
        head.push_str("\"text\":");
        assert!(
            line.starts_with(head.as_bytes()),
            "{head}\n{}",
            String::from_utf8_lossy(line)
        );
        assert_eq!(record["text"], filtered(flags, &page(n)), "page {n}");
    }
}

#[test]
fn wet_pages_clean_to_json_lines_like_stdin_and_other_records_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let records = wet_records(0..12);
    let gz = dir.path().join("CC-MAIN-test-00000.warc.wet.gz");
    write(&gz, &gzip_members(&records));
    let plain = dir.path().join("pages.wet");
    write(&plain, &records.concat());
    let pages: Vec<usize> = (0..12).collect();

    let run = kzclean(&[arg(&gz)], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_pages(&run.stdout, &pages, &[]);
    // A page the rules leave nothing of still has its record.
    assert!(
        records_of(&run.stdout)
            .iter()
            .all(|t| !t.contains("Skip to content"))
    );
    // Plain, standard input with --input-format wet, and two threads: the
    // same bytes.
    assert_eq!(kzclean(&[arg(&plain)], b"").stdout, run.stdout);
    let stdin = kzclean(&["--input-format", "wet", "-j2"], &records.concat());
    assert_eq!(stdin.code, 0, "{}", stdin.stderr);
    assert_eq!(stdin.stdout, run.stdout);
    // --input-format text reads the same file as text, as before.
    let text = kzclean(
        &["--input-format", "text", "--no-classifier", arg(&plain)],
        b"",
    );
    assert_eq!(
        text.stdout,
        filtered(&["--no-classifier"], &records.concat()).as_bytes()
    );

    // Rules only, and --annotate: the counts come last and add up.
    let last = |line: &str| line.ends_with("}}");
    let flags = ["--no-classifier"];
    let annotated = kzclean(&["--no-classifier", "--annotate", arg(&gz)], b"");
    assert_eq!(annotated.code, 0, "{}", annotated.stderr);
    let lines: Vec<String> = String::from_utf8_lossy(&annotated.stdout)
        .lines()
        .map(String::from)
        .collect();
    assert!(lines.iter().all(|l| last(l)), "{lines:?}");
    for (record, n) in json_records(&annotated.stdout).iter().zip(0..) {
        let text = filtered(&flags, &page(n));
        assert_eq!(record["text"], text);
        let counts = &record["kzclean"];
        let lines_in = page(n).split(|&b| b == b'\n').count();
        let lines_out = text.lines().count();
        assert_eq!(counts["lines_removed"], (lines_in - lines_out) as u64);
        assert_eq!(counts["bytes_removed"], (page(n).len() - text.len()) as u64);
    }
}

fn records_of(stdout: &[u8]) -> Vec<String> {
    json_records(stdout)
        .iter()
        .map(|r| r["text"].as_str().expect("text").to_string())
        .collect()
}

/// The uncompressed offset of record `i` of `records`.
fn offset(records: &[Vec<u8>], i: usize) -> usize {
    records[..i].iter().map(Vec::len).sum()
}

#[test]
fn a_truncated_wet_file_errs_with_its_offset_and_keeps_earlier_records() {
    let dir = tempfile::tempdir().unwrap();
    let records = wet_records(0..6);
    // Record 5 is a conversion record (page 3): cut inside its gzip member,
    // and inside its block when uncompressed.
    let cut = 5;
    let at = offset(&records, cut);
    let members = gzip_members(&records);
    let member_start = gzip_members(&records[..cut]).len();
    let gz = dir.path().join("cut.warc.wet.gz");
    write(&gz, &members[..member_start + 30]);
    let plain = dir.path().join("cut.warc.wet");
    write(&plain, &records.concat()[..at + records[cut].len() - 20]);
    let good = dir.path().join("good.txt");
    write(&good, &page(0));
    let before = [0, 1, 2];
    for threads in ["-j1", "-j2"] {
        for (file, why) in [
            (&gz, "not valid gzip data"),
            (&plain, "cut short: its Content-Length is"),
        ] {
            let run = kzclean(&[threads, arg(file), arg(&good)], b"");
            assert_eq!(run.code, 1, "{}", run.stderr);
            let place = format!(
                "{}: WARC record at byte {at} (uncompressed): ",
                file.display()
            );
            assert!(run.stderr.contains(&place), "{place}\n{}", run.stderr);
            assert!(run.stderr.contains(why), "{}", run.stderr);
            // Every record before it was written; the next input still ran.
            let (wet, text) = run.stdout.split_at(
                run.stdout
                    .iter()
                    .enumerate()
                    .filter(|&(_, &b)| b == b'\n')
                    .nth(before.len() - 1)
                    .unwrap()
                    .0
                    + 1,
            );
            assert_pages(wet, &before, &[]);
            assert_eq!(text, filtered(&[], &page(0)).as_bytes());
        }
    }
}

/// The run stopped (exit 2) at the record at byte `at`, which has no URL.
fn assert_stopped_without_url(run: &crate::common::Run, at: usize) {
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "<stdin>: WARC record at byte {at} (uncompressed): its header has no \
             WARC-Target-URI; use --on-error skip to drop such records"
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn unusable_records_stop_the_run_or_are_skipped_when_framing_allows() {
    let mut records = wet_records(0..4);
    // Page 2 (record 4, after warcinfo, two pages and page 1's response)
    // loses its WARC-Target-URI: its framing holds.
    let broken = 4;
    records[broken] = String::from_utf8(records[broken].clone())
        .unwrap()
        .replace(&format!("WARC-Target-URI: {}\r\n", url(2)), "")
        .into_bytes();
    let at = offset(&records, broken);
    let input = records.concat();
    for threads in ["-j1", "-j2"] {
        let fail = kzclean(&[threads, "--input-format", "wet"], &input);
        assert_stopped_without_url(&fail, at);
        assert_pages(&fail.stdout, &[0, 1], &[]);

        let skip = kzclean(
            &[threads, "--input-format", "wet", "--on-error", "skip"],
            &input,
        );
        assert_eq!(skip.code, 0, "{}", skip.stderr);
        assert!(
            skip.stderr.contains("WARC-Target-URI (skipped)")
                && skip.stderr.contains("1 unusable records skipped"),
            "{}",
            skip.stderr
        );
        assert_pages(&skip.stdout, &[0, 1, 3], &[]);

        // Lost framing (a Content-Length too short) stops even when skipping.
        let mut lost = records.clone();
        lost[broken] = conversion(2, &page(2));
        let text_len = page(2).len();
        lost[broken] = String::from_utf8(lost[broken].clone())
            .unwrap()
            .replace(
                &format!("Content-Length: {text_len}\r\n"),
                &format!("Content-Length: {}\r\n", text_len - 1),
            )
            .into_bytes();
        let stopped = kzclean(
            &[threads, "--input-format", "wet", "--on-error", "skip"],
            &lost.concat(),
        );
        assert_eq!(stopped.code, 1, "{}", stopped.stderr);
        assert!(
            stopped.stderr.contains(&format!(
                "WARC record at byte {at} (uncompressed): its block is not followed by CRLF CRLF"
            )),
            "{}",
            stopped.stderr
        );
        assert_pages(&stopped.stdout, &[0, 1], &[]);
    }
}

#[test]
fn one_and_two_threads_give_identical_bytes_across_batches() {
    // More records than a batch holds (4,096), so batches split the file.
    let records = wet_records(0..4500);
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("many.warc.wet.gz");
    write(&gz, &gzip_members(&records));
    let one = kzclean(&["-j1", "--annotate", "--stats", arg(&gz)], b"");
    let two = kzclean(&["-j2", "--annotate", "--stats", arg(&gz)], b"");
    assert_eq!((one.code, two.code), (0, 0), "{}{}", one.stderr, two.stderr);
    assert_eq!(records_of(&one.stdout).len(), 4500);
    assert!(one.stdout == two.stdout, "-j1 and -j2 differ");
    let counts = |s: &str| s.lines().next().unwrap_or_default().to_string();
    assert_eq!(counts(&one.stderr), counts(&two.stderr));
    assert!(one.stderr.contains("4500 documents"), "{}", one.stderr);
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("gzip output");
    out
}

#[test]
fn a_tree_of_wet_files_gives_jsonl_files_named_after_them() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in"), dir.path().join("out"));
    let a = wet_records(0..5);
    let b = wet_records(5..9);
    write(
        &input.join("crawl/CC-MAIN-1.warc.wet.gz"),
        &gzip_members(&a),
    );
    write(&input.join("crawl/part-2.wet"), &b.concat());
    write(&input.join("notes.txt"), &page(3));
    for threads in ["-j1", "-j2"] {
        let _ = fs::remove_dir_all(&output);
        let run = kzclean(&[threads, "-r", arg(&input), "-o", arg(&output)], b"");
        assert_eq!(run.code, 0, "{}", run.stderr);
        let mut outputs: Vec<String> = walk(&output);
        outputs.sort();
        assert_eq!(
            outputs,
            [
                "crawl/CC-MAIN-1.jsonl.gz",
                "crawl/part-2.jsonl",
                "notes.txt"
            ]
        );
        let first = gunzip(&fs::read(output.join("crawl/CC-MAIN-1.jsonl.gz")).unwrap());
        assert_pages(&first, &[0, 1, 2, 3, 4], &[]);
        let second = fs::read(output.join("crawl/part-2.jsonl")).unwrap();
        assert_pages(&second, &[5, 6, 7, 8], &[]);
        assert_eq!(
            fs::read(output.join("notes.txt")).unwrap(),
            filtered(&[], &page(3)).as_bytes()
        );
    }
    // --input-format text keeps names and reads WET files as text.
    let _ = fs::remove_dir_all(&output);
    let run = kzclean(
        &[
            "--input-format",
            "text",
            "-r",
            arg(&input),
            "-o",
            arg(&output),
        ],
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(output.join("crawl/part-2.wet").is_file());

    // Two inputs that would share an output are refused before any work.
    write(&input.join("crawl/part-2.warc.wet"), &b.concat());
    let _ = fs::remove_dir_all(&output);
    let clash = kzclean(&["-r", arg(&input), "-o", arg(&output)], b"");
    assert_eq!(clash.code, 2, "{}", clash.stderr);
    assert!(
        clash.stderr.contains("would both be written to") && clash.stderr.contains("part-2.jsonl"),
        "{}",
        clash.stderr
    );
    assert!(!output.exists());
}

fn walk(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in fs::read_dir(root).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            out.extend(walk(&path).into_iter().map(|p| format!("{name}/{p}")));
        } else {
            out.push(path.file_name().unwrap().to_string_lossy().to_string());
        }
    }
    out
}

#[test]
fn record_flags_need_records_and_formats_must_agree() {
    let refused = [
        (&["--jsonl", "--input-format", "wet"][..], "disagree"),
        (
            &["--annotate"][..],
            "--annotate applies to JSON Lines and WET",
        ),
        (&["--on-error", "skip", "x.txt"][..], "--on-error applies"),
        (
            &["--input-format", "wet", "--field", "body"][..],
            "--field names",
        ),
        (&["--field", "body"][..], "--field names"),
    ];
    for (args, message) in refused {
        let run = kzclean(args, b"");
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
    }
    // --input-format jsonl is --jsonl, with its flags.
    let record = b"{\"id\":1,\"body\":\"Skip to content\\nA line\"}\n";
    let flags = ["--no-classifier", "--field", "body", "--annotate"];
    let a = kzclean(&[&flags[..], &["--jsonl"]].concat(), record);
    let b = kzclean(&[&flags[..], &["--input-format", "jsonl"]].concat(), record);
    assert_eq!((a.code, b.code), (0, 0), "{}{}", a.stderr, b.stderr);
    assert_eq!(a.stdout, b.stdout);
    assert!(String::from_utf8_lossy(&a.stdout).contains("lines_removed\":1"));
}

/// Page `n` of `site` with a line every page of the site repeats, which no
/// rule removes, and a line of its own.
fn site_page(site: &str, n: usize) -> (String, Vec<u8>) {
    let text = format!(
        "The {site} weekly is printed on recycled paper by volunteers of the town\n\
         Page {n} tells its own story about the harbour, the council and the school.\n"
    );
    (format!("https://www.{site}/story/{n}"), text.into_bytes())
}

fn site_records(pages: &[(String, Vec<u8>)]) -> Vec<Vec<u8>> {
    let mut records = vec![warcinfo()];
    for (n, (url, text)) in pages.iter().enumerate() {
        let record = conversion(n, text);
        let record = String::from_utf8(record)
            .unwrap()
            .replace(
                &format!("WARC-Target-URI: {}\r\n", self::url(n)),
                &format!("WARC-Target-URI: {url}\r\n"),
            )
            .into_bytes();
        records.push(record);
    }
    records
}

#[test]
fn site_profiles_are_learned_from_wet_pages_by_their_url() {
    let pages: Vec<_> = (0..4)
        .map(|n| site_page("harbour.example", n))
        .chain((0..3).map(|n| site_page("valley.example", n)))
        .collect();
    let dir = scratch("wet", "learn");
    let _ = fs::remove_dir_all(&dir);
    let wet = dir.join("pages.warc.wet.gz");
    write(&wet, &gzip_members(&site_records(&pages)));
    let jsonl: String = pages
        .iter()
        .map(|(url, text)| {
            format!(
                "{{\"url\":\"{url}\",\"text\":{}}}\n",
                serde_json::to_string(std::str::from_utf8(text).unwrap()).unwrap()
            )
        })
        .collect();

    // A WET file (known by its name, or from stdin with --input-format)
    // gives the profile of the same pages as JSON Lines.
    let as_jsonl = kzclean(&["learn", "--jsonl"], jsonl.as_bytes());
    assert_eq!(as_jsonl.code, 0, "{}", as_jsonl.stderr);
    let as_wet = kzclean(&["learn", arg(&wet)], b"");
    assert_eq!(as_wet.code, 0, "{}", as_wet.stderr);
    assert_eq!(as_wet.stdout, as_jsonl.stdout);
    let plain = site_records(&pages).concat();
    let from_stdin = kzclean(&["learn", "--input-format", "wet"], &plain);
    assert_eq!(from_stdin.stdout, as_jsonl.stdout, "{}", from_stdin.stderr);
    let profile = String::from_utf8(as_wet.stdout).unwrap();
    assert!(profile.contains("\nsite 4 harbour.example\n"), "{profile}");

    // --learn-sites on the WET file drops each site's repeated line.
    let cleaned = kzclean(&["--no-classifier", "--learn-sites", arg(&wet)], b"");
    assert_eq!(cleaned.code, 0, "{}", cleaned.stderr);
    let texts: Vec<String> = json_records(&cleaned.stdout)
        .iter()
        .map(|r| r["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(texts.len(), pages.len());
    for (text, (_, page)) in texts.iter().zip(&pages) {
        let own = String::from_utf8_lossy(page)
            .lines()
            .nth(1)
            .unwrap()
            .to_string();
        assert_eq!(text, &format!("{own}\n"));
    }

    // An unusable record stops learning with its offset, or is skipped.
    let mut records = site_records(&pages);
    records[2] = String::from_utf8(records[2].clone())
        .unwrap()
        .replace(
            "WARC-Target-URI: https://www.harbour.example/story/1\r\n",
            "",
        )
        .into_bytes();
    let at = offset(&records, 2);
    let input = records.concat();
    let fail = kzclean(&["learn", "--input-format", "wet"], &input);
    assert_stopped_without_url(&fail, at);
    let skip = kzclean(
        &["learn", "--input-format", "wet", "--on-error", "skip"],
        &input,
    );
    assert_eq!(skip.code, 0, "{}", skip.stderr);
    assert!(skip.stderr.contains("(skipped)"), "{}", skip.stderr);
    assert!(
        String::from_utf8_lossy(&skip.stdout).contains("\nsite 3 harbour.example\n"),
        "{}",
        String::from_utf8_lossy(&skip.stdout)
    );
    // --on-error needs records.
    let refused = kzclean(&["learn", "--on-error", "skip", "--site", "x"], b"text\n");
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.contains("--on-error applies to"),
        "{}",
        refused.stderr
    );
}

/// A page line over --max-line-bytes is dropped from a WET page as from
/// the same text on standard input (`drop too-long` under --explain), and
/// the lines around it are cleaned as they are there. WET used to keep it,
/// whatever its length (a 9 MiB line under the default 8 MiB limit too).
#[test]
fn a_page_line_over_the_limit_is_dropped_as_on_standard_input() {
    let long = format!("The article goes on {}\n", "and on ".repeat(20));
    let text = format!(
        "Skip to content\nA short line of the page, kept by the rules.\n{long}The last line.\n"
    );
    let limit = ["--no-classifier", "--max-line-bytes", "100"];
    for extra in [&[][..], &["--explain"], &["--invert"], &["-j2"]] {
        let flags = [&limit[..], extra].concat();
        let wet = [warcinfo(), conversion(0, text.as_bytes())].concat();
        let run = kzclean(&[&flags[..], &["--input-format", "wet"]].concat(), &wet);
        assert_eq!(run.code, 0, "{extra:?}: {}", run.stderr);
        let records = records_of(&run.stdout);
        assert_eq!(records, [filtered(&flags, text.as_bytes())], "{extra:?}");
        // Named on stderr with its input, as a stream's too-long line is.
        let named = "<stdin>: 1 line(s) of WET pages longer than --max-line-bytes dropped";
        assert!(run.stderr.contains(named), "{extra:?}: {}", run.stderr);
        // Only --explain and --invert show a dropped line.
        let shown = records[0].contains("The article goes on");
        assert_eq!(shown, !extra.is_empty() && *extra != ["-j2"], "{extra:?}");
        if *extra == ["--explain"] {
            assert!(
                records[0].contains(&format!("drop\ttoo-long\t{long}")),
                "{records:?}"
            );
        }
    }
    // The default limit, 8 MiB.
    let huge = format!("{}{}\n", text, "x".repeat(9 << 20));
    let wet = [warcinfo(), conversion(0, huge.as_bytes())].concat();
    let run = kzclean(&["--no-classifier", "--input-format", "wet"], &wet);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let records = records_of(&run.stdout);
    assert_eq!(records, [filtered(&["--no-classifier"], huge.as_bytes())]);
    assert!(!records[0].contains("xxx"));
    // In a tree, each WET file is named on its own; a file without such a
    // line is not.
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in"), dir.path().join("out"));
    let long_page = [warcinfo(), conversion(0, text.as_bytes())].concat();
    write(&input.join("long.warc.wet"), &long_page);
    write(
        &input.join("fine.warc.wet"),
        &[warcinfo(), conversion(0, b"A line.\n")].concat(),
    );
    let run = kzclean(
        &[&limit[..], &["-r", arg(&input), "-o", arg(&output)]].concat(),
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let long_name = format!(
        "{}: 1 line(s) of WET pages",
        input.join("long.warc.wet").display()
    );
    assert!(run.stderr.contains(&long_name), "{}", run.stderr);
    assert!(!run.stderr.contains("fine.warc.wet"), "{}", run.stderr);
}
