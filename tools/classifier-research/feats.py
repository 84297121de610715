#!/usr/bin/env python3
"""Per-line plain-text features for kzclean prototyping.

Every feature is computable in Rust in one pass over the line's chars plus
per-document aggregates (see REPORT.md for exact definitions).

Only NON-BLANK lines are rows; blank lines are always dropped (they carry no
tokens) but they are used for the structural features blank_before/after and
block sizes.

Usage: python feats.py  -> writes cache/feats.npz (X, y, meta) for the corpus.
"""
from __future__ import annotations

import json
import os
import re
import sys
import unicodedata
from collections import Counter

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = "/work/shared/corpus"
TOKEN_RE = re.compile(r"\w+")

# ---------------------------------------------------------------- stoplists
def load_stoplists(d=os.path.join(HERE, "stoplists")):
    langs, word2langs = [], {}
    for fn in sorted(os.listdir(d)):
        if not fn.endswith(".txt") or fn.startswith("LICENSE"):
            continue
        li = len(langs)
        langs.append(fn[:-4])
        for w in open(os.path.join(d, fn), encoding="utf-8"):
            w = w.strip()
            if w:
                word2langs.setdefault(w, set()).add(li)
    return langs, word2langs


LANGS, WORD2LANGS = load_stoplists()

# ---------------------------------------------------------------- char classes
TERMINAL = set('.!?"\')”’»:…。！？」』】）)')  # line ends with one of these -> ends_terminal
SEPARATORS = set("|·•»›/–—")
BULLETS = set("•·-*–—►▸▪■□○●◦✓✔➤→>")
CONTEXT_NONE = -1.0  # value of neighbour features when no neighbour

MONTHS = ("jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|"
          "august|september|october|november|december")
DATE_RE = re.compile(
    r"\b(?:(?:%s)\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d{1,2}(?:st|nd|rd|th)?\s+(?:%s)\.?,?\s+\d{4}"
    r"|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
    r"|\d+\s+(?:second|minute|hour|day|week|month|year)s?\s+ago"
    r"|(?:%s)\s+\d{4})\b" % (MONTHS, MONTHS, MONTHS), re.I)
URL_RE = re.compile(r"https?://|www\.|\.(?:com|org|net|html?)\b", re.I)
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
NUMSTART_RE = re.compile(r"^\(?\d{1,3}[.)]\s")
# small multilingual-agnostic (mostly English) boilerplate vocabulary (whole lowercase words)
BOILER_WORDS = set("""cookie cookies privacy login log sign subscribe newsletter share tweet
facebook twitter linkedin instagram pinterest youtube whatsapp reddit email menu search home
skip navigation copyright reserved terms policy contact advertisement sponsored related
comments reply posted tags categories category previous next read more cart checkout account
register follow""".split())


def is_cjk(c: str) -> bool:
    o = ord(c)
    return (0x3040 <= o <= 0x30FF or 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF
            or 0xAC00 <= o <= 0xD7AF or 0x0E00 <= o <= 0x0E7F or 0xF900 <= o <= 0xFAFF
            or 0xFF66 <= o <= 0xFF9F)


def strip_word(w: str) -> str:
    """lowercase and strip non-alphanumeric chars from both ends"""
    i, j = 0, len(w)
    while i < j and not w[i].isalnum():
        i += 1
    while j > i and not w[j - 1].isalnum():
        j -= 1
    return w[i:j].lower()


LINE_FEATS = [
    "log_chars", "log_words", "log_eff_words", "log_tokens", "mean_word_len",
    "stop_dens", "stop_dens_union", "ends_terminal", "ends_colon", "ends_ellipsis",
    "title_ratio", "upper_ratio", "digit_ratio", "symbol_ratio", "n_separators",
    "has_url", "has_email", "has_copyright", "starts_bullet", "date_like",
    "comma_per_word", "sentence_ends", "cjk_share", "starts_lower", "boiler_words",
    "dup_count", "blank_before", "blank_after", "log_block_len", "block_pos",
    "numeric_token_share", "pipe_like",
]


def line_raw(line: str, stopset_lang: set[int] | None):
    """Returns per-line raw values (dict) and the stripped words (for language detection)."""
    n_chars = len(line)
    words = line.split()
    n_words = len(words)
    tokens = TOKEN_RE.findall(line.lower())
    n_tok = len(tokens)
    letters = upper = digits = symbols = nonspace = seps = cjk = commas = 0
    for c in line:
        if c == " ":
            continue
        nonspace += 1
        if is_cjk(c):
            cjk += 1
        if c.isalpha():
            letters += 1
            if c.isupper():
                upper += 1
        elif c.isdigit():
            digits += 1
        else:
            symbols += 1
            if c in SEPARATORS:
                seps += 1
            if c in ",，、":
                commas += 1
    sw = [strip_word(w) for w in words]
    title = 0
    alpha_words = 0
    for w in words:
        for c in w:
            if c.isalpha():
                alpha_words += 1
                if c.isupper():
                    title += 1
                break
    # effective words: non-CJK whitespace words + CJK chars / 2
    eff_words = (n_words - sum(1 for w in words if any(is_cjk(c) for c in w))) + cjk / 2.0 if cjk else float(n_words)
    low = line.lower()
    last = line[-1] if line else ""
    first = line[0] if line else ""
    sent_ends = len(re.findall(r"[.!?。！？](?:\s|$)", line))
    num_tok = sum(1 for t in tokens if t.isdigit())
    boiler = sum(1 for w in sw if w in BOILER_WORDS)
    return dict(
        log_chars=np.log1p(n_chars), log_words=np.log1p(n_words), log_eff_words=np.log1p(eff_words),
        log_tokens=np.log1p(n_tok), mean_word_len=(nonspace / n_words if n_words else 0.0),
        ends_terminal=float(last in TERMINAL), ends_colon=float(last == ":"),
        ends_ellipsis=float(line.endswith("...") or last == "…"),
        title_ratio=(title / alpha_words if alpha_words else 0.0),
        upper_ratio=(upper / letters if letters else 0.0),
        digit_ratio=(digits / nonspace if nonspace else 0.0),
        symbol_ratio=(symbols / nonspace if nonspace else 0.0),
        n_separators=float(seps), has_url=float(bool(URL_RE.search(line))),
        has_email=float(bool(EMAIL_RE.search(line))),
        has_copyright=float("©" in line or "copyright" in low or "all rights reserved" in low),
        starts_bullet=float(first in BULLETS or bool(NUMSTART_RE.match(line))),
        date_like=float(bool(DATE_RE.search(line))),
        comma_per_word=(commas / max(eff_words, 1.0)), sentence_ends=float(sent_ends),
        cjk_share=(cjk / nonspace if nonspace else 0.0),
        starts_lower=float(first.isalpha() and first.islower()),
        boiler_words=float(boiler), numeric_token_share=(num_tok / n_tok if n_tok else 0.0),
        pipe_like=float(seps >= 2 and n_words <= 3 * seps + 3),
    ), sw, eff_words, n_tok


def doc_features(lines: list[str]):
    """lines: all lines of a dump (including blanks). Returns (idx_nonblank, feature matrix, names)."""
    nb = [i for i, l in enumerate(lines) if l.strip()]
    n = len(nb)
    raws, sws, effs, ntoks = [], [], [], []
    for i in nb:
        r, sw, e, t = line_raw(lines[i], None)
        raws.append(r); sws.append(sw); effs.append(e); ntoks.append(t)
    # ---- language: stoplist with most hits over all doc words
    cnt = np.zeros(len(LANGS))
    union_hits = []
    for sw in sws:
        u = 0
        for w in sw:
            ls = WORD2LANGS.get(w)
            if ls:
                u += 1
                for li in ls:
                    cnt[li] += 1
        union_hits.append(u)
    lang = int(cnt.argmax()) if cnt.max() > 0 else -1
    for r, sw, u in zip(raws, sws, union_hits):
        nw = len(sw)
        if nw:
            h = sum(1 for w in sw if lang in WORD2LANGS.get(w, ()))
            r["stop_dens"] = h / nw
            r["stop_dens_union"] = u / nw
        else:
            r["stop_dens"] = r["stop_dens_union"] = 0.0
    # ---- duplicates
    c = Counter(lines[i] for i in nb)
    for r, i in zip(raws, nb):
        r["dup_count"] = float(min(c[lines[i]] - 1, 5))
    # ---- structural: blank before/after, block (run of consecutive non-blank lines)
    L = len(lines)
    blocks = []  # block id per nonblank line
    bid = -1
    for k, i in enumerate(nb):
        if i == 0 or not lines[i - 1].strip():
            bid += 1
        blocks.append(bid)
    bsize = Counter(blocks)
    bstart = {}
    for k, b in enumerate(blocks):
        bstart.setdefault(b, k)
    for k, (r, i) in enumerate(zip(raws, nb)):
        r["blank_before"] = float(i == 0 or not lines[i - 1].strip())
        r["blank_after"] = float(i == L - 1 or not lines[i + 1].strip())
        s = bsize[blocks[k]]
        r["log_block_len"] = np.log1p(s)
        r["block_pos"] = (k - bstart[blocks[k]]) / s
    X = np.array([[r[f] for f in LINE_FEATS] for r in raws], dtype=np.float32).reshape(n, len(LINE_FEATS))
    effs = np.array(effs, dtype=np.float64)
    ntoks = np.array(ntoks, dtype=np.float64)
    return nb, X, effs, ntoks, lang


# context features: subset of line features for neighbours
CTX_FEATS = ["log_eff_words", "stop_dens", "ends_terminal", "blank_before", "symbol_ratio",
             "title_ratio", "starts_bullet", "log_block_len", "dup_count", "digit_ratio"]


def add_context(X: np.ndarray, effs: np.ndarray, ntoks: np.ndarray):
    """Context + document-level features. Returns (matrix, names)."""
    n = X.shape[0]
    fi = {f: j for j, f in enumerate(LINE_FEATS)}
    cols, names = [], []
    ctx_idx = [fi[f] for f in CTX_FEATS]
    for off in (-2, -1, 1, 2):
        M = np.full((n, len(ctx_idx)), CONTEXT_NONE, dtype=np.float32)
        if n:
            if off < 0:
                M[-off:] = X[:n + off, ctx_idx]
            else:
                M[:n - off] = X[off:, ctx_idx]
        cols.append(M)
        names += [f"{f}@{off:+d}" for f in CTX_FEATS]
    # window (+-3) aggregates
    long_ = (effs >= 15).astype(np.float64)
    sd = X[:, fi["stop_dens"]].astype(np.float64)
    win = 3
    def wmean(v):
        cs = np.concatenate([[0], np.cumsum(v)])
        lo = np.clip(np.arange(n) - win, 0, n); hi = np.clip(np.arange(n) + win + 1, 0, n)
        return (cs[hi] - cs[lo]) / np.maximum(hi - lo, 1)
    W = np.stack([np.log1p(wmean(effs)), wmean(sd), wmean(long_)], 1) if n else np.zeros((0, 3))
    cols.append(W.astype(np.float32)); names += ["win3_log_eff", "win3_stop", "win3_long_share"]
    # distance (in non-blank lines) to nearest long line (eff>=15 and stop_dens>=0.2), capped at 20
    good = np.where((effs >= 15) & (sd >= 0.2))[0] if n else np.array([], int)
    if len(good):
        pos = np.arange(n)
        j = np.searchsorted(good, pos)
        dprev = np.where(j > 0, pos - good[np.clip(j - 1, 0, len(good) - 1)], 99)
        jn = np.searchsorted(good, pos, side="right")
        dnext = np.where(jn < len(good), good[np.clip(jn, 0, len(good) - 1)] - pos, 99)
        # distance to a good line other than itself
        dist = np.minimum(np.minimum(dprev, dnext), 20)
        dprev_c, dnext_c = np.minimum(dprev, 20), np.minimum(dnext, 20)
    else:
        dist = dprev_c = dnext_c = np.full(n, 20)
    # doc-level
    tot = effs.sum() if n else 0.0
    cum_before = (np.cumsum(effs) - effs) / max(tot, 1.0)
    rel_pos = np.arange(n) / max(n - 1, 1)
    rank = np.empty(n); rank[np.argsort(-effs, kind="stable")] = np.arange(n)
    med = np.median(effs) if n else 0.0
    mx = effs.max() if n else 1.0
    D = np.stack([
        dist, dprev_c, dnext_c, cum_before, rel_pos,
        np.full(n, np.log1p(n)), np.full(n, np.log1p(tot)), np.full(n, long_.mean() if n else 0),
        np.log1p(rank), rank / max(n, 1), effs / max(mx, 1.0), np.log1p(effs) - np.log1p(med),
        np.full(n, sd.mean() if n else 0),
    ], 1).astype(np.float32) if n else np.zeros((0, 13), np.float32)
    cols.append(D)
    # block (blank-line-delimited run) aggregates and distance to the longest line
    blank_before = X[:, fi["blank_before"]] > 0
    bid = np.cumsum(blank_before) - 1 if n else np.zeros(0, int)
    nb_ = int(bid[-1]) + 1 if n else 0
    bw = np.bincount(bid, weights=effs, minlength=nb_) if n else np.zeros(0)
    bs = np.bincount(bid, weights=sd * effs, minlength=nb_) / np.maximum(bw, 1) if n else np.zeros(0)
    bw_prev = np.concatenate([[-1.0], np.log1p(bw[:-1])]) if n else np.zeros(0)
    bw_next = np.concatenate([np.log1p(bw[1:]), [-1.0]]) if n else np.zeros(0)
    am = int(np.argmax(effs)) if n else 0
    B = np.stack([np.log1p(bw[bid]), bs[bid], bw_prev[bid], bw_next[bid],
                  (np.arange(n) - am) / max(n, 1), np.log1p(np.abs(np.arange(n) - am))], 1).astype(np.float32) \
        if n else np.zeros((0, 6), np.float32)
    cols.append(B)
    names_b = ["block_log_words", "block_stop_dens", "prev_block_log_words", "next_block_log_words",
               "rel_offset_longest", "log_dist_longest"]
    names += ["dist_good", "dist_good_prev", "dist_good_next", "words_before_share", "rel_pos",
              "doc_log_lines", "doc_log_words", "doc_long_share", "log_len_rank", "len_rank_rel",
              "len_over_max", "loglen_minus_logmedian", "doc_stop_mean"] + names_b
    return np.concatenate([X] + cols, 1), LINE_FEATS + names


def load_corpus():
    pages = []
    for ds in ("wcxb", "readability"):
        man = {}
        with open(os.path.join(CORPUS, ds, "manifest.tsv"), encoding="utf-8") as f:
            hdr = f.readline().rstrip("\n").split("\t")
            for l in f:
                row = dict(zip(hdr, l.rstrip("\n").split("\t")))
                man[row["id"]] = row
        meta = {}
        with open(os.path.join(CORPUS, ds, "meta.jsonl"), encoding="utf-8") as f:
            for l in f:
                m = json.loads(l)
                meta[m["id"]] = m
        for pid in sorted(man):
            dom = meta.get(pid, {}).get("domain") or f"{ds}:{pid}"
            if ds == "readability":
                dom = f"readability:{pid}"
            pages.append(dict(ds=ds, id=pid, ptype=man[pid]["page_type"] or "readability", domain=dom))
    return pages


def main():
    pages = load_corpus()
    Xs, ys, pg, lineidx, effs_all, ntok_all = [], [], [], [], [], []
    langs = []
    names = None
    for k, p in enumerate(pages):
        base = os.path.join(CORPUS, p["ds"], p["id"])
        lines = open(base + ".txt", encoding="utf-8").read().split("\n")
        labels = open(base + ".labels").read().split()
        if lines and lines[-1] == "" and len(labels) == len(lines) - 1:
            lines = lines[:-1]
        assert len(labels) == len(lines), (p, len(labels), len(lines))
        nb, X, effs, ntoks, lang = doc_features(lines)
        X2, names = add_context(X, effs, ntoks)
        Xs.append(X2); ys.append(np.array([int(labels[i]) for i in nb], np.int8))
        pg.append(np.full(len(nb), k, np.int32)); lineidx.append(np.array(nb, np.int32))
        effs_all.append(effs); ntok_all.append(ntoks); langs.append(LANGS[lang] if lang >= 0 else "")
        if k % 200 == 0:
            print(k, file=sys.stderr)
    os.makedirs(os.path.join(HERE, "cache"), exist_ok=True)
    np.savez_compressed(os.path.join(HERE, "cache", "feats.npz"), X=np.concatenate(Xs), y=np.concatenate(ys),
                        page=np.concatenate(pg), line=np.concatenate(lineidx), eff=np.concatenate(effs_all),
                        ntok=np.concatenate(ntok_all), names=np.array(names))
    with open(os.path.join(HERE, "cache", "pages.json"), "w") as f:
        json.dump([dict(p, lang=l) for p, l in zip(pages, langs)], f)
    print(len(names), "features", sum(len(y) for y in ys), "rows")


if __name__ == "__main__":
    main()
