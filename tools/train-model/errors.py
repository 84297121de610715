#!/usr/bin/env python3
"""Where the model's out-of-fold errors are: by page type, and a sample of the
wrong lines drawn by weight.

    python3 tools/train-model/train.py --corpus ../shared/corpus --cv --no-fit --save-oof oof.npz
    python3 tools/train-model/errors.py oof.npz --corpus ../shared/corpus [--sample 40] [--seed 0]

A line counts as kept boilerplate when its label is 0 and its out-of-fold
probability reaches --kept (0.5), as dropped article when its label is 1 and
the probability is under --dropped (0.3): between the two, the per-page bar
decides. Only the lines the model decides (no rule did) count, each with the
weight the training gives it (its share of its page's words, rescaled: every
page weighs the same), so the figures are proportional to what the errors
cost the mean per-page F1 the scorer reports. The sample shows
page type, page id, probability and the line, most weighty kinds of error
coming up most often: read it to find what the features cannot see.

Needs numpy (the .npz) and tools/corpus.py.
"""
from __future__ import annotations

import argparse
import pathlib
import random
import sys
from collections import Counter

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from corpus import add_corpus_argument, list_pages  # noqa: E402  tools/corpus.py


def error_masks(oof, kept: float, dropped: float):
    """(kept boilerplate, dropped article, decided by the model) masks."""
    todo = oof["state"] == 2
    prob, labels = oof["prob"], oof["labels"]
    return todo & (labels == 0) & (prob >= kept), todo & (labels == 1) & (prob < dropped), todo


def weight_by_type(mask, weights, doc, pages) -> Counter:
    by_type = Counter()
    for i in np.flatnonzero(mask):
        by_type[pages[doc[i]].ptype] += weights[i]
    return by_type


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("oof", help="the .npz train.py --save-oof wrote")
    add_corpus_argument(ap)
    ap.add_argument("--kept", type=float, default=0.5, help="boilerplate at or above this is an error")
    ap.add_argument("--dropped", type=float, default=0.3, help="article below this is an error")
    ap.add_argument("--sample", type=int, default=40, help="lines to show of each kind of error")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    oof = np.load(a.oof)
    pages = list_pages(a.corpus)
    doc, line, prob, weights = oof["doc"], oof["line"], oof["prob"], oof["weights"]
    if doc.max(initial=-1) >= len(pages):
        sys.exit(f"{a.oof} has pages {a.corpus} does not: was it saved from another corpus?")
    kept, dropped, todo = error_masks(oof, a.kept, a.dropped)
    total = weights[todo].sum()
    print(f"model lines' weight {total:.0f}: kept boilerplate {weights[kept].sum():.0f}, "
          f"dropped article {weights[dropped].sum():.0f}")
    for name, mask in (("kept boilerplate", kept), ("dropped article", dropped)):
        by_type = weight_by_type(mask, weights, doc, pages)
        print(f"{name} by page type: " + ", ".join(f"{t} {w:.0f}" for t, w in by_type.most_common()))
    texts: dict[int, list[str]] = {}

    def text(i: int) -> str:
        k = int(doc[i])
        if k not in texts:
            texts[k] = pages[k].txt.read_text(encoding="utf-8", errors="replace").split("\n")
        return texts[k][int(line[i])]

    rng = random.Random(a.seed)
    for name, mask in (("kept boilerplate", kept), ("dropped article", dropped)):
        rows = np.flatnonzero(mask)
        if len(rows) == 0 or a.sample <= 0:
            continue
        print(f"\n{name}, {a.sample} lines drawn by weight:")
        for i in sorted(rng.choices(list(rows), weights=list(weights[rows]), k=a.sample)):
            page = pages[doc[i]]
            print(f"{page.ptype[:13]:13} {page.ds}/{page.id} p={prob[i]:.2f} | {text(i)[:140]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
