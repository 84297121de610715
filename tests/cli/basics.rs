//! CLI tests: run the built `kzclean` binary as a user would.

use crate::common;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Output, Stdio};

use crate::common::kzclean;

fn run(args: &[&str], stdin: &[u8]) -> Output {
    common::run(kzclean().args(args), stdin)
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = common::scratch("cli", name);
    common::write(&path, bytes);
    path
}

const PROSE: &str =
    "The council approved the new budget on Tuesday after a long debate about schools and roads.";

fn page() -> String {
    format!("Skip to content\nHome\n\n{PROSE}\n\nShare on Facebook\n\n{PROSE}\n3 hours ago\n")
}

#[test]
fn stdin_to_stdout_drops_boilerplate() {
    let out = run(&[], page().as_bytes());
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{PROSE}\n\n{PROSE}\n")
    );
    assert!(out.stderr.is_empty());
}

#[test]
fn files_are_documents_and_outputs_concatenate() {
    let a = temp_file("a.txt", page().as_bytes());
    let b = temp_file("b.txt", format!("Menu\n{PROSE}").as_bytes());
    // Rules only: this is about how files join, not about the classifier.
    let out = run(
        &["--no-classifier", a.to_str().unwrap(), b.to_str().unwrap()],
        b"",
    );
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{PROSE}\n\n{PROSE}\n{PROSE}")
    );
}

#[test]
fn explain_rows_match_the_plain_output() {
    let input = page();
    let plain = run(&[], input.as_bytes()).stdout;
    let explain = run(&["--explain"], input.as_bytes());
    assert!(explain.status.success());
    let text = String::from_utf8(explain.stdout).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), input.lines().count());
    assert!(
        rows[0].starts_with("drop\tskip-link\tSkip to content"),
        "{}",
        rows[0]
    );
    assert!(rows[5].starts_with("drop\tshare-buttons\t"), "{}", rows[5]);
    let kept: String = rows
        .iter()
        .filter_map(|r| r.strip_prefix("keep\t"))
        .map(|r| format!("{}\n", r.split_once('\t').unwrap().1))
        .collect();
    assert_eq!(kept.as_bytes(), plain.as_slice());
}

#[test]
fn explain_model_rows_keep_exactly_what_reaches_the_documents_bar() {
    // Two documents: the bar is per document, never above keep-threshold.
    let input = format!(
        "{}\x0c\nOur team\nJane Smith, editor\nJohn Doe, reporter\n\
         Contact us at the office on weekdays.\n\
         The newsroom moved to a new building in March.\n",
        page()
    );
    let explain = run(&["--explain"], input.as_bytes());
    assert!(explain.status.success());
    let text = String::from_utf8(explain.stdout).unwrap();
    let keep_threshold = ::kzclean::Params::default().keep_threshold as f32;
    let mut model_rows = 0;
    for row in text.lines() {
        let mut fields = row.splitn(3, '\t');
        let (verdict, reason) = (fields.next().unwrap(), fields.next().unwrap());
        let Some(scores) = reason.strip_prefix("model:") else {
            continue;
        };
        model_rows += 1;
        let (p, rest) = scores.split_once('/').expect("model:P/T");
        let t = rest.split(' ').next().unwrap();
        let (p, t): (f32, f32) = (p.parse().unwrap(), t.parse().unwrap());
        assert!(t <= keep_threshold, "{row}");
        // Two decimals are shown: a tie on screen may go either way.
        if p != t {
            assert_eq!(verdict == "keep", p > t, "{row}");
        }
    }
    assert!(model_rows >= 6, "{text}");
}

#[test]
fn invert_prints_only_removed_lines() {
    let out = run(&["--invert"], page().as_bytes());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Skip to content\nHome\nShare on Facebook\n3 hours ago\n"
    );
}

#[test]
fn crlf_and_invalid_utf8_pass_through_byte_for_byte() {
    let mut input = Vec::new();
    input.extend_from_slice(b"Menu\r\n");
    input.extend_from_slice(PROSE.as_bytes());
    input.extend_from_slice(b" caf\xe9 \xff\xfe end.  \r\n");
    // Rules only: a two-line page is too little for the classifier to judge.
    let out = run(&["--no-classifier"], &input);
    assert!(out.status.success());
    assert_eq!(out.stdout, &input[6..]);
}

#[test]
fn form_feed_lines_separate_documents_and_pass_through() {
    let input = format!("{PROSE}\nRelated posts\n\x0c\nHome\n{PROSE}\n\x0c\r\n{PROSE}\n");
    let out = run(&["--no-classifier"], input.as_bytes());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{PROSE}\n\x0c\n{PROSE}\n\x0c\r\n{PROSE}\n")
    );
}

#[test]
fn threads_do_not_change_output() {
    let one_doc = page();
    let input: String = (0..200)
        .map(|_| one_doc.clone())
        .collect::<Vec<_>>()
        .join("\x0c\n");
    let a = run(&["-j", "1"], input.as_bytes());
    let b = run(&["-j", "2"], input.as_bytes());
    assert!(a.status.success() && b.status.success());
    assert_eq!(a.stdout, b.stdout);
    // A thread count past the limit is a usage error, not a panic in
    // thread setup (or minutes spent starting 100 000 threads).
    let many = run(&["-j", "100000"], input.as_bytes());
    assert_eq!(common::code(&many), 2);
    assert!(
        common::stderr(&many).contains("0..=1024"),
        "{}",
        common::stderr(&many)
    );
    assert!(many.stdout.is_empty());
}

#[test]
fn user_rules_add_to_the_defaults_and_can_disable_them() {
    let rules = temp_file("site.rules", b"drop budget contains new budget\n");
    let out = run(&["--rules", rules.to_str().unwrap()], page().as_bytes());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "");
    let rules = temp_file("off.rules", b"disable skip-link\n");
    let out = run(
        &["--rules", rules.to_str().unwrap(), "--no-classifier"],
        page().as_bytes(),
    );
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("Skip to content\n")
    );
}

#[test]
fn bad_rule_file_lists_every_error_and_exits_2() {
    let rules = temp_file(
        "bad.rules",
        b"# ok\nfrob x line y\ndrop ok line fine\ndrop r regex (\n",
    );
    let out = run(&["--rules", rules.to_str().unwrap()], page().as_bytes());
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no input is cleaned with bad rules");
    let err = String::from_utf8(out.stderr).unwrap();
    let path = rules.display().to_string();
    assert!(
        err.contains(&format!("{path}:2: unknown directive `frob`")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{path}:4: rule `r`: bad regex")),
        "{err}"
    );
}

#[test]
fn missing_rule_file_exits_2() {
    let out = run(&["--rules", "/no/such/file.rules"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("/no/such/file.rules")
    );
}

#[test]
fn unreadable_input_is_reported_and_others_still_cleaned() {
    let good = temp_file("good.txt", page().as_bytes());
    let out = run(&["/no/such/input.txt", good.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{PROSE}\n\n{PROSE}\n")
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("/no/such/input.txt:"), "{err}");
}

#[test]
fn bad_usage_exits_2() {
    let out = run(&["--no-such-flag"], b"");
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["--explain", "--invert"], b"");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn closed_pipe_ends_quietly_with_status_0() {
    let input: String = (0..20000).map(|_| format!("{PROSE}\n")).collect();
    let mut child = kzclean()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 10];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let status = child.wait().unwrap();
    writer.join().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn stats_go_to_stderr() {
    let out = run(&["--stats"], page().as_bytes());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("1 documents; lines 9 in"), "{err}");
    // A separator is a line in and out: the counts add up to the input.
    let two = format!("{}\x0c\n{}", page(), page());
    let out = run(&["--stats"], two.as_bytes());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("2 documents; lines 19 in"), "{err}");
    assert!(err.contains("share-buttons"), "{err}");
    assert!(err.contains("MB/s"), "{err}");
}

#[test]
fn a_model_file_can_replace_the_built_in_one() {
    let page = std::fs::read("tests/fixtures/seeds/000_354eded8d34aa39f.txt").unwrap();
    let default = run(&[], &page);
    // The shipped model, given by path: same output.
    let same = run(&["--model", "rules/classifier.model"], &page);
    assert_eq!(common::code(&same), 0, "{}", common::stderr(&same));
    assert_eq!(same.stdout, default.stdout);
    // A model that keeps everything (one leaf of +5 log-odds).
    let shipped = std::fs::read_to_string("rules/classifier.model").unwrap();
    let head = &shipped[..shipped.find("\ntrees ").unwrap()];
    let keep_all = temp_file(
        "keep-all.model",
        format!("{head}\ntrees 1\ntree 1\nl 5\n").as_bytes(),
    );
    let kept = run(&["--model", keep_all.to_str().unwrap()], &page);
    assert_eq!(
        kept.stdout,
        run(&["--no-classifier"], &page).stdout,
        "a keep-everything model leaves what the rules left"
    );
}

#[test]
fn a_bad_model_file_is_refused_with_its_line() {
    let bad = temp_file("bad.model", b"kzclean-model 1\nfeatures 2\na\nb\n");
    let out = run(&["--model", bad.to_str().unwrap()], PROSE.as_bytes());
    assert_eq!(common::code(&out), 2);
    let err = common::stderr(&out);
    assert!(err.contains("bad.model:2:"), "{err}");
    assert!(err.contains("retrain"), "{err}");
    assert!(out.stdout.is_empty());
    let missing = run(&["--model", "/nonexistent/x.model"], PROSE.as_bytes());
    assert_eq!(common::code(&missing), 2);
    assert!(common::stderr(&missing).contains("/nonexistent/x.model"));
    // A tree count no file can hold is an error at the file's end, not an
    // allocation that aborts.
    let shipped = std::fs::read_to_string("rules/classifier.model").unwrap();
    let huge = temp_file(
        "huge.model",
        shipped
            .replace("\ntrees 150\n", "\ntrees 1000000000000\n")
            .as_bytes(),
    );
    let out = run(&["--model", huge.to_str().unwrap()], PROSE.as_bytes());
    assert_eq!(common::code(&out), 2, "{}", common::stderr(&out));
    assert!(
        common::stderr(&out).contains("huge.model:"),
        "{}",
        common::stderr(&out)
    );
}

/// A paragraph hard-wrapped at 72 columns, between a menu and share buttons.
const WRAPPED: &str = "Home\nAbout\n\
The minister said on Tuesday that the new plan for the harbour would\r\n\
start in May, after a long debate in the council about its cost and the\n\
benefits for the fishermen of the town and their families in the\n\
village.\n\n\
Share this\n";

#[test]
fn unwrap_decides_a_wrapped_paragraph_as_one_block() {
    let paragraph =
        &WRAPPED[WRAPPED.find("The minister").unwrap()..WRAPPED.find("\n\n").unwrap() + 1];
    // Line by line, the last piece ("village.") looks like a fragment and goes.
    let out = run(&[], WRAPPED.as_bytes());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("village."));
    for args in [&["--unwrap"][..], &["--unwrap=72"]] {
        let out = run(args, WRAPPED.as_bytes());
        assert_eq!(common::code(&out), 0, "{}", common::stderr(&out));
        // Every line of it, byte for byte (the CRLF too).
        assert_eq!(String::from_utf8_lossy(&out.stdout), paragraph, "{args:?}");
    }
    let out = run(&["--unwrap", "--explain"], WRAPPED.as_bytes());
    let rows = String::from_utf8_lossy(&out.stdout).into_owned();
    let reasons: Vec<&str> = rows
        .lines()
        .map(|r| r.split('\t').nth(1).unwrap())
        .collect();
    assert!(reasons[3..6].iter().all(|r| *r == reasons[2]), "{rows}");

    let out = run(&["--unwrap=5"], WRAPPED.as_bytes());
    assert_eq!(common::code(&out), 2);
    assert!(common::stderr(&out).contains("not a wrap width"));
}

#[test]
fn fast_keeps_prose_drops_menus_and_writes_input_lines_byte_for_byte() {
    let mut input = Vec::new();
    input.extend_from_slice(b"Home\r\nNews | Sport | Weather\r\n\r\n");
    input.extend_from_slice(page().as_bytes());
    input.extend_from_slice(b"\r\n\xff\xfe odd bytes in a line of prose that runs on for a while, as prose does, and ends.\r\n");
    let out = run(&["--fast"], &input);
    assert_eq!(common::code(&out), 0, "{}", common::stderr(&out));
    // Every output line is an input line, in order, terminators included.
    let mut inputs = input.split_inclusive(|&b| b == b'\n');
    for line in out.stdout.split_inclusive(|&b| b == b'\n') {
        assert!(
            inputs.any(|l| l == line),
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("News | Sport"), "{text}");
    assert!(text.contains("odd bytes in a line of prose"), "{text}");
    // --explain names --fast's own features (numbered after the default
    // ones inside, so a wrong offset names a default feature or none).
    let explained = run(&["--fast", "--explain"], &input);
    let rows = String::from_utf8_lossy(&explained.stdout);
    let named: Vec<&str> = rows
        .lines()
        .filter_map(|r| r.split('\t').nth(1))
        .filter(|why| why.starts_with("model:"))
        .filter_map(|why| why.split(' ').nth(1))
        .collect();
    assert!(!named.is_empty(), "{rows}");
    for name in named {
        assert!(
            kzclean::FAST_FEATURE_NAMES.contains(&name),
            "{name} in {rows}"
        );
    }
}

/// `--fast` asks only the rules anchored at a line's start: the user's other
/// rules (a `keep` rule included) are named at start-up, never dropped
/// unseen; the built-in ones it leaves out by design are not.
#[test]
fn fast_names_the_user_rules_it_ignores() {
    let rules = temp_file(
        "fast-skips.rules",
        b"# site rules\ndrop fish contains zebrafish\nkeep zebra regex zebra\\d+\n\
          drop menu line Home page\ndrop advert regex ^Advert\n",
    );
    let path = rules.to_str().unwrap();
    let ignored = |line: usize, id: &str| {
        format!(
            "kzclean: {path}:{line}: rule `{id}` is not anchored at a line's start; --fast ignores it\n"
        )
    };
    let checked = run(&["--check-rules", "--fast", "--rules", path], b"");
    assert_eq!(common::code(&checked), 0);
    let err = common::stderr(&checked);
    assert!(
        err.starts_with(&(ignored(2, "fish") + &ignored(3, "zebra"))),
        "{err}"
    );
    assert!(
        !err.contains("`menu`") && !err.contains("`advert`"),
        "{err}"
    );
    assert!(err.contains("--fast ignores 2 of your rules: "), "{err}");
    assert!(err.ends_with("rules OK (94 rules)\n"), "{err}");

    // Cleaning warns the same, and without --fast or user rules nothing.
    let cleaned = run(&["--fast", "--rules", path], page().as_bytes());
    assert_eq!(common::code(&cleaned), 0);
    assert!(common::stderr(&cleaned).starts_with(&ignored(2, "fish")));
    let slow = run(&["--rules", path], page().as_bytes());
    assert_eq!(common::stderr(&slow), "");
    assert_eq!(common::stderr(&run(&["--fast"], page().as_bytes())), "");

    // Past five, the rest are counted.
    let many: String = (0..6)
        .map(|i| format!("drop word{i} contains word{i}\n"))
        .collect();
    let more = temp_file("fast-skips-more.rules", many.as_bytes());
    let out = run(
        &[
            "--check-rules",
            "--fast",
            "--rules",
            path,
            "--rules",
            more.to_str().unwrap(),
        ],
        b"",
    );
    let err = common::stderr(&out);
    assert_eq!(err.matches("is not anchored").count(), 5, "{err}");
    assert!(
        err.contains("--fast ignores 8 of your rules (3 more not listed): "),
        "{err}"
    );
}
