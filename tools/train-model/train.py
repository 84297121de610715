#!/usr/bin/env python3
"""Train kzclean's classifier model from a labelled corpus.

    python3 tools/train-model/train.py --corpus ../shared/corpus          # fit, write rules/classifier.model
    python3 tools/train-model/train.py --corpus ../shared/corpus --cv     # also 5-fold CV by domain first
    python3 tools/train-model/train.py --corpus ../shared/corpus --cv --no-fit --cv-seeds 5   # compare a change
    python3 tools/train-model/train.py --corpus ../shared/corpus --cv --no-fit --cv-seeds 5 --split dataset
                                                                          # each dataset by a model of the others
    python3 tools/train-model/train.py --corpus ../shared/corpus --cv --no-fit --preset recall
                                                                          # as kzclean --recall decides
    python3 tools/train-model/train.py --corpus ../shared/corpus --features fast --trees 16 --learning-rate 0.3
                                                                          # --fast's model, rules/fast.model
    python3 tools/train-model/train.py --corpus ../shared/corpus --cv --no-fit --cv-seeds 2 --save-oof oof.npz \
        --extra-features my_features.py                                   # try a feature before writing it in Rust

Needs numpy, scikit-learn and lightgbm (`pip install numpy scikit-learn lightgbm`)
and a release build (`cargo build --release`). The features come from
`kzclean --dump-features`, so training and inference share one feature
extractor: retrain whenever src/features/ changes (kzclean refuses a model
whose feature list differs from its own).

Corpus layout (read by tools/corpus.py): DATASET/<id>.txt (page dump),
<id>.labels (one 0/1 per line), <id>.gold.txt (gold text, for the F1 the CV
reports), DATASET/manifest.tsv (id, page_type, ..., url) where present.
Cross-validation groups pages by web domain, so a fold never trains and tests
on the same site. `--split dataset`
holds out a whole dataset instead (the readability pages cleaned by a model
of the WCXB pages alone, and the other way round): a change that wins by
domain but loses here learned one dataset's habits.

The model is LightGBM gradient-boosted trees over the lines no rule decided,
each line weighted by its scorer tokens over its page's total (`--weighting
page`): the score is the mean per-page bag-of-words F1, where a long
paragraph matters more than a one-word line and every page weighs the same.
`--weighting sqrt` weighs each line by sqrt(its tokens) + 0.1 whatever its
page (the default until the five-seed CV: 0.8442 against 0.8465 for `page`,
which was ahead at every one of seeds 0-4).

`--extra-features FILE.py` tries features before they are written in Rust:
FILE.py defines `build(pages, doc, line, X, names)` (the corpus pages, and
per dumped row its page index, its line number in the page's .txt, its
kzclean features and their names) and returns `(columns, new_names)`, an
array of one row per dumped row and one column per new name, appended to
kzclean's features for the CV only (kzclean cannot compute them, so no
model is written). `errors.py` reads a `--save-oof` file: where the
out-of-fold errors are.

Besides the fixed thresholds, the CV prints kzclean's own decision (see
expected_f1_keep and src/cleaner/): per page, the most probable lines, as
many as maximise the expected F1, plus every line at or above --threshold
(keep-threshold); and the same per-page decision alone, uncapped.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter

import numpy as np

# LightGBM, scikit-learn and SciPy are imported where they are used, so that
# test_train.py (and analysis scripts) can import this module with numpy alone.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from corpus import add_corpus_argument, list_pages, load_labels  # noqa: E402  tools/corpus.py

TOKEN_RE = re.compile(r"\w+")
# --preset: kzclean's flag, and the preset's keep-threshold, keep-beta and keep-spread
# (src/params.rs; the settings table under "Rule files" in README.md).
PRESETS = {"balanced": ((), 0.5, 0.85, 2.0), "precision": (("--precision",), 0.5, 0.5, 2.0),
           "recall": (("--recall",), 0.2, 2.0, 0.0)}
# keep-spread's page-wide errors: three-point Gauss-Hermite nodes (in standard
# deviations) and weights, as SPREAD_NODES in src/cleaner/threshold.rs.
SPREAD_NODES = ((-3 ** 0.5, 1 / 6), (0.0, 2 / 3), (3 ** 0.5, 1 / 6))
TYPES = ("article", "service", "collection", "product", "forum", "listing", "documentation")


def dump_features(binary, pages, workdir, flags=()):
    stream = os.path.join(workdir, "stream.txt")
    with open(stream, "wb") as out:
        for p in pages:
            data = p.txt.read_bytes()
            out.write(data)
            if data and not data.endswith(b"\n"):
                out.write(b"\n")
            out.write(b"\x0c\n")
    dump = os.path.join(workdir, "features.tsv")
    with open(stream, "rb") as src, open(dump, "wb") as dst:
        subprocess.run([binary, "--dump-features", *flags], stdin=src, stdout=dst, check=True)
    with open(dump, encoding="utf-8") as f:
        names = f.readline().rstrip("\n").split("\t")[3:]
    table = np.loadtxt(dump, delimiter="\t", skiprows=1, dtype=np.float64, ndmin=2)
    return names, table


class Scorer:
    """score.py's bag-of-words F1 per page, for a keep mask over dump rows."""

    def __init__(self, pages, doc, line):
        import scipy.sparse as sp
        self.slices, self.mats, self.golds, self.ngold = [], [], [], []
        bounds = np.searchsorted(doc, np.arange(len(pages) + 1))
        for k, p in enumerate(pages):
            lines = p.txt.read_text(encoding="utf-8", errors="replace").split("\n")
            gold = Counter(TOKEN_RE.findall(p.gold.read_text(encoding="utf-8").lower()))
            vocab = {t: i for i, t in enumerate(gold)}
            s, e = bounds[k], bounds[k + 1]
            rows, cols, vals = [], [], []
            for r, li in enumerate(line[s:e]):
                for t, c in Counter(TOKEN_RE.findall(lines[int(li)].lower())).items():
                    rows.append(r)
                    cols.append(vocab.setdefault(t, len(vocab)))
                    vals.append(c)
            self.mats.append(sp.csr_matrix((vals, (rows, cols)), shape=(e - s, len(vocab))))
            g = np.zeros(len(vocab))
            for t, c in gold.items():
                g[vocab[t]] = c
            self.golds.append(g)
            self.ngold.append(sum(gold.values()))
            self.slices.append((s, e))

    def f1(self, keep):
        out = np.zeros(len(self.slices))
        for k, (s, e) in enumerate(self.slices):
            counts = keep[s:e].astype(np.float64) @ self.mats[k]
            n_out, n_gold = counts.sum(), self.ngold[k]
            if n_gold == 0:
                out[k] = 1.0 if n_out == 0 else 0.0
            elif n_out > 0:
                tp = np.minimum(counts, self.golds[k]).sum()
                prec, rec = tp / n_out, tp / n_gold
                out[k] = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        return out


def append_columns(X, names, columns, new_names):
    """kzclean's features with the columns of --extra-features after them."""
    columns = np.asarray(columns, dtype=np.float32)
    if columns.ndim == 1:
        columns = columns[:, None]
    if columns.shape != (len(X), len(new_names)):
        raise ValueError(f"--extra-features: build() gave columns of shape {columns.shape}, "
                         f"not ({len(X)} rows, {len(new_names)} names)")
    if clash := set(new_names) & set(names):
        raise ValueError(f"--extra-features: {sorted(clash)} are kzclean's feature names already")
    return np.hstack([X, columns]), [*names, *new_names]


def load_extra_features(path):
    """The build() function of an --extra-features file."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("extra_features", path)
    if spec is None or spec.loader is None:
        sys.exit(f"--extra-features: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not callable(getattr(module, "build", None)):
        sys.exit(f"--extra-features: {path} defines no build(pages, doc, line, X, names)")
    return module.build


def summary(pages, f1):
    ds = np.array([p.ds for p in pages])
    pt = np.array([p.ptype for p in pages])
    res = {"ALL": f1.mean()}
    for name in sorted(set(ds)):
        res[name] = f1[ds == name].mean()
    for t in TYPES:
        if (pt == t).any():
            res[t] = f1[pt == t].mean()
    return " ".join(f"{k}={v:.4f}" for k, v in res.items())


def line_weights(kind, ntok, doc, todo, npages):
    """Training weight per dump row. `sqrt`: sqrt(scorer tokens) + 0.1 for every
    line. `page`: tokens + 0.1, divided by the page's total over its model lines,
    so every page weighs the same, as in the mean per-page F1 (rescaled so the
    mean weight over model lines is that of `sqrt`, which keeps
    min_child_samples and reg_lambda on the same scale)."""
    sqrt = np.sqrt(ntok) + 0.1
    if kind == "sqrt":
        return sqrt
    w = ntok + 0.1
    total = np.bincount(doc[todo], weights=w[todo], minlength=npages)
    w = w / np.maximum(total[doc], 1e-12)
    return w * (sqrt[todo].sum() / w[todo].sum())


def expected_f1_keep(prob, words, doc, state, npages, cap=np.inf, beta=1.0, spread=0.0):
    """Per-document decision by expected F1 (F-beta: see the end), as kzclean's keep-beta: in each
    document, with p = the model's probability and n = count_words for each
    model line (state 2), and K = the words of rule-kept lines (state 1):
    G = K + sum(p*n) estimates the gold words. Sort the model lines by p,
    highest first; for the top k (k = 0..m), TP_k = K + sum of p*n over them
    and N_k = K + sum of n over them; take the first k maximising
    2*TP_k / (N_k + G), and keep every model line whose p is at least the k-th
    line's p (none if k = 0), or at least `cap` (kzclean's keep-threshold).
    (The dump has no features for rule-kept lines, so K is 0 here; the
    default rules have no `keep` rule.) With `beta` (kzclean's keep-beta),
    the F-beta: (1 + b^2) TP_k / (N_k + b^2 G). With `spread` (kzclean's
    keep-spread) s > 0, each k scores the mean F-beta over the page's log-odds
    all moved by d = -sqrt(3) s, 0, sqrt(3) s (weights 1/6, 2/3, 1/6), p
    becoming p e^d / (1 - p + p e^d): see src/cleaner/threshold.rs."""
    keep = state == 1
    bounds = np.searchsorted(doc, np.arange(npages + 1))
    for d in range(npages):
        s, e = bounds[d], bounds[d + 1]
        idx = s + np.flatnonzero(state[s:e] == 2)
        if len(idx) == 0:
            continue
        kept = words[s:e][state[s:e] == 1].sum()
        p, n = prob[idx], words[idx]
        if kept + (p * n).sum() <= 0:
            keep[idx[p >= cap]] = True
            continue
        order = np.argsort(-p, kind="stable")
        out = np.concatenate(([kept], kept + np.cumsum(n[order])))
        b2 = beta * beta
        score = np.zeros(len(out))
        for x, w in (SPREAD_NODES if spread > 0 else ((0.0, 1.0),)):
            c = np.exp(x * spread)
            q = p[order] * c / (1 - p[order] + p[order] * c) if c != 1.0 else p[order]
            gold = kept + (q * n[order]).sum()
            tp = np.concatenate(([kept], kept + np.cumsum(q * n[order])))
            score += w * (1 + b2) * tp / np.maximum(out + b2 * gold, 1e-12)
        k = int(np.argmax(score))
        threshold = min(p[order[k - 1]], cap) if k > 0 else cap
        keep[idx[p >= threshold]] = True
    return keep


def make_model(args, seed=None):
    import lightgbm as lgb
    return lgb.LGBMClassifier(
        n_estimators=args.trees, num_leaves=args.leaves, max_depth=args.depth,
        learning_rate=args.learning_rate, min_child_samples=args.min_child, subsample=0.8, subsample_freq=1,
        colsample_bytree=0.8, reg_lambda=1.0, num_threads=args.threads, verbose=-1, random_state=args.seed if seed is None else seed)


def fit_exits(raw_at, full, afters, margin):
    """The model's early exits (src/model/: `exit AFTER MARGIN SCALE+ SHIFT+ SCALE- SHIFT-`).

    raw_at(k): each line's score after the first k trees; full: after all of them. At each
    exit in `afters`, the lines still scoring whose partial score is at least `margin` from
    zero stop there, and take a least-squares line of their final score on their partial
    score, one for each sign. Returns [(after, margin, a+, b+, a-, b-)]."""
    going = np.ones(len(full), bool)
    exits = []
    for after in afters:
        partial = raw_at(after)
        fit = [after, margin]
        for sign in (1, -1):
            stops = going & (sign * partial >= margin)
            if stops.sum() < 2:
                fit += [1.0, 0.0]
                continue
            a, b = np.polyfit(partial[stops], full[stops], 1)
            fit += [float(a), float(b)]
        exits.append(tuple(fit))
        going &= np.abs(partial) < margin
    return exits


def apply_exits(raw_at, full, exits):
    """Each line's score as kzclean computes it with these early exits."""
    score, going = full.copy(), np.ones(len(full), bool)
    for after, margin, a_pos, b_pos, a_neg, b_neg in exits:
        partial = raw_at(after)
        up, down = going & (partial >= margin), going & (partial <= -margin)
        score[up] = a_pos * partial[up] + b_pos
        score[down] = a_neg * partial[down] + b_neg
        going &= ~(up | down)
    return score


def raw_scores(model, X):
    """A fitted LGBMClassifier's scores of the rows X: raw_at(k) after its
    first k trees, and after all of them."""
    booster = model.booster_
    def raw_at(k):
        return booster.predict(X, raw_score=True, num_iteration=k)
    return raw_at, booster.predict(X, raw_score=True)


def model_exits(model, X, afters, margin):
    """fit_exits for a fitted LGBMClassifier over the rows X."""
    if not afters:
        return []
    raw_at, full = raw_scores(model, X)
    return fit_exits(raw_at, full, afters, margin)


def exit_probabilities(model, X, exits):
    """The probabilities kzclean computes from `model` with `exits`."""
    raw_at, full = raw_scores(model, X)
    return 1 / (1 + np.exp(-apply_exits(raw_at, full, exits)))


def write_model(model, names, path, note, exits=()):
    trees = model.booster_.dump_model()["tree_info"]
    out = ["# kzclean classifier model: LightGBM trees, written by tools/train-model/train.py",
           f"# {note}", "kzclean-model 1", f"features {len(names)}", *names, f"trees {len(trees)}"]
    for tree in trees:
        nodes = []

        def walk(node):
            index = len(nodes)
            nodes.append(None)
            if "leaf_value" in node:
                nodes[index] = f"l {node['leaf_value']!r}"
                return index
            assert node["decision_type"] == "<=", node["decision_type"]
            left = walk(node["left_child"])
            right = walk(node["right_child"])
            nodes[index] = (f"s {node['split_feature']} {float(node['threshold'])!r} "
                            f"{left} {right} {node['internal_value']!r}")
            return index

        walk(tree["tree_structure"])
        out.append(f"tree {len(nodes)}")
        out.extend(nodes)
    out.extend("exit " + " ".join(repr(v) for v in e) for e in exits)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_corpus_argument(ap)
    ap.add_argument("--kzclean", default=os.path.join(repo, "target", "release", "kzclean"))
    ap.add_argument("--features", choices=("default", "fast"), default="default",
                    help="the feature set: kzclean's default features (rules/classifier.model), or --fast's "
                         "cheap ones (rules/fast.model; train it with fewer trees, e.g. --trees 40)")
    ap.add_argument("--out", help="the model file (default: rules/classifier.model, or rules/fast.model "
                                  "with --features fast)")
    ap.add_argument("--cv", action="store_true", help="cross-validate before the final fit (folds: --split)")
    ap.add_argument("--split", choices=("domain", "dataset"), default="domain",
                    help="CV folds: 5 groups of web domains, or one fold per dataset (each dataset "
                         "cleaned by a model trained on the others only: the 'another dataset' case)")
    ap.add_argument("--no-fit", action="store_true", help="only the CV; leave the model file alone")
    ap.add_argument("--trees", type=int, default=150)
    ap.add_argument("--leaves", type=int, default=15)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--min-child", type=int, default=100, help="fewest lines in a leaf")
    ap.add_argument("--learning-rate", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0,
                    help="LightGBM's sampling seed; CV moves about 0.002 between seeds")
    ap.add_argument("--cv-seeds", type=int, default=1,
                    help="repeat the CV with this many seeds from --seed and print the means "
                         "(compare changes with 5: a single seed's CV is too noisy for 0.002)")
    ap.add_argument("--ignore", default="", help="comma-separated features the trees must not use")
    ap.add_argument("--save-oof", help="save the CV's out-of-fold probabilities (.npz) for analysis "
                                       "(tools/train-model/errors.py reads it)")
    ap.add_argument("--extra-features", metavar="FILE.py",
                    help="add the feature columns FILE.py's build(pages, doc, line, X, names) returns, "
                         "to try them in the CV before writing them in Rust (needs --cv --no-fit)")
    ap.add_argument("--fold-models", metavar="DIR",
                    help="write the CV's fold models (first seed) to DIR/fold-K.model and each page's fold "
                         "to DIR/folds.tsv, so other tools can clean every page with a model that never "
                         "saw its site (tools/site-profiles/evaluate.py --fold-models)")
    ap.add_argument("--threshold", type=float, default=None,
                    help="keep-threshold: the cap of the per-page decision, and the fixed threshold the CV table marks "
                         "(default: the preset's)")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="balanced",
                    help="CV as kzclean --precision / --recall would decide: the preset's cut guard in the "
                         "features' rule states, its keep-threshold and keep-beta (the fit is the same)")
    ap.add_argument("--weighting", choices=("sqrt", "page"), default="page",
                    help="line weights: tokens normalised per page, or sqrt(tokens)+0.1")
    ap.add_argument("--exit-after", default=None,
                    help="comma-separated tree counts after which clear lines stop scoring (early "
                         "exits; default 30 for the default features, none for --fast's; '' for none)")
    ap.add_argument("--exit-margin", type=float, default=1.5,
                    help="the distance from zero a partial score needs to stop at an early exit")
    args = ap.parse_args()
    preset_flags, preset_threshold, beta, spread = PRESETS[args.preset]
    if args.features == "fast":
        preset_flags = (*preset_flags, "--fast")
    if args.out is None:
        args.out = os.path.join(repo, "rules", "classifier.model" if args.features == "default" else "fast.model")
    if args.exit_after is None:
        args.exit_after = "30" if args.features == "default" else ""
    afters = [int(a) for a in args.exit_after.split(",") if a]
    if any(not 0 < a < args.trees for a in afters) or afters != sorted(set(afters)):
        sys.exit(f"--exit-after wants increasing tree counts below --trees {args.trees}")
    if args.threshold is None:
        args.threshold = preset_threshold
    if args.fold_models and not args.cv:
        sys.exit("--fold-models needs --cv")
    if args.extra_features and not (args.cv and args.no_fit):
        sys.exit("--extra-features is for --cv --no-fit: kzclean cannot compute the extra features")
    if args.preset != "balanced" and not (args.cv and args.no_fit):
        sys.exit("--preset is for --cv --no-fit: the shipped model is fitted on the balanced preset's rule states")

    pages = list_pages(args.corpus)
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        names, table = dump_features(args.kzclean, pages, tmp, preset_flags)
    doc, line, state, X = table[:, 0].astype(int), table[:, 1].astype(int), table[:, 2].astype(int), table[:, 3:]
    X = X.astype(np.float32)
    if args.extra_features:
        # A ValueError inside build() keeps its traceback; only the
        # columns' fit is reported as a one-line error.
        columns, new_names = load_extra_features(args.extra_features)(pages, doc, line, X, names)
        try:
            X, names = append_columns(X, names, columns, new_names)
        except ValueError as e:
            sys.exit(str(e))
    for name in filter(None, args.ignore.split(",")):
        X[:, names.index(name)] = 0.0  # a constant column is never split on
    labels, ntok = np.zeros(len(doc), int), np.zeros(len(doc))
    bounds = np.searchsorted(doc, np.arange(len(pages) + 1))
    for k, p in enumerate(pages):
        lab = load_labels(p)
        text = p.txt.read_text(encoding="utf-8", errors="replace").split("\n")
        for r in range(bounds[k], bounds[k + 1]):
            labels[r] = lab[line[r]]
            ntok[r] = len(TOKEN_RE.findall(text[line[r]].lower()))
    todo = state == 2
    weights = line_weights(args.weighting, ntok, doc, todo, len(pages))
    print(f"{len(pages)} pages, {len(doc)} non-blank lines, {todo.sum()} for the model "
          f"({time.time() - t0:.0f} s to dump and load)", file=sys.stderr)

    if args.cv:
        from sklearn.model_selection import GroupKFold
        scorer = Scorer(pages, doc, line)
        if args.split == "dataset":
            datasets = sorted({p.ds for p in pages})
            if len(datasets) < 2:
                sys.exit(f"--split dataset needs two or more datasets under {args.corpus}; found {datasets}")
            page_fold = np.array([datasets.index(p.ds) for p in pages])
            folds = len(datasets)
        else:
            folds = 5
            domains = np.array([p.domain for p in pages])
            page_fold = np.zeros(len(pages), int)
            for f, (_, test) in enumerate(GroupKFold(n_splits=folds, shuffle=True, random_state=0)
                                          .split(np.zeros(len(pages)), groups=domains)):
                page_fold[test] = f
        fold = page_fold[doc]
        if args.fold_models:
            os.makedirs(args.fold_models, exist_ok=True)
            with open(os.path.join(args.fold_models, "folds.tsv"), "w", encoding="utf-8") as f:
                f.write("dataset\tid\tfold\n")
                f.writelines(f"{p.ds}\t{p.id}\t{page_fold[k]}\n" for k, p in enumerate(pages))
        words = np.rint(np.expm1(X[:, names.index("log_words")]))  # count_words
        thresholds = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
        # Per decision, the per-page F1 of each seed's CV; printed as their mean.
        runs: dict[str, list] = {}
        for seed in range(args.seed, args.seed + args.cv_seeds):
            prob = np.zeros(len(doc))
            for f in range(folds):
                train, test = todo & (fold != f), todo & (fold == f)
                m = make_model(args, seed).fit(X[train], labels[train], sample_weight=weights[train])
                exits = model_exits(m, X[train], afters, args.exit_margin)
                prob[test] = exit_probabilities(m, X[test], exits)
                if args.fold_models and seed == args.seed:
                    write_model(m, names, os.path.join(args.fold_models, f"fold-{f}.model"),
                                f"CV fold {f} of {folds} ({args.split}), seed {seed}: trained without its pages",
                                exits)
            if args.save_oof and seed == args.seed:
                np.savez(args.save_oof, doc=doc, line=line, state=state, prob=prob, labels=labels,
                         weights=weights, X=X, names=np.array(names))
            for thr in thresholds:
                keep = (state == 1) | (todo & (prob >= thr))
                runs.setdefault(f"threshold {thr:.2f}", []).append(scorer.f1(keep))
            keep = expected_f1_keep(prob, words, doc, state, len(pages), cap=args.threshold, beta=beta,
                                    spread=spread)
            runs.setdefault("kzclean", []).append(scorer.f1(keep))
            keep = expected_f1_keep(prob, words, doc, state, len(pages), beta=beta, spread=spread)
            runs.setdefault("per page alone", []).append(scorer.f1(keep))
            if args.cv_seeds > 1:
                print(f"seed {seed}: CV kzclean: {summary(pages, runs['kzclean'][-1])}", file=sys.stderr)
        mean = {name: np.mean(f1s, axis=0) for name, f1s in runs.items()}
        over = f" (mean of seeds {args.seed}-{args.seed + args.cv_seeds - 1})" if args.cv_seeds > 1 else ""
        print("rules only:", summary(pages, scorer.f1(state != 0)))
        for thr in thresholds:
            mark = " <-" if abs(thr - args.threshold) < 1e-9 else ""
            print(f"CV threshold {thr:.2f}{over}: {summary(pages, mean[f'threshold {thr:.2f}'])}{mark}")
        name = "kzclean" if args.preset == "balanced" else f"kzclean --{args.preset}"
        print(f"CV {name} (per page, beta {beta}, spread {spread}, capped at {args.threshold}){over}: "
              f"{summary(pages, mean['kzclean'])} <=")
        print(f"CV per page alone{over}: {summary(pages, mean['per page alone'])}")
    if args.no_fit:
        return
    model = make_model(args).fit(X[todo], labels[todo], sample_weight=weights[todo])
    note = (f"{args.trees} trees, ignoring [{args.ignore}], <= {args.leaves} leaves, depth <= {args.depth}, "
            f"{args.weighting} weights, seed {args.seed}, trained on {todo.sum()} lines of {len(pages)} pages")
    exits = model_exits(model, X[todo], afters, args.exit_margin)
    if exits:
        note += f", early exits after {args.exit_after} trees at margin {args.exit_margin}"
    write_model(model, names, args.out, note, exits)
    print(f"wrote {args.out}: {note}", file=sys.stderr)


if __name__ == "__main__":
    main()
