//! Site profiles through the built binary: `kzclean learn` (files, -r,
//! JSON Lines, --merge), `--profile`, `--learn-sites`, and profile errors.

use std::fs;
use std::path::Path;

use crate::common::{self, arg, scratch, write};

const REPEATED: &str = "The Harbour Gazette is printed on recycled paper by volunteers of the town";

/// Page `n` of a site: a line every page repeats, a line of its own.
fn page(n: usize) -> String {
    format!("{REPEATED}\nPage {n} tells its own story about the harbour and the town.\n")
}

fn run(command: &mut std::process::Command, stdin: &[u8]) -> (i32, String, String) {
    let out = common::run(command, stdin);
    (
        common::code(&out),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        common::stderr(&out),
    )
}

/// `dir/site.example/{0,1,2}.txt` and `dir/other.example/0.txt`.
fn tree(name: &str) -> std::path::PathBuf {
    let dir = scratch("sites", name);
    let _ = fs::remove_dir_all(&dir);
    for n in 0..3 {
        write(
            &dir.join(format!("site.example/{n}.txt")),
            page(n).as_bytes(),
        );
    }
    write(&dir.join("other.example/0.txt"), page(9).as_bytes());
    dir
}

fn learn(args: &[&str], stdin: &[u8]) -> String {
    let (code, out, err) = run(common::kzclean().arg("learn").args(args), stdin);
    assert_eq!(code, 0, "{err}");
    out
}

#[test]
fn learns_a_tree_by_folder_and_drops_the_repeated_line() {
    let dir = tree("by-folder");
    let profile = learn(&["-r", arg(&dir)], b"");
    assert!(profile.starts_with("kzclean-site-profile 1\n"), "{profile}");
    assert!(profile.contains("\nsite 3 site.example\n"), "{profile}");
    assert!(profile.contains("\nsite 1 other.example\n"), "{profile}");
    let prof = scratch("sites", "by-folder.prof");
    fs::write(&prof, &profile).unwrap();

    let page0 = dir.join("site.example/0.txt");
    let (code, out, err) = run(
        common::rules_only().args(["--profile", arg(&prof), arg(&page0)]),
        b"",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "Page 0 tells its own story about the harbour and the town.\n"
    );
    let (_, explained, _) = run(
        common::rules_only().args(["--explain", "--profile", arg(&prof), arg(&page0)]),
        b"",
    );
    // The page is in the profile: the counts are of the site's other pages.
    assert!(
        explained.starts_with(&format!("drop\tsite-repeat(2/2)\t{REPEATED}\n")),
        "{explained}"
    );

    // A site of one page: no other page to learn from.
    let other = dir.join("other.example/0.txt");
    let (_, out, _) = run(
        common::rules_only().args(["--profile", arg(&prof), arg(&other)]),
        b"",
    );
    assert_eq!(out, page(9));
    // Standard input has no site unless --site names one.
    let (_, out, _) = run(
        common::rules_only().args(["--profile", arg(&prof)]),
        page(5).as_bytes(),
    );
    assert_eq!(out, page(5));
    let (_, out, _) = run(
        common::rules_only().args(["--profile", arg(&prof), "--site", "site.example"]),
        page(5).as_bytes(),
    );
    assert!(!out.contains(REPEATED), "{out}");
    // A higher bar keeps it.
    let (_, out, _) = run(
        common::rules_only().args([
            "--profile",
            arg(&prof),
            "--profile-min-pages",
            "3",
            arg(&page0),
        ]),
        b"",
    );
    assert_eq!(out, page(0));
}

fn records(range: std::ops::Range<usize>) -> String {
    range
        .map(|n| {
            let site = ["a.example.com", "www.b.co.uk"][n % 2];
            format!(
                "{{\"url\":\"https://{site}/p/{n}\",\"text\":{}}}\n",
                serde_json::to_string(&page(n)).unwrap()
            )
        })
        .collect()
}

#[test]
fn merged_profiles_equal_the_profile_of_both_inputs() {
    let (a, b) = (records(0..5), records(5..12));
    let pa = scratch("sites", "merge-a.prof");
    let pb = scratch("sites", "merge-b.prof");
    fs::write(&pa, learn(&["--jsonl"], a.as_bytes())).unwrap();
    fs::write(&pb, learn(&["--jsonl"], b.as_bytes())).unwrap();
    let merged = learn(&["--merge", arg(&pa), arg(&pb)], b"");
    let union = learn(&["--jsonl"], format!("{a}{b}").as_bytes());
    assert_eq!(merged, union);
    assert!(union.contains("\nsite 6 b.co.uk\n") && union.contains("\nsite 6 example.com\n"));
    // With sampling on, too.
    let small = ["--max-lines", "3"];
    fs::write(&pa, learn(&["--jsonl", small[0], small[1]], a.as_bytes())).unwrap();
    fs::write(&pb, learn(&["--jsonl", small[0], small[1]], b.as_bytes())).unwrap();
    let merged = learn(&["--merge", small[0], small[1], arg(&pa), arg(&pb)], b"");
    let union = learn(
        &["--jsonl", small[0], small[1]],
        format!("{a}{b}").as_bytes(),
    );
    assert_eq!(merged, union);
    assert!(!union.contains("sampling 0\n"), "{union}");
    // Pruned profiles are smaller and refuse to merge.
    let pruned = learn(&["--jsonl", "--min-pages", "2"], a.as_bytes());
    let full = learn(&["--jsonl"], a.as_bytes());
    assert!(pruned.contains("\npruned 2 0\n"), "{pruned}");
    assert!(pruned.lines().count() < full.lines().count());
    fs::write(&pa, pruned).unwrap();
    let (code, _, err) = run(
        common::kzclean().args(["learn", "--merge", arg(&pa), arg(&pb)]),
        b"",
    );
    assert_eq!(code, 2);
    assert!(err.contains("cannot be merged exactly"), "{err}");
}

#[test]
fn json_lines_records_use_their_url_site() {
    let corpus = records(0..6);
    let prof = scratch("sites", "jsonl.prof");
    fs::write(&prof, learn(&["--jsonl"], corpus.as_bytes())).unwrap();
    let (code, out, err) = run(
        common::rules_only().args(["--jsonl", "--profile", arg(&prof)]),
        corpus.as_bytes(),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 6);
    assert!(!out.contains("Harbour Gazette"), "{out}");
    assert!(out.contains("Page 5 tells its own story"), "{out}");
    // A record of a site the profile does not know is cleaned as without it.
    let unknown = "{\"url\":\"https://c.example.org/\",\"text\":\"The Harbour Gazette is printed on recycled paper by volunteers of the town\\n\"}\n";
    let (_, out, _) = run(
        common::rules_only().args(["--jsonl", "--profile", arg(&prof)]),
        unknown.as_bytes(),
    );
    assert_eq!(out, unknown);
}

#[test]
fn learn_sites_cleans_a_tree_in_two_passes() {
    let dir = tree("two-pass");
    let out_dir = scratch("sites", "two-pass-out");
    let _ = fs::remove_dir_all(&out_dir);
    let (code, _, err) = run(
        common::rules_only().args(["--learn-sites", "-r", arg(&dir), "-o", arg(&out_dir)]),
        b"",
    );
    assert_eq!(code, 0, "{err}");
    let read = |p: &str| fs::read_to_string(out_dir.join(p)).unwrap();
    assert_eq!(
        read("site.example/1.txt"),
        "Page 1 tells its own story about the harbour and the town.\n"
    );
    assert_eq!(read("other.example/0.txt"), page(9));
    // Files given one by one: the same.
    let files: Vec<String> = (0..3)
        .map(|n| arg(&dir.join(format!("site.example/{n}.txt"))).to_string())
        .collect();
    let (code, out, err) = run(common::rules_only().arg("--learn-sites").args(&files), b"");
    assert_eq!(code, 0, "{err}");
    assert!(
        !out.contains("Harbour Gazette") && out.contains("Page 2 tells"),
        "{out}"
    );
    // Standard input cannot be read twice.
    let (code, _, err) = run(common::kzclean().arg("--learn-sites"), b"x\n");
    assert_eq!(code, 2);
    assert!(
        err.contains("--learn-sites reads its inputs twice"),
        "{err}"
    );
}

#[test]
fn bad_profiles_name_the_file_and_line() {
    let bad = scratch("sites", "bad.prof");
    fs::write(&bad, "kzclean-site-profile 1\nsite 2 a.com\nnot a count\n").unwrap();
    for args in [
        vec!["--profile", arg(&bad)],
        vec!["learn", "--merge", arg(&bad)],
    ] {
        let (code, out, err) = run(common::kzclean().args(&args), b"x\n");
        assert_eq!(code, 2, "{args:?}");
        assert!(out.is_empty());
        assert!(
            err.starts_with(&format!("kzclean: {}:3: expected `KEY COUNT`", arg(&bad))),
            "{err}"
        );
    }
    let missing = Path::new("no/such.prof");
    let (code, _, err) = run(common::kzclean().args(["--profile", arg(missing)]), b"x\n");
    assert_eq!(code, 2);
    assert!(err.contains("no/such.prof: cannot read profile"), "{err}");
    // Text from standard input has no site to learn for.
    let (code, _, err) = run(common::kzclean().arg("learn"), b"x\n");
    assert_eq!(code, 2);
    assert!(err.contains("--site NAME"), "{err}");
}

#[cfg(unix)]
#[test]
fn links_to_site_folders_are_learned_only_with_follow() {
    let dir = scratch("sites", "linked");
    let _ = fs::remove_dir_all(&dir);
    let pages = scratch("sites", "linked-pages");
    let _ = fs::remove_dir_all(&pages);
    for n in 0..3 {
        write(&pages.join(format!("{n}.txt")), page(n).as_bytes());
    }
    fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(&pages, dir.join("linked.example")).unwrap();

    let (code, profile, err) = run(common::kzclean().args(["learn", "-r", arg(&dir)]), b"");
    assert_eq!(code, 0, "{err}");
    assert!(!profile.contains("linked.example"), "{profile}");
    assert!(err.contains("-L follows it"), "{err}");
    let profile = learn(&["-r", "-L", arg(&dir)], b"");
    assert!(profile.contains("\nsite 3 linked.example\n"), "{profile}");

    // Both passes of --learn-sites follow it; the link is named once without -L.
    let out_dir = scratch("sites", "linked-out");
    let _ = fs::remove_dir_all(&out_dir);
    let (code, _, err) = run(
        common::rules_only().args(["--learn-sites", "-r", "-L", arg(&dir), "-o", arg(&out_dir)]),
        b"",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        fs::read_to_string(out_dir.join("linked.example/1.txt")).unwrap(),
        "Page 1 tells its own story about the harbour and the town.\n"
    );
    let (_, _, err) = run(
        common::rules_only().args(["--learn-sites", "-r", arg(&dir), "-o", arg(&out_dir)]),
        b"",
    );
    assert_eq!(err.matches("-L follows it").count(), 1, "{err}");
}

#[test]
fn a_path_through_dot_dot_has_its_folders_site() {
    let dir = tree("dot-dot");
    let sub = dir.join("site.example/sub");
    fs::create_dir_all(&sub).unwrap();
    // From `site.example/sub`, `../0.txt` is in `site.example`.
    let (code, profile, err) = run(
        common::kzclean()
            .current_dir(&sub)
            .args(["learn", "../0.txt", "../1.txt", "../2.txt"]),
        b"",
    );
    assert_eq!(code, 0, "{err}");
    assert!(profile.contains("\nsite 3 site.example\n"), "{profile}");
    let prof = scratch("sites", "dot-dot.prof");
    fs::write(&prof, &profile).unwrap();
    for page in ["../0.txt", "../sub/../0.txt"] {
        let (code, out, err) = run(
            common::rules_only()
                .current_dir(&sub)
                .args(["--profile", arg(&prof), page]),
            b"",
        );
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            out, "Page 0 tells its own story about the harbour and the town.\n",
            "{page}"
        );
    }
}

#[test]
fn a_site_name_is_one_line() {
    for (bad, why) in [
        ("a\nb", "control character"),
        ("", "empty"),
        (" a", "white space"),
    ] {
        for learning in [true, false] {
            let mut command = common::kzclean();
            if learning {
                command.arg("learn");
            }
            let (code, out, err) = run(command.args(["--site", bad]), b"x\n");
            assert_eq!(code, 2, "{bad:?}: {err}");
            assert!(out.is_empty(), "{out}");
            assert!(err.contains("--site") && err.contains(why), "{err}");
        }
    }
}

/// A JSON Lines record longer than --max-line-bytes is not read whole to
/// be learned, as when cleaning: under --on-error fail learning stops at
/// it, named by its line (exit 2, no profile); under skip it is left out
/// and counted. (A 500 MB record once took 517 MB to learn.)
#[test]
fn learning_skips_a_record_over_the_line_limit_unread() {
    let good = records(0..2);
    let huge = format!(
        "{{\"url\":\"https://c.example.org/\",\"text\":\"{}\"}}\n",
        "word ".repeat(1_000)
    );
    let input = format!("{good}{huge}{good}");
    let limit = ["--max-line-bytes", "1000"];
    let (code, out, err) = run(
        common::kzclean().args(["learn", "--jsonl"]).args(limit),
        input.as_bytes(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.starts_with("kzclean: <stdin>:3: record longer than 1000 bytes (--max-line-bytes)"),
        "{err}"
    );
    let (code, out, err) = run(
        common::kzclean()
            .args(["learn", "--jsonl", "--on-error", "skip"])
            .args(limit),
        input.as_bytes(),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, learn(&["--jsonl"], format!("{good}{good}").as_bytes()));
    assert!(!out.contains("c.example.org"), "{out}");
    assert!(
        err.contains("<stdin>:3: record longer than 1000 bytes"),
        "{err}"
    );
    assert!(err.contains("1 records left out of the profile"), "{err}");
    // --learn-sites learns with the cleaning limit: its learning pass
    // leaves the record out too, and says so.
    let file = scratch("sites", "long-record.jsonl");
    fs::write(&file, &input).unwrap();
    let (code, out, err) = run(
        common::rules_only()
            .args(["--learn-sites", "--jsonl", "--on-error", "skip", arg(&file)])
            .args(limit),
        b"",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 4, "{out}");
    assert!(err.contains("1 records left out of the profile"), "{err}");
}
