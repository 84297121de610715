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
//! exit AFTER MARGIN SCALE+ SHIFT+ SCALE- SHIFT-   (optional, any number)
//! ```
//!
//! An `exit` line lets a line stop after the first AFTER trees when its
//! score so far is at least MARGIN from zero: its score is then that
//! partial score mapped by `SCALE * s + SHIFT` (the `+` pair for a positive
//! score), a fit of where the remaining trees take such lines. Most lines
//! are that clear early, so the trees cost about half as much, and the page's
//! bar sees nearly the same probabilities (see docs/model.md, "Early exit").
//!
//! `#` starts a comment line. A probability is the logistic of the sum of the
//! trees' leaf values. Split nodes carry the value the tree would give if it
//! stopped there, so `--explain` can say which feature moved the score most
//! along the path (Saabas' attribution).

use std::sync::{Arc, LazyLock};

use crate::features::{FAST_FEATURE_COUNT, FAST_FEATURE_NAMES, FEATURE_COUNT};

/// The built-in model's text.
const BUILTIN: &str = include_str!("../../rules/classifier.model");
/// The built-in model of `--fast`: a few shallow trees over
/// [`FAST_FEATURE_NAMES`].
const BUILTIN_FAST: &str = include_str!("../../rules/fast.model");

static BUILTIN_FAST_MODEL: LazyLock<Arc<Model>> = LazyLock::new(|| {
    // A test parses the shipped file, so this cannot fail in a release.
    Arc::new(
        Model::parse_for(
            "rules/fast.model",
            BUILTIN_FAST.as_bytes(),
            FAST_FEATURE_NAMES,
        )
        .unwrap_or_else(|e| {
            panic!("built-in fast model: {}", e[0]);
        }),
    )
});

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

/// A boosted tree ensemble: the classifier's model, for
/// [`crate::Cleaner::with_model`] ([`Model::parse`] reads a model file,
/// [`Model::builtin`] is the one the cleaner uses by default).
#[derive(Debug, Clone)]
pub struct Model {
    nodes: Vec<Node>,
    roots: Vec<u32>,
    /// The same trees padded to depth 4 when none is deeper (the shipped
    /// model), for the fastest walk; empty otherwise.
    trees4: Vec<Tree4>,
    /// Features in a row: [`FEATURE_COUNT`], or `--fast`'s count.
    width: usize,
    /// Early exits, by increasing `after`, each below the tree count.
    exits: Vec<Exit>,
}

/// A point where the lines whose score is already clear stop scoring.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Exit {
    /// Trees summed before the test.
    after: usize,
    /// The distance from zero a partial score needs to stop.
    margin: f64,
    /// `(scale, shift)` for partial scores above zero, and below it.
    above: (f64, f64),
    below: (f64, f64),
}

impl Exit {
    /// The final score of a line whose partial score stops here, or `None`
    /// when it must go on.
    #[inline]
    fn stop(&self, partial: f64) -> Option<f64> {
        if partial >= self.margin {
            Some(self.above.0 * partial + self.above.1)
        } else if partial <= -self.margin {
            Some(self.below.0 * partial + self.below.1)
        } else {
            None
        }
    }
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
    /// Each split's feature as a byte offset into the AVX2 kernel's block
    /// of transposed rows (32 bytes a feature), so that a split's load
    /// needs no index arithmetic there.
    offsets8: [u32; 16],
}

impl Model {
    /// The model that ships with kzclean.
    pub fn builtin() -> Arc<Model> {
        Arc::clone(&BUILTIN_MODEL)
    }

    /// Parses a model file for `--fast`'s features
    /// ([`crate::FAST_FEATURE_NAMES`]); `path` labels errors.
    ///
    /// # Errors
    ///
    /// As [`Model::parse`].
    pub fn parse_fast(path: &str, bytes: &[u8]) -> Result<Model, Vec<crate::LineError>> {
        Model::parse_for(path, bytes, FAST_FEATURE_NAMES)
    }

    /// The model that ships with kzclean for `--fast`.
    pub fn builtin_fast() -> Arc<Model> {
        Arc::clone(&BUILTIN_FAST_MODEL)
    }

    /// A model without trees: every line scores 0.5. For `--dump-features`,
    /// which must run when the built-in model no longer fits the features.
    pub fn empty() -> Model {
        Model::empty_for(FEATURE_COUNT)
    }

    /// [`Model::empty`] for rows of `width` features.
    pub fn empty_for(width: usize) -> Model {
        Model {
            nodes: Vec::new(),
            roots: Vec::new(),
            trees4: Vec::new(),
            width,
            exits: Vec::new(),
        }
    }

    /// The number of features in a row.
    pub fn width(&self) -> usize {
        self.width
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
                    offsets8: [0; 16],
                };
                self.fill(&mut tree, root, 0);
                tree.offsets8 = tree.splits.map(|(f, _)| (f & 127) * 32);
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
    /// [`Model::width`] values) to `scores`, one per row. Tree by tree over
    /// all rows: the tree stays in cache and the rows' walks overlap in the
    /// CPU.
    ///
    /// Not public, nor are the other scoring methods: only the cleaner
    /// builds feature rows, and a row shorter than the model's width
    /// would panic (an index past its end).
    ///
    /// ```compile_fail,E0624
    /// let mut scores = [0.0; 1];
    /// kzclean::Model::builtin().score_rows(&[0.0; 3], &mut scores);
    /// ```
    pub(crate) fn score_rows(&self, rows: &[f32], scores: &mut [f64]) {
        if self.trees4.is_empty()
            || !(self.width == FEATURE_COUNT || self.width == FAST_FEATURE_COUNT)
        {
            // Deeper trees (a model trained with other settings): one walk a row.
            for (score, row) in scores.iter_mut().zip(rows.chunks_exact(self.width)) {
                *score += self.score(row);
            }
            return;
        }
        let segment = |trees: &[Tree4], rows: &[f32], scores: &mut [f64]| {
            if self.width == FEATURE_COUNT {
                self.score_rows4::<FEATURE_COUNT>(trees, rows, scores);
            } else {
                self.score_rows4::<FAST_FEATURE_COUNT>(trees, rows, scores);
            }
        };
        let Some(first) = self.exits.first() else {
            segment(&self.trees4, rows, scores);
            return;
        };
        EXIT_SCRATCH.with_borrow_mut(|scratch| {
            let ExitScratch {
                partial,
                going,
                rows: kept,
                sums,
            } = scratch;
            // Each segment of trees is summed from zero, then added to the
            // line's score, as the walk in `score` does.
            partial.clear();
            partial.resize(scores.len(), 0.0);
            segment(&self.trees4[..first.after], rows, partial);
            going.clear();
            going.extend(0..scores.len() as u32);
            for (k, exit) in self.exits.iter().enumerate() {
                going.retain(|&i| match exit.stop(partial[i as usize]) {
                    Some(score) => {
                        scores[i as usize] += score;
                        false
                    }
                    None => true,
                });
                if going.is_empty() {
                    return;
                }
                let end = self.exits.get(k + 1).map_or(self.trees4.len(), |e| e.after);
                kept.clear();
                for &i in going.iter() {
                    kept.extend_from_slice(&rows[i as usize * self.width..][..self.width]);
                }
                sums.clear();
                sums.resize(going.len(), 0.0);
                segment(&self.trees4[exit.after..end], kept, sums);
                for (&i, &sum) in going.iter().zip(sums.iter()) {
                    partial[i as usize] += sum;
                }
            }
            for &i in going.iter() {
                scores[i as usize] += partial[i as usize];
            }
        });
    }

    /// The model's raw score (log-odds) for a feature row.
    #[inline]
    pub(crate) fn score(&self, row: &[f32]) -> f64 {
        let tree_sum = |roots: &[u32]| {
            let mut sum = 0.0;
            for &root in roots {
                let mut node = &self.nodes[root as usize];
                while node.feature != LEAF {
                    node = &self.nodes[node.child(row) as usize];
                }
                sum += node.value;
            }
            sum
        };
        let mut from = 0;
        let mut partial = 0.0;
        for exit in &self.exits {
            partial += tree_sum(&self.roots[from..exit.after]);
            if let Some(score) = exit.stop(partial) {
                return score;
            }
            from = exit.after;
        }
        partial + tree_sum(&self.roots[from..])
    }

    /// The probability that the line is article text.
    #[cfg(test)]
    pub(crate) fn probability(&self, row: &[f32]) -> f64 {
        logistic(self.score(row))
    }

    /// The feature that moved the score most, and by how much, in the
    /// direction of `keep` (Saabas: each split's change of the tree's value
    /// is credited to its feature).
    pub(crate) fn strongest_feature(&self, row: &[f32], keep: bool) -> Option<(usize, f64)> {
        let mut credit = vec![0.0f64; self.width];
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

/// What [`Model::score_rows`] keeps between calls for its early exits.
#[derive(Default)]
struct ExitScratch {
    /// Each row's score so far.
    partial: Vec<f64>,
    /// The rows still scoring, by index.
    going: Vec<u32>,
    /// Their feature rows, gathered.
    rows: Vec<f32>,
    /// Their sums over the current segment of trees.
    sums: Vec<f64>,
}

thread_local! {
    static EXIT_SCRATCH: std::cell::RefCell<ExitScratch> =
        std::cell::RefCell::new(ExitScratch::default());
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

mod format;
mod kernels;
#[cfg(test)]
mod tests;
