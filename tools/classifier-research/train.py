#!/usr/bin/env python3
"""Domain-grouped CV of per-line classifiers for kzclean + final fit.

    python feats.py            # builds cache/feats.npz
    python train.py exp        # all CV experiments -> results/*.json, printed tables
    python train.py final      # final fit of the recommended model -> model/
Single core only (n_jobs=1 / num_threads=1).
"""
from __future__ import annotations

import json
import os
import re
import sys
import time
from collections import Counter

import numpy as np
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = "/work/shared/corpus"
TOKEN_RE = re.compile(r"\w+")
NFOLD = 5
SEED = 0
THRESHOLDS = np.round(np.arange(0.2, 0.71, 0.025), 3)


# ------------------------------------------------------------------ data
def load():
    z = np.load(os.path.join(HERE, "cache", "feats.npz"))
    pages = json.load(open(os.path.join(HERE, "cache", "pages.json")))
    return z, pages


class Scorer:
    """Exact bag-of-words F1 per page (score.py prf logic) for a boolean keep mask over non-blank lines."""

    def __init__(self, pages, page_of_row, line_of_row):
        self.pages = pages
        self.mats, self.golds, self.ngold = [], [], []
        self.row_slices = []
        order = np.argsort(page_of_row, kind="stable")
        assert (order == np.arange(len(order))).all()
        bounds = np.searchsorted(page_of_row, np.arange(len(pages) + 1))
        for k, p in enumerate(pages):
            base = os.path.join(CORPUS, p["ds"], p["id"])
            lines = open(base + ".txt", encoding="utf-8").read().split("\n")
            gold = TOKEN_RE.findall(open(base + ".gold.txt", encoding="utf-8").read().lower())
            vocab = {}
            gc = Counter(gold)
            for t in gc:
                vocab.setdefault(t, len(vocab))
            s, e = bounds[k], bounds[k + 1]
            rows, cols, vals = [], [], []
            for r, li in enumerate(line_of_row[s:e]):
                for t, c in Counter(TOKEN_RE.findall(lines[li].lower())).items():
                    rows.append(r); cols.append(vocab.setdefault(t, len(vocab))); vals.append(c)
            M = sp.csr_matrix((vals, (rows, cols)), shape=(e - s, len(vocab)), dtype=np.float64)
            g = np.zeros(len(vocab))
            for t, c in gc.items():
                g[vocab[t]] = c
            self.mats.append(M); self.golds.append(g); self.ngold.append(len(gold))
            self.row_slices.append((s, e))

    def f1(self, keep):
        out = np.zeros(len(self.pages))
        for k, (s, e) in enumerate(self.row_slices):
            m = keep[s:e]
            if not m.any():
                out[k] = 1.0 if self.ngold[k] == 0 else 0.0
                continue
            oc = m.astype(np.float64) @ self.mats[k]
            n_out = oc.sum(); g = self.golds[k]; n_gold = self.ngold[k]
            if n_gold == 0:
                out[k] = 1.0 if n_out == 0 else 0.0
                continue
            if n_out == 0:
                continue
            tp = np.minimum(oc, g).sum()
            p, r = tp / n_out, tp / n_gold
            out[k] = 2 * p * r / (p + r) if p + r else 0.0
        return out


def summary(pages, f1s):
    ds = np.array([p["ds"] for p in pages]); pt = np.array([p["ptype"] for p in pages])
    res = {"all": f1s.mean(), "wcxb": f1s[ds == "wcxb"].mean(), "readability": f1s[ds == "readability"].mean()}
    for t in ("article", "service", "collection", "product", "forum", "listing", "documentation"):
        res[t] = f1s[pt == t].mean()
    return {k: round(float(v), 4) for k, v in res.items()}


def fmt_row(name, r, thr=None):
    cols = ["all", "wcxb", "readability", "article", "service", "collection", "product", "forum", "listing",
            "documentation"]
    return f"| {name} | " + ("" if thr is None else f"{thr} | ") + " | ".join(f"{r[c]:.3f}" for c in cols) + " |"


def folds_for(pages, page_of_row):
    from sklearn.model_selection import GroupKFold
    doms = np.array([p["domain"] for p in pages])
    # pages -> fold via GroupKFold on domain (readability pages are each their own group)
    gkf = GroupKFold(n_splits=NFOLD, shuffle=True, random_state=SEED)
    page_fold = np.zeros(len(pages), int)
    for f, (_, te) in enumerate(gkf.split(np.zeros(len(pages)), groups=doms)):
        page_fold[te] = f
    return page_fold, page_fold[page_of_row]


# ------------------------------------------------------------------ models
def make_model(kind, **kw):
    if kind == "lr":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        return make_pipeline(StandardScaler(), LogisticRegression(C=kw.get("C", 1.0), max_iter=2000))
    if kind == "lgb":
        import lightgbm as lgb
        return lgb.LGBMClassifier(n_estimators=kw.get("trees", 200), num_leaves=kw.get("leaves", 15),
                                  max_depth=kw.get("depth", -1), learning_rate=kw.get("lr", 0.1),
                                  min_child_samples=kw.get("min_child", 100), subsample=0.8, subsample_freq=1,
                                  colsample_bytree=0.8, reg_lambda=1.0, num_threads=1, verbose=-1,
                                  random_state=SEED)
    if kind == "gbc":
        from sklearn.ensemble import GradientBoostingClassifier
        return GradientBoostingClassifier(n_estimators=kw.get("trees", 100), max_depth=kw.get("depth", 3),
                                          learning_rate=kw.get("lr", 0.1), subsample=0.5, random_state=SEED)
    raise ValueError(kind)


def weights(ntok, scheme):
    if scheme == "none":
        return np.ones_like(ntok)
    if scheme == "log":
        return np.log1p(ntok) + 0.1
    if scheme == "sqrt":
        return np.sqrt(ntok) + 0.1
    if scheme == "tok":
        return ntok + 0.1
    raise ValueError(scheme)


def cv_oof(X, y, fold, kind, w=None, **kw):
    oof = np.zeros(len(y))
    models = []
    for f in range(NFOLD):
        tr, te = fold != f, fold == f
        m = make_model(kind, **kw)
        if w is None:
            m.fit(X[tr], y[tr])
        elif kind == "lr":
            m.fit(X[tr], y[tr], logisticregression__sample_weight=w[tr])
        else:
            m.fit(X[tr], y[tr], sample_weight=w[tr])
        oof[te] = m.predict_proba(X[te])[:, 1]
        models.append(m)
    return oof, models


def best_threshold(scorer, pages, prob, thresholds=THRESHOLDS):
    best = None
    table = {}
    for t in thresholds:
        f = scorer.f1(prob >= t)
        table[float(t)] = float(f.mean())
        if best is None or f.mean() > best[1]:
            best = (float(t), float(f.mean()), f)
    return best, table


# ------------------------------------------------------------------ stage 2
def max_subarray_mask(score):
    """best contiguous run of sum(score) (Kadane); returns 0/1 mask"""
    n = len(score)
    m = np.zeros(n, np.float32)
    if n == 0:
        return m
    best, cur, bs, be, cs = -1e18, 0.0, 0, -1, 0
    for i, v in enumerate(score):
        if cur <= 0:
            cur, cs = v, i
        else:
            cur += v
        if cur > best:
            best, bs, be = cur, cs, i
    if best > 0:
        m[bs:be + 1] = 1
    return m


def stage2_features(prob, page_of_row, ntok, win=3):
    """Neighbour probabilities (+-win non-blank lines, -1 outside doc), window means, main-body run."""
    n = len(prob)
    bounds = np.searchsorted(page_of_row, np.arange(page_of_row.max() + 2))
    cols = []
    names = []
    P = np.full((n, 2 * win), -1.0, np.float32)
    extra = np.zeros((n, 6), np.float32)
    for k in range(len(bounds) - 1):
        s, e = bounds[k], bounds[k + 1]
        if e == s:
            continue
        p = prob[s:e]; m = e - s
        j = 0
        for off in list(range(-win, 0)) + list(range(1, win + 1)):
            if off < 0 and m + off > 0:
                P[s - off:e, j] = p[:m + off]
            elif off > 0 and m - off > 0:
                P[s:e - off, j] = p[off:]
            j += 1
        cs = np.concatenate([[0], np.cumsum(p)])
        idx = np.arange(m)
        lo = np.clip(idx - win, 0, m); hi = np.clip(idx + win + 1, 0, m)
        wm = (cs[hi] - cs[lo]) / (hi - lo)
        # token-weighted window mean
        t = ntok[s:e]
        ct = np.concatenate([[0], np.cumsum(t)]); cpt = np.concatenate([[0], np.cumsum(p * t)])
        wtm = (cpt[hi] - cpt[lo]) / np.maximum(ct[hi] - ct[lo], 1)
        body = max_subarray_mask((p - 0.5) * np.log1p(t))
        extra[s:e, 0] = wm
        extra[s:e, 1] = wtm
        extra[s:e, 2] = body
        extra[s:e, 3] = p.mean()
        extra[s:e, 4] = (p >= 0.5).mean()
        extra[s:e, 5] = (p * t).sum() / max(t.sum(), 1)
    names = [f"p@{o:+d}" for o in list(range(-win, 0)) + list(range(1, win + 1))] + [
        "p_win_mean", "p_win_tokmean", "p_mainbody", "p_doc_mean", "p_doc_share_pos", "p_doc_tokmean"]
    return np.concatenate([prob[:, None].astype(np.float32), P, extra], 1), ["p_self"] + names


# ------------------------------------------------------------------ experiments
def main_exp(which):
    z, pages = load()
    X, y, page, line, ntok = z["X"], z["y"].astype(int), z["page"], z["line"], z["ntok"]
    names = list(z["names"])
    t0 = time.time()
    scorer = Scorer(pages, page, line)
    print(f"scorer built {time.time() - t0:.0f}s", file=sys.stderr)
    page_fold, fold = folds_for(pages, page)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    from feats import LINE_FEATS
    nline = len(LINE_FEATS)
    ctx_cols = [i for i, nm in enumerate(names) if "@" in nm or nm.startswith("win3") or nm.startswith("dist_")]
    doc_cols = [i for i, nm in enumerate(names) if i >= nline and i not in ctx_cols]
    sets = {
        "line": list(range(nline)),
        "line+ctx": list(range(nline)) + ctx_cols,
        "line+ctx+doc": list(range(len(names))),
    }
    results = {}
    out_lines = []

    def record(name, prob, extra=None):
        (thr, mf, f), table = best_threshold(scorer, pages, prob)
        f05 = scorer.f1(prob >= 0.5)
        r = summary(pages, f); r05 = summary(pages, f05)
        results[name] = dict(thr=thr, best=r, at05=r05, thr_table=table, **(extra or {}))
        line = fmt_row(name, r, thr)
        out_lines.append(line)
        print(line, f"| @0.5 all={r05['all']:.3f} rd={r05['readability']:.3f}", f"({time.time() - t0:.0f}s)", flush=True)
        json.dump(results, open(os.path.join(HERE, "results", f"{which}.json"), "w"), indent=1)
        return f

    # baselines
    record("keep-all", np.ones(len(y)))
    record("oracle labels", y.astype(float))

    if which in ("feat", "all"):
        for sname, cols in sets.items():
            oof, _ = cv_oof(X[:, cols], y, fold, "lr")
            record(f"LR {sname}", oof)
        for sname, cols in sets.items():
            oof, _ = cv_oof(X[:, cols], y, fold, "lgb", trees=200, leaves=15)
            record(f"LGB200x15 {sname}", oof)
            np.save(os.path.join(HERE, "cache", f"oof_lgb_{sname}.npy"), oof)
    if which in ("weights", "all"):
        for sch in ("log", "sqrt", "tok"):
            oof, _ = cv_oof(X, y, fold, "lgb", w=weights(ntok, sch), trees=200, leaves=15)
            record(f"LGB200x15 full w={sch}", oof)
            np.save(os.path.join(HERE, "cache", f"oof_lgb_w{sch}.npy"), oof)
    if which in ("v2", "all"):
        oof, ms = cv_oof(X, y, fold, "lgb", w=weights(ntok, "sqrt"), trees=200, leaves=15)
        record("LGB200x15 full+block w=sqrt", oof)
        np.save(os.path.join(HERE, "cache", "oof_lgb_v2.npy"), oof)
        imp = np.mean([m.booster_.feature_importance("gain") for m in ms], 0)
        imp = imp / imp.sum()
        results["importance_gain"] = {names[i]: round(float(imp[i]), 4) for i in np.argsort(-imp)}
    if which in ("size", "all"):
        for trees, leaves, depth, lr in ((100, 8, 3, 0.1), (150, 16, 4, 0.1)):
            oof, _ = cv_oof(X, y, fold, "lgb", w=weights(ntok, "sqrt"), trees=trees, leaves=leaves,
                            depth=depth, lr=lr)
            record(f"LGB {trees}t leaves{leaves} depth{depth} lr{lr} w=sqrt", oof)
    if which.startswith("stage2"):
        src = os.environ.get("S1", "oof_lgb_line+ctx+doc")
        p1 = np.load(os.path.join(HERE, "cache", src + ".npy"))
        record(f"stage1 {src}", p1)
        S, snames = stage2_features(p1, page, ntok)
        w = weights(ntok, os.environ.get("W2", "sqrt"))
        oof, _ = cv_oof(S, y, fold, "lr", w=w)
        record("S2 LR on p-features", oof)
        oof, _ = cv_oof(S, y, fold, "lgb", w=w, trees=100, leaves=8, depth=3)
        record("S2 LGB100x8(d3) on p-features", oof)
        XS = np.concatenate([X, S], 1)
        oof, _ = cv_oof(XS, y, fold, "lgb", w=w, trees=100, leaves=8, depth=3)
        record("S2 LGB100x8(d3) on X+p-features", oof)
        np.save(os.path.join(HERE, "cache", "oof_s2_XS.npy"), oof)
        oof, _ = cv_oof(XS, y, fold, "lgb", w=w, trees=200, leaves=15)
        record("S2 LGB200x15 on X+p-features", oof)
        # mainbody rule only: keep p>=t OR (in main body and p>=t2)
        body = S[:, snames.index("p_mainbody")]
        for t2 in (0.1, 0.2):
            record(f"rule: p>=t or (mainbody and p>={t2})", np.where((body > 0) & (p1 >= t2), 1.0, p1))
    json.dump(results, open(os.path.join(HERE, "results", f"{which}.json"), "w"), indent=1)
    print("\n".join(out_lines))


def main_final():
    """Stage 1: LGB 200 trees x 15 leaves (w=sqrt tokens) on all features; stage 2: LR on p-features
    trained on out-of-fold stage-1 probabilities. Also reports the CV score of exactly this pipeline."""
    z, pages = load()
    X, y, page, line, ntok = z["X"], z["y"].astype(int), z["page"], z["line"], z["ntok"]
    names = list(z["names"])
    scorer = Scorer(pages, page, line)
    page_fold, fold = folds_for(pages, page)
    w = weights(ntok, "sqrt")
    p1 = np.load(os.path.join(HERE, "cache", "oof_lgb_v2.npy"))
    S, snames = stage2_features(p1, page, ntok)
    oof2, _ = cv_oof(S, y, fold, "lr", w=w)
    (thr, mf, f), table = best_threshold(scorer, pages, oof2)
    res = dict(thr=thr, cv=summary(pages, f), at05=summary(pages, scorer.f1(oof2 >= 0.5)), thr_table=table)
    print(fmt_row("final S1 LGB200x15 + S2 LR", res["cv"], thr))
    os.makedirs(os.path.join(HERE, "model"), exist_ok=True)
    m1 = make_model("lgb", trees=200, leaves=15)
    m1.fit(X, y, sample_weight=w)
    m1.booster_.save_model(os.path.join(HERE, "model", "stage1_lgb.txt"))
    json.dump(m1.booster_.dump_model(), open(os.path.join(HERE, "model", "stage1_lgb.json"), "w"))
    m2 = make_model("lr")
    m2.fit(S, y, logisticregression__sample_weight=w)
    sc, lr = m2.named_steps["standardscaler"], m2.named_steps["logisticregression"]
    # fold scaler into raw-feature coefficients: z = b + sum w_i (x_i - mu_i)/sd_i
    coef = lr.coef_[0] / sc.scale_
    icpt = float(lr.intercept_[0] - (lr.coef_[0] * sc.mean_ / sc.scale_).sum())
    res["stage2_lr"] = dict(features=snames, coef=[float(c) for c in coef], intercept=icpt)
    res["stage1_features"] = names
    json.dump(res, open(os.path.join(HERE, "model", "final.json"), "w"), indent=1)
    print(json.dumps(res["stage2_lr"]))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "final":
        main_final()
    else:
        main_exp(sys.argv[1] if len(sys.argv) > 1 else "all")
