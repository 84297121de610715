//! The library as a Rust user calls it: public entry points given odd but
//! legal arguments (counts, verdicts and buffers that do not match) return
//! or do something sensible instead of panicking.

use kzclean::{Cleaner, CleanerOptions, Mode, Reason, RuleSet, Stats, Verdict};

const PAGE: &[u8] =
    b"Skip to content\nThe minister said the plan would start in May, after a long debate.\n";

/// Verdicts naming the built-in rule `Skip to content` is dropped by.
fn builtin_verdicts() -> Vec<Verdict> {
    let mut cleaner = Cleaner::new(RuleSet::builtin(), CleanerOptions::default());
    let mut verdicts = Vec::new();
    cleaner.classify(PAGE, &mut verdicts);
    assert!(matches!(verdicts[0].reason, Reason::Rule(_)));
    verdicts
}

#[test]
fn stats_count_rules_past_the_rule_count_given() {
    let verdicts = builtin_verdicts();
    let Reason::Rule(rule) = verdicts[0].reason else {
        unreachable!()
    };
    // A rule count too small (0, or another rule set's) must not panic:
    // the counts grow to the rule a verdict names.
    for rule_count in [0, rule as usize, rule as usize + 1, 5000] {
        let mut stats = Stats::default();
        stats.add_document(PAGE, &verdicts, rule_count);
        assert_eq!(stats.removed_by_rule[rule as usize], 1, "{rule_count}");
        assert_eq!(
            stats.removed_by_rule.len(),
            rule_count.max(rule as usize + 1)
        );
        assert_eq!((stats.lines_in, stats.lines_out), (2, 1));
    }
}

#[test]
fn write_document_with_verdicts_of_other_rules_does_not_panic() {
    let verdicts = builtin_verdicts();
    let Reason::Rule(rule) = verdicts[0].reason else {
        unreachable!()
    };
    // The verdicts name a built-in rule; these rules have none.
    let no_rules = RuleSet::build(false, &[], kzclean::Preset::Balanced).unwrap();
    let dropped = format!("drop\tunknown-rule-{rule}\tSkip to content\n");
    // (mode, the output's first line, what its second line starts with)
    let table: &[(Mode, &str, &str)] = &[
        (Mode::Clean, "The minister said", ""),
        (Mode::Invert, "Skip to content\n", ""),
        (Mode::Explain, &dropped, "keep\tmodel:"),
    ];
    for &(mode, first, second) in table {
        let mut out = Vec::new();
        kzclean::write_document(mode, PAGE, &verdicts, &no_rules, &mut out);
        let out = String::from_utf8(out).unwrap();
        assert!(out.starts_with(first), "{mode:?}: {out}");
        let rest = out.split_inclusive('\n').nth(1).unwrap_or("");
        assert!(rest.starts_with(second), "{mode:?}: {out}");
    }
}

#[test]
fn presearch_records_what_fits_and_match_line_with_agrees() {
    let rules = RuleSet::builtin();
    let lines: &[&[u8]] = &[
        b"Skip to content",
        b"Share this article",
        b"Plain prose here.",
    ];
    let words = |line: &[u8]| kzclean::count_words(line);
    // (length of `found`, indexes given): indexes past `found` are left
    // unsearched, whatever the length.
    let table: &[(usize, [usize; 3])] = &[(3, [0, 1, 2]), (1, [0, 5, 9]), (0, [0, 1, 2])];
    for &(len, at) in table {
        let mut found = vec![kzclean::Presearch::default(); len];
        let searched = at.iter().zip(lines).map(|(&i, &l)| (i, l, words(l)));
        rules.presearch(searched.clone(), &mut found);
        rules.presearch_anchored(searched, &mut found);
        for (&i, &line) in at.iter().zip(lines) {
            let f = found.get(i).copied().unwrap_or_default();
            let want = rules.match_line(line, words(line));
            assert_eq!(
                rules.match_line_with(line, words(line), f),
                want,
                "{len} {i}"
            );
        }
    }
}

#[test]
fn errors_are_std_errors_that_say_where() {
    fn boxed<E: std::error::Error + Send + Sync + 'static>(e: E) -> Box<dyn std::error::Error> {
        Box::new(e)
    }
    let source = kzclean::RuleSource {
        path: "site.rules".into(),
        bytes: b"drop phrase Share\n",
    };
    let errors = RuleSet::build(false, &[source], kzclean::Preset::Balanced).unwrap_err();
    let one = boxed(errors[0].clone()).to_string();
    assert!(one.starts_with("site.rules:1: "), "{one}");
    let all = boxed(kzclean::Error::Rules(errors)).to_string();
    assert_eq!(all, one);
}

#[test]
fn a_profile_refuses_site_names_it_could_not_read_back() {
    use kzclean::{Format, SiteProfile, learn_stream, site_of_url};
    // (site name, accepted): a refused name would have made the profile
    // file unreadable ("site 1 " has no name), renamed the site (white
    // space is trimmed on reading) or added a site of the name's making.
    let table: &[(&str, bool)] = &[
        ("example.com", true),
        ("my site", true),
        ("", false),
        ("  ", false),
        (" lead", false),
        ("a\nsite 9 b", false),
        ("tab\there", false),
        ("esc\u{1b}[31m", false),
    ];
    for &(site, accepted) in table {
        let mut profile = SiteProfile::new(100);
        let added = profile.add_page(site, PAGE);
        assert_eq!(added.is_ok(), accepted, "{site:?}: {added:?}");
        let mut learned = SiteProfile::new(100);
        let learn = learn_stream(
            PAGE,
            "in".as_ref(),
            &Format::Text,
            Some(site),
            &mut learned,
            1000,
        );
        assert_eq!(learn.is_ok(), accepted, "{site:?}: {learn:?}");
        if let Err(e) = learn {
            assert!(e.to_string().contains("site name"), "{e}");
        }
        for profile in [profile, learned] {
            let read = SiteProfile::parse("p", &profile.to_bytes()).unwrap();
            assert_eq!(read.to_bytes(), profile.to_bytes(), "{site:?}");
            assert_eq!(read.site_count(), usize::from(accepted));
            assert_eq!(read.site(site).is_some(), accepted, "{site:?}");
        }
    }
    // A URL's site is one a profile can hold, or none.
    assert_eq!(site_of_url("http://evil\u{1b}[31m/"), None);
    assert_eq!(site_of_url("http://[ ::1 ]/"), None);
    assert_eq!(site_of_url("http://[::1]:8080/").as_deref(), Some("::1"));
    // So is a folder's: one named by white space only names none.
    let site_of_path = |p: &str| kzclean::site_of_path(p.as_ref());
    assert_eq!(site_of_path("dumps/  /1.txt"), None);
    assert_eq!(site_of_path("dumps/a\tb/1.txt").as_deref(), Some("a_b"));
}

#[test]
fn a_pruned_profile_can_be_read_back_or_pruning_is_refused() {
    use kzclean::SiteProfile;
    // (min pages, min share, accepted): a share outside 0..=1 was written
    // as `pruned 3 inf`, which no reader takes; NaN dropped every line.
    let table: &[(u32, f64, bool)] = &[
        (2, 0.5, true),
        (0, 0.0, true),
        (1, 1.0, true),
        (u32::MAX, 0.0, true),
        (3, f64::INFINITY, false),
        (3, 1.5, false),
        (3, -0.1, false),
        (3, f64::NAN, false),
    ];
    for &(pages, share, accepted) in table {
        let mut profile = SiteProfile::new(100);
        for _ in 0..3 {
            profile.add_page("example.com", PAGE).unwrap();
        }
        let before = profile.to_bytes();
        let pruned = profile.prune(pages, share);
        assert_eq!(pruned.is_ok(), accepted, "{pages} {share}: {pruned:?}");
        if let Err(e) = pruned {
            assert!(e.contains("from 0 to 1"), "{e}");
            assert_eq!(profile.to_bytes(), before, "refused, unchanged");
        }
        SiteProfile::parse("p", &profile.to_bytes()).unwrap();
    }
}

#[test]
fn dump_features_refuses_cleaners_whose_rows_it_cannot_write() {
    use kzclean::UnwrapWidth;
    let wrapped = b"aaa bbb\nccc ddd\neee\n\nSkip to content\nThe minister said so.\n";
    let options = |classifier, fast| CleanerOptions {
        classifier,
        fast,
        ..CleanerOptions::default()
    };
    // (cleaner, what the error says): without the classifier no line has
    // a feature row; under --unwrap the rows are the joined blocks', not
    // the lines'. Both panicked (index out of bounds).
    let table: Vec<(Cleaner, Option<&str>)> = vec![
        (Cleaner::new(RuleSet::builtin(), options(true, false)), None),
        (Cleaner::new(RuleSet::builtin(), options(true, true)), None),
        (
            Cleaner::new(RuleSet::builtin(), options(false, false)),
            Some("classifier"),
        ),
        (
            Cleaner::new(RuleSet::builtin(), options(true, false))
                .with_unwrap(UnwrapWidth::Columns(10)),
            Some("unwrap"),
        ),
        (
            Cleaner::new(RuleSet::builtin(), options(true, true)).with_unwrap(UnwrapWidth::Auto),
            Some("unwrap"),
        ),
    ];
    for (mut cleaner, error) in table {
        let (mut verdicts, mut out) = (Vec::new(), Vec::new());
        let dumped = cleaner.dump_features(wrapped, 0, &mut verdicts, &mut out);
        match (dumped, error) {
            (Ok(()), None) => assert_eq!(String::from_utf8(out).unwrap().lines().count(), 5),
            (Err(e), Some(word)) => {
                assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
                assert!(e.to_string().contains(word), "{e}");
                assert!(out.is_empty());
            }
            (got, want) => panic!("{:?}: got {got:?}, want {want:?}", cleaner.options()),
        }
    }
}

#[test]
fn a_rule_says_what_it_does_and_where_it_was_written_in_nameable_types() {
    use kzclean::{Action, Origin};
    let source = kzclean::RuleSource {
        path: "site.rules".into(),
        bytes: b"# comment\ndrop letter line Subscribe to our letter\n",
    };
    let rules = RuleSet::build(false, &[source], kzclean::Preset::Balanced).unwrap();
    let rule = &rules.rules()[0];
    assert_eq!(rule.action, Action::Drop);
    let Origin { path, line } = &rule.origin;
    assert_eq!((path.as_str(), *line), ("site.rules", 2));
    assert!(!rule.is_builtin());
}

#[test]
fn a_pipeline_refuses_more_threads_than_it_can_run() {
    use kzclean::{MAX_THREADS, Pipeline};
    let cleaner = || Cleaner::new(RuleSet::builtin(), CleanerOptions::default());
    // usize::MAX made a worker per thread asked for, rayon's pool capped
    // or not: memory ran out before an error came.
    for threads in [MAX_THREADS + 1, usize::MAX] {
        let e = Pipeline::new(cleaner(), Mode::Clean, threads)
            .err()
            .unwrap();
        assert!(matches!(e, kzclean::Error::Usage(_)), "{e:?}");
        assert!(e.to_string().contains("at most 1024"), "{e}");
    }
    assert!(Pipeline::new(cleaner(), Mode::Clean, 0).is_ok());
    assert!(Pipeline::new(cleaner(), Mode::Clean, 3).is_ok());
}
