//! Table tests for the rules: each built-in rule on lines it must and must
//! not take, the engine against one regex per rule, and refusals.

use regex_automata::MatchKind;
use regex_syntax::hir::Hir;

use super::engine::Automaton;
use super::phrase::{DECORATION, TRAILER, pattern_regex};
use super::*;

/// The rule set of one file, `t.rules`, without the built-in rules.
fn build(text: &str) -> Result<RuleSet, Vec<LineError>> {
    RuleSet::build(
        false,
        &[RuleSource {
            path: "t.rules".into(),
            bytes: text.as_bytes(),
        }],
        Preset::Balanced,
    )
}

fn set(text: &str) -> RuleSet {
    build(text).unwrap_or_else(|e| panic!("{e:?}"))
}

fn decide(rules: &RuleSet, line: &str) -> Option<String> {
    rules
        .match_line(line.as_bytes(), count_words(line.as_bytes()))
        .map(|i| rules.rules()[i as usize].id.clone())
}

/// (rule file, line, id of the deciding rule or None)
const TABLE: &[(&str, &str, Option<&str>)] = &[
    // line scope: whole line, case-insensitive, decorations allowed
    ("drop s line Share", "Share", Some("s")),
    ("drop s line Share", "  » SHARE: ", Some("s")),
    ("drop s line Share", "Share this", None),
    (
        "drop s line Share on Facebook",
        "Share  on\tfacebook",
        Some("s"),
    ),
    ("drop c line Comments", "Comments (12)", Some("c")),
    ("drop c line Comments", "12 Comments", None),
    ("drop r line Реклама", "РЕКЛАМА", Some("r")),
    ("drop r line Publicidad | Anuncio", "— Anuncio —", Some("r")),
    // prefix scope: start of line, then a word boundary
    ("drop p prefix Photo:", "Photo: Reuters", Some("p")),
    ("drop p prefix Read more", "Read more about it", Some("p")),
    ("drop p prefix Read more", "Read moreover", None),
    ("drop p prefix Read more", "Please read more", None),
    // contains scope: whole words anywhere
    (
        "drop k contains uses cookies",
        "This site uses cookies to help.",
        Some("k"),
    ),
    ("drop k contains cookie", "cookies", None),
    // word limits
    (
        "drop k contains words<=3 cookie",
        "a cookie here",
        Some("k"),
    ),
    (
        "drop k contains words<=3 cookie",
        "a cookie here and there",
        None,
    ),
    // regex scope
    (
        "drop t regex ^\\d+ (hours?|days?) ago$",
        "3 days ago",
        Some("t"),
    ),
    (
        "drop t regex ^\\d+ (hours?|days?) ago$",
        "about 3 days ago",
        None,
    ),
    // precedence: keep over cut over drop, then file order
    ("drop a line x\nkeep b line x", "x", Some("b")),
    ("drop a line x\ncut b line x", "x", Some("b")),
    ("drop a line x\ndrop b line x", "x", Some("a")),
    // a word limit: a line of more words is not asked
    ("drop s regex words<=2 .", "one two three", None),
    // a line rule's own limit: its longest phrase's words and three more
    // (counts after the phrase are trailer)
    ("drop s line Share", "Share 1 2 3", Some("s")),
    ("drop s line Share", "Share 1 2 3 4", None),
];

#[test]
fn rule_table() {
    for &(rules, line, want) in TABLE {
        let set = set(rules);
        assert_eq!(
            decide(&set, line).as_deref(),
            want,
            "rules {rules:?} on line {line:?}"
        );
    }
}

#[test]
fn contains_phrases_are_whole_words_in_other_alphabets() {
    let s = set(
        "drop de contains über\ndrop ru contains Все права\ndrop el contains όροι\n\
                 drop tr contains geç\ndrop zh contains 版权\ndrop fr contains ton\n\
                 drop land contains land\n",
    );
    let table: &[(&str, Option<&str>)] = &[
        ("über uns", Some("de")),
        ("Béton armé", None),
        ("le ton juste", Some("fr")),
        ("Grünland", None),
        ("das Land", Some("land")),
        ("Mehr ÜBER uns", Some("de")),
        ("(über)", Some("de")),
        ("gegenüber dem Haus", None),
        ("überall", None),
        ("über2", None),
        ("Все права защищены", Some("ru")),
        ("Невсе права", None),
        // A letter of any spaced alphabet joins the word.
        ("oВсе права", None),
        ("Όροι χρήσης", Some("el")),
        ("καιόροι", None),
        ("İçeriğe geç", Some("tr")),
        ("geçmek", None),
        // Chinese is not spaced: a phrase matches inside a run of text.
        ("本站版权所有", Some("zh")),
    ];
    for &(line, want) in table {
        assert_eq!(decide(&s, line).as_deref(), want, "{line}");
    }
}

#[test]
fn a_regex_that_matches_every_line_is_refused() {
    // (regex, refused)
    let table = [
        (".*", true),
        ("(foo)?", true),
        ("(?m)^", true),
        ("$", true),
        ("(?i)(|cookies)", true),
        ("x*", true),
        ("foo", false),
        ("^$", false),
        (r"^\s*$", false),
        (r"\b", false),
        ("(?i)^(home)?$", false),
    ];
    for (regex, refused) in table {
        match build(&format!("drop ok line Share\ndrop r regex {regex}\n")) {
            Ok(_) => assert!(!refused, "{regex} was accepted"),
            Err(e) => {
                assert!(refused, "{regex}: {e:?}");
                assert_eq!(e.len(), 1);
                let e = e[0].to_string();
                assert!(
                    e.starts_with("t.rules:2: rule `r`: the regex matches every line"),
                    "{e}"
                );
            }
        }
    }
    // Under a word limit it means "every short line".
    let s = set("drop short regex words<=2 .*");
    assert_eq!(decide(&s, "Menu").as_deref(), Some("short"));
    assert_eq!(decide(&s, "The minister said so."), None);
}

#[test]
fn disable_and_duplicates() {
    let s = set("drop a line x\ndrop b line y\ndisable a");
    assert_eq!(decide(&s, "x"), None);
    assert_eq!(decide(&s, "y").as_deref(), Some("b"));
    let e = RuleSet::build(
        false,
        &[RuleSource {
            path: "t".into(),
            bytes: b"drop a line x\ndrop a line y\ndisable zz\nset bogus 1\ndrop r regex (",
        }],
        Preset::Balanced,
    )
    .unwrap_err();
    let e: Vec<String> = e.iter().map(|e| e.to_string()).collect();
    assert_eq!(e.len(), 4, "{e:#?}");
    assert!(
        e.iter()
            .any(|e| e.starts_with("t:2: duplicate rule id `a`"))
    );
    assert!(e.iter().any(|e| e.starts_with("t:3: `disable zz`")));
    assert!(
        e.iter()
            .any(|e| e.starts_with("t:4: unknown setting `bogus`"))
    );
    assert!(e.iter().any(|e| e.starts_with("t:5: rule `r`: bad regex")));

    // The parser quotes the pattern: a raw control byte in it is escaped.
    let e = RuleSet::build(
        false,
        &[RuleSource {
            path: "t".into(),
            bytes: b"drop r regex \x1b[31m(",
        }],
        Preset::Balanced,
    )
    .unwrap_err();
    let e = e[0].to_string();
    assert!(
        e.starts_with("t:1: rule `r`: bad regex") && e.contains("\\u{1b}[31m("),
        "{e}"
    );
    assert!(!e.contains('\x1b'), "{e}");

    // Disabling a rule twice (in one file or two) is no error.
    let twice = [
        RuleSource {
            path: "one".into(),
            bytes: b"drop a line x\ndisable a\ndisable a\n",
        },
        RuleSource {
            path: "two".into(),
            bytes: b"disable a\n",
        },
    ];
    let s = RuleSet::build(false, &twice, Preset::Balanced).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(decide(&s, "x"), None);

    // Problems come in file order, then line order, whatever found them.
    let files = [
        RuleSource {
            path: "e1".into(),
            bytes: b"set keep-threshold 2\nfrob\n",
        },
        RuleSource {
            path: "e2".into(),
            bytes: b"disable nothing\nfrob\n",
        },
    ];
    let e = RuleSet::build(false, &files, Preset::Balanced).unwrap_err();
    let places: Vec<(String, usize)> = e.iter().map(|e| (e.path.clone(), e.line)).collect();
    let want = [("e1", 1), ("e1", 2), ("e2", 1), ("e2", 2)];
    assert_eq!(places, want.map(|(p, l)| (p.to_string(), l)), "{e:#?}");
    assert!(e[0].message.contains("out of range"), "{}", e[0].message);
}

#[test]
fn phrase_trees_are_what_the_parser_makes_of_their_regex() {
    let mut specs = file::parse(DEFAULT_ORIGIN, DEFAULT_RULES.as_bytes())
        .unwrap()
        .rules;
    // Letters with more than two case variants (k, s, sigma), one that
    // changes length when uppercased (ß), dotted I, an unspaced script,
    // punctuation and digits at a phrase's edges, one-letter phrases.
    let odd = "drop odd-line line Kelvin sKs | ſtraße | ΣΑΣ σας ς | İstanbul ı | 阅读全文 | \
               (a) | x | 1 2 3 | … more » | Ǆemal ǅ ǆ\n\
               drop odd-prefix prefix Kelvin: | ſtraße | Σας | 阅读 | x | Nächste | Далее | 12 | «ok»\n\
               drop odd-contains contains Kelvin sign | ſtraße | 版权所有 | «x» | 12 ab | Ωμέγα\n\
               drop one-contains contains words<=5 only phrase\n";
    specs.extend(file::parse("t", odd.as_bytes()).unwrap().rules);
    // As the parser writes them: phrases one by one, not factored.
    let mut builder = PhraseHirs {
        flat: true,
        ..PhraseHirs::default()
    };
    let mut built = 0;
    for spec in &specs {
        let parsed = regex_syntax::Parser::new()
            .parse(&pattern_regex(spec))
            .unwrap();
        match builder.build(spec) {
            Some(hir) => {
                assert_eq!(hir, parsed, "rule `{}`", spec.id);
                built += 1;
            }
            None => assert_eq!(spec.scope, Scope::Regex, "rule `{}`", spec.id),
        }
    }
    assert!(built > 50, "{built}");
}

#[test]
fn decoration_is_closed_under_case_folding() {
    for class in [DECORATION, TRAILER] {
        let parse = |re: &str| regex_syntax::Parser::new().parse(re).unwrap();
        assert_eq!(parse(class), parse(&format!("(?i){class}")), "{class}");
    }
}

#[test]
fn too_large_regex_is_refused_quickly() {
    let e = RuleSet::build(
        false,
        &[RuleSource {
            path: "t".into(),
            bytes: b"drop big regex (\\w{50}){50}",
        }],
        Preset::Balanced,
    )
    .unwrap_err();
    assert!(e[0].message.contains("too large"), "{}", e[0]);
}

/// The straightforward reading of the rules: each rule's regex on its
/// own, its word limit, then precedence. The engine must agree with it.
fn reference(text: &str, with_defaults: bool) -> impl Fn(&[u8], u32) -> Option<u32> {
    let mut specs = Vec::new();
    if with_defaults {
        specs.extend(
            file::parse_all("<default>", DEFAULT_RULES.as_bytes())
                .0
                .rules,
        );
    }
    specs.extend(file::parse_all("t", text.as_bytes()).0.rules);
    let set = RuleSet::build(
        with_defaults,
        &[RuleSource {
            path: "t".into(),
            bytes: text.as_bytes(),
        }],
        Preset::Balanced,
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    let compiled: Vec<(regex::bytes::Regex, Rule)> = specs
        .iter()
        .zip(set.rules())
        .map(|(spec, rule)| {
            assert_eq!(spec.id, rule.id);
            (
                regex::bytes::Regex::new(&pattern_regex(spec)).unwrap(),
                rule.clone(),
            )
        })
        .collect();
    move |line: &[u8], words: u32| {
        let mut best: Option<(Action, u32)> = None;
        for (i, (regex, rule)) in compiled.iter().enumerate() {
            if rule.max_words.is_none_or(|m| words <= m) && regex.is_match(line) {
                let key = (rule.action, i as u32);
                best = Some(best.map_or(key, |b| b.min(key)));
            }
        }
        best.map(|(_, i)| i)
    }
}

/// Lines built around every phrase of the default rules (in other case,
/// decorated, counted, inside prose, cut short), the seed pages, and
/// odd bytes.
fn probe_lines() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let (file, _) = file::parse_all("<default>", DEFAULT_RULES.as_bytes());
    for spec in &file.rules {
        for p in &spec.patterns {
            let upper = p.to_uppercase();
            let kelvin = p.replace('k', "\u{212A}").replace('s', "\u{17F}");
            for variant in [p.clone(), upper, kelvin, p.to_lowercase()] {
                out.push(variant.clone().into_bytes());
                out.push(format!("» {variant} (12)").into_bytes());
                out.push(format!("{variant}:").into_bytes());
                out.push(format!("  {variant}\t").into_bytes());
                out.push(
                    format!("The report said {variant} was fine, officials added.").into_bytes(),
                );
                out.push(format!("3 {variant}").into_bytes());
                let mut bytes = variant.clone().into_bytes();
                bytes.truncate(bytes.len().saturating_sub(1));
                out.push(bytes);
            }
        }
    }
    let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seeds");
    for entry in std::fs::read_dir(seeds).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        out.extend(bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec));
    }
    for odd in [
        &b""[..],
        b"\xff\xfe Home",
        b"Home\xc3",
        b"\xe2\x80\x94 Menu \xe2\x80\x94",
        b"5 min read",
        b"3 hours ago",
        b"March 3, 2024",
        b"\x00\x01",
        b"Politics (12)",
        b"Power Banks\t(1,158) ",
        b"Archives (2023)",
        b"We met (9 of us) at noon (12)",
    ] {
        out.push(odd.to_vec());
    }
    out
}

#[test]
fn engine_agrees_with_one_regex_per_rule() {
    let extra = "drop u regex (?i)\\bcaf\u{e9}\\b\n\
                 keep k contains Home page\n\
                 drop n regex \\d{3}\n\
                 cut c prefix words<=4 See also\n\
                 drop ua regex ^(?i)\u{e9}lan\\b\n";
    let set = RuleSet::build(
        true,
        &[RuleSource {
            path: "t".into(),
            bytes: extra.as_bytes(),
        }],
        Preset::Balanced,
    )
    .unwrap();
    let want = reference(extra, true);
    let mut lines = probe_lines();
    lines.push("Un café noir".as_bytes().to_vec());
    lines.push("Un cafébar".as_bytes().to_vec());
    // A Unicode word boundary next to non-ASCII text: the lazy DFA of
    // the anchored rules cannot decide it and hands over to the PikeVM.
    lines.push("ÉLAN vital".as_bytes().to_vec());
    lines.push("élané".as_bytes().to_vec());
    let mut checked = 0;
    let mut matched = 0;
    for line in &lines {
        let words = count_words(line);
        for w in [words, words + 40, 1000] {
            let got = set.match_line(line, w);
            assert_eq!(
                got,
                want(line, w),
                "line {:?} with {w} words",
                String::from_utf8_lossy(line)
            );
            checked += 1;
            matched += got.is_some() as usize;
        }
    }
    assert!(
        checked > 10_000 && matched > checked / 10,
        "{matched} of {checked}"
    );
}

/// The searches over many lines at once find, in every line, what the
/// searches of that line alone find, whatever the batch (the last
/// lines of a batch go one at a time), and the rules then decide alike.
#[test]
fn presearch_agrees_with_one_line_at_a_time() {
    let set = RuleSet::builtin();
    let engine = &set.engine;
    let (Some(literals @ Literals::Table(_)), Some(anchored)) =
        (&engine.literals, &engine.anchored)
    else {
        panic!("the built-in rules have literals and anchored rules");
    };
    let lines = probe_lines();
    let mut cache = anchored.regex.create_cache();
    let want: Vec<Presearch> = lines
        .iter()
        .map(|l| Presearch {
            anchored: Some(anchored.regex.is_match(&mut cache, l)),
            literal: literals
                .first_end(l)
                .map_or(LiteralEnd::None, LiteralEnd::At),
        })
        .collect();
    let count = |f: &dyn Fn(&Presearch) -> bool| want.iter().filter(|p| f(p)).count();
    let (with_literal, anchored_matches) = (
        count(&|p| matches!(p.literal, LiteralEnd::At(_))),
        count(&|p| p.anchored == Some(true)),
    );
    assert!(
        with_literal > lines.len() / 20,
        "{with_literal} of {}",
        lines.len()
    );
    assert!(
        anchored_matches > lines.len() / 20,
        "{anchored_matches} of {}",
        lines.len()
    );
    for batch in [1, 2, 3, 4, 5, 7, 9, 64, lines.len()] {
        let mut got = vec![Presearch::default(); lines.len()];
        for (first, chunk) in lines.chunks(batch).enumerate() {
            let indexed = chunk
                .iter()
                .enumerate()
                .map(|(k, l)| (first * batch + k, &l[..], 1));
            set.presearch(indexed, &mut got);
        }
        for (k, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g.literal, w.literal, "batches of {batch}, line {k}");
            // A line the in-step search could not decide is left to
            // the line's own search.
            assert!(g.anchored.is_none_or(|m| Some(m) == w.anchored), "line {k}");
        }
    }
    for (line, &found) in lines.iter().zip(&want) {
        let words = count_words(line);
        assert_eq!(
            set.match_line_with(line, words, found),
            set.match_line(line, words)
        );
    }
}

/// An anchored automaton of `patterns` (reporting all that match) with a
/// lazy DFA cache of `capacity` bytes.
fn anchored_automaton(patterns: &[&str], capacity: usize) -> Automaton {
    let hirs: Vec<Hir> = patterns
        .iter()
        .map(|p| regex_syntax::parse(p).unwrap())
        .collect();
    let refs: Vec<&Hir> = hirs.iter().collect();
    Automaton::build(&refs, true, MatchKind::All, capacity).unwrap()
}

/// Which anchored patterns match a line, stepped through the lazy DFA, is
/// what the PikeVM's overlapping search finds: patterns ending before the
/// end, at the end (`$`), several at once, and lines the lazy DFA quits on
/// (a Unicode word boundary next to non-ASCII text).
#[test]
fn anchored_which_patterns_match_as_the_pikevm_finds() {
    let patterns = [
        r"(?i)^\W*(share|comments?|read more|related posts?)\b",
        r"^\d{1,2} (min|minutes?|hours?|days?) ago\b",
        r"^[^.!?]{0,50}:\s*$",
        r"(?i)^(photo|image|credit)s?:",
        r"(?i)^share",
        r"^\S+$",
        r"(?i)^\W*home\W*$",
    ];
    let automaton = anchored_automaton(&patterns, 1 << 20);
    let pikevm = regex_automata::nfa::thompson::pikevm::PikeVM::builder()
        .configure(
            regex_automata::nfa::thompson::pikevm::PikeVM::config().match_kind(MatchKind::All),
        )
        .build_many(&patterns)
        .unwrap();
    let mut vm_cache = pikevm.create_cache();
    let mut cache = automaton.create_cache();
    let mut lines = probe_lines();
    lines.extend(
        [
            &b"Share this story"[..],
            b"Shares: 12",
            b"12 minutes ago",
            b"Photos: AP",
            b"Home",
            b" \xc2\xbb Home \xc2\xab",
            b"Share\xc3\xa9",
            b"Related posts\xe2\x80\xa6",
        ]
        .map(<[u8]>::to_vec),
    );
    let mut matched_some = 0;
    for line in &lines {
        let mut bits = [0u64; 1];
        let mut set = None;
        automaton.which_bits(&mut cache, &mut set, line, &mut bits);
        let mut want = regex_automata::PatternSet::new(patterns.len());
        let input = regex_automata::Input::new(line).anchored(regex_automata::Anchored::Yes);
        pikevm.which_overlapping_matches(&mut vm_cache, &input, &mut want);
        let want = want.iter().fold(0u64, |b, p| b | 1 << p.as_usize());
        assert_eq!(bits[0], want, "{:?}", String::from_utf8_lossy(line));
        matched_some += usize::from(want.count_ones() > 1);
    }
    assert!(
        matched_some > 10,
        "{matched_some} lines matched several patterns"
    );
}

/// With a lazy DFA cache so small that it is cleared again and again,
/// the anchored search in step still decides every line as the search
/// of one line at a time does, or leaves it undecided.
#[test]
fn anchored_search_in_step_survives_cache_clears() {
    let patterns = [
        r"(?i)^\W*(share|comments?|read more|related posts?)\b",
        r"^\d{1,2} (min|minutes?|hours?|days?) ago\b",
        r"^[^.!?]{0,50}:\s*$",
        r"(?i)^(photo|image|credit)s?:",
    ];
    let automaton = anchored_automaton(&patterns, 64 * 1024);
    let lines = probe_lines();
    let mut cache = automaton.create_cache();
    let want: Vec<bool> = lines
        .iter()
        .map(|l| automaton.is_match(&mut cache, l))
        .collect();
    let mut cache = automaton.create_cache();
    let mut got = vec![None; lines.len()];
    let indexed = lines.iter().enumerate().map(|(i, l)| (i, &l[..]));
    automaton.matches_in_step(&mut cache, indexed, |i, m| got[i] = Some(m));
    assert!(
        cache.dfa.clear_count() > 100,
        "{} clears",
        cache.dfa.clear_count()
    );
    let decided = got.iter().flatten().count();
    assert!(decided > lines.len() / 4, "{decided} of {}", lines.len());
    assert!(want.iter().filter(|&&m| m).count() > 20);
    for (k, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!(
            g.is_none_or(|m| m == *w),
            "line {k}: {:?}",
            String::from_utf8_lossy(&lines[k])
        );
    }
}

#[test]
fn clones_share_the_compiled_rules_and_work_from_threads() {
    let set = RuleSet::builtin();
    let line = b"Skip to content";
    let want = set.match_line(line, 3);
    assert!(want.is_some());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            let clone = set.clone();
            let shared = &set;
            scope.spawn(move || {
                for _ in 0..1000 {
                    assert_eq!(clone.match_line(line, 3), want);
                    // One clone used by several threads at once is slower
                    // but still right.
                    assert_eq!(shared.match_line(line, 3), want);
                }
            });
        }
    });
    assert!(Arc::ptr_eq(&set.engine, &set.clone().engine));
}

#[test]
fn rules_too_large_together_name_their_file_and_the_fix() {
    // Each rule is small enough alone, the rules together are not. With
    // the real limit this takes 400 such rules (and seconds); the
    // mechanism is the same. Unanchored rules compile one by one and are
    // summed; rules anchored at a line's start compile as one automaton,
    // whose compiler gives up past the limit (10,000 `line` rules did at
    // the real one): the same error either way, never `<rules>`.
    for anchor in ["", "^"] {
        let text: String = (0..10)
            .map(|i| format!("drop r{i} regex {anchor}\\w{{35}}x{i}\n"))
            .collect();
        let sources = [RuleSource {
            path: "t".into(),
            bytes: text.as_bytes(),
        }];
        let limit = 4 * 1024 * 1024;
        assert!(RuleSet::build_within(false, &sources[..], Preset::Balanced, limit * 100).is_ok());
        let e = RuleSet::build_within(false, &sources[..], Preset::Balanced, limit).unwrap_err();
        assert_eq!(e.len(), 1, "{anchor}: {e:?}");
        // No line is at fault: the error names the file and says how to fix it.
        let message = e[0].to_string();
        assert!(
            message
                .starts_with("t: the rules are each within the size limit, but together too large"),
            "{message}"
        );
        assert!(message.contains("rules: 10 from t)"), "{message}");
        assert!(message.contains("to fix it,"), "{message}");
    }
}

#[test]
fn a_line_not_in_utf8_gets_a_fix_that_works() {
    // The hint once suggested `(?-u)\xFF`, which a rule refuses (a rule
    // must not match invalid UTF-8); what it suggests now must build.
    let e = RuleSet::build(
        false,
        &[RuleSource {
            path: "t.rules".into(),
            bytes: b"drop a line caf\xe9\n",
        }],
        Preset::Balanced,
    )
    .unwrap_err();
    let message = e[0].to_string();
    assert!(message.starts_with("t.rules:1: invalid UTF-8"), "{message}");
    assert!(message.contains("save the file as UTF-8"), "{message}");
    let suggested = r"caf\x{E9}";
    assert!(message.contains(suggested), "{message}");
    assert!(!message.contains("(?-u)"), "{message}");
    let rules = set(&format!("drop a regex {suggested}\n"));
    assert_eq!(decide(&rules, "Le café"), Some("a".into()));
}

/// The automaton for literals too many for a DFA (which the built-in
/// rules never need) finds what the DFA finds.
#[test]
fn both_literal_automata_find_the_same() {
    let patterns: Vec<Vec<u8>> = [
        "cookie",
        "cookies",
        "ago",
        "he",
        "she",
        "hers",
        "дд",
        "\u{212A}ick",
        "read more",
    ]
    .iter()
    .map(|p| p.as_bytes().to_vec())
    .collect();
    let (Ok(dfa @ Literals::Table(_)), Ok(other @ Literals::Other(_))) =
        (Literals::build(&patterns), Literals::build_other(&patterns))
    else {
        panic!("a DFA and the other automaton");
    };
    let hits = |literals: &Literals, line: &[u8], from: usize| {
        let mut found = Vec::new();
        literals.each_overlapping(line, from, |p| found.push(p));
        found.sort_unstable();
        found
    };
    let mut lines = probe_lines();
    lines.push(b"She said hers, he said ushers: COOKIES 3 days AGO".to_vec());
    lines.push("Дд \u{212A}ick read   more READ MORE".as_bytes().to_vec());
    let mut with_hits = 0;
    for line in &lines {
        assert_eq!(dfa.first_end(line), other.first_end(line), "{line:?}");
        for from in [0, 1, line.len() / 2, line.len()] {
            let found = hits(&dfa, line, from);
            assert_eq!(found, hits(&other, line, from), "{line:?} from {from}");
            with_hits += usize::from(!found.is_empty());
        }
    }
    assert!(with_hits > 100, "{with_hits}");
}

#[test]
fn builtin_rules_compile() {
    let set = RuleSet::builtin();
    assert!(!set.rules().is_empty());
}

#[test]
fn builtin_rules_on_lines_they_must_and_must_not_take() {
    let set = RuleSet::builtin();
    let table: &[(&str, Option<&str>)] = &[
        // A double arrow leads a promo; not a Python prompt.
        ("» Lanyards and wristbands", Some("arrow-promo")),
        (
            ">> Protests reveal contrasts in the economy",
            Some("arrow-promo"),
        ),
        (">>> import this", None),
        (">>> session.commit()", None),
        // Single arrows are left to the classifier: article bullets
        // and a how-to page's links as often as promos.
        ("→ Tips for filing legal documents", None),
        ("► Office accessories", None),
        ("Skip to content", Some("skip-link")),
        ("Über uns", Some("nav-site")),
        // The menu words in languages beyond the first seventeen, as
        // whole lines only.
        ("Головна", Some("nav-home")),
        ("» Trang chủ", Some("nav-home")),
        ("Αναζήτηση", Some("nav-search")),
        ("تسجيل الدخول", Some("nav-account")),
        ("Baca selengkapnya »", Some("read-more")),
        ("और पढ़ें", Some("read-more")),
        ("Baca juga: Harga emas naik lagi", Some("inline-promo")),
        ("Hirdetés", Some("advertisement")),
        ("Trang chủ của chúng tôi có nhiều bài viết mới.", None),
        ("Cari tahu cara membuat kue yang lezat di rumah", None),
        ("gegenüber dem Rathaus", None),
        ("Все права защищены.", Some("all-rights")),
        // Text that forum, Q&A and consent software writes on every
        // page it serves; the same words in an article's own sentence
        // are left alone.
        (
            "You are using an out of date browser. It may not display this or other websites correctly.",
            Some("outdated-browser"),
        ),
        ("Which browser should you upgrade to in 2024?", None),
        (
            "You must log in or register to reply here.",
            Some("login-to-reply"),
        ),
        // The software writes them at the start of a line: quoted in
        // an article's sentence, they stay.
        (
            "Users complained that you must log in or register to reply here.",
            None,
        ),
        (
            "To learn more, see our tips on writing great answers.",
            Some("qa-answer-box"),
        ),
        (
            "Highest score (default) Date modified (newest first)",
            Some("qa-sort"),
        ),
        ("asked 3 years, 2 months ago", Some("qa-meta")),
        ("Viewed 12k times", Some("qa-meta")),
        ("He asked 3 years ago whether it would work.", None),
        (
            "Add a comment | Show 2 more comments",
            Some("qa-more-comments"),
        ),
        (
            "Store and/or access information on a device 120 partners can use this purpose",
            Some("consent-purposes"),
        ),
        ("Measure content performance", Some("consent-purposes")),
        (
            "Speichern von oder Zugriff auf Informationen auf einem Endgerät",
            Some("consent-purposes"),
        ),
        (
            "Estás usando un navegador obsoleto. Puede que no muestre este u otros sitios web correctamente.",
            Some("outdated-browser"),
        ),
        (
            "Measure content performance before and after the redesign.",
            None,
        ),
        (
            "These cookies are necessary for the website to function and cannot be switched off in our systems.",
            Some("cookie-categories"),
        ),
        ("These cookies were baked with brown butter.", None),
        ("Targeting Cookies", Some("cookie-category-names")),
        ("Always Active", Some("cookie-category-names")),
        ("Official websites use .gov", Some("gov-banner")),
        ("Here’s how you know", Some("gov-banner-short")),
        (
            "Here’s how you know the bread is done: tap the bottom.",
            None,
        ),
        (
            "This field is for validation purposes and should be left unchanged.",
            Some("form-honeypot"),
        ),
        ("Δ", Some("honeypot-delta")),
        ("Δ is the change in pressure.", None),
        (
            "Sorry, your browser doesn’t support embedded videos.",
            Some("no-script"),
        ),
        // A forum's member panel and post furniture, in any case and
        // with a space before the colon (French); a sentence that
        // starts with the same word is left alone.
        ("Posts: 1,077", Some("forum-member-stats")),
        ("Reaction score: 12", Some("forum-member-stats")),
        ("Messages : 3,4k", Some("forum-member-stats")),
        ("25,064 posts · Joined 2007", Some("forum-member-stats")),
        ("Points: the case for a flat tax.", None),
        ("Reactions: Bagabaga and slow-poke", Some("forum-reactions")),
        ("2024-01-02 12:34:56 +01:00", Some("timestamp-alone")),
        ("2024-01-02T12:34:56Z", Some("timestamp-alone")),
        ("2024-01-02 12:34 was the last reading", None),
        ("Report Abuse", Some("report-abuse")),
        ("Missbrauch melden", Some("report-abuse")),
        ("Report abuse to the police at once.", None),
        ("Expand all", Some("ui-expand-all")),
        (
            "Use precise geolocation data. Actively scan device characteristics for identification. Store and/or access information on a device.",
            Some("consent-notice"),
        ),
        (
            "12.3k 5 5 gold badges 40 40 silver badges 60 60 bronze badges",
            Some("qa-user-badges"),
        ),
        ("Was this article helpful? Yes No", Some("feedback-widget")),
        (
            "¿Te ha resultado útil este artículo?",
            Some("feedback-widget"),
        ),
        ("Was this article helpful to the team? We asked them.", None),
        ("Thanks for your feedback!", Some("feedback-thanks")),
        (
            "Tax included. Shipping calculated at checkout.",
            Some("shop-checkout-note"),
        ),
        (
            "inkl. MwSt. Versand wird beim Checkout berechnet",
            Some("shop-checkout-note"),
        ),
        (
            "Shipping is calculated at checkout from the parcel's weight.",
            None,
        ),
        (
            "Be the first to review “Stoneware mug”",
            Some("review-prompt"),
        ),
        (
            "Average rating 4.7 / 5. Vote count: 23",
            Some("rating-average"),
        ),
        (
            "You signed in with another tab or window. Reload to refresh your session.",
            Some("github-session"),
        ),
    ];
    for &(line, want) in table {
        assert_eq!(decide(&set, line).as_deref(), want, "{line}");
    }
}

/// The second-word check: any ASCII case, other bytes as they are, at
/// either end of the line, whichever byte of the word it looks for first.
#[test]
fn second_word_check_is_ascii_caseless() {
    let holds = |line: &[u8], word: &[u8]| super::engine::Needle::new(word).is_in(line);
    for (line, word, want) in [
        ("Save my name in this BROWSER", "browser", true),
        ("browser", "browser", true),
        ("Browsers", "browser", true),
        ("brow ser", "browser", false),
        ("browse", "browser", false),
        ("", "browser", false),
        ("Ihre E-Mail-Adresse", "adresse", true),
        ("ADRESſE", "adresſe", true),
        ("ADRESSE", "adresſe", false),
        ("Ваш адрес", "адрес", true),
        ("ВАШ АДРЕС", "адрес", false),
        ("leave a reply", "a reply", true),
        ("leave A  reply", "a reply", false),
        ("x9", "x9", true),
        ("9x", "x9", false),
        ("kk", "kkk", false),
    ] {
        assert_eq!(
            holds(line.as_bytes(), word.as_bytes()),
            want,
            "{line:?} {word:?}"
        );
    }
}
