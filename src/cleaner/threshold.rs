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
pub fn expected_f_threshold(
    lines: &[(f64, f64)],
    kept_words: f64,
    beta: f64,
    spread: f64,
    order: &mut Vec<u128>,
) -> f64 {
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
    let mut gold = [kept_words; 3];
    for &(p, n) in lines {
        for j in 0..nodes {
            gold[j] += moved(p, factor[j]) * n;
        }
    }
    if gold[..nodes].iter().all(|&g| g <= 0.0) {
        return f64::INFINITY;
    }
    // Most probable first (f64::total_cmp's order), equal probabilities in
    // document order: one integer key per line, probability above index,
    // so that the sort compares integers, not lines looked up by index.
    order.clear();
    order.extend(lines.iter().enumerate().map(|(i, &(p, _))| {
        let bits = p.to_bits() as i64;
        let total = bits ^ (((bits >> 63) as u64) >> 1) as i64;
        let descending = !((total as u64) ^ (1 << 63));
        u128::from(descending) << 64 | i as u128
    }));
    order.sort_unstable();
    let line = |key: u128| lines[key as u64 as usize];
    let score = |tp: &[f64; 3], out: f64| {
        (0..nodes)
            .filter(|&j| gold[j] > 0.0)
            .map(|j| weight[j] * (1.0 + b2) * tp[j] / (b2 * gold[j] + out).max(1e-12))
            .sum::<f64>()
    };
    let (mut tp, mut out) = ([kept_words; 3], kept_words);
    let (mut best, mut best_k) = (score(&tp, out), 0);
    for (k, &key) in order.iter().enumerate() {
        let (p, n) = line(key);
        for j in 0..nodes {
            tp[j] += moved(p, factor[j]) * n;
        }
        out += n;
        let f = score(&tp, out);
        if f > best {
            (best, best_k) = (f, k + 1);
        }
    }
    match best_k {
        0 => f64::INFINITY,
        k => line(order[k - 1]).0,
    }
}
