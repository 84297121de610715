//! Batch and corpus use, through the built binary: directory trees, JSON
//! Lines, compressed files, and thread counts.

use crate::common;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::common::{Run, arg, run_args as kzclean, write};

/// The stdin filter's output for `bytes`: what every other mode must match.
fn filtered(bytes: &[u8]) -> Vec<u8> {
    let run = kzclean(&[], bytes);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

/// A page with boilerplate the built-in rules remove, a blank-line run the
/// cleaner collapses, CRLF and non-UTF-8 bytes it must keep as they are.
fn page(n: usize) -> Vec<u8> {
    let mut p = format!(
        "Skip to content\n\n\nPage {n}: the minister said the plan would start in May.\r\n\n\n\n"
    )
    .into_bytes();
    p.extend_from_slice(b"Bytes \xff\xfe kept as they are.\n");
    for i in 0..(n % 7) {
        p.extend_from_slice(format!("Paragraph {i} of page {n} has enough words.\n").as_bytes());
    }
    p
}

/// Pages joined by form-feed lines.
fn stream(pages: usize) -> Vec<u8> {
    let mut s = Vec::new();
    for n in 0..pages {
        s.extend(page(n));
        s.extend_from_slice(b"\x0c\n");
    }
    s
}

/// Every file under `root`, relative, sorted.
fn files(root: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(dir).expect("read_dir") {
            let path = e.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).expect("under root").to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    if root.exists() {
        walk(root, root, &mut out);
    }
    out.sort();
    out
}

fn paths(list: &[&str]) -> Vec<PathBuf> {
    list.iter().map(PathBuf::from).collect()
}

/// A small nested tree; returns its files' contents.
fn nested_tree(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let tree = vec![
        (PathBuf::from("a.txt"), page(1)),
        (PathBuf::from("sub/b.txt"), stream(5)),
        (PathBuf::from("sub/deeper/c.txt"), page(3)),
        (PathBuf::from("sub/deeper/empty.txt"), Vec::new()),
        (PathBuf::from("z/no-extension"), page(4)),
    ];
    for (rel, bytes) in &tree {
        write(&root.join(rel), bytes);
    }
    tree
}

#[test]
fn tree_mirrors_every_file_cleaned_like_the_stdin_filter() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in"), dir.path().join("out"));
    let tree = nested_tree(&input);
    let run = kzclean(&["-r", arg(&input), "-o", arg(&output)], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        files(&output),
        tree.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(),
        "same relative paths, and no temporary files left behind"
    );
    for (rel, original) in &tree {
        let cleaned = fs::read(output.join(rel)).unwrap();
        assert_eq!(cleaned, filtered(original), "{}", rel.display());
        assert_eq!(
            &fs::read(input.join(rel)).unwrap(),
            original,
            "input untouched"
        );
    }
    assert_ne!(
        fs::read(output.join("a.txt")).unwrap(),
        page(1),
        "it cleaned"
    );
}

#[test]
fn globs_select_and_exclude_by_relative_path() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in"), dir.path().join("out"));
    for rel in [
        "a.txt",
        "draft.txt",
        "b.html",
        "sub/c.txt",
        "sub/draft2.txt",
        "keep/d.md",
    ] {
        write(&input.join(rel), &page(2));
    }
    let run = kzclean(
        &[
            "-r",
            arg(&input),
            "-o",
            arg(&output),
            "--glob",
            "*.txt",
            "--glob",
            "keep/*.md",
            "--glob",
            "!draft*",
        ],
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(files(&output), paths(&["a.txt", "keep/d.md", "sub/c.txt"]));

    let bad = kzclean(
        &["-r", arg(&input), "-o", arg(&output), "--glob", "a["],
        b"",
    );
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("--glob a["), "{}", bad.stderr);
}

#[test]
fn output_inside_input_or_onto_an_input_is_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    write(&input.join("f.txt"), &page(1));

    let run = kzclean(&["-r", arg(&input), "-o", arg(&input.join("out"))], b"");
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("inside input directory"),
        "{}",
        run.stderr
    );
    assert!(!input.join("out").exists(), "nothing created");

    let same = kzclean(&["-r", arg(&input), "-o", arg(&input)], b"");
    assert_eq!(same.code, 2, "{}", same.stderr);

    // IN inside OUT: in/in/f.txt would be written to in/f.txt, an input,
    // and in/in/g.txt to in/g.txt, beside the inputs (its temporary file,
    // in/.g.txt.kzclean-tmp, is named like an input there, which the run
    // would have renamed away).
    write(&input.join("in/f.txt"), &page(2));
    write(&input.join("in/g.txt"), &page(3));
    write(&input.join(".g.txt.kzclean-tmp"), b"an input\n");
    let onto = kzclean(&["-r", arg(&input), "-o", arg(dir.path())], b"");
    assert_eq!(onto.code, 2);
    assert!(
        onto.stderr
            .contains("output would be written inside input directory"),
        "{}",
        onto.stderr
    );
    assert_eq!(fs::read(input.join("f.txt")).unwrap(), page(1));
    assert_eq!(fs::read(input.join("in/f.txt")).unwrap(), page(2));
    assert_eq!(
        fs::read(input.join(".g.txt.kzclean-tmp")).unwrap(),
        b"an input\n"
    );
    assert!(!input.join("g.txt").exists(), "no output written");
    assert!(!dir.path().join("f.txt").exists(), "no output written");
}

#[test]
fn leftover_temporary_files_in_the_input_are_not_cleaned_and_are_named() {
    // A killed run's OUT copied and used as IN: a leftover temporary file
    // beside a.txt. Cleaning it would write OUT/.a.txt.kzclean-tmp, the
    // name a.txt's output is written under until it is renamed.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    write(&input.join("a.txt"), &stream(40));
    write(
        &input.join(".a.txt.kzclean-tmp"),
        b"Half of a hidden output line.\n",
    );
    // A folder so named would put its outputs' folder where sub/b.txt's
    // temporary file goes.
    write(&input.join("sub/b.txt"), &stream(3));
    write(&input.join("sub/.b.txt.kzclean-tmp/c.txt"), &stream(2));
    for threads in ["-j1", "-j2"] {
        let output = dir.path().join(format!("out{threads}"));
        let run = kzclean(&["-r", arg(&input), "-o", arg(&output), threads], b"");
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stderr
                .contains("not cleaned: 2 file(s) or folder(s) named like kzclean's temporary")
                && run.stderr.contains(".a.txt.kzclean-tmp"),
            "{}",
            run.stderr
        );
        assert_eq!(files(&output), paths(&["a.txt", "sub/b.txt"]));
        assert_eq!(
            fs::read(output.join("a.txt")).unwrap(),
            filtered(&stream(40))
        );
        assert_eq!(
            fs::read(output.join("sub/b.txt")).unwrap(),
            filtered(&stream(3))
        );
    }
}

#[cfg(unix)]
#[test]
fn unreadable_and_unwritable_files_are_reported_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in"), dir.path().join("out"));
    write(&input.join("a.txt"), &page(1));
    write(&input.join("b.txt"), &page(2));
    write(&input.join("c.txt"), &page(3));
    std::os::unix::fs::symlink(input.join("missing.txt"), input.join("dangling.txt")).unwrap();
    // A directory where b.txt's output should go: it cannot be written.
    fs::create_dir_all(output.join("b.txt")).unwrap();

    let run = kzclean(&["-r", arg(&input), "-o", arg(&output), "-j2"], b"");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("dangling.txt: dangling symbolic link"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("b.txt"), "{}", run.stderr);
    assert!(run.stderr.contains("2 of 4 files failed"), "{}", run.stderr);
    assert_eq!(fs::read(output.join("a.txt")).unwrap(), filtered(&page(1)));
    assert_eq!(fs::read(output.join("c.txt")).unwrap(), filtered(&page(3)));
    assert!(!output.join("dangling.txt").exists());
    assert!(output.join("b.txt").is_dir(), "the obstacle is left alone");
    assert_eq!(
        files(&output),
        paths(&["a.txt", "c.txt"]),
        "no temporary files"
    );

    // An output directory that cannot be created is said once, not once a
    // file, and nothing is cleaned.
    let blocked = dir.path().join("a-file/out");
    write(&dir.path().join("a-file"), b"x\n");
    let run = kzclean(&["-r", arg(&input), "-o", arg(&blocked)], b"");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("a-file/out").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("none of the 4 files was cleaned"),
        "{}",
        run.stderr
    );

    // In file mode, a directory given as a file is one failed input.
    let file_mode = kzclean(&[arg(&input), arg(&input.join("a.txt"))], b"");
    assert_eq!(file_mode.code, 1);
    assert!(
        file_mode.stderr.contains("is a directory"),
        "{}",
        file_mode.stderr
    );
    assert_eq!(file_mode.stdout, filtered(&page(1)));
}

/// Lines of pseudo-random words (a fixed generator, so every run has the
/// same bytes): text that compresses poorly, about `size` bytes of it.
fn random_words(size: usize) -> Vec<u8> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    let mut text = Vec::with_capacity(size + 100);
    while text.len() < size {
        text.extend_from_slice(b"The");
        for _ in 0..12 {
            let len = 2 + next() % 8;
            let word: Vec<u8> = (0..len).map(|_| b'a' + (next() % 26) as u8).collect();
            text.extend_from_slice(b" ");
            text.extend_from_slice(&word);
        }
        text.extend_from_slice(b".\n");
    }
    text
}

/// `kzclean ARGS` run with a file-size limit (RLIMIT_FSIZE, `ulimit -f`,
/// in 512- or 1024-byte blocks depending on the shell) and SIGXFSZ ignored,
/// so a write that would grow a file past the limit fails with EFBIG: a
/// real write failure, on any file system. `None`, with a note, where there
/// is no `sh` or it cannot set the limit.
fn with_file_size_limit(blocks: u32, args: &[&str]) -> Option<Run> {
    limited("trap '' XFSZ", blocks, args, None)
}

/// [`with_file_size_limit`] after `setup` (a shell command that sets what
/// SIGXFSZ does), standard output into `stdout` if given.
fn limited(setup: &str, blocks: u32, args: &[&str], stdout: Option<fs::File>) -> Option<Run> {
    let script = format!("{setup} && ulimit -f {blocks} || exit 125; exec \"$@\"");
    let mut command = std::process::Command::new("sh");
    command
        .args(["-c", &script, "sh", env!("CARGO_BIN_EXE_kzclean")])
        .args(args);
    if let Some(file) = stdout {
        command.stdout(file);
    }
    let out = match command.output() {
        Ok(out) => out,
        Err(e) => {
            eprintln!("note: skipped, cannot run sh ({e})");
            return None;
        }
    };
    if out.status.code() == Some(125) {
        eprintln!(
            "note: skipped, sh cannot limit file sizes: {}",
            common::stderr(&out)
        );
        return None;
    }
    Some(Run::from(out))
}

/// Writes failing under OUT: kzclean runs with a file-size limit of 64 or
/// 128 KiB (by the shell's block size), so two files' outputs cannot be
/// written, one mid-file (its output is larger than the 256 KiB write
/// buffer, which is written out while the file is still being cleaned) and
/// one only when its compressed stream is finished (all of it fits the
/// buffer). Each is reported naming its output; no output and no temporary
/// file (half-written, past the limit) is left for them; the other files
/// are cleaned; exit 1.
#[cfg(unix)]
#[test]
fn a_write_failure_in_a_tree_fails_its_files_cleanly_and_the_others_are_done() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in"), dir.path().join("out"));
    // Only I/O matters here: rules only, so the output's size does not
    // depend on the classifier.
    let clean = |bytes: &[u8]| kzclean(&["--no-classifier"], bytes).stdout;
    let big = stream(3000);
    assert!(
        clean(&big).len() > 2 * 256 * 1024,
        "written out mid-file, past any of the limits"
    );
    let words = random_words(300 * 1024);
    let mut compressed = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    compressed.write_all(&clean(&words)).unwrap();
    let compressed = compressed.finish().unwrap().len();
    assert!(
        (128 * 1024 + 1024..256 * 1024 - 1024).contains(&compressed),
        "{compressed} bytes: past either limit, within the write buffer"
    );
    write(&input.join("a.txt"), &page(1));
    write(&input.join("big.txt"), &big);
    write(&input.join("sub/c.txt"), &page(3));
    write(&input.join("sub/d.txt.gz"), &gzip(&words));

    for threads in ["-j1", "-j2"] {
        let args = [
            "--no-classifier",
            "-r",
            arg(&input),
            "-o",
            arg(&output),
            threads,
        ];
        let Some(run) = with_file_size_limit(128, &args) else {
            return;
        };
        assert_eq!(run.code, 1, "{}", run.stderr);
        for failed in ["big.txt", "sub/d.txt.gz"] {
            let want = format!(
                "kzclean: {}: File too large (os error 27)\n",
                output.join(failed).display()
            );
            assert!(run.stderr.contains(&want), "{threads}: {}", run.stderr);
        }
        assert!(
            run.stderr.ends_with("kzclean: 2 of 4 files failed\n"),
            "{}",
            run.stderr
        );
        assert_eq!(fs::read(output.join("a.txt")).unwrap(), clean(&page(1)));
        assert_eq!(fs::read(output.join("sub/c.txt")).unwrap(), clean(&page(3)));
        assert_eq!(
            files(&output),
            paths(&["a.txt", "sub/c.txt"]),
            "no output and no temporary file for the failed files"
        );
        fs::remove_dir_all(&output).unwrap();
    }
}

/// Regression: under a file-size limit with SIGXFSZ left as it is (what a
/// shell gives a command), the first write past the limit killed kzclean
/// (status 153, no message), leaving a truncated output and, under -r, a
/// temporary file. kzclean now ignores the signal, so the write fails with
/// EFBIG and is reported: exit 1, no temporary file, the others cleaned.
#[cfg(unix)]
#[test]
fn a_file_size_limit_is_a_reported_write_error_not_a_silent_kill() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in"), dir.path().join("out"));
    let big = stream(3000);
    write(&input.join("a.txt"), &page(1));
    write(&input.join("big.txt"), &big);
    let default_signal = "trap - XFSZ";
    let args = ["--no-classifier", "-r", arg(&input), "-o", arg(&output)];
    let Some(run) = limited(default_signal, 128, &args, None) else {
        return;
    };
    assert_eq!(run.code, 1, "{}", run.stderr);
    let want = format!(
        "kzclean: {}: File too large (os error 27)\n",
        output.join("big.txt").display()
    );
    assert!(run.stderr.contains(&want), "{}", run.stderr);
    assert_eq!(files(&output), paths(&["a.txt"]), "no temporary file left");

    // Standard output redirected to a file: the same, named `<stdout>`.
    let stdout = dir.path().join("stdout.txt");
    let file = fs::File::create(&stdout).unwrap();
    let big_path = input.join("big.txt");
    let Some(run) = limited(
        default_signal,
        128,
        &["--no-classifier", arg(&big_path)],
        Some(file),
    ) else {
        return;
    };
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("kzclean: <stdout>: File too large (os error 27)"),
        "{}",
        run.stderr
    );
}

/// A symbolic link planted at a temporary output's name is not followed:
/// it is replaced by the temporary file, so the file it points to is left
/// as it was (an input here, which kzclean must never modify), a dangling
/// link does not create its target, and every output is right.
#[cfg(unix)]
#[test]
fn a_link_at_a_temporary_name_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in"), dir.path().join("out"));
    write(&input.join("a.txt"), &page(1));
    write(&input.join("sub/b.txt"), &stream(3));
    let victim = input.join("a.txt");
    let nowhere = dir.path().join("created-through-the-link");
    fs::create_dir_all(output.join("sub")).unwrap();
    std::os::unix::fs::symlink(&victim, output.join(".a.txt.kzclean-tmp")).unwrap();
    std::os::unix::fs::symlink(&nowhere, output.join("sub/.b.txt.kzclean-tmp")).unwrap();

    let run = kzclean(&["-r", arg(&input), "-o", arg(&output)], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(fs::read(&victim).unwrap(), page(1), "the input is intact");
    assert!(
        !nowhere.exists(),
        "nothing created through the dangling link"
    );
    for (name, source) in [("a.txt", page(1)), ("sub/b.txt", stream(3))] {
        let out = output.join(name);
        assert!(
            !fs::symlink_metadata(&out).unwrap().is_symlink(),
            "{name} is a file of its own"
        );
        assert_eq!(fs::read(&out).unwrap(), filtered(&source), "{name}");
    }
    assert_eq!(files(&output), paths(&["a.txt", "sub/b.txt"]));
}

/// Links to directories under -r: without -L each is named on stderr as
/// not followed (they used to be skipped silently) and the run succeeds;
/// with -L they are walked, each directory once: a loop back to IN and a
/// second link to the same directory end with a note, not a hang or a
/// file cleaned twice. A followed link that leads to the outputs is
/// refused before any work.
#[cfg(unix)]
#[test]
fn links_to_directories_are_named_or_followed_once_with_dash_l() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in"), dir.path().join("out"));
    let elsewhere = dir.path().join("elsewhere");
    write(&input.join("a.txt"), &page(1));
    write(&elsewhere.join("deep/b.txt"), &page(2));
    symlink(&elsewhere, input.join("linked")).unwrap();
    symlink(&elsewhere, input.join("linked-again")).unwrap();
    symlink(&input, input.join("loop")).unwrap();

    let run = kzclean(&["-r", arg(&input), "-o", arg(&output)], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    for link in ["linked", "linked-again", "loop"] {
        let want = format!(
            "kzclean: {}: not cleaned: a link to a directory (-L follows it)\n",
            input.join(link).display()
        );
        assert!(run.stderr.contains(&want), "{}", run.stderr);
    }
    assert_eq!(files(&output), paths(&["a.txt"]));
    fs::remove_dir_all(&output).unwrap();

    for follow in ["-L", "--follow"] {
        let run = kzclean(&[follow, "-r", arg(&input), "-o", arg(&output)], b"");
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(files(&output), paths(&["a.txt", "linked/deep/b.txt"]));
        assert_eq!(
            fs::read(output.join("linked/deep/b.txt")).unwrap(),
            filtered(&page(2))
        );
        for link in ["linked-again", "loop"] {
            let want = format!(
                "kzclean: {}: not cleaned: its directory was already cleaned (a link loop, or a second link to it)\n",
                input.join(link).display()
            );
            assert!(run.stderr.contains(&want), "{}", run.stderr);
        }
        fs::remove_dir_all(&output).unwrap();
    }

    symlink(&output, input.join("to-output")).unwrap();
    fs::create_dir_all(&output).unwrap();
    let run = kzclean(&["-L", "-r", arg(&input), "-o", arg(&output)], b"");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("to-output: the link leads to"),
        "{}",
        run.stderr
    );
    assert_eq!(files(&output), Vec::<PathBuf>::new(), "nothing written");
}

/// Every `.kzclean-tmp` file under `root`.
fn temporary_files(root: &Path) -> Vec<PathBuf> {
    files(root)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".kzclean-tmp"))
        .collect()
}

/// SIGINT or SIGTERM while a tree is being cleaned: the files under way
/// stop at their next batch and their temporary outputs are removed (they
/// used to stay, hidden), no new file is started, the outputs already
/// renamed into place are whole, and the status is 128 + the signal, as a
/// shell reports a command the signal ended. `--skip-existing` then
/// finishes the job. The signal is sent once a temporary file is seen, so
/// it always lands mid-file (the run takes far longer than a poll).
#[cfg(unix)]
#[test]
fn an_interrupted_tree_run_removes_its_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in"), dir.path().join("out"));
    let big = stream(7000);
    let names: Vec<String> = (0..30).map(|i| format!("f{i:02}.txt")).collect();
    for name in &names {
        write(&input.join(name), &big);
    }
    let clean = kzclean(&["--no-classifier"], &big).stdout;
    for (signal, name, threads) in [
        (libc::SIGINT, "SIGINT", "-j1"),
        (libc::SIGTERM, "SIGTERM", "-j2"),
    ] {
        let mut child = common::kzclean()
            .args([
                "--no-classifier",
                threads,
                "-r",
                arg(&input),
                "-o",
                arg(&output),
            ])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        while temporary_files(&output).is_empty() {
            assert!(
                child.try_wait().unwrap().is_none(),
                "the run ended before a temporary file was seen"
            );
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        // SAFETY: a plain kill(2) of our own child.
        assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
        let out = child.wait_with_output().unwrap();
        let stderr = common::stderr(&out);
        assert_eq!(common::code(&out), 128 + signal, "{stderr}");
        assert!(
            stderr.contains(&format!("kzclean: stopped by {name}: ")),
            "{stderr}"
        );
        assert_eq!(temporary_files(&output), Vec::<PathBuf>::new(), "{name}");
        let done = files(&output);
        assert!(done.len() < names.len(), "{name}: stopped before the end");
        for file in &done {
            assert_eq!(
                fs::read(output.join(file)).unwrap(),
                clean,
                "{name}: {file:?} whole"
            );
        }
        let resumed = kzclean(
            &[
                "--no-classifier",
                "-r",
                arg(&input),
                "-o",
                arg(&output),
                "--skip-existing",
            ],
            b"",
        );
        assert_eq!(resumed.code, 0, "{}", resumed.stderr);
        assert_eq!(files(&output).len(), names.len());
        fs::remove_dir_all(&output).unwrap();
    }
}

#[test]
fn skip_existing_resumes_a_killed_run() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in"), dir.path().join("out"));
    nested_tree(&input);
    let args = ["-r", arg(&input), "-o", arg(&output), "--skip-existing"];
    assert_eq!(kzclean(&args, b"").code, 0);

    // As a killed run leaves it: some outputs done, one missing with a
    // temporary file beside it.
    fs::write(output.join("a.txt"), "DONE BEFORE\n").unwrap();
    fs::remove_file(output.join("sub/b.txt")).unwrap();
    fs::write(output.join("sub/.b.txt.kzclean-tmp"), "half").unwrap();

    let run = kzclean(&[&args[..], &["--stats"]].concat(), b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("1 cleaned, 4 skipped"),
        "{}",
        run.stderr
    );
    assert_eq!(fs::read(output.join("a.txt")).unwrap(), b"DONE BEFORE\n");
    assert_eq!(
        fs::read(output.join("sub/b.txt")).unwrap(),
        filtered(&stream(5))
    );
    assert!(!output.join("sub/.b.txt.kzclean-tmp").exists());

    // Without the flag, outputs are rewritten.
    assert_eq!(kzclean(&args[..4], b"").code, 0);
    assert_eq!(fs::read(output.join("a.txt")).unwrap(), filtered(&page(1)));
}

/// A JSON Lines record with `text` among other fields.
fn record(id: usize, text: &str) -> String {
    let mut line = format!(
        r#"{{"id": {id}, "score":1.50, "big": 1e3, "meta": {{"text": "not me", "x": [1, 2]}}, "text": "#
    );
    line.push_str(&serde_json::to_string(text).unwrap());
    line.push_str(r#", "url":"https:\/\/example.org\/é", "z": null}"#);
    line.push('\n');
    line
}

fn unicode_page(n: usize) -> String {
    format!(
        "Skip to content\n\n\nÉté {n}: « le ministre » a dit 東京 \"oui\" \\ fin.\n\tTabbed line with emoji 🚀.\n"
    )
}

#[test]
fn jsonl_cleans_the_text_field_and_keeps_every_other_byte() {
    let input: String = (0..50).map(|n| record(n, &unicode_page(n))).collect();
    for threads in ["-j1", "-j2"] {
        let run = kzclean(&["--jsonl", threads], input.as_bytes());
        assert_eq!(run.code, 0, "{}", run.stderr);
        let out = String::from_utf8(run.stdout).unwrap();
        assert_eq!(out.lines().count(), 50);
        for (n, (line, original)) in out.lines().zip(input.lines()).enumerate() {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            let text = value["text"].as_str().unwrap();
            assert_eq!(text.as_bytes(), filtered(unicode_page(n).as_bytes()));
            assert!(!text.contains("Skip to content"));
            // Everything around the text value is byte-identical.
            let head = original.find(r#""text": ""#).unwrap() + 8;
            let tail = original.find(r#", "url""#).unwrap();
            assert_eq!(line[..head], original[..head]);
            assert!(line.ends_with(&original[tail..]), "{line}");
        }
    }

    let field = r#"{"body":"Skip to content\nThe council approved the new budget on Tuesday after a long debate.\n","text":5}"#;
    let run = kzclean(
        &["--jsonl", "--field", "body", "--annotate"],
        field.as_bytes(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        String::from_utf8(run.stdout).unwrap(),
        r#"{"body":"The council approved the new budget on Tuesday after a long debate.\n","text":5,"kzclean":{"lines_removed":1,"bytes_removed":16}}"#
    );
}

#[test]
fn broken_json_line_fails_after_whole_records_or_is_skipped() {
    let good = |n| record(n, &unicode_page(n));
    let input = [
        good(1),
        good(2),
        "{\"text\": \"unterminated}\n".to_string(),
        good(4),
        r#"{"id": 5}"#.to_string() + "\n",
        good(6),
    ]
    .concat();
    for threads in ["-j1", "-j2"] {
        let fail = kzclean(&["--jsonl", threads], input.as_bytes());
        assert_eq!(fail.code, 2, "{}", fail.stderr);
        assert!(
            fail.stderr.contains("<stdin>:3: not a valid JSON record"),
            "{}",
            fail.stderr
        );
        assert!(fail.stderr.contains("--on-error skip"), "{}", fail.stderr);
        let kept = kzclean(&["--jsonl"], [good(1), good(2)].concat().as_bytes()).stdout;
        assert_eq!(
            fail.stdout, kept,
            "the two whole records before it, nothing more"
        );

        let skip = kzclean(
            &["--jsonl", threads, "--on-error", "skip"],
            input.as_bytes(),
        );
        assert_eq!(skip.code, 0, "{}", skip.stderr);
        assert!(skip.stderr.contains("<stdin>:3: "), "{}", skip.stderr);
        assert!(
            skip.stderr.contains("<stdin>:5: no field `text`"),
            "{}",
            skip.stderr
        );
        assert!(
            skip.stderr.contains("2 unusable records skipped"),
            "{}",
            skip.stderr
        );
        let expected = kzclean(
            &["--jsonl"],
            [good(1), good(2), good(4), good(6)].concat().as_bytes(),
        );
        assert_eq!(skip.stdout, expected.stdout);
    }
}

/// JSON Lines saved with a byte-order mark, and two such files joined with
/// `cat`: each mark stays where it was and every record is cleaned (it
/// used to be "not a valid JSON record", exit 2).
#[test]
fn a_byte_order_mark_before_a_record_stays_and_the_record_is_cleaned() {
    let bom = "\u{feff}";
    let record = |id: u32, text: &str| format!("{{\"id\":{id},\"text\":\"{text}\"}}\n");
    let dirty = |id| record(id, "Skip to content\\nThe minister spoke.\\n");
    let clean = |id| record(id, "The minister spoke.\\n");
    let input = format!("{bom}{}{}{bom}{}", dirty(1), dirty(2), dirty(3));
    let run = kzclean(&["--jsonl", "--no-classifier"], input.as_bytes());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        String::from_utf8(run.stdout).unwrap(),
        format!("{bom}{}{}{bom}{}", clean(1), clean(2), clean(3))
    );
}

/// As for a stream: the whole records before the bad one are written to
/// the file's output (it used to be left out entirely, though the docs said
/// they were kept), the error names file:line, and the status is 2.
#[test]
fn a_bad_record_in_a_tree_keeps_the_records_before_it_and_fails_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in"), dir.path().join("out"));
    let good = record(1, &unicode_page(1));
    write(
        &input.join("a.jsonl"),
        [good.as_str(), "not json\n"].concat().as_bytes(),
    );
    write(&input.join("b.jsonl"), good.as_bytes());
    let cleaned_good = kzclean(&["--jsonl"], good.as_bytes()).stdout;
    for threads in ["-j1", "-j2"] {
        let args = ["--jsonl", threads, "-r", arg(&input), "-o", arg(&output)];
        let run = kzclean(&args, b"");
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(
            run.stderr.contains("a.jsonl:2: not a valid JSON record"),
            "{}",
            run.stderr
        );
        assert_eq!(files(&output), paths(&["a.jsonl", "b.jsonl"]));
        assert_eq!(
            fs::read(output.join("a.jsonl")).unwrap(),
            cleaned_good,
            "{threads}: the record before the bad one, nothing more"
        );
        assert_eq!(fs::read(output.join("b.jsonl")).unwrap(), cleaned_good);
        fs::remove_dir_all(&output).unwrap();
    }

    let skip = [
        "--jsonl",
        "--on-error",
        "skip",
        "-r",
        arg(&input),
        "-o",
        arg(&output),
    ];
    let run = kzclean(&skip, b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("1 unusable records skipped"),
        "{}",
        run.stderr
    );
    assert_eq!(
        fs::read(output.join("a.jsonl")).unwrap(),
        fs::read(output.join("b.jsonl")).unwrap()
    );
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn gz_and_zst_round_trip_in_tree_and_file_modes() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in"), dir.path().join("out"));
    let text = stream(20);
    let jsonl: String = (0..20).map(|n| record(n, &unicode_page(n))).collect();
    write(&input.join("a.txt.gz"), &gzip(&text));
    write(
        &input.join("sub/b.txt.zst"),
        &zstd::encode_all(&text[..], 3).unwrap(),
    );
    write(&input.join("c.txt"), &text);

    let run = kzclean(&["-r", arg(&input), "-o", arg(&output)], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let expected = filtered(&text);
    let gz = fs::read(output.join("a.txt.gz")).unwrap();
    assert_eq!(gunzip(&gz), expected, "gzip output holds the cleaned text");
    let zst = fs::read(output.join("sub/b.txt.zst")).unwrap();
    assert_eq!(zstd::decode_all(&zst[..]).unwrap(), expected);
    assert_eq!(fs::read(output.join("c.txt")).unwrap(), expected);

    // File mode: compressed inputs, plain standard output.
    let run = kzclean(&[arg(&input.join("a.txt.gz"))], b"");
    assert_eq!(run.stdout, expected, "{}", run.stderr);
    let run = kzclean(&[arg(&input.join("sub/b.txt.zst"))], b"");
    assert_eq!(run.stdout, expected, "{}", run.stderr);

    // JSON Lines shards, compressed both ways.
    let (jin, jout) = (dir.path().join("jin"), dir.path().join("jout"));
    write(
        &jin.join("s.jsonl.zst"),
        &zstd::encode_all(jsonl.as_bytes(), 3).unwrap(),
    );
    let run = kzclean(&["--jsonl", "-r", arg(&jin), "-o", arg(&jout)], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let zst = fs::read(jout.join("s.jsonl.zst")).unwrap();
    let want = kzclean(&["--jsonl"], jsonl.as_bytes()).stdout;
    assert_eq!(zstd::decode_all(&zst[..]).unwrap(), want);

    // A corrupt compressed file is a failed input, not a crash.
    write(&input.join("bad.txt.gz"), b"not gzip at all");
    let run = kzclean(&["-r", arg(&input), "-o", arg(&dir.path().join("o2"))], b"");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("bad.txt.gz: not valid gzip data"),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join("o2/bad.txt.gz").exists());
    // So is a cut-short one, named as such rather than as a failing read.
    let zst = zstd::encode_all(&text[..], 3).unwrap();
    let cut = dir.path().join("cut.txt.zst");
    write(&cut, &zst[..zst.len() / 2]);
    let run = kzclean(&[arg(&cut)], b"");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("cut.txt.zst: not valid zstd data"),
        "{}",
        run.stderr
    );
}

/// Regression: gzip or zstd data on standard input (or in a file named
/// without .gz/.zst) went through as binary with status 0. It is now
/// recognised by its magic bytes and decompressed; `-z` writes standard
/// output gzip-compressed (and the stream is whole, also when a bad record
/// stops the run).
#[test]
fn compressed_standard_input_is_decompressed_and_z_compresses_stdout() {
    let input = stream(40);
    let want = filtered(&input);
    let zst = zstd::encode_all(&input[..], 0).unwrap();
    for (name, bytes) in [("gzip", gzip(&input)), ("zstd", zst)] {
        for threads in ["-j1", "-j2"] {
            let run = kzclean(&[threads], &bytes);
            assert_eq!(run.code, 0, "{}", run.stderr);
            assert_eq!(run.stdout, want, "{name} {threads}");
        }
        let dir = tempfile::tempdir().unwrap();
        let misnamed = dir.path().join("pages.txt");
        write(&misnamed, &bytes);
        let run = kzclean(&[arg(&misnamed)], b"");
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stdout, want, "{name} in a .txt file");
    }

    for compress in ["-z", "--compress"] {
        let run = kzclean(&[compress], &input);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(&run.stdout[..2], b"\x1f\x8b");
        assert_eq!(gunzip(&run.stdout), want);
    }
    let good = record(1, &unicode_page(1));
    let records = [good.as_str(), "not json\n"].concat();
    let run = kzclean(&["--jsonl", "-z"], records.as_bytes());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        gunzip(&run.stdout),
        kzclean(&["--jsonl"], good.as_bytes()).stdout,
        "a whole gzip stream of the records before the bad one"
    );
    let tree = kzclean(&["-z", "-r", "in", "-o", "out"], b"");
    assert_eq!(tree.code, 2, "{}", tree.stderr);
}

#[test]
fn one_and_two_threads_give_identical_bytes() {
    let big = stream(20_000);
    assert!(big.len() > 4 * 1024 * 1024, "spans several batches");
    let one = kzclean(&["-j1"], &big);
    let two = kzclean(&["-j2"], &big);
    assert_eq!(one.code, 0, "{}", one.stderr);
    assert!(one.stdout == two.stdout, "stream outputs differ");
    assert!(one.stdout.len() < big.len());
    let one_text = one.stdout;

    let jsonl: String = (0..10_000).map(|n| record(n, &unicode_page(n))).collect();
    let one = kzclean(&["--jsonl", "-j1"], jsonl.as_bytes());
    let two = kzclean(&["--jsonl", "-j2"], jsonl.as_bytes());
    assert!(one.stdout == two.stdout, "jsonl outputs differ");

    // A tree of one big file is streamed on every thread.
    let dir = tempfile::tempdir().unwrap();
    let shard = dir.path().join("shard");
    write(
        &shard.join("big.txt.zst"),
        &zstd::encode_all(&big[..], 1).unwrap(),
    );
    let out = dir.path().join("shard-out");
    let run = kzclean(&["-j2", "-r", arg(&shard), "-o", arg(&out)], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let cleaned = zstd::decode_all(&fs::read(out.join("big.txt.zst")).unwrap()[..]).unwrap();
    assert!(
        cleaned == one_text,
        "single-file tree differs from the stream"
    );

    let input = dir.path().join("in");
    for i in 0..40 {
        write(&input.join(format!("d{}/f{i}.txt", i % 3)), &stream(i * 3));
    }
    let (o1, o2) = (dir.path().join("o1"), dir.path().join("o2"));
    assert_eq!(
        kzclean(&["-j1", "-r", arg(&input), "-o", arg(&o1)], b"").code,
        0
    );
    assert_eq!(
        kzclean(&["-j2", "-r", arg(&input), "-o", arg(&o2)], b"").code,
        0
    );
    assert_eq!(files(&o1), files(&o2));
    for rel in files(&o1) {
        assert_eq!(
            fs::read(o1.join(&rel)).unwrap(),
            fs::read(o2.join(&rel)).unwrap()
        );
    }
}

#[test]
fn directory_flags_need_each_other() {
    let r = kzclean(&["-r", "x"], b"");
    assert_eq!(r.code, 2, "{}", r.stderr);
    let o = kzclean(&["-o", "x"], b"");
    assert_eq!(o.code, 2, "{}", o.stderr);
    let dir = tempfile::tempdir().unwrap();
    let two = kzclean(
        &[
            "-r",
            arg(dir.path()),
            arg(dir.path()),
            "-o",
            "/nonexistent/x",
        ],
        b"",
    );
    assert_eq!(two.code, 2);
    assert!(
        two.stderr.contains("exactly one input directory"),
        "{}",
        two.stderr
    );
    let file = dir.path().join("f.txt");
    write(&file, b"x\n");
    let not_dir = kzclean(&["-r", arg(&file), "-o", arg(&dir.path().join("o"))], b"");
    assert_eq!(not_dir.code, 2);
    assert!(
        not_dir.stderr.contains("not a directory"),
        "{}",
        not_dir.stderr
    );
}

#[test]
fn documents_over_the_limits_are_cleaned_in_parts_with_a_warning() {
    // Pages joined with no form feed between them: one 17 MiB document,
    // which the reader hands out in parts instead of holding it (and ten
    // times its size in per-line facts) whole.
    let mut input = Vec::new();
    let mut n = 0;
    while input.len() < 17 << 20 {
        input.extend(page(n));
        n += 1;
    }
    input.extend_from_slice(b"\x0c\n");
    input.extend(page(n));
    let one = kzclean(&["-j1"], &input);
    assert_eq!(one.code, 0, "{}", one.stderr);
    assert!(
        one.stderr.contains(
            "<stdin>: document 1 (from byte 0) runs past 16 MiB or 65536 lines without a form-feed line"
        ),
        "{}",
        one.stderr
    );
    assert_eq!(one.stderr.lines().count(), 1, "{}", one.stderr);
    let lines = |bytes: &[u8]| -> Vec<Vec<u8>> {
        bytes
            .split_inclusive(|&b| b == b'\n')
            .map(<[u8]>::to_vec)
            .collect()
    };
    let (out, all) = (lines(&one.stdout), lines(&input));
    let out: Vec<&[u8]> = out.iter().map(Vec::as_slice).collect();
    let all: Vec<&[u8]> = all.iter().map(Vec::as_slice).collect();
    assert!(common::is_subsequence(&out, &all));
    // The separator after the parts is written back: the documents after
    // an oversized one are where they were.
    assert_eq!(out.iter().filter(|l| **l == b"\x0c\n").count(), 1);
    let two = kzclean(&["-j2"], &input);
    assert_eq!((two.code, &two.stderr), (0, &one.stderr));
    assert!(two.stdout == one.stdout, "-j2 output differs");
    // Its parts count as one document.
    let stats = kzclean(&["--stats"], &input);
    assert!(
        stats.stderr.contains("kzclean: 2 documents;"),
        "{}",
        stats.stderr
    );

    let dir = tempfile::tempdir().unwrap();
    let (tree, output) = (dir.path().join("in"), dir.path().join("out"));
    write(&tree.join("joined.txt"), &input);
    let run = kzclean(&["-r", arg(&tree), "-o", arg(&output)], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("joined.txt: document 1 (from byte 0)"),
        "{}",
        run.stderr
    );
    assert!(fs::read(output.join("joined.txt")).unwrap() == one.stdout);

    // A JSON Lines text field over the line limit is cut the same way: its
    // cleaned text is what the text filter gives for the same text.
    let mut text = Vec::new();
    let mut n = 0;
    while text.iter().filter(|&&b| b == b'\n').count() < 70_000 {
        text.extend(unicode_page(n).into_bytes());
        n += 1;
    }
    let text = String::from_utf8(text).unwrap();
    let run = kzclean(&["--jsonl"], record(0, &text).as_bytes());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let value: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert!(value["text"].as_str().unwrap().as_bytes() == filtered(text.as_bytes()));
}

#[test]
fn tree_warnings_come_out_by_file_on_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    // More files than warnings listed (20), of different sizes, so that on
    // two threads they finish out of order: the same 20 come out each time.
    let names: Vec<String> = (1..=25).map(|n| format!("f{n:02}")).collect();
    for (n, name) in names.iter().enumerate() {
        let size = if n % 7 == 0 { 400 } else { 2 };
        let good: String = (0..size).map(|n| record(n, &unicode_page(n))).collect();
        write(
            &input.join(format!("{name}.jsonl")),
            format!("{good}not json\n").as_bytes(),
        );
    }
    let mut seen = Vec::new();
    for threads in ["-j1", "-j2", "-j2", "-j2"] {
        let output = dir.path().join("out");
        let _ = fs::remove_dir_all(&output);
        let args = [
            "--jsonl",
            "--on-error",
            "skip",
            "-r",
            arg(&input),
            "-o",
            arg(&output),
            threads,
        ];
        let run = kzclean(&args, b"");
        assert_eq!(run.code, 0, "{}", run.stderr);
        let files: Vec<&str> = run
            .stderr
            .lines()
            .filter_map(|l| l.split(".jsonl:").next()?.rsplit('/').next())
            .filter(|f| f.starts_with('f'))
            .collect();
        assert_eq!(files, names[..20], "{}", run.stderr);
        assert!(
            run.stderr
                .contains("25 unusable records skipped (5 not listed above)"),
            "{}",
            run.stderr
        );
        seen.push(run.stderr);
    }
    assert!(seen.iter().all(|s| *s == seen[0]), "{seen:#?}");
}
