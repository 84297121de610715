//! Scoring many rows at once: the depth-4 trees walked with AVX-512, AVX2
//! or eight interleaved walks, all bit-identical to one walk per row.

use super::{Model, Tree4};

impl Model {
    /// [`Model::score_rows`] for trees of depth 4 or less: sixteen or eight
    /// rows at once with SIMD, else eight walks interleaved; no bounds
    /// checks in the walk (indices are masked to the fixed-size arrays,
    /// feature indices were checked when parsing).
    pub(super) fn score_rows4<const W: usize>(
        &self,
        trees: &[Tree4],
        rows: &[f32],
        scores: &mut [f64],
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512cd") {
            // SAFETY: the CPU has AVX-512F and AVX-512CD, checked just above.
            unsafe { self.score_rows4_avx512::<W>(trees, rows, scores) };
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            unsafe { self.score_rows4_avx2::<W>(trees, rows, scores) };
            return;
        }
        self.score_rows4_portable::<W>(trees, rows, scores);
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
    pub(super) fn score_rows4_avx2<const W: usize>(
        &self,
        trees: &[Tree4],
        rows: &[f32],
        scores: &mut [f64],
    ) {
        use std::arch::x86_64::*;
        const LANES: usize = 8;
        let row_count = rows.len() / W;
        // block[f]: feature f of the group's eight rows. 128 slots, so that
        // a split's feature index masked to 7 bits needs no bounds check
        // (indices were checked when parsing; padding splits use 0).
        // Aligned, so that no slot straddles two cache lines (on a 16-byte
        // boundary, half the compares' loads did, and cost 10%).
        // Kept between calls (zeroing 4 KiB at every call cost more than
        // scoring a small document); slots at or past W are never read.
        BLOCK8.with_borrow_mut(|aligned| {
            let block = &mut aligned.0;
            let mut start = 0;
            while start < row_count {
                let lanes = LANES.min(row_count - start);
                // Rows past the end repeat the last one; their scores are dropped.
                let group: [usize; LANES] = std::array::from_fn(|k| start + k.min(lanes - 1));
                // Eight features of the eight rows at a time, transposed in
                // registers (stored one value at a time, they took a tenth of
                // the time). When the count is not a multiple of eight, the last
                // eight overlap the eight before, so no load passes a row's end.
                // Rows of fewer than eight features are refused by score_rows.
                let firsts = (0..W / LANES * LANES)
                    .step_by(LANES)
                    .chain((!W.is_multiple_of(LANES)).then_some(W - LANES));
                // Each row's slice is checked once, not at every load (the
                // loads below need rows of at least eight features).
                const { assert!(W >= LANES) };
                let group_rows: [&[f32; W]; LANES] = std::array::from_fn(|k| {
                    rows[group[k] * W..][..W]
                        .try_into()
                        .expect("rows come in whole feature rows")
                });
                for first in firsts {
                    debug_assert!(first + LANES <= W);
                    let part: [__m256; LANES] = std::array::from_fn(|k| {
                        // SAFETY: eight f32 read from a row of W at `first`,
                        // and `first + LANES <= W` as `firsts` is built.
                        unsafe { _mm256_loadu_ps(group_rows[k].as_ptr().add(first)) }
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
                    let threshold = tree.splits[p].1;
                    let offset = tree.offsets8[p] as usize;
                    debug_assert!(offset <= 127 * 32 && offset.is_multiple_of(32));
                    // SAFETY: build_trees4 sets each offset to (f & 127) * 32
                    // and nothing changes it: eight f32 read at a multiple of
                    // 32 bytes below 4096 from a block of 128 x 8 f32.
                    let x =
                        unsafe { _mm256_loadu_ps(block.as_ptr().cast::<f32>().byte_add(offset)) };
                    // `!(t >= x)`, the same test with the operands swapped, so
                    // that the load is folded into the compare.
                    _mm256_cmp_ps::<_CMP_NGE_UQ>(_mm256_set1_ps(threshold), x)
                };
                // The next group's rows are fetched while this one is scored, a
                // 64-byte line a tree, as in score_rows4_avx512.
                let next = &rows[(start + lanes) * W..];
                let ahead = next[..next.len().min(LANES * W)].chunks(16);
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
                let (near, far) = trees.split_at(ahead.len().min(trees.len()));
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
        })
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
    pub(super) fn score_rows4_avx512<const W: usize>(
        &self,
        trees: &[Tree4],
        rows: &[f32],
        scores: &mut [f64],
    ) {
        use std::arch::x86_64::*;
        const LANES: usize = 16;
        let row_count = rows.len() / W;
        // block[f]: feature f of the group's sixteen rows; 128 slots and
        // aligned as in score_rows4_avx2 (a 64-byte slot on a 16-byte
        // boundary straddles two cache lines).
        // Kept between calls (zeroing 4 KiB at every call cost more than
        // scoring a small document); slots at or past W are never read.
        BLOCK16.with_borrow_mut(|aligned| {
            let block = &mut aligned.0;
            let mut start = 0;
            while start < row_count {
                let lanes = LANES.min(row_count - start);
                // Rows past the end repeat the last one; their scores are dropped.
                let group: [usize; LANES] = std::array::from_fn(|k| start + k.min(lanes - 1));
                // Sixteen features of the sixteen rows at a time, transposed in
                // registers (stored one value at a time, or scattered, they
                // took a quarter of the time).
                for first in (0..W).step_by(LANES) {
                    let count = LANES.min(W - first);
                    let part: [__m512; LANES] = std::array::from_fn(|k| {
                        let at = group[k] * W + first;
                        let values = &rows[at..at + count];
                        // SAFETY: the mask reads only the slice's `count` f32.
                        unsafe {
                            _mm512_maskz_loadu_ps(((1u32 << count) - 1) as u16, values.as_ptr())
                        }
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
                let next = &rows[(start + lanes) * W..];
                let ahead = next[..next.len().min(LANES * W)].chunks(16);
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
                    let chain = |splits: std::ops::Range<usize>| {
                        splits.fold(_mm512_set1_epi32(-1), eliminate)
                    };
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
                let (near, far) = trees.split_at(ahead.len().min(trees.len()));
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
        })
    }
    /// [`Model::score_rows4`] without SIMD: eight walks interleaved.
    pub(super) fn score_rows4_portable<const W: usize>(
        &self,
        trees: &[Tree4],
        rows: &[f32],
        scores: &mut [f64],
    ) {
        const LANES: usize = 8;
        let row_count = rows.len() / W;
        let mut start = 0;
        while start < row_count {
            let lanes = LANES.min(row_count - start);
            // Rows past the end repeat the last one; their scores are dropped.
            let row_of = |k: usize| {
                let r = start + k.min(lanes - 1);
                let row: &[f32; W] = rows[r * W..(r + 1) * W]
                    .try_into()
                    .expect("rows come in whole feature rows");
                row
            };
            let group: [&[f32; W]; LANES] = std::array::from_fn(row_of);
            let mut sums = [0.0f64; LANES];
            for tree in trees {
                let mut at = [0usize; LANES];
                for _ in 0..4 {
                    for k in 0..LANES {
                        let (feature, threshold) = tree.splits[at[k] & 15];
                        let x = group[k][(feature as usize).min(W - 1)];
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
}

/// A value on a 64-byte boundary, the size of a cache line.
#[repr(align(64))]
struct Aligned<T>(T);

#[cfg(target_arch = "x86_64")]
thread_local! {
    /// The transposed rows of score_rows4_avx2 and score_rows4_avx512.
    static BLOCK8: std::cell::RefCell<Aligned<[[f32; 8]; 128]>> =
        const { std::cell::RefCell::new(Aligned([[0.0; 8]; 128])) };
    static BLOCK16: std::cell::RefCell<Aligned<[[f32; 16]; 128]>> =
        const { std::cell::RefCell::new(Aligned([[0.0; 16]; 128])) };
}

/// KEEP[p]: the leaves of a depth-4 tree (leaf i as bit 31 - i) outside
/// the left subtree of split p (breadth-first), for score_rows4_avx512.
pub(super) const KEEP: [u32; 15] = {
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
pub(super) fn transpose16(
    rows: [std::arch::x86_64::__m512; 16],
) -> [std::arch::x86_64::__m512; 16] {
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
pub(super) fn transpose8(rows: [std::arch::x86_64::__m256; 8]) -> [std::arch::x86_64::__m256; 8] {
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
pub(super) fn pick_leaves(
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
