//! The fast scans checked against their by-character definitions, and the
//! document passes on small tables.

use super::scan::{block_masks, block_masks_by_byte, scan_any, scan_blocks};
use super::tokens::{
    ASCII_CLASS, WORDS_DIFFER, class_of, load_short, other_class, short_token_classes,
    short_token_classes_by_byte, trim_white,
};
use super::*;
use crate::text::{count_words, decode_char, is_unspaced_script};

/// The block scan against the character-by-character definition, on
/// random lines from an alphabet with every class and special case:
/// word runs with digits and `_`, sentence ends, `$`, `://`, bullets,
/// numbering, long tokens; and, for lines beyond ASCII, letters of
/// other scripts (cased, unspaced, numeric), Unicode spaces, dashes,
/// quotes, currency, full-width punctuation and invalid bytes, with
/// characters split across 64-byte blocks.
fn assert_block_scan_agrees(alphabet: &[&[u8]], ascii: bool, seed: u64) {
    let mut state = seed;
    let mut next = move || xorshift(&mut state);
    let mut line = Vec::new();
    let mut beyond_ascii = 0;
    for round in 0..20_000 {
        line.clear();
        // Every third line long enough to span several 64-byte blocks.
        let pieces = next() % if round % 3 == 0 { 90 } else { 24 };
        for _ in 0..pieces {
            line.extend_from_slice(alphabet[(next() % alphabet.len() as u64) as usize]);
        }
        if round % 500 == 0 {
            line.extend(std::iter::repeat_n(b'7', 300));
            line.extend_from_slice(b"x_");
            line.extend(std::iter::repeat_n(b'a', 260));
        }
        let text = trim_white(&line);
        if ascii {
            assert!(text.is_ascii(), "{}", text.escape_ascii());
        }
        beyond_ascii += usize::from(!text.is_ascii());
        let (mut blocks, mut any) = (LineScan::default(), LineScan::default());
        let (mut block_sets, mut any_sets) = (StopWords::default(), StopWords::default());
        let (digit_blocks, other_classes) = scan_blocks(text, &mut blocks, &mut block_sets);
        // Tokens are count_words' words unless a character says otherwise.
        if other_classes & WORDS_DIFFER == 0 && !text.contains(&b'\x0b') {
            assert_eq!(blocks.tokens, count_words(text), "{}", text.escape_ascii());
        }
        let digit_any = scan_any(text, &mut any, stopwords::table(), &mut any_sets);
        // scan_any counts the words as count_words does; scan_line
        // calls count_words before the block scan.
        blocks.words = count_words(text);
        assert_eq!(blocks, any, "{}", text.escape_ascii());
        assert_eq!(block_sets.sets, any_sets.sets);
        assert_eq!(digit_blocks, digit_any);
    }
    // The alphabet beyond ASCII gives such lines (most of them).
    assert!(ascii || beyond_ascii > 10_000, "{beyond_ascii}");
}

const ASCII_PIECES: &[&[u8]] = &[
    b"a",
    b"B",
    b"7",
    b"_",
    b" ",
    b"  ",
    b"\t",
    b".",
    b"!",
    b"?",
    b",",
    b"|",
    b"/",
    b"$",
    b"://",
    b"-",
    b"*",
    b">",
    b"(",
    b")",
    b"1.",
    b"x",
    b"the",
    b"Copyright",
    b"@",
    b"www.",
    b".com",
    b"2024-05-01",
    b"ago",
    b"USD",
];

#[test]
fn block_scan_agrees_with_the_general_one_on_ascii() {
    assert_block_scan_agrees(ASCII_PIECES, true, 0x853c_49e6_748f_ea9b);
}

#[test]
fn block_scan_agrees_with_the_general_one_beyond_ascii() {
    let mut alphabet: Vec<&[u8]> = ASCII_PIECES.to_vec();
    alphabet.extend([
        "é".as_bytes(),
        "É".as_bytes(),
        "ü".as_bytes(),
        "Привет".as_bytes(),
        "и".as_bytes(),
        "中文".as_bytes(),
        "ไทย".as_bytes(),
        "Ⅻ".as_bytes(),
        "٣".as_bytes(),
        "😀".as_bytes(),
        "\u{a0}".as_bytes(),
        "\u{3000}".as_bytes(),
        "\u{2009}".as_bytes(),
        "\u{85}".as_bytes(),
        "\x0b".as_bytes(),
        "—".as_bytes(),
        "–".as_bytes(),
        "’".as_bytes(),
        "“".as_bytes(),
        "…".as_bytes(),
        "。".as_bytes(),
        "！".as_bytes(),
        "？".as_bytes(),
        "，".as_bytes(),
        "、".as_bytes(),
        "·".as_bytes(),
        "•".as_bytes(),
        "»".as_bytes(),
        "©".as_bytes(),
        "€".as_bytes(),
        "ſ".as_bytes(),
        b"\xff",
        b"\xe3\x80",
        b"\xc3",
        b"\x80",
    ]);
    assert_block_scan_agrees(&alphabet, false, 0x2545_f491_4f6c_dd1d);
}

#[test]
fn language_counts_equal_a_count_per_bit() {
    let sets: Vec<LanguageSet> = (0..300u32)
        .map(|i| {
            let x = u128::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835);
            x ^ (x >> 61) ^ if i % 7 == 0 { u128::MAX } else { 0 }
        })
        .collect();
    let ids: Vec<SetId> = (0..3000u32).map(|i| ((i * 7919) % 300) as SetId).collect();
    let mut want = [0u32; 128];
    for &id in &ids {
        for (l, count) in want.iter_mut().enumerate() {
            *count += u32::from((sets[usize::from(id)] >> l) & 1 == 1);
        }
    }
    let mut counts = Vec::new();
    assert_eq!(count_languages(&ids, &sets, &mut counts), want);
    assert!(counts.iter().all(|&c| c == 0));
    assert_eq!(count_languages(&[], &sets, &mut counts), [0; 128]);
}

#[test]
fn window_log_means_equal_the_logarithm() {
    for lines in 1..=8 {
        for words in (0..600).chain([5000, u32::MAX]) {
            let words = words as f32;
            let want = (words / lines as f32).ln_1p();
            assert_eq!(
                log_mean(words, lines).to_bits(),
                want.to_bits(),
                "{words} {lines}"
            );
        }
    }
    assert_eq!(log_mean(2.5, 2).to_bits(), 1.25f32.ln_1p().to_bits());
}

#[test]
fn log_count_table_equals_the_logarithm() {
    for n in (0..600).chain([u32::MAX]) {
        assert_eq!(log_count(n).to_bits(), (n as f32).ln_1p().to_bits(), "{n}");
    }
}

#[test]
fn word_counts() {
    let table: &[(&str, u32)] = &[
        ("", 0),
        ("   ", 0),
        ("one", 1),
        ("  two words  ", 2),
        ("Share on Facebook", 3),
        ("a\u{a0}b", 2),
        ("中国人民", 2),
        ("中国人民银行", 3),
        ("iPhone 15 发布会", 4),
        ("สวัสดีครับ", 5),
        ("Привет, мир!", 2),
    ];
    for &(line, want) in table {
        assert_eq!(count_words(line.as_bytes()), want, "{line:?}");
    }
}

#[test]
fn ascii_word_count_agrees_with_a_count_by_character() {
    // Every mix of a few bytes, white space included (the vertical tab
    // is not white space).
    let alphabet = [b'a', b' ', b'\t', b'\x0b', b'\r', b'\n', b'\x0c', b'.'];
    let mut line = Vec::new();
    for n in 0..8u32.pow(5) {
        line.clear();
        let mut k = n;
        for _ in 0..5 {
            line.push(alphabet[(k % 8) as usize]);
            k /= 8;
        }
        assert_eq!(count_words(&line), count_words_by_char(&line), "{line:?}");
    }
    // Lines across the 16-byte chunks, runs crossing chunk borders.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..20_000 {
        xorshift(&mut state);
        let len = (state % 70) as usize;
        line.clear();
        line.extend((0..len).map(|k| alphabet[((state >> (k % 60)) % 8) as usize]));
        assert_eq!(count_words(&line), count_words_by_char(&line), "{line:?}");
    }
}

/// `count_words` character by character, without its ASCII chunks.
fn count_words_by_char(line: &[u8]) -> u32 {
    let (mut words, mut unspaced) = (0u32, 0u32);
    let (mut in_token, mut spaced) = (false, false);
    let mut i = 0;
    while i < line.len() {
        let (c, len) = decode_char(line, i);
        i += len;
        if c.is_ascii_whitespace() || c == '\u{a0}' || c == '\u{3000}' {
            words += u32::from(in_token && spaced);
            (in_token, spaced) = (false, false);
        } else if !c.is_ascii() && is_unspaced_script(c) {
            unspaced += 1;
            in_token = true;
        } else {
            (in_token, spaced) = (true, true);
        }
    }
    words + u32::from(in_token && spaced) + unspaced.div_ceil(2)
}

#[test]
fn word_count_chunks_agree_with_a_count_by_character() {
    let pieces: &[&str] = &[
        "a",
        "word",
        " ",
        "  ",
        "\t",
        "\u{a0}",
        "\u{3000}",
        "中",
        "文字",
        "ไทย",
        "é",
        "—",
        "\x0b",
        "abcdefghijklmnop",
        "                ",
        "x y z w v u t s ",
    ];
    let mut state = 0x1234_5678_9abc_def1u64;
    let mut line = Vec::new();
    for _ in 0..30_000 {
        xorshift(&mut state);
        line.clear();
        for k in 0..(state % 12) {
            let piece = pieces[((state >> (5 * k)) % pieces.len() as u64) as usize];
            line.extend_from_slice(piece.as_bytes());
        }
        if state.is_multiple_of(13) {
            line.push(0xff);
        }
        assert_eq!(
            count_words(&line),
            count_words_by_char(&line),
            "{:?}",
            String::from_utf8_lossy(&line)
        );
    }
}

#[test]
fn decode_survives_bad_bytes() {
    for bad in [
        &b"\xff"[..],
        b"\xc3",
        b"\xe2\x82",
        b"\xc0\x80",
        b"\xed\xa0\x80",
    ] {
        assert_eq!(decode_char(bad, 0), (char::REPLACEMENT_CHARACTER, 1));
    }
    assert_eq!(decode_char("é".as_bytes(), 0), ('é', 2));
    assert_eq!(count_words(b"a \xff\xfe b"), 3);
}

#[test]
fn block_masks_agree_with_a_byte_by_byte_count() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for round in 0..2_000 {
        let mut block = [0u8; 64];
        for b in block.iter_mut() {
            // Half the rounds any byte, half ASCII (what lines hold).
            let r = xorshift(&mut state);
            *b = if round % 2 == 0 {
                r as u8
            } else {
                (r % 128) as u8
            };
        }
        assert_eq!(
            block_masks(&block),
            block_masks_by_byte(&block),
            "{block:?}"
        );
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            let avx2 = unsafe { super::scan::block_masks_avx2(&block) };
            assert_eq!(avx2, block_masks_by_byte(&block), "{block:?}");
        }
    }
}

#[test]
fn ascii_table_agrees_with_char_methods() {
    for b in 0..128u8 {
        assert_eq!(ASCII_CLASS[b as usize], class_of(b as char), "{b}");
    }
}

#[test]
fn class_pages_agree_with_char_methods() {
    // Beyond the pages too: astral characters go to class_of itself.
    for c in '\u{80}'..='\u{10FFF}' {
        assert_eq!(other_class(c), class_of(c), "{:?} U+{:04X}", c, c as u32);
    }
}

/// The sixteen-byte read of a short token, wherever it sits in its line
/// (start, middle, end, a line under sixteen bytes), is the token
/// zero-padded; its byte classes agree with a byte-by-byte count.
#[test]
fn short_tokens_load_and_classify_like_bytes() {
    let mut state = 0x2545_f491_4f6c_dd1d;
    let alphabet = b"aZ09@.-_$Q x";
    for line_len in 1..40 {
        let line: Vec<u8> = (0..line_len)
            .map(|_| alphabet[(xorshift(&mut state) % alphabet.len() as u64) as usize])
            .collect();
        for start in 0..line_len {
            for end in start + 1..=line_len.min(start + 16) {
                let mut padded = [0u8; 16];
                padded[..end - start].copy_from_slice(&line[start..end]);
                let bytes = load_short(&line, start, end);
                assert_eq!(
                    bytes,
                    u128::from_le_bytes(padded),
                    "{line:?} {start}..{end}"
                );
                assert_eq!(
                    short_token_classes(bytes),
                    short_token_classes_by_byte(bytes),
                    "{line:?} {start}..{end}"
                );
            }
        }
    }
}

fn scan(line: &str) -> LineScan {
    scan_line(line.as_bytes(), &mut StopWords::default())
}

#[test]
fn line_scan_counts() {
    let s = scan("The cat sat on the mat, twice: 2 times!");
    assert_eq!(s.tokens, 9);
    assert_eq!(s.words, 9);
    assert_eq!(s.word_runs, 9);
    assert_eq!(s.numeric_runs, 1);
    assert_eq!(s.digits, 1);
    assert_eq!(s.commas, 1);
    assert_eq!(s.sentence_ends, 1);
    assert_eq!((s.title_tokens, s.alpha_tokens), (1, 8));
    assert!(s.stop_tokens >= 3, "the, on, the: {}", s.stop_tokens);
    assert!(s.has(flag::ENDS_TERMINAL));
    assert!(!s.has(flag::STARTS_LOWER));
}

#[test]
fn line_scan_flags() {
    // (line, flag, expected)
    let table: &[(&str, u16, bool)] = &[
        ("Read more...", flag::ENDS_ELLIPSIS, true),
        ("Read more…", flag::ENDS_ELLIPSIS, true),
        ("Read more...", flag::ENDS_TERMINAL, false),
        ("Contents:", flag::ENDS_COLON, true),
        ("他说。", flag::ENDS_TERMINAL, true),
        ("• First item", flag::STARTS_BULLET, true),
        ("1. First item", flag::STARTS_BULLET, true),
        ("(12) First item", flag::STARTS_BULLET, true),
        ("2024 was a year", flag::STARTS_BULLET, false),
        ("see https://example.org/x", flag::HAS_URL, true),
        ("www.example.com", flag::HAS_URL, true),
        ("example.com", flag::HAS_URL, true),
        ("mail me: jane@example.org", flag::HAS_EMAIL, true),
        ("@jane on X", flag::HAS_EMAIL, false),
        ("© 2024 Acme", flag::HAS_COPYRIGHT, true),
        ("Copyright Acme", flag::HAS_COPYRIGHT, true),
        ("$19.99", flag::HAS_PRICE, true),
        ("12,99 €", flag::HAS_PRICE, true),
        ("12,99€", flag::HAS_PRICE, true),
        ("Price in $", flag::HAS_PRICE, false),
        ("March 5, 2024", flag::DATE_LIKE, true),
        ("2024-03-05", flag::DATE_LIKE, true),
        ("05/03/24", flag::DATE_LIKE, true),
        ("3 hours ago", flag::DATE_LIKE, true),
        ("March on, soldiers", flag::DATE_LIKE, false),
        ("1.5.2.4", flag::DATE_LIKE, false),
        ("version 1.2", flag::DATE_LIKE, false),
        ("ja, wirklich", flag::STARTS_LOWER, true),
    ];
    for &(line, bit, want) in table {
        assert_eq!(scan(line).has(bit), want, "{line:?}");
    }
    // A stray continuation byte after a full stop is a character of its
    // own: the line does not end in the full stop.
    let stray: &[u8] = "他说。".as_bytes();
    assert!(scan_line(stray, &mut StopWords::default()).has(flag::ENDS_TERMINAL));
    let stray = [stray, b"\x80"].concat();
    assert!(!scan_line(&stray, &mut StopWords::default()).has(flag::ENDS_TERMINAL));
}

#[test]
fn a_giant_line_keeps_few_stop_word_sets_and_scales_its_density() {
    let line = "the cat ".repeat(10_000);
    let f = rows(&[(&line, U)]);
    assert_eq!(f.stops.sets.len(), MAX_STOP_SETS_PER_LINE as usize);
    assert!((feature(&f, 0, "stop_density") - 0.5).abs() < 1e-3);
}

#[test]
fn stop_word_hits_are_recorded_per_line() {
    let mut sets = StopWords::default();
    let a = scan_line(b"the cat and the dog", &mut sets);
    let b = scan_line("и он сказал".as_bytes(), &mut sets);
    assert_eq!(a.stop_start, 0);
    assert_eq!(b.stop_start, a.stop_tokens);
    assert_eq!(sets.sets.len() as u32, a.stop_tokens + b.stop_tokens);
}

/// Feature rows of a document given as (line, rule) pairs; blank lines
/// are "" (and, as in the cleaner, never pushed: no feature sees them).
fn rows(doc: &[(&str, RuleMark)]) -> FeatureScratch {
    let mut f = FeatureScratch::default();
    f.begin();
    for &(line, rule) in doc {
        if !line.is_empty() {
            f.push(line.as_bytes());
            f.mark(f.len() - 1, rule);
        }
    }
    f.finish();
    f
}

fn feature(f: &FeatureScratch, row: usize, name: &str) -> f32 {
    let at = FEATURE_NAMES.iter().position(|n| *n == name).unwrap();
    let mut values = [0.0; FEATURE_COUNT];
    f.row_into(row, &mut values);
    values[at]
}

const U: RuleMark = RuleMark::Undecided;
const PROSE: &str = "The committee said on Monday that the new rules would come into force \
                     next year, after a long consultation with the industry and the public.";

#[test]
fn neighbours_windows_and_document() {
    let f = rows(&[
        ("Home", RuleMark::Dropped),
        ("News", U),
        ("", U),
        (PROSE, U),
        ("Sport", U),
        (PROSE, U),
    ]);
    assert_eq!(f.len(), 5);
    // The rules' verdicts show as context.
    assert_eq!(f.rule(0), RuleMark::Dropped);
    assert_eq!(feature(&f, 1, "rule_dropped@-1"), 1.0);
    assert_eq!(feature(&f, 1, "log_words@-2"), -1.0, "no line two above");
    // Prose is two lines away from "News", next to "Sport".
    assert_eq!(feature(&f, 1, "prose_distance_below"), 1.0);
    assert_eq!(feature(&f, 3, "prose_distance_above"), 1.0);
    assert_eq!(feature(&f, 3, "prose_distance_below"), 1.0);
    assert_eq!(feature(&f, 2, "prose_distance_above"), 0.0);
    assert_eq!(feature(&f, 1, "duplicates"), 0.0);
    assert_eq!(feature(&f, 2, "duplicates"), 1.0);
    assert_eq!(feature(&f, 2, "doc_language_known"), 1.0);
    assert!(feature(&f, 2, "stop_density") > 0.3);
    assert_eq!(feature(&f, 2, "words_over_longest"), 1.0);
    assert!((feature(&f, 3, "window_rule_dropped") - 0.2).abs() < 1e-6);
}

#[test]
fn justext_context_pass() {
    // A short line between prose is kept (a heading of the article); a
    // short line between prose and a dropped line follows the bad side;
    // a run of short lines at an edge is dropped.
    let f = rows(&[
        ("Menu", U),
        ("Login", U),
        (PROSE, U),
        ("Background", U),
        (PROSE, U),
        ("Tags", U),
        ("Share this", RuleMark::Dropped),
    ]);
    let keep: Vec<f32> = (0..f.len())
        .map(|i| feature(&f, i, "justext_keep"))
        .collect();
    assert_eq!(&keep[..6], &[0.0, 0.0, 1.0, 1.0, 1.0, 0.0]);
    assert_eq!(feature(&f, 2, "justext_class"), 3.0);
    assert_eq!(feature(&f, 3, "justext_class"), 1.0);
}

#[test]
fn shape_runs() {
    let f = rows(&[
        ("Red shoes $20", U),
        ("Blue shoes $25", U),
        ("Green shoes $30", U),
        ("", U),
        (PROSE, U),
    ]);
    assert_eq!(feature(&f, 0, "log_shape_run"), 3f32.ln_1p());
    assert_eq!(feature(&f, 3, "log_shape_run"), 1f32.ln_1p());
    assert_eq!(feature(&f, 0, "has_price"), 1.0);
}

#[test]
fn comment_lines() {
    // 1: opens a comment section; 2: stands beside each comment; 0: neither.
    let cases: &[(&str, f32)] = &[
        ("12 Comments", 1.0),
        ("1,204 comments", 1.0),
        ("Comments (12)", 1.0),
        ("Leave a Reply", 1.0),
        ("Reader Interactions", 1.0),
        (
            "59 Comments on “The December Comfort Watch: a long title of a post”",
            1.0,
        ),
        ("One thought on “Ten books to read in 2025”", 1.0),
        ("Kommentare", 1.0),
        ("Комментарии", 1.0),
        ("Reply", 2.0),
        ("Reply ↓", 2.0),
        ("reply to comment", 2.0),
        ("Antworten", 2.0),
        ("Ответить", 2.0),
        ("Jane Doe says:", 2.0),
        ("Marie a écrit :", 2.0),
        ("July 14, 2015 at 3:53 pm", 2.0),
        ("July 14, 2015", 0.0),
        ("He says the plan works.", 0.0),
        ("Replying to the critics", 0.0),
        (
            "12 comments about the plan were filed by the committee on Monday evening",
            0.0,
        ),
        ("2024", 0.0),
    ];
    for &(line, expected) in cases {
        let f = rows(&[(line, U)]);
        assert_eq!(feature(&f, 0, "comment_line"), expected, "{line}");
    }
}

#[test]
fn comment_phrases_are_distinct_and_short_enough() {
    let table = &*super::comments::PHRASES;
    assert!(
        table.windows(2).all(|w| w[0].0 != w[1].0),
        "a hash or a phrase repeats"
    );
    assert!(
        table
            .iter()
            .all(|p| p.2.len() <= super::comments::LONGEST_PHRASE)
    );
    // The shape filter in front of the search lets every phrase through,
    // in any ASCII case.
    let shapes = &super::comments::PHRASE_SHAPES;
    for &(_, _, phrase) in table {
        assert!(shapes.may_be(phrase.as_bytes()), "{phrase}");
        assert!(
            shapes.may_be(phrase.to_ascii_uppercase().as_bytes()),
            "{phrase}"
        );
    }
    assert!(!shapes.may_be(b"Comments are closed for this"));
}

#[test]
fn comment_threads() {
    let f = rows(&[
        ("Menu", U),
        (PROSE, U),
        (PROSE, U),
        ("3 Comments", RuleMark::Dropped),
        ("Jane says", U),
        ("I tried this recipe and it worked well for me.", U),
        ("Reply", RuleMark::Dropped),
        ("Footer", U),
    ]);
    let prose = 2.0 * count_words(PROSE.as_bytes()) as f32;
    // No marker above the article; the marker stands below all its prose.
    assert_eq!(feature(&f, 1, "comment_marker_above"), -1.0);
    assert_eq!(feature(&f, 5, "comment_marker_above"), prose.ln_1p());
    // The first comment furniture comes after all the prose.
    assert_eq!(feature(&f, 0, "doc_first_reply_share"), 1.0);
    assert_eq!(feature(&f, 5, "reply_distance_above"), 1.0);
    assert_eq!(feature(&f, 5, "reply_distance_below"), 1.0);
    assert_eq!(feature(&f, 0, "reply_distance_above"), MAX_DISTANCE as f32);
    assert_eq!(feature(&f, 0, "reply_distance_below"), 4.0);
    assert_eq!(feature(&f, 7, "reply_distance_below"), MAX_DISTANCE as f32);
    // Lines 4 and 6 of the window 2..=7 (six lines) are comment furniture.
    assert!((feature(&f, 5, "window_reply_share") - 2.0 / 6.0).abs() < 1e-6);

    // A forum thread: the furniture comes before most of the prose.
    let f = rows(&[
        ("Is this worth it?", U),
        ("Bob says", U),
        (PROSE, U),
        ("Reply", U),
        ("Ann says", U),
        (PROSE, U),
    ]);
    assert_eq!(feature(&f, 0, "doc_first_reply_share"), 0.0);
    assert_eq!(feature(&f, 0, "comment_marker_above"), -1.0);
}

#[test]
fn the_portable_scan_agrees_with_the_one_the_cpu_runs() {
    // scan_line takes the AVX2 copy on most machines; the portable one
    // (scalar masks) must give the same facts and stop words.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let alphabet: &[&str] = &[
        "the ", "Cat", " and ", "é", "и он ", "日本", ".", "!", "?", ",", "$", "://", "@", "\u{b}",
        "\t", "2024", "«", "»", "  ", "x",
    ];
    for _ in 0..2_000 {
        let len = (xorshift(&mut state) % 60) as usize;
        let line: String = (0..len)
            .map(|_| alphabet[(xorshift(&mut state) % alphabet.len() as u64) as usize])
            .collect();
        let (mut ours, mut portable) = (StopWords::default(), StopWords::default());
        assert_eq!(
            scan_line(line.as_bytes(), &mut ours),
            super::scan::scan_line_with(
                line.as_bytes(),
                stopwords::table(),
                &mut portable,
                super::scan::block_masks,
            ),
            "{line:?}"
        );
        assert_eq!(ours.sets, portable.sets, "{line:?}");
    }
}
