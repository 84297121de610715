//! The per-document bar of the classifier: keep the lines that maximise
//! the F-score the model's probabilities lead one to expect.

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
pub fn expected_f_threshold(
    lines: &[(f64, f64)],
    kept_words: f64,
    beta: f64,
    order: &mut Vec<u128>,
) -> f64 {
    let b2 = beta * beta;
    let gold = kept_words + lines.iter().map(|&(p, n)| p * n).sum::<f64>();
    if lines.is_empty() || gold <= 0.0 {
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
    let score = |tp: f64, out: f64| (1.0 + b2) * tp / (b2 * gold + out).max(1e-12);
    let (mut tp, mut out) = (kept_words, kept_words);
    let (mut best, mut best_k) = (score(tp, out), 0);
    for (k, &key) in order.iter().enumerate() {
        let (p, n) = line(key);
        tp += p * n;
        out += n;
        let f = score(tp, out);
        if f > best {
            (best, best_k) = (f, k + 1);
        }
    }
    match best_k {
        0 => f64::INFINITY,
        k => line(order[k - 1]).0,
    }
}
