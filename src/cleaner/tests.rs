//! The cleaner's passes on small documents: rules only, then with the
//! built-in model, and the per-document bar against a shared table.

use super::*;
use crate::params::Preset;
use crate::rules::RuleSource;

fn cleaner(rules: &str) -> Cleaner {
    let set = RuleSet::build(
        false,
        &[RuleSource {
            path: "t".into(),
            bytes: rules.as_bytes(),
        }],
        Preset::Balanced,
    )
    .unwrap();
    Cleaner::new(
        set,
        CleanerOptions {
            classifier: false,
            explain: false,
            fast: false,
        },
    )
}

fn kept(c: &mut Cleaner, doc: &str) -> String {
    let mut v = Vec::new();
    c.classify(doc.as_bytes(), &mut v);
    lines(doc.as_bytes())
        .zip(&v)
        .filter(|(_, v)| v.keep)
        .map(|(l, _)| String::from_utf8_lossy(l).into_owned())
        .collect()
}

const PROSE: &str =
    "This is a sentence of prose that is long enough to count as article text here.\n";

#[test]
fn blank_runs_collapse_and_edges_go() {
    let mut c = cleaner("drop x line x");
    assert_eq!(kept(&mut c, "\n\na\n\n\n\nb\nx\n\nc\n\n"), "a\n\nb\n\nc\n");
    assert_eq!(kept(&mut c, "x\n\n"), "");
    assert_eq!(kept(&mut c, "a\nx\nb"), "a\nb");
}

#[test]
fn cut_needs_prose_above_it() {
    let mut c = cleaner("cut rel line Related posts\nkeep k line keep me");
    // At the top: only the marker goes.
    let doc = format!("Related posts\n{PROSE}{PROSE}");
    assert_eq!(kept(&mut c, &doc), format!("{PROSE}{PROSE}"));
    // Below enough prose: everything from the marker on goes, except
    // lines a keep rule saves.
    let doc = format!("{PROSE}{PROSE}{PROSE}{PROSE}Related posts\nteaser\nkeep me\n{PROSE}");
    assert_eq!(
        kept(&mut c, &doc),
        format!("{PROSE}{PROSE}{PROSE}{PROSE}keep me\n")
    );
}

#[test]
fn a_cut_marker_the_document_repeats_is_a_menu_entry() {
    let mut c = cleaner("cut news line Latest news");
    let prose = PROSE.repeat(4);
    // Once, below the article: the end of it.
    let doc = format!("{prose}Latest news\nteaser\n");
    assert_eq!(kept(&mut c, &doc), prose);
    // In a menu above and again below: neither cuts; both go.
    let doc = format!("Home\nLatest news\n{prose}Latest news\nteaser\n");
    assert_eq!(kept(&mut c, &doc), format!("Home\n{prose}teaser\n"));
    let mut v = Vec::new();
    c.classify(doc.as_bytes(), &mut v);
    assert!(matches!(v[1].reason, Reason::CutRepeated(_)));
    assert!(matches!(v[6].reason, Reason::CutRepeated(_)));
}

#[test]
fn one_verdict_per_line_whatever_the_bytes() {
    let mut c = cleaner("drop x line x");
    let mut v = Vec::new();
    for doc in [&b""[..], b"\n", b"a", b"\xff\xfe\n\r\n\x00", b"x\r\ny\r\n"] {
        c.classify(doc, &mut v);
        assert_eq!(v.len(), lines(doc).count(), "{doc:?}");
    }
}

// With the built-in rules and model.

/// Verdicts (1 keep, 0 drop) of the default rules and model, one per
/// non-blank line.
fn verdicts(doc: &str) -> String {
    let mut c = Cleaner::new(RuleSet::builtin(), CleanerOptions::default());
    let mut v = Vec::new();
    c.classify(doc.as_bytes(), &mut v);
    lines(doc.as_bytes())
        .zip(&v)
        .filter(|(l, _)| !is_blank(content(l)))
        .map(|(_, v)| if v.keep { '1' } else { '0' })
        .collect()
}

const P: [&str; 4] = [
    "The city council voted on Tuesday to expand the bus network to the northern districts, a plan that has been debated for more than three years.",
    "Officials said the first new routes would open in the spring, and that fares would stay the same until at least the end of next year.",
    "Residents of the northern districts have long complained that they must change buses twice to reach the city centre, which can take over an hour.",
    "The mayor said the money would come from the regional transport fund and from a small rise in parking fees in the centre of the city.",
];

#[test]
fn a_heading_inside_the_article_stays_and_a_menu_run_goes() {
    let doc = format!(
        "Home\nNews\nSport\nWeather\nCulture\n\n{}\n\n{}\n\nWhat happens next\n\n{}\n\n{}\n\nAbout us\nContact\nJobs\nPrivacy\nTerms\n",
        P[0], P[1], P[2], P[3]
    );
    // Menu, four paragraphs around a heading, footer links.
    assert_eq!(verdicts(&doc), "00000_11111_00000".replace('_', ""));
}

/// Each non-blank line's verdict and reason, as `--explain` shows them.
fn explained(doc: &str) -> Vec<(bool, String)> {
    let mut c = Cleaner::new(RuleSet::builtin(), CleanerOptions::default());
    c.explain(doc.as_bytes())
        .into_iter()
        .filter(|l| !is_blank(l.line))
        .map(|l| (l.keep, l.reason))
        .collect()
}

#[test]
fn blank_lines_change_no_verdict_of_the_model() {
    // Converters lay out blank lines differently (html2text, lynx, WET,
    // html-text): no feature reads them, so the same lines with or
    // without them get the same verdicts and probabilities.
    let spaced = format!(
        "Home\nNews\n\n{}\n\nWhat happens next\n\n{}\n\n3 Comments\n\nJane says\n\n{}\n\nReply\n\nAbout us\n",
        P[0], P[1], P[2]
    );
    let dense = spaced.replace("\n\n", "\n");
    assert_ne!(spaced, dense);
    assert_eq!(explained(&spaced), explained(&dense));
}

/// (probability, words) of a document's undecided lines.
type Lines<'a> = &'a [(f64, f64)];

fn threshold(lines: Lines<'_>, kept_words: f64, beta: f64, spread: f64) -> f64 {
    expected_f_threshold(lines, kept_words, beta, spread)
}

/// The table tools/train-model/test_train.py checks train.py's
/// `expected_f1_keep` against, so training and cleaning share one bar.
const THRESHOLDS: &str = include_str!("../../tests/fixtures/thresholds.tsv");

#[test]
fn expected_f_threshold_table() {
    let mut rows = 0;
    for (n, row) in THRESHOLDS.lines().enumerate() {
        if row.starts_with('#') || row.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = row.split('\t').collect();
        let [kept, beta, spread, lines, want] = fields[..] else {
            panic!("thresholds.tsv:{}: five tab-separated fields", n + 1);
        };
        let number = |s: &str| -> f64 { s.parse().expect("a number") };
        let lines: Vec<(f64, f64)> = lines
            .split(',')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (p, words) = pair.split_once(':').expect("p:n");
                (number(p), number(words))
            })
            .collect();
        let got = threshold(&lines, number(kept), number(beta), number(spread));
        assert_eq!(got, number(want), "thresholds.tsv:{}", n + 1);
        rows += 1;
    }
    assert!(rows >= 8, "the table lost its rows");
}

#[test]
fn the_document_rule_only_lowers_the_bar() {
    // A short page without a clear article (not even a full stop): its
    // best lines score near keep-threshold. With keep-beta 0 (a fixed
    // threshold) fewer lines are kept than by default, where the page's
    // own bar is lower. (The page depends on the model: it must stay
    // doubtful to it.)
    let doc = "Our team\nJane Smith, editor\nJohn Doe, reporter\n\
               Contact us at the office on weekdays\n\
               The newsroom moved to a new building in March\n";
    let count = |rules: &str| {
        let rules = RuleSet::build(
            true,
            &[crate::rules::RuleSource {
                path: "t".into(),
                bytes: rules.as_bytes(),
            }],
            crate::params::Preset::Balanced,
        )
        .unwrap();
        let mut c = Cleaner::new(rules, CleanerOptions::default());
        let mut v = Vec::new();
        c.classify(doc.as_bytes(), &mut v);
        let thresholds: Vec<f32> = v
            .iter()
            .filter_map(|v| match v.reason {
                Reason::Model { threshold, .. } => Some(threshold),
                _ => None,
            })
            .collect();
        (v.iter().filter(|v| v.keep).count(), thresholds)
    };
    let (fixed, fixed_thresholds) = count("set keep-beta 0\n");
    let (by_page, page_thresholds) = count("");
    let keep_threshold = crate::params::Params::default().keep_threshold as f32;
    assert!(fixed_thresholds.iter().all(|&t| t == keep_threshold));
    assert!(page_thresholds.iter().all(|&t| t < keep_threshold));
    assert!(by_page > fixed, "{by_page} <= {fixed}");
}

/// Pages of one site: a template line on every page, a line on page 0
/// only of the others, and each page's own prose.
fn site_pages() -> Vec<String> {
    (0..4)
        .map(|n| {
            let shared = if n == 1 {
                "Our shop ships worldwide from the harbour warehouse on weekdays.\n"
            } else {
                ""
            };
            format!(
                "The Harbour Gazette is printed on recycled paper by volunteers of the town\n\
                 {shared}Page {n} tells its own long story about the harbour, the boats, \
                 the fishermen and the town council, which met on Tuesday to decide.\n"
            )
        })
        .collect()
}

fn with_site_profile(pages: &[&String]) -> Cleaner {
    let mut profile = crate::SiteProfile::default();
    for page in pages {
        profile.add_page("site.example", page.as_bytes()).unwrap();
    }
    let mut c = Cleaner::new(RuleSet::builtin(), CleanerOptions::default())
        .with_profile(Arc::new(profile), ProfileOptions::default());
    c.set_site(Some("site.example"));
    c
}

fn reasons(c: &mut Cleaner, doc: &str) -> Vec<String> {
    c.explain(doc.as_bytes())
        .into_iter()
        .map(|row| format!("{} {}", if row.keep { "keep" } else { "drop" }, row.reason))
        .collect()
}

#[test]
fn a_profile_learned_with_or_without_the_page_decides_alike() {
    let pages = site_pages();
    let all: Vec<&String> = pages.iter().collect();
    let others: Vec<&String> = pages.iter().skip(1).collect();
    let with_page = reasons(&mut with_site_profile(&all), &pages[0]);
    let without_page = reasons(&mut with_site_profile(&others), &pages[0]);
    assert_eq!(with_page, without_page);
    assert_eq!(with_page[0], "drop site-repeat(3/3)");
    assert!(with_page[1].starts_with("keep model:"), "{with_page:?}");
}

#[test]
fn a_line_on_a_few_other_pages_counts_against_it() {
    let pages = site_pages();
    let all: Vec<&String> = pages.iter().collect();
    let mut c = with_site_profile(&all);
    // Page 1's "ships worldwide" line is on none of the other pages; on a
    // new page of the site it is on 1 of 4.
    let new_page = format!("{}{}", pages[1], PROSE);
    let rows = reasons(&mut c, &new_page);
    assert!(rows[1].contains(" site-seen(1/4)"), "{rows:?}");
    let probability = |c: &mut Cleaner| -> f32 {
        let mut v = Vec::new();
        c.classify(new_page.as_bytes(), &mut v);
        match v[1].reason {
            Reason::Model { probability, .. } => probability,
            other => panic!("{other:?}"),
        }
    };
    let mut plain = Cleaner::new(RuleSet::builtin(), CleanerOptions::default());
    assert!(!reasons(&mut plain, &new_page)[1].contains("site-seen"));
    assert!(probability(&mut c) < probability(&mut plain));
}

#[test]
fn a_copy_of_a_profiled_page_is_not_emptied() {
    let pages = site_pages();
    // Page 2 twice (a URL variant crawled twice): cleaning either copy,
    // every line is on the other copy.
    let mut c = with_site_profile(&[&pages[2], &pages[2]]);
    let rows = reasons(&mut c, &pages[2]);
    assert!(rows.iter().all(|r| !r.contains("site-")), "{rows:?}");
    assert!(rows[1].starts_with("keep model:"), "{rows:?}");
    // Page 3 is no copy: the template line goes.
    let rows = reasons(&mut c, &pages[3]);
    assert_eq!(rows[0], "drop site-repeat(2/2)");
}

#[test]
fn a_model_for_the_other_feature_set_is_refused() {
    let fast = CleanerOptions {
        fast: true,
        ..CleanerOptions::default()
    };
    let err = Cleaner::with_model(RuleSet::builtin(), fast, Model::builtin())
        .expect_err("the default model under --fast");
    assert!(err.to_string().contains("features"), "{err}");
    assert!(Cleaner::with_model(RuleSet::builtin(), fast, Model::builtin_fast()).is_ok());
    assert!(
        Cleaner::with_model(
            RuleSet::builtin(),
            CleanerOptions::default(),
            Model::builtin()
        )
        .is_ok()
    );
}

/// [`expected_f_threshold`] against a plain sort by probability, then
/// document order: its integer keys must order lines the same, with
/// probabilities that differ only in their last bits (a change to
/// narrower keys that drops those bits fails here). Spread 0: the
/// reference is the plain expected F.
#[test]
fn expected_f_threshold_orders_as_whole_probabilities_do() {
    fn reference(lines: Lines<'_>, kept_words: f64, beta: f64) -> f64 {
        let b2 = beta * beta;
        let gold = kept_words + lines.iter().map(|&(p, n)| p * n).sum::<f64>();
        if lines.is_empty() || gold <= 0.0 {
            return f64::INFINITY;
        }
        let mut order: Vec<usize> = (0..lines.len()).collect();
        order.sort_by(|&a, &b| lines[b].0.total_cmp(&lines[a].0).then(a.cmp(&b)));
        let score = |tp: f64, out: f64| (1.0 + b2) * tp / (b2 * gold + out).max(1e-12);
        let (mut tp, mut out) = (kept_words, kept_words);
        let (mut best, mut best_k) = (score(tp, out), 0);
        for (k, &i) in order.iter().enumerate() {
            tp += lines[i].0 * lines[i].1;
            out += lines[i].1;
            let f = score(tp, out);
            if f > best {
                (best, best_k) = (f, k + 1);
            }
        }
        match best_k {
            0 => f64::INFINITY,
            k => lines[order[k - 1]].0,
        }
    }
    // Two lines whose probabilities differ in the last bit only: both are
    // kept, so the bar is the lower one, which must come second.
    let close = [(0.75, 10.0), (f64::from_bits(0.75f64.to_bits() + 1), 10.0)];
    assert_eq!(threshold(&close, 0.0, 1.0, 0.0), 0.75);
    assert_eq!(reference(&close, 0.0, 1.0), 0.75);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for n in [1, 2, 3, 7, 40, 300, 2000] {
        for _ in 0..20 {
            let base = (next() % 1000) as f64 / 1000.0;
            let lines: Vec<(f64, f64)> = (0..n)
                .map(|_| {
                    let r = next();
                    // Probabilities a few units in the last place apart,
                    // equal ones, and spread ones; word counts that make
                    // the order matter.
                    let p = match r % 3 {
                        0 => f64::from_bits(base.to_bits() + r % 4096),
                        1 => base,
                        _ => (r % 10_000) as f64 / 10_000.0,
                    };
                    (p, (r >> 20) as f64 % 50.0 + 1.0)
                })
                .collect();
            for beta in [0.5, 1.0] {
                let got = threshold(&lines, 3.0, beta, 0.0);
                let want = reference(&lines, 3.0, beta);
                assert_eq!(got.to_bits(), want.to_bits(), "{n} lines, beta {beta}");
            }
        }
    }
}

#[test]
fn a_page_the_profile_cleaned_takes_profile_keep_beta() {
    // The doubtful page of `the_document_rule_only_lowers_the_bar`, below
    // its site's template line. `profile-keep-beta 0` puts a fixed bar on
    // the pages the profile cleaned, and only on them.
    let template = "The Harbour Gazette is printed on recycled paper by volunteers\n";
    let doc = format!(
        "{template}Our team\nJane Smith, editor\nJohn Doe, reporter\n\
         Contact us at the office on weekdays\n\
         The newsroom moved to a new building in March\n"
    );
    let thresholds = |profiled: bool| {
        let rules = RuleSet::build(
            true,
            &[crate::rules::RuleSource {
                path: "t".into(),
                bytes: b"set profile-keep-beta 0\n",
            }],
            crate::params::Preset::Balanced,
        )
        .unwrap();
        let mut c = Cleaner::new(rules, CleanerOptions::default());
        if profiled {
            let mut profile = crate::SiteProfile::default();
            for n in 0..3 {
                let page = format!("{template}Page {n} has its own story to tell.\n");
                profile.add_page("site.example", page.as_bytes()).unwrap();
            }
            c = c.with_profile(Arc::new(profile), ProfileOptions::default());
            c.set_site(Some("site.example"));
        }
        let mut v = Vec::new();
        c.classify(doc.as_bytes(), &mut v);
        assert_eq!(
            matches!(v[0].reason, Reason::SiteRepeat { .. }),
            profiled,
            "{:?}",
            v[0]
        );
        v.iter()
            .filter_map(|v| match v.reason {
                Reason::Model { threshold, .. } => Some(threshold),
                _ => None,
            })
            .collect::<Vec<f32>>()
    };
    let keep_threshold = crate::params::Params::default().keep_threshold as f32;
    let profiled = thresholds(true);
    assert!(!profiled.is_empty());
    assert!(
        profiled.iter().all(|&t| t == keep_threshold),
        "{profiled:?}"
    );
    let alone = thresholds(false);
    assert!(alone.iter().all(|&t| t < keep_threshold), "{alone:?}");
}
