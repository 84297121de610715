//! The classifier's model: gradient-boosted decision trees over the features
//! of [`crate::features`], read from a small text file.
//!
//! The built-in model is `rules/classifier.model`, trained on the dev corpus
//! by `tools/train-model/train.py` from `kzclean --dump-features` output, so
//! training and inference share one feature extractor. The file format:
//!
//! ```text
//! kzclean-model 1
//! features N
//! <feature name>            (N lines, in the order of FEATURE_NAMES)
//! trees T
//! tree K                    (then K node lines; node 0 is the root)
//! s FEATURE THRESHOLD LEFT RIGHT VALUE    a split: x <= THRESHOLD goes LEFT
//! l VALUE                                 a leaf
//! ```
//!
//! `#` starts a comment line. A probability is the logistic of the sum of the
//! trees' leaf values. Split nodes carry the value the tree would give if it
//! stopped there, so `--explain` can say which feature moved the score most
//! along the path (Saabas' attribution).

use std::sync::{Arc, LazyLock};

use crate::error::RuleError;
use crate::features::{FEATURE_COUNT, FEATURE_NAMES};

/// The built-in model's text.
const BUILTIN: &str = include_str!("../rules/classifier.model");

static BUILTIN_MODEL: LazyLock<Arc<Model>> = LazyLock::new(|| {
    // A test parses the shipped file, so this cannot fail in a release.
    Arc::new(
        Model::parse("rules/classifier.model", BUILTIN.as_bytes()).unwrap_or_else(|e| {
            panic!("built-in model: {}", e[0]);
        }),
    )
});

#[derive(Debug, Clone, Copy)]
struct Node {
    /// Feature index, or [`LEAF`].
    feature: u16,
    left: u32,
    right: u32,
    threshold: f64,
    value: f64,
}

const LEAF: u16 = u16::MAX;

impl Node {
    /// The child a split sends `row` to: left when the feature is at most
    /// the threshold.
    #[inline]
    fn child(&self, row: &[f32]) -> u32 {
        if f64::from(row[self.feature as usize]) <= self.threshold {
            self.left
        } else {
            self.right
        }
    }
}

/// A boosted tree ensemble.
#[derive(Debug)]
pub struct Model {
    nodes: Vec<Node>,
    roots: Vec<u32>,
    /// The same trees padded to depth 4 when none is deeper (the shipped
    /// model), for the fastest walk; empty otherwise.
    trees4: Vec<Tree4>,
}

/// A tree of depth 4 or less padded to exactly 4: 15 splits (feature,
/// threshold) in breadth-first order and 16 leaves, in fixed-size arrays so
/// that a walk needs no bounds checks and no branches: it is four steps of
/// index arithmetic, so many rows go through a tree at once. Thresholds are
/// rounded down to f32: for an f32 `x`, `x <= t32` exactly when
/// `x as f64 <= t`, so scores equal the f64 model's.
#[derive(Debug, Clone, Copy)]
struct Tree4 {
    splits: [(u32, f32); 16],
    leaves: [f64; 16],
}

impl Model {
    /// The model that ships with kzclean.
    pub fn builtin() -> Arc<Model> {
        Arc::clone(&BUILTIN_MODEL)
    }

    /// A model without trees: every line scores 0.5. For `--dump-features`,
    /// which must run when the built-in model no longer fits the features.
    pub fn empty() -> Model {
        Model {
            nodes: Vec::new(),
            roots: Vec::new(),
            trees4: Vec::new(),
        }
    }

    /// Parses a model file; `path` labels errors.
    pub fn parse(path: &str, bytes: &[u8]) -> Result<Model, Vec<RuleError>> {
        let err = |line: usize, message: String| {
            vec![RuleError {
                path: path.to_string(),
                line,
                message,
            }]
        };
        let text = std::str::from_utf8(bytes)
            .map_err(|e| err(0, format!("not UTF-8 text ({e}); is this a model file?")))?;
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
        let mut next = |what: &str| {
            lines
                .next()
                .ok_or_else(|| err(0, format!("ends early: expected {what}")))
        };
        let (n, header) = next("the header")?;
        if header != "kzclean-model 1" {
            return Err(err(n, "expected `kzclean-model 1`".into()));
        }
        let (n, line) = next("`features N`")?;
        let count =
            count_after(line, "features").ok_or_else(|| err(n, "expected `features N`".into()))?;
        if count != FEATURE_COUNT {
            return Err(err(
                n,
                format!(
                    "the model has {count} features, this kzclean computes {FEATURE_COUNT}; \
                     retrain it with tools/train-model/train.py"
                ),
            ));
        }
        for want in FEATURE_NAMES {
            let (n, name) = next("a feature name")?;
            if name != *want {
                return Err(err(
                    n,
                    format!(
                        "feature `{name}` where this kzclean has `{want}`; \
                         retrain the model with tools/train-model/train.py"
                    ),
                ));
            }
        }
        let (n, line) = next("`trees T`")?;
        let trees =
            count_after(line, "trees").ok_or_else(|| err(n, "expected `trees T`".into()))?;
        let mut model = Model {
            nodes: Vec::new(),
            // Not sized by the count a file claims: `trees 1000000000000`
            // must be an error at the end of the file, not an allocation
            // that aborts.
            roots: Vec::with_capacity(trees.min(1024)),
            trees4: Vec::new(),
        };
        for _ in 0..trees {
            let (n, line) = next("`tree K`")?;
            let size = count_after(line, "tree")
                .filter(|&k| k > 0)
                .ok_or_else(|| err(n, "expected `tree K` with K > 0".into()))?;
            let base = model.nodes.len();
            model.roots.push(base as u32);
            for k in 0..size {
                let (n, line) = next("a node")?;
                let node = parse_node(line, base, k, size).map_err(|m| err(n, m))?;
                model.nodes.push(node);
            }
        }
        if let Some((n, _)) = lines.next() {
            return Err(err(n, "unexpected text after the last tree".into()));
        }
        model.build_trees4();
        Ok(model)
    }

    fn depth_of(&self, node: u32) -> u32 {
        let n = &self.nodes[node as usize];
        if n.feature == LEAF {
            0
        } else {
            1 + self.depth_of(n.left).max(self.depth_of(n.right))
        }
    }

    /// Pads every tree to depth 4 when none is deeper.
    fn build_trees4(&mut self) {
        if self.roots.iter().any(|&r| self.depth_of(r) > 4) {
            return;
        }
        self.trees4 = self
            .roots
            .iter()
            .map(|&root| {
                let mut tree = Tree4 {
                    splits: [(0, f32::INFINITY); 16],
                    leaves: [0.0; 16],
                };
                self.fill(&mut tree, root, 0);
                tree
            })
            .collect();
    }

    /// Places `node` at breadth-first position `pos` of `tree`. A leaf above
    /// the last level becomes splits that always go left (threshold +inf)
    /// over copies of itself.
    fn fill(&self, tree: &mut Tree4, node: u32, pos: usize) {
        let n = self.nodes[node as usize];
        if pos >= 15 {
            tree.leaves[pos - 15] = n.value;
            return;
        }
        if n.feature != LEAF {
            tree.splits[pos] = (u32::from(n.feature), round_down(n.threshold));
            self.fill(tree, n.left, 2 * pos + 1);
            self.fill(tree, n.right, 2 * pos + 2);
        } else {
            self.fill(tree, node, 2 * pos + 1);
            self.fill(tree, node, 2 * pos + 2);
        }
    }

    /// Adds the model's score (log-odds) of each row in `rows` (rows of
    /// [`FEATURE_COUNT`] values) to `scores`, one per row. Tree by tree over
    /// all rows: the tree stays in cache and the rows' walks overlap in the
    /// CPU.
    pub fn score_rows(&self, rows: &[f32], scores: &mut [f64]) {
        if !self.trees4.is_empty() {
            self.score_rows4(rows, scores);
            return;
        }
        // Deeper trees (a model trained with other settings): one walk a row.
        for (score, row) in scores.iter_mut().zip(rows.chunks_exact(FEATURE_COUNT)) {
            *score += self.score(row);
        }
    }

    /// [`Model::score_rows`] for trees of depth 4 or less: sixteen or eight
    /// rows at once with SIMD, else eight walks interleaved; no bounds
    /// checks in the walk (indices are masked to the fixed-size arrays,
    /// feature indices were checked when parsing).
    fn score_rows4(&self, rows: &[f32], scores: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512cd") {
            // SAFETY: the CPU has AVX-512F and AVX-512CD, checked just above.
            unsafe { self.score_rows4_avx512(rows, scores) };
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            unsafe { self.score_rows4_avx2(rows, scores) };
            return;
        }
        self.score_rows4_portable(rows, scores);
    }

    /// [`Model::score_rows4`] on eight rows at once with AVX2: every split of
    /// a tree is compared for all eight (one compare each, with the load
    /// folded in, the rows transposed so that a feature's eight values are
    /// adjacent), then each row's path is selected with blends, and its leaf
    /// picked by permutes. Three times fewer instructions than walking, no
    /// dependent loads. Each row's score adds the same leaves in the same
    /// order as the walk, so scores are bit-identical.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn score_rows4_avx2(&self, rows: &[f32], scores: &mut [f64]) {
        use std::arch::x86_64::*;
        const LANES: usize = 8;
        let row_count = rows.len() / FEATURE_COUNT;
        // block[f]: feature f of the group's eight rows. 128 slots, so that
        // a split's feature index masked to 7 bits needs no bounds check
        // (indices were checked when parsing; padding splits use 0).
        // Aligned, so that no slot straddles two cache lines (on a 16-byte
        // boundary, half the compares' loads did, and cost 10%).
        let mut block = Aligned([[0.0f32; LANES]; 128]);
        let block = &mut block.0;
        let mut start = 0;
        while start < row_count {
            let lanes = LANES.min(row_count - start);
            // Rows past the end repeat the last one; their scores are dropped.
            let group: [usize; LANES] = std::array::from_fn(|k| start + k.min(lanes - 1));
            // Eight features of the eight rows at a time, transposed in
            // registers (stored one value at a time, they took a tenth of
            // the time). When the count is not a multiple of eight, the last
            // eight overlap the eight before, so no load passes a row's end.
            const _: () = assert!(FEATURE_COUNT >= LANES);
            let firsts = (0..FEATURE_COUNT / LANES * LANES)
                .step_by(LANES)
                .chain((!FEATURE_COUNT.is_multiple_of(LANES)).then_some(FEATURE_COUNT - LANES));
            for first in firsts {
                let part: [__m256; LANES] = std::array::from_fn(|k| {
                    let at = group[k] * FEATURE_COUNT + first;
                    let values = &rows[at..at + LANES];
                    // SAFETY: eight f32 read from a slice of eight.
                    unsafe { _mm256_loadu_ps(values.as_ptr()) }
                });
                let slots = &mut block[first..first + LANES];
                for (slot, column) in slots.iter_mut().zip(transpose8(part)) {
                    // SAFETY: eight f32 stored into an array of eight.
                    unsafe { _mm256_storeu_ps(slot.as_mut_ptr(), column) };
                }
            }
            // goes_right(p): all ones in the lanes whose value is not at
            // most split p's threshold (`!(x <= t)`: true for NaN, as in
            // the walk).
            let goes_right = |tree: &Tree4, p: usize| {
                let (f, threshold) = tree.splits[p];
                // SAFETY: eight f32 read from an array of eight.
                let x = unsafe { _mm256_loadu_ps(block[(f & 127) as usize].as_ptr()) };
                // `!(t >= x)`, the same test with the operands swapped, so
                // that the load is folded into the compare.
                _mm256_cmp_ps::<_CMP_NGE_UQ>(_mm256_set1_ps(threshold), x)
            };
            // The next group's rows are fetched while this one is scored, a
            // 64-byte line a tree, as in score_rows4_avx512.
            let next = &rows[(start + lanes) * FEATURE_COUNT..];
            let ahead = next[..next.len().min(LANES * FEATURE_COUNT)].chunks(16);
            // Rows 0, 1, 4, 5 and rows 2, 3, 6, 7, as pick_leaves gives them.
            let mut sum_outer = _mm256_setzero_pd();
            let mut sum_inner = _mm256_setzero_pd();
            let mut score_tree = |tree: &Tree4| {
                let c = |p| goes_right(tree, p);
                // The path's turn at each depth: node 1 + b0, then
                // 3 + 2 b0 + b1, then 7 + 4 b0 + 2 b1 + b2.
                let b0 = c(0);
                let b1 = _mm256_blendv_ps(c(1), c(2), b0);
                let b2 = _mm256_blendv_ps(
                    _mm256_blendv_ps(c(3), c(4), b1),
                    _mm256_blendv_ps(c(5), c(6), b1),
                    b0,
                );
                let b3 = _mm256_blendv_ps(
                    _mm256_blendv_ps(
                        _mm256_blendv_ps(c(7), c(8), b2),
                        _mm256_blendv_ps(c(9), c(10), b2),
                        b1,
                    ),
                    _mm256_blendv_ps(
                        _mm256_blendv_ps(c(11), c(12), b2),
                        _mm256_blendv_ps(c(13), c(14), b2),
                        b1,
                    ),
                    b0,
                );
                let (outer, inner) = pick_leaves(&tree.leaves, [b0, b1, b2, b3]);
                sum_outer = _mm256_add_pd(sum_outer, outer);
                sum_inner = _mm256_add_pd(sum_inner, inner);
            };
            let (near, far) = self.trees4.split_at(ahead.len().min(self.trees4.len()));
            for (tree, line) in near.iter().zip(ahead) {
                _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast());
                score_tree(tree);
            }
            far.iter().for_each(score_tree);
            let (mut outer, mut inner) = ([0.0f64; 4], [0.0f64; 4]);
            // SAFETY: four f64 stored into each array of four.
            unsafe {
                _mm256_storeu_pd(outer.as_mut_ptr(), sum_outer);
                _mm256_storeu_pd(inner.as_mut_ptr(), sum_inner);
            }
            let sums = std::array::from_fn::<f64, LANES, _>(|k| {
                let i = k / 4 * 2 + k % 2;
                if k % 4 < 2 { outer[i] } else { inner[i] }
            });
            for (score, sum) in scores[start..start + lanes].iter_mut().zip(sums) {
                *score += sum;
            }
            start += lanes;
        }
    }

    /// [`Model::score_rows4`] on sixteen rows at once with AVX-512: every
    /// split of a tree is compared for all sixteen into a 16-bit mask (one
    /// load and one compare each, the rows transposed in registers), each
    /// split the row goes right at rules out leaves (QuickScorer), and the
    /// leftmost leaf left, found by a leading-zero count, is picked exactly
    /// by a permute of the tree's 16 leaves. A third fewer instructions than
    /// the AVX2 blends for the same rows, no mask logic. Each row's score
    /// adds the same leaves in the same order as the walk, so scores are
    /// bit-identical.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512cd")]
    fn score_rows4_avx512(&self, rows: &[f32], scores: &mut [f64]) {
        use std::arch::x86_64::*;
        const LANES: usize = 16;
        let row_count = rows.len() / FEATURE_COUNT;
        // block[f]: feature f of the group's sixteen rows; 128 slots and
        // aligned as in score_rows4_avx2 (a 64-byte slot on a 16-byte
        // boundary straddles two cache lines).
        let mut block = Aligned([[0.0f32; LANES]; 128]);
        let block = &mut block.0;
        let mut start = 0;
        while start < row_count {
            let lanes = LANES.min(row_count - start);
            // Rows past the end repeat the last one; their scores are dropped.
            let group: [usize; LANES] = std::array::from_fn(|k| start + k.min(lanes - 1));
            // Sixteen features of the sixteen rows at a time, transposed in
            // registers (stored one value at a time, or scattered, they
            // took a quarter of the time).
            for first in (0..FEATURE_COUNT).step_by(LANES) {
                let count = LANES.min(FEATURE_COUNT - first);
                let part: [__m512; LANES] = std::array::from_fn(|k| {
                    let at = group[k] * FEATURE_COUNT + first;
                    let values = &rows[at..at + count];
                    // SAFETY: the mask reads only the slice's `count` f32.
                    unsafe { _mm512_maskz_loadu_ps(((1u32 << count) - 1) as u16, values.as_ptr()) }
                });
                let slots = &mut block[first..first + LANES];
                for (slot, column) in slots.iter_mut().zip(transpose16(part)) {
                    // SAFETY: sixteen f32 stored into an array of sixteen.
                    unsafe { _mm512_storeu_ps(slot.as_mut_ptr(), column) };
                }
            }
            // goes_right(p): bit k set when row k's value is not at most
            // split p's threshold (`!(x <= t)`: true for NaN, as in the walk).
            let goes_right = |tree: &Tree4, p: usize| {
                let (f, threshold) = tree.splits[p];
                // SAFETY: sixteen f32 read from an array of sixteen.
                let x = unsafe { _mm512_loadu_ps(block[(f & 127) as usize].as_ptr()) };
                _mm512_cmp_ps_mask::<_CMP_NLE_UQ>(x, _mm512_set1_ps(threshold))
            };
            // The next group's rows are fetched while this one is scored, a
            // 64-byte line a tree (all at once, the prefetches stalled).
            let next = &rows[(start + lanes) * FEATURE_COUNT..];
            let ahead = next[..next.len().min(LANES * FEATURE_COUNT)].chunks(16);
            let mut sum_even = _mm512_setzero_pd();
            let mut sum_odd = _mm512_setzero_pd();
            let mut score_tree = |tree: &Tree4| {
                // Each row's leaves still possible (leaf i as bit 31 - i):
                // a split the row goes right at rules out its left subtree.
                // Three chains, for shorter dependencies.
                let eliminate = |alive: __m512i, p: usize| {
                    let keep = _mm512_set1_epi32(KEEP[p] as i32);
                    _mm512_mask_and_epi32(alive, goes_right(tree, p), alive, keep)
                };
                let chain =
                    |splits: std::ops::Range<usize>| splits.fold(_mm512_set1_epi32(-1), eliminate);
                let alive =
                    _mm512_ternarylogic_epi32::<0x80>(chain(0..5), chain(5..10), chain(10..15));
                // The row's leaf is the leftmost one left (the walk's turns
                // rule out everything left of it, and nothing rules it out).
                let leaf = _mm512_lzcnt_epi32(alive);
                // SAFETY: eight f64 read from each half of an array of sixteen.
                let (first, second) = unsafe {
                    (
                        _mm512_loadu_pd(tree.leaves.as_ptr()),
                        _mm512_loadu_pd(tree.leaves.as_ptr().add(8)),
                    )
                };
                // The permute reads the lowest four bits of each 64-bit lane:
                // rows 0, 2, .. 14, and after a shift rows 1, 3, .. 15.
                let even = _mm512_permutex2var_pd(first, leaf, second);
                let odd = _mm512_permutex2var_pd(first, _mm512_srli_epi64::<32>(leaf), second);
                sum_even = _mm512_add_pd(sum_even, even);
                sum_odd = _mm512_add_pd(sum_odd, odd);
            };
            let (near, far) = self.trees4.split_at(ahead.len().min(self.trees4.len()));
            for (tree, line) in near.iter().zip(ahead) {
                _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast());
                score_tree(tree);
            }
            far.iter().for_each(score_tree);
            let (mut even, mut odd) = ([0.0f64; 8], [0.0f64; 8]);
            // SAFETY: eight f64 stored into each array of eight.
            unsafe {
                _mm512_storeu_pd(even.as_mut_ptr(), sum_even);
                _mm512_storeu_pd(odd.as_mut_ptr(), sum_odd);
            }
            let sums = std::array::from_fn::<f64, LANES, _>(|k| {
                if k % 2 == 0 { even[k / 2] } else { odd[k / 2] }
            });
            for (score, sum) in scores[start..start + lanes].iter_mut().zip(sums) {
                *score += sum;
            }
            start += lanes;
        }
    }
    /// [`Model::score_rows4`] without SIMD: eight walks interleaved.
    fn score_rows4_portable(&self, rows: &[f32], scores: &mut [f64]) {
        const LANES: usize = 8;
        let row_count = rows.len() / FEATURE_COUNT;
        let mut start = 0;
        while start < row_count {
            let lanes = LANES.min(row_count - start);
            // Rows past the end repeat the last one; their scores are dropped.
            let row_of = |k: usize| {
                let r = start + k.min(lanes - 1);
                let row: &[f32; FEATURE_COUNT] = rows[r * FEATURE_COUNT..(r + 1) * FEATURE_COUNT]
                    .try_into()
                    .expect("rows come in whole feature rows");
                row
            };
            let group: [&[f32; FEATURE_COUNT]; LANES] = std::array::from_fn(row_of);
            let mut sums = [0.0f64; LANES];
            for tree in &self.trees4 {
                let mut at = [0usize; LANES];
                for _ in 0..4 {
                    for k in 0..LANES {
                        let (feature, threshold) = tree.splits[at[k] & 15];
                        let x = group[k][(feature as usize).min(FEATURE_COUNT - 1)];
                        // Right unless `x <= t`, so NaN goes right as in the walk.
                        at[k] = 2 * at[k] + 2 - usize::from(x <= threshold);
                    }
                }
                for k in 0..LANES {
                    sums[k] += tree.leaves[(at[k] - 15) & 15];
                }
            }
            for (score, sum) in scores[start..start + lanes].iter_mut().zip(sums) {
                *score += sum;
            }
            start += lanes;
        }
    }

    /// The model's raw score (log-odds) for a feature row.
    #[inline]
    pub fn score(&self, row: &[f32]) -> f64 {
        let mut sum = 0.0;
        for &root in &self.roots {
            let mut node = &self.nodes[root as usize];
            while node.feature != LEAF {
                node = &self.nodes[node.child(row) as usize];
            }
            sum += node.value;
        }
        sum
    }

    /// The probability that the line is article text.
    #[inline]
    pub fn probability(&self, row: &[f32]) -> f64 {
        logistic(self.score(row))
    }

    /// The feature that moved the score most, and by how much, in the
    /// direction of `keep` (Saabas: each split's change of the tree's value
    /// is credited to its feature).
    pub fn strongest_feature(&self, row: &[f32], keep: bool) -> Option<(usize, f64)> {
        let mut credit = [0.0f64; FEATURE_COUNT];
        for &root in &self.roots {
            let mut node = &self.nodes[root as usize];
            while node.feature != LEAF {
                let next = &self.nodes[node.child(row) as usize];
                credit[node.feature as usize] += next.value - node.value;
                node = next;
            }
        }
        let sign = if keep { 1.0 } else { -1.0 };
        credit
            .iter()
            .enumerate()
            .map(|(i, &c)| (i, sign * c))
            .filter(|&(_, c)| c > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }
}

/// A value on a 64-byte boundary, the size of a cache line.
#[repr(align(64))]
struct Aligned<T>(T);

/// KEEP[p]: the leaves of a depth-4 tree (leaf i as bit 31 - i) outside
/// the left subtree of split p (breadth-first), for score_rows4_avx512.
const KEEP: [u32; 15] = {
    let mut keep = [0; 15];
    let mut p = 0;
    while p < 15 {
        let depth = (p as u32 + 1).ilog2();
        let width = 16 >> depth;
        let first = (p as u32 + 1 - (1 << depth)) * width;
        keep[p] = !(((1 << (width / 2)) - 1) << (32 - first - width / 2));
        p += 1;
    }
    keep
};

/// The sixteen columns of sixteen rows of sixteen f32: column i holds the
/// rows' values i, row k in lane k. Four rounds of sixteen shuffles.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn transpose16(rows: [std::arch::x86_64::__m512; 16]) -> [std::arch::x86_64::__m512; 16] {
    use std::arch::x86_64::*;
    use std::array::from_fn;
    let (pd, ps) = (_mm512_castps_pd, _mm512_castpd_ps);
    // pairs[2m + h]: rows 2m and 2m + 1 interleaved, from the low (h = 0)
    // or high half of each 128-bit quarter.
    let pairs: [__m512; 16] = from_fn(|i| {
        let (a, b) = (rows[i & !1], rows[i | 1]);
        if i & 1 == 0 {
            _mm512_unpacklo_ps(a, b)
        } else {
            _mm512_unpackhi_ps(a, b)
        }
    });
    // quads[4n + c]: in quarter q, value 4q + c of rows 4n..4n + 3.
    let quads: [__m512; 16] = from_fn(|i| {
        let (n, c) = (i / 4, i % 4);
        let (a, b) = (pd(pairs[4 * n + c / 2]), pd(pairs[4 * n + c / 2 + 2]));
        ps(if c % 2 == 0 {
            _mm512_unpacklo_pd(a, b)
        } else {
            _mm512_unpackhi_pd(a, b)
        })
    });
    // Then the 4 x 4 quarters of quads[c], quads[4 + c], .. are transposed:
    // halves[4c + k] has quarters 0, 2 (k even) or 1, 3 (k odd) of quads
    // 8 (k / 2) + c and 8 (k / 2) + 4 + c.
    let halves: [__m512; 16] = from_fn(|i| {
        let (c, k) = (i / 4, i % 4);
        let (a, b) = (quads[8 * (k / 2) + c], quads[8 * (k / 2) + 4 + c]);
        if k % 2 == 0 {
            _mm512_shuffle_f32x4::<0b10_00_10_00>(a, b)
        } else {
            _mm512_shuffle_f32x4::<0b11_01_11_01>(a, b)
        }
    });
    // Column 4q + c: quarter q of quads[c], quads[4 + c], quads[8 + c] and
    // quads[12 + c].
    from_fn(|i| {
        let (q, c) = (i / 4, i % 4);
        let (a, b) = (halves[4 * c + q % 2], halves[4 * c + q % 2 + 2]);
        if q < 2 {
            _mm512_shuffle_f32x4::<0b10_00_10_00>(a, b)
        } else {
            _mm512_shuffle_f32x4::<0b11_01_11_01>(a, b)
        }
    })
}

/// The eight columns of eight rows of eight f32: column i holds the rows'
/// values i, row k in lane k. Three rounds of eight shuffles.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn transpose8(rows: [std::arch::x86_64::__m256; 8]) -> [std::arch::x86_64::__m256; 8] {
    use std::arch::x86_64::*;
    use std::array::from_fn;
    // pairs[2m + h]: rows 2m and 2m + 1 interleaved, from the first two
    // (h = 0) or the last two values of each 128-bit half.
    let pairs: [__m256; 8] = from_fn(|i| {
        let (a, b) = (rows[i & !1], rows[i | 1]);
        if i & 1 == 0 {
            _mm256_unpacklo_ps(a, b)
        } else {
            _mm256_unpackhi_ps(a, b)
        }
    });
    // quads[4n + c]: in half h, value 4h + c of rows 4n..4n + 3.
    let quads: [__m256; 8] = from_fn(|i| {
        let (n, c) = (i / 4, i % 4);
        let (a, b) = (pairs[4 * n + c / 2], pairs[4 * n + c / 2 + 2]);
        if c % 2 == 0 {
            _mm256_shuffle_ps::<0b01_00_01_00>(a, b)
        } else {
            _mm256_shuffle_ps::<0b11_10_11_10>(a, b)
        }
    });
    // Column 4h + c: half h of quads[c] and of quads[4 + c].
    from_fn(|i| {
        let (h, c) = (i / 4, i % 4);
        let (a, b) = (quads[c], quads[4 + c]);
        if h == 0 {
            _mm256_permute2f128_ps::<0x20>(a, b)
        } else {
            _mm256_permute2f128_ps::<0x31>(a, b)
        }
    })
}

/// The largest f32 not above `t`.
fn round_down(t: f64) -> f32 {
    let r = t as f32;
    if f64::from(r) > t { r.next_down() } else { r }
}

/// The logistic function: log-odds to probability.
pub fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn count_after(line: &str, keyword: &str) -> Option<usize> {
    let rest = line.strip_prefix(keyword)?.trim();
    rest.parse().ok()
}

/// Children must come after their parent, so every walk ends at a leaf.
fn parse_node(line: &str, base: usize, index: usize, size: usize) -> Result<Node, String> {
    let mut fields = line.split_ascii_whitespace();
    let number = |s: Option<&str>, what: &str| -> Result<f64, String> {
        s.and_then(|s| s.parse::<f64>().ok())
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("expected {what} as a finite number"))
    };
    let child = |s: Option<&str>| -> Result<u32, String> {
        s.and_then(|s| s.parse::<usize>().ok())
            .filter(|&c| c > index && c < size)
            .map(|c| (base + c) as u32)
            .ok_or_else(|| format!("expected a child node index in {}..{size}", index + 1))
    };
    match fields.next() {
        Some("l") => Ok(Node {
            feature: LEAF,
            left: 0,
            right: 0,
            threshold: 0.0,
            value: number(fields.next(), "a leaf value")?,
        }),
        Some("s") => {
            let feature = fields
                .next()
                .and_then(|s| s.parse::<usize>().ok())
                .filter(|&f| f < FEATURE_COUNT)
                .ok_or_else(|| format!("expected a feature index below {FEATURE_COUNT}"))?;
            let threshold = number(fields.next(), "a threshold")?;
            let left = child(fields.next())?;
            let right = child(fields.next())?;
            let value = number(fields.next(), "a node value")?;
            Ok(Node {
                feature: feature as u16,
                left,
                right,
                threshold,
                value,
            })
        }
        _ => Err("expected a node: `s FEATURE THRESHOLD LEFT RIGHT VALUE` or `l VALUE`".into()),
    }
}

/// Eight rows' leaves, exact, given the turns `[b0, b1, b2, b3]` of their
/// paths as masks: leaf 8 b0 + 4 b1 + 2 b2 + b3 of `leaves`, for rows 0, 1,
/// 4, 5 and for rows 2, 3, 6, 7. A permute picks from eight 32-bit words, so
/// the leaves' low words and their high words are each permuted for all
/// eight rows, in two halves of eight leaves that b0 chooses between, then
/// paired again into f64. (Gathers took half the trees' time; permuting
/// both words of four leaves for four rows at a time took twice the
/// instructions and 15% more time.)
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn pick_leaves(
    leaves: &[f64; 16],
    [b0, b1, b2, b3]: [std::arch::x86_64::__m256; 4],
) -> (std::arch::x86_64::__m256d, std::arch::x86_64::__m256d) {
    use std::arch::x86_64::*;
    // SAFETY: four f64 (eight 32-bit words) read from leaves[4q..4q+4].
    let quarter = |q: usize| unsafe { _mm256_loadu_ps(leaves[4 * q..4 * q + 4].as_ptr().cast()) };
    // Per 128-bit half, the low (or high) words of two leaves of each of
    // two quarters: leaves 0, 1, 4, 5 then 2, 3, 6, 7 of the eight, so
    // leaf 4 b1 + 2 b2 + b3 is at word 4 b2 + 2 b1 + b3.
    let (first, second) = ([quarter(0), quarter(1)], [quarter(2), quarter(3)]);
    let low = |[a, b]: [__m256; 2]| _mm256_shuffle_ps::<0b10_00_10_00>(a, b);
    let high = |[a, b]: [__m256; 2]| _mm256_shuffle_ps::<0b11_01_11_01>(a, b);
    let bits =
        |m: __m256, bit: i32| _mm256_and_si256(_mm256_castps_si256(m), _mm256_set1_epi32(bit));
    let at = _mm256_or_si256(_mm256_or_si256(bits(b2, 4), bits(b1, 2)), bits(b3, 1));
    let pick = |first: __m256, second: __m256| {
        _mm256_blendv_ps(
            _mm256_permutevar8x32_ps(first, at),
            _mm256_permutevar8x32_ps(second, at),
            b0,
        )
    };
    let low = pick(low(first), low(second));
    let high = pick(high(first), high(second));
    (
        _mm256_castps_pd(_mm256_unpacklo_ps(low, high)),
        _mm256_castps_pd(_mm256_unpackhi_ps(low, high)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
            (good.replace("tree 5\n", "tree 6\n"), 0, "ends early"),
            (format!("{good}l 1\n"), 0, "after the last tree"),
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
            m.score_rows4_portable(rows, scores)
        })];
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512cd") {
            // SAFETY: only pushed when the CPU has AVX-512F and AVX-512CD,
            // checked just above.
            paths.push(("avx512", |m, rows, scores| unsafe {
                m.score_rows4_avx512(rows, scores)
            }));
        }
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: only pushed when the CPU has AVX2, checked just above.
            paths.push(("avx2", |m, rows, scores| unsafe {
                m.score_rows4_avx2(rows, scores)
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
        for count in [1, 7, 8, 9, 15, 16, 17, 33, 61] {
            let rows: Vec<f32> = (0..count * FEATURE_COUNT).map(|_| next()).collect();
            let walked: Vec<u64> = rows
                .chunks_exact(FEATURE_COUNT)
                .map(|row| m.score(row).to_bits())
                .collect();
            let mut fast = vec![0.0; count];
            m.score_rows(&rows, &mut fast);
            let fast: Vec<u64> = fast.iter().map(|s| s.to_bits()).collect();
            assert_eq!(fast, walked, "score_rows, {count} rows");
            for &(name, path) in &paths {
                let mut scores = vec![0.0; count];
                path(&m, &rows, &mut scores);
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
        let leaves: [f64; 16] =
            std::array::from_fn(|i| (i as f64 - 7.5) * std::f64::consts::PI * 1e-3);
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
}
