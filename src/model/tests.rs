//! The model's parser and its scoring paths, checked against each other.

use super::kernels::*;
use super::*;
use crate::features::FEATURE_NAMES;

/// A model file over the real feature list with the given trees.
fn model_text(trees: &[&str]) -> String {
    let mut text = format!("kzclean-model 1\nfeatures {FEATURE_COUNT}\n");
    for name in FEATURE_NAMES {
        text.push_str(name);
        text.push('\n');
    }
    text.push_str(&format!("trees {}\n", trees.len()));
    for tree in trees {
        text.push_str(tree);
    }
    text
}

// Feature 1 (log_words) <= 2.0 -> -1.5; else feature 4 <= 0.25 -> 0.5 else 2.0.
const TREE: &str = "tree 5\ns 1 2.0 1 2 0.1\nl -1.5\ns 4 0.25 3 4 1.0\nl 0.5\nl 2.0\n";
const STUMP: &str = "tree 1\nl 0.25\n";

fn row(words: f32, stop: f32) -> Vec<f32> {
    let mut r = vec![0.0; FEATURE_COUNT];
    r[1] = words;
    r[4] = stop;
    r
}

#[test]
fn scores_walk_and_batch_agree() {
    let m = Model::parse("m", model_text(&[TREE, STUMP]).as_bytes()).unwrap();
    let rows: Vec<Vec<f32>> = vec![row(1.0, 0.0), row(2.0, 0.9), row(3.0, 0.1), row(3.0, 0.5)];
    let want = [-1.25, -1.25, 0.75, 2.25];
    let flat: Vec<f32> = rows.concat();
    let mut scores = vec![0.0; 4];
    m.score_rows(&flat, &mut scores);
    for i in 0..4 {
        assert_eq!(m.score(&rows[i]), want[i], "walk, row {i}");
        assert_eq!(scores[i], want[i], "batch, row {i}");
    }
    assert!((m.probability(&rows[3]) - logistic(2.25)).abs() < 1e-12);
}

#[test]
fn a_clear_line_stops_at_an_early_exit() {
    // After TREE, a score of at least 1 stops as 2 s + 0.5, one of at most
    // -1 as 3 s - 1; the others take the STUMP too.
    let text = format!("{}exit 1 1 2 0.5 3 -1\n", model_text(&[TREE, STUMP]));
    let m = Model::parse("m", text.as_bytes()).unwrap();
    let rows: Vec<Vec<f32>> = vec![row(1.0, 0.0), row(3.0, 0.1), row(3.0, 0.5)];
    let want = [3.0 * -1.5 - 1.0, 0.5 + 0.25, 2.0 * 2.0 + 0.5];
    let mut scores = vec![0.0; 3];
    m.score_rows(&rows.concat(), &mut scores);
    for i in 0..3 {
        assert_eq!(m.score(&rows[i]), want[i], "walk, row {i}");
        assert_eq!(scores[i], want[i], "batch, row {i}");
    }
    // A margin no line reaches: the full sum, as without the line.
    let text = format!("{}exit 1 9 2 0.5 3 -1\n", model_text(&[TREE, STUMP]));
    let m = Model::parse("m", text.as_bytes()).unwrap();
    assert_eq!(m.score(&rows[0]), -1.25);
}

#[test]
fn trees_deeper_than_four_are_walked() {
    // A chain of five splits on log_words (depth 5): 0 below 0.5, 1
    // below 1.5, ..., 9 above 4.5.
    let deep = "tree 11\ns 1 0.5 1 2 0\nl 0\ns 1 1.5 3 4 0\nl 1\ns 1 2.5 5 6 0\nl 2\n\
                s 1 3.5 7 8 0\nl 3\ns 1 4.5 9 10 0\nl 4\nl 9\n";
    let m = Model::parse("m", model_text(&[deep, TREE]).as_bytes()).unwrap();
    assert!(m.trees4.is_empty());
    let rows: Vec<f32> = [0.0f32, 2.0, 7.0]
        .iter()
        .flat_map(|&w| row(w, 0.5))
        .collect();
    let mut scores = vec![0.0; 3];
    m.score_rows(&rows, &mut scores);
    for (r, row) in rows.chunks_exact(FEATURE_COUNT).enumerate() {
        assert_eq!(scores[r], m.score(row), "row {r}");
    }
    assert_eq!(scores[2], 9.0 + 2.0);
}

#[test]
fn f32_thresholds_decide_like_f64() {
    // A threshold between two neighbouring f32 values.
    let x = 0.1f32;
    let t = (f64::from(x) + f64::from(x.next_up())) / 2.0;
    let tree = format!("tree 3\ns 1 {t} 1 2 0\nl -1\nl 1\n");
    let m = Model::parse("m", model_text(&[&tree]).as_bytes()).unwrap();
    // NaN is not at most the threshold, so it goes right as in the walk.
    let values = [x, x.next_up(), f32::NAN, f32::INFINITY, f32::NEG_INFINITY];
    let rows: Vec<f32> = values.iter().flat_map(|&v| row(v, 0.0)).collect();
    let mut scores = vec![0.0; values.len()];
    m.score_rows(&rows, &mut scores);
    assert_eq!(scores, [-1.0, 1.0, 1.0, 1.0, -1.0]);
    for (r, row) in rows.chunks_exact(FEATURE_COUNT).enumerate() {
        assert_eq!(m.score(row), scores[r], "row {r}");
    }
}

#[test]
fn strongest_feature_follows_the_path() {
    let m = Model::parse("m", model_text(&[TREE]).as_bytes()).unwrap();
    // Down the right then left: +0.9 for log_words, -0.5 for stop density.
    assert_eq!(m.strongest_feature(&row(3.0, 0.1), true).unwrap().0, 1);
    assert_eq!(m.strongest_feature(&row(3.0, 0.1), false).unwrap().0, 4);
}

#[test]
fn bad_model_files_are_refused_with_line_numbers() {
    let good = model_text(&[TREE]);
    let cases: Vec<(String, usize, &str)> = vec![
        ("kzclean-model 2\n".to_string(), 1, "kzclean-model 1"),
        (
            good.replace(&format!("features {FEATURE_COUNT}"), "features 3"),
            2,
            "retrain",
        ),
        (good.replace("log_words\n", "log_wordz\n"), 4, "log_wordz"),
        // A child pointing back up would loop forever.
        (
            good.replace("s 4 0.25 3 4 1.0", "s 4 0.25 0 4 1.0"),
            0,
            "child node",
        ),
        (good.replace("l 0.5", "l NaN"), 0, "finite"),
        (
            good.replace("tree 5\n", "tree 6\n"),
            0,
            "ends early, after line ",
        ),
        (
            String::new(),
            0,
            "ends early, after line 0: expected the header",
        ),
        (format!("{good}l 1\n"), 0, "after the last tree"),
        // An exit must come before the last tree, after the one before it.
        (format!("{good}exit 1 1 1 0 1 0\n"), 0, "AFTER in 1..1"),
        (
            model_text(&[TREE, STUMP, STUMP]) + "exit 2 1 1 0 1 0\nexit 2 1 1 0 1 0\n",
            0,
            "AFTER in 3..3",
        ),
        (
            model_text(&[TREE, STUMP]) + "exit 1 -1 1 0 1 0\n",
            0,
            "at least 0",
        ),
        (model_text(&[TREE, STUMP]) + "exit 1 1 1 0 1\n", 0, "SHIFT-"),
        ("\u{ff}".to_string(), 0, "kzclean-model"),
    ];
    for (text, line, needle) in cases {
        let e = Model::parse("m.model", text.as_bytes()).unwrap_err();
        let msg = e[0].to_string();
        assert!(msg.contains(needle), "{msg}");
        if line > 0 {
            assert!(msg.starts_with(&format!("m.model:{line}:")), "{msg}");
        }
    }
    let bytes = b"\xff\xfe";
    assert!(
        Model::parse("m", bytes).unwrap_err()[0]
            .to_string()
            .contains("UTF-8")
    );
}

type BatchPath = fn(&Model, &[f32], &mut [f64]);

/// The batch paths for depth-4 trees that this CPU can run.
fn batch_paths() -> Vec<(&'static str, BatchPath)> {
    let mut paths: Vec<(&'static str, BatchPath)> = vec![("portable", |m, rows, scores| {
        m.score_rows4_portable::<FEATURE_COUNT>(&m.trees4, rows, scores)
    })];
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512cd") {
        // SAFETY: only pushed when the CPU has AVX-512F and AVX-512CD,
        // checked just above.
        paths.push(("avx512", |m, rows, scores| unsafe {
            m.score_rows4_avx512::<FEATURE_COUNT>(&m.trees4, rows, scores)
        }));
    }
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: only pushed when the CPU has AVX2, checked just above.
        paths.push(("avx2", |m, rows, scores| unsafe {
            m.score_rows4_avx2::<FEATURE_COUNT>(&m.trees4, rows, scores)
        }));
    }
    paths
}

#[test]
fn the_fast_walk_scores_the_built_in_model_exactly() {
    let m = Model::builtin();
    assert!(!m.trees4.is_empty(), "the shipped trees have depth <= 4");
    // Pseudo-random rows in the features' ranges, some repeated values,
    // one value in 16 NaN and one in 16 infinite.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        let r = crate::features::xorshift(&mut state);
        match (r >> 32) % 32 {
            0 | 1 => f32::NAN,
            2 => f32::INFINITY,
            3 => f32::NEG_INFINITY,
            _ => (r % 1000) as f32 / 200.0 - 1.0,
        }
    };
    let paths = batch_paths();
    // The kernels sum every tree; the exits are score_rows' own.
    let mut every_tree = (*m).clone();
    every_tree.exits.clear();
    assert!(!m.exits.is_empty(), "the shipped model has early exits");
    for count in [1, 7, 8, 9, 15, 16, 17, 33, 61, 300] {
        let rows: Vec<f32> = (0..count * FEATURE_COUNT).map(|_| next()).collect();
        let walk = |m: &Model| -> Vec<u64> {
            rows.chunks_exact(FEATURE_COUNT)
                .map(|row| m.score(row).to_bits())
                .collect()
        };
        let mut fast = vec![0.0; count];
        m.score_rows(&rows, &mut fast);
        let fast: Vec<u64> = fast.iter().map(|s| s.to_bits()).collect();
        assert_eq!(fast, walk(&m), "score_rows, {count} rows");
        let walked = walk(&every_tree);
        if count == 300 {
            assert_ne!(fast, walked, "some rows stop early, so their scores differ");
        }
        for &(name, path) in &paths {
            let mut scores = vec![0.0; count];
            path(&every_tree, &rows, &mut scores);
            let scores: Vec<u64> = scores.iter().map(|s| s.to_bits()).collect();
            assert_eq!(scores, walked, "{name}, {count} rows");
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[test]
fn sixteen_rows_are_transposed() {
    use std::arch::x86_64::*;
    if !std::is_x86_feature_detected!("avx512f") {
        return;
    }
    check_transpose::<16>(|values, columns| {
        // SAFETY: the CPU has AVX-512F, checked just above; sixteen f32
        // read from and stored into slices of sixteen.
        unsafe {
            let rows = std::array::from_fn(|r| _mm512_loadu_ps(values[16 * r..].as_ptr()));
            for (column, v) in columns.iter_mut().zip(transpose16(rows)) {
                _mm512_storeu_ps(column.as_mut_ptr(), v);
            }
        }
    });
}

#[cfg(target_arch = "x86_64")]
#[test]
fn eight_rows_are_transposed() {
    use std::arch::x86_64::*;
    if !std::is_x86_feature_detected!("avx2") {
        return;
    }
    check_transpose::<8>(|values, columns| {
        // SAFETY: the CPU has AVX2, checked just above; eight f32 read
        // from and stored into slices of eight.
        unsafe {
            let rows = std::array::from_fn(|r| _mm256_loadu_ps(values[8 * r..].as_ptr()));
            for (column, v) in columns.iter_mut().zip(transpose8(rows)) {
                _mm256_storeu_ps(column.as_mut_ptr(), v);
            }
        }
    });
}

/// Runs `transpose` on N rows of N where row r holds N r, .., N r + N - 1,
/// and checks that column c holds c, N + c, ...
fn check_transpose<const N: usize>(transpose: impl FnOnce(&[f32], &mut [[f32; N]; N])) {
    let values: Vec<f32> = (0..N * N).map(|v| v as f32).collect();
    let mut columns = [[0.0f32; N]; N];
    transpose(&values, &mut columns);
    for (c, column) in columns.iter().enumerate() {
        let want: [f32; N] = std::array::from_fn(|r| (N * r + c) as f32);
        assert_eq!(*column, want, "column {c}");
    }
}

#[cfg(target_arch = "x86_64")]
#[test]
fn leaves_are_picked_exactly() {
    use std::arch::x86_64::*;
    if !std::is_x86_feature_detected!("avx2") {
        return;
    }
    // Leaves whose words all differ, so a wrong word shows.
    let leaves: [f64; 16] = std::array::from_fn(|i| (i as f64 - 7.5) * std::f64::consts::PI * 1e-3);
    for shift in 0..16 {
        // Row k takes leaf (k + shift) % 16, then (3 k + shift) % 16.
        for step in [1, 3] {
            let leaf: [usize; 8] = std::array::from_fn(|k| (step * k + shift) % 16);
            let mut got = [0.0f64; 8];
            // SAFETY: the CPU has AVX2, checked above; eight f32 read
            // from an array of eight, four f64 stored into each half of
            // an array of eight.
            unsafe {
                let turn = |bit: usize| {
                    let lanes: [f32; 8] = std::array::from_fn(|k| {
                        f32::from_bits(if leaf[k] & bit != 0 { u32::MAX } else { 0 })
                    });
                    _mm256_loadu_ps(lanes.as_ptr())
                };
                let (outer, inner) = pick_leaves(&leaves, [turn(8), turn(4), turn(2), turn(1)]);
                _mm256_storeu_pd(got.as_mut_ptr(), outer);
                _mm256_storeu_pd(got.as_mut_ptr().add(4), inner);
            }
            // outer holds rows 0, 1, 4, 5 and inner rows 2, 3, 6, 7.
            let rows = [0, 1, 4, 5, 2, 3, 6, 7];
            for (&row, value) in rows.iter().zip(got) {
                assert_eq!(value.to_bits(), leaves[leaf[row]].to_bits(), "row {row}");
            }
        }
    }
}

#[test]
fn the_built_in_model_loads() {
    let text = BUILTIN;
    let m = Model::parse("rules/classifier.model", text.as_bytes()).unwrap();
    assert!(m.roots.len() >= 10);
    assert!(!m.trees4.is_empty(), "scored branch-free");
}
