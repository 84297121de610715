//! The per-document bar of the classifier: keep the lines that maximise
//! the F-score the model's probabilities lead one to expect.

/// The page-wide errors the bar allows for: three-point Gauss-Hermite
/// nodes (in standard deviations) and their weights.
const SPREAD_NODES: [(f64, f64); 3] = [
    (-1.732_050_807_568_877_2, 1.0 / 6.0),
    (0.0, 2.0 / 3.0),
    (1.732_050_807_568_877_2, 1.0 / 6.0),
];

/// The lowest probability a line needs to be kept in a document, chosen so
/// that the kept lines maximise the F-score (bag of words, weight `beta` on
/// recall) that the model's probabilities lead one to expect; infinite when
/// keeping nothing is best.
///
/// `lines` holds each undecided line's probability of being article text
/// and its words; `kept_words` counts the words rules kept. With the
/// probabilities taken at face value, the article has G = kept_words +
/// sum(p * n) words; keeping the k most probable lines keeps N_k words of
/// which TP_k = kept_words + sum(p * n) over them are expected to be
/// article, for an F-score of (1 + b^2) TP_k / (b^2 G + N_k). The first k
/// with the highest score wins. A fixed threshold treats a page whose
/// lines all look doubtful (a product page, a list of teasers) like a
/// clean article; this keeps its best lines, and cuts deeper into a page
/// whose article is clear.
///
/// `spread` (`keep-spread`) allows for the model being wrong about the
/// whole page at once: its errors on one page go together (a site whose
/// layout it misreads, a list whose teasers are or are not the article).
/// With a spread s > 0, the score of each k is the mean of the F-scores
/// under the log-odds of every line moved by the same d, for d at
/// -sqrt(3) s, 0 and sqrt(3) s (weights 1/6, 2/3, 1/6: d ~ N(0, s^2)).
/// Moving the log-odds by d turns p into p e^d / (1 - p + p e^d).
pub fn expected_f_threshold(lines: &[(f64, f64)], kept_words: f64, beta: f64, spread: f64) -> f64 {
    expected_f_threshold_with(lines, kept_words, beta, spread, &mut BarScratch::default())
}

/// The bar's buffers, kept by the caller (the cleaner's, reused across
/// documents).
#[derive(Debug, Clone, Default)]
pub(crate) struct BarScratch {
    /// The lines' keys, most probable first.
    order: Vec<u64>,
    /// Each line's expected article words under every node, and its words.
    moved_words: Vec<[f64; 4]>,
}

/// A probability as an integer that orders as f64::total_cmp does, but
/// descending.
fn descending(p: f64) -> u64 {
    let bits = p.to_bits() as i64;
    let total = bits ^ (((bits >> 63) as u64) >> 1) as i64;
    !((total as u64) ^ (1 << 63))
}

/// [`expected_f_threshold`] with the caller's buffers.
pub(crate) fn expected_f_threshold_with(
    lines: &[(f64, f64)],
    kept_words: f64,
    beta: f64,
    spread: f64,
    scratch: &mut BarScratch,
) -> f64 {
    let BarScratch { order, moved_words } = scratch;
    let b2 = beta * beta;
    if lines.is_empty() {
        return f64::INFINITY;
    }
    // The odds factor e^d of each node (one node, d = 0, without a spread).
    let nodes: &[(f64, f64)] = if spread > 0.0 {
        &SPREAD_NODES
    } else {
        &SPREAD_NODES[1..2]
    };
    let mut factor = [1.0; 3];
    let mut weight = [0.0; 3];
    for (j, &(x, w)) in nodes.iter().enumerate() {
        factor[j] = (x * spread).exp();
        weight[j] = if spread > 0.0 { w } else { 1.0 };
    }
    let nodes = nodes.len();
    let moved = |p: f64, c: f64| {
        if c == 1.0 {
            p
        } else {
            p * c / (1.0 - p + p * c)
        }
    };
    // Each line's expected article words under every node, and its words,
    // computed once: the pass over the sorted lines adds the same values
    // (its divisions were a third of the bar's instructions).
    moved_words.clear();
    let mut gold = [kept_words; 3];
    let [c0, c1, c2] = factor;
    if nodes == 3 && c1 == 1.0 && c0 != 1.0 && c2 != 1.0 {
        // The spread's usual nodes, written out: moved(p, c) as the
        // closure computes it, without a test and a loop per node.
        moved_words.extend(lines.iter().map(|&(p, n)| {
            let m = [
                p * c0 / (1.0 - p + p * c0) * n,
                p * n,
                p * c2 / (1.0 - p + p * c2) * n,
                n,
            ];
            gold[0] += m[0];
            gold[1] += m[1];
            gold[2] += m[2];
            m
        }));
    } else {
        for &(p, n) in lines {
            let mut m = [0.0, 0.0, 0.0, n];
            for j in 0..nodes {
                m[j] = moved(p, factor[j]) * n;
                gold[j] += m[j];
            }
            moved_words.push(m);
        }
    }
    if gold[..nodes].iter().all(|&g| g <= 0.0) {
        return f64::INFINITY;
    }
    // Most probable first (f64::total_cmp's order), equal probabilities in
    // document order: one 64-bit key per line, the probability's top bits
    // above the index (sorting 128-bit keys of the whole probability took
    // 8% more of --fast's instructions), then the runs that share those
    // bits put in the whole probability's order (few lines differ in the
    // low bits only; equal ones, repeated lines, are in order already).
    let index_bits = usize::BITS - lines.len().leading_zeros();
    let index_mask = u64::MAX.checked_shl(index_bits).map_or(u64::MAX, |m| !m);
    order.clear();
    order.extend(
        lines
            .iter()
            .enumerate()
            .map(|(i, &(p, _))| descending(p) & !index_mask | i as u64),
    );
    order.sort_unstable();
    let index = |key: u64| (key & index_mask) as usize;
    let mut start = 0;
    while let Some(&first) = order.get(start) {
        let run = order[start..]
            .iter()
            .take_while(|&&key| (key ^ first) & !index_mask == 0)
            .count();
        let keys = &mut order[start..start + run];
        let whole = |key: &u64| (descending(lines[index(*key)].0), index(*key));
        if run > 1 && !keys.is_sorted_by_key(whole) {
            keys.sort_unstable_by_key(whole);
        }
        start += run;
    }
    // The nodes whose gold is positive score; a node's factor
    // weight * (1 + b^2) and its b^2 * gold are the same products the
    // score's expression forms first, so each score is the same value.
    let scale: [f64; 3] = std::array::from_fn(|j| weight[j] * (1.0 + b2));
    let base: [f64; 3] = std::array::from_fn(|j| b2 * gold[j]);
    // Every node scoring: the sum unrolled over `N` nodes.
    let all_nodes = |n: usize| {
        move |tp: &[f64; 3], out: f64| {
            // -0.0, as f64's sum starts.
            let mut f = -0.0;
            for j in 0..n {
                f += scale[j] * tp[j] / (base[j] + out).max(1e-12);
            }
            f
        }
    };
    let best_k = if nodes == 3 && gold.iter().all(|&g| g > 0.0) {
        best_prefix::<3>(order, index_mask, moved_words, kept_words, all_nodes(3))
    } else if nodes == 1 && gold[0] > 0.0 {
        best_prefix::<1>(order, index_mask, moved_words, kept_words, all_nodes(1))
    } else {
        // Some node scores nothing: only the others count.
        let some_nodes = |tp: &[f64; 3], out: f64| {
            (0..nodes)
                .filter(|&j| gold[j] > 0.0)
                .map(|j| scale[j] * tp[j] / (base[j] + out).max(1e-12))
                .sum::<f64>()
        };
        best_prefix::<3>(order, index_mask, moved_words, kept_words, some_nodes)
    };
    match best_k {
        0 => f64::INFINITY,
        k => lines[index(order[k - 1])].0,
    }
}

/// The number of most probable lines whose expected F-score is highest
/// (0: none): the prefix sums of the first `N` nodes' moved words, scored
/// by `score` after each line.
fn best_prefix<const N: usize>(
    order: &[u64],
    index_mask: u64,
    moved_words: &[[f64; 4]],
    kept_words: f64,
    score: impl Fn(&[f64; 3], f64) -> f64,
) -> usize {
    let (mut tp, mut out) = ([kept_words; 3], kept_words);
    let (mut best, mut best_k) = (score(&tp, out), 0);
    for (k, &key) in order.iter().enumerate() {
        let m = moved_words[(key & index_mask) as usize];
        for j in 0..N {
            tp[j] += m[j];
        }
        out += m[3];
        let f = score(&tp, out);
        if f > best {
            (best, best_k) = (f, k + 1);
        }
    }
    best_k
}
