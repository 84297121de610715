#!/usr/bin/env python3
"""The dev pages with a comment section under their article, and their mean
precision / recall / F1 for a build.

    python3 tools/comment-pages/comment_pages.py --corpus ../shared/corpus [--bin target/release/kzclean] [-- ARGS]

A page counts when some line is a comment-section heading ("12 Comments",
"Leave a Reply", "7 thoughts on …", "Discussion", "Kommentare", …), at least
100 words of the labelled article stand above it, at least 100 words
follow it and at most a fifth of those are labelled article text (so the
comments are boilerplate by the labels), and the page is not a forum
thread (manifest type). On the dev corpus: 90 pages (76 WCXB, 14
readability). The build cleans all dev pages in one stream (as
tools/stream-eval does); the figures are means over those pages of
score.py's bag-of-words P / R / F1.

Standard library only.
"""
from __future__ import annotations

import argparse
import pathlib
import re
import sys
from collections import Counter

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
import corpus as corpus_reader  # noqa: E402

HEADING = re.compile(
    r"^\W*(\d[\d,.]*\s+)?(comments?|responses?|replies|reader comments|leave a (reply|comment)|post a comment"
    r"|add a comment|join the (conversation|discussion)|discussion|kommentare|commentaires|comentarios|commenti"
    r"|reacties|komentarze|комментарии|\d+ (thoughts|responses|replies|comments) (on|to) .*"
    r"|one (thought|response|reply|comment) (on|to) .*)\W*$",
    re.I,
)
TOKEN = re.compile(r"\w+")


def has_comment_section(page) -> bool:
    if page.ptype == "forum":
        return False
    lines = page.txt.read_text(encoding="utf-8", errors="replace").split("\n")
    labels = corpus_reader.load_labels(page)
    for i, line in enumerate(lines):
        if not HEADING.match(line.strip()):
            continue
        above = sum(len(l.split()) for j, l in enumerate(lines[:i]) if labels[j])
        after = [(len(l.split()), labels[j]) for j, l in enumerate(lines[i + 1:], i + 1) if l.strip()]
        words = sum(n for n, _ in after)
        content = sum(n for n, lab in after if lab)
        if above >= 100 and words >= 100 and content <= 0.2 * words:
            return True
    return False


def prf(out: str, gold: str) -> tuple[float, float, float]:
    o, g = Counter(TOKEN.findall(out.lower())), Counter(TOKEN.findall(gold.lower()))
    tp, n_out, n_gold = sum((o & g).values()), sum(o.values()), sum(g.values())
    if not n_out or not n_gold:
        return 0.0, 0.0, 0.0
    p, r = tp / n_out, tp / n_gold
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    corpus_reader.add_corpus_argument(ap)
    ap.add_argument("--bin", default="target/release/kzclean")
    ap.add_argument("--list", action="store_true", help="print the pages (DATASET/ID) and stop")
    ap.add_argument("args", nargs="*", help="flags for kzclean (after --)")
    a = ap.parse_args()
    pages = corpus_reader.list_pages(a.corpus)
    chosen = {i for i, p in enumerate(pages) if has_comment_section(p)}
    if a.list:
        for i in sorted(chosen):
            print(f"{pages[i].ds}/{pages[i].id}")
        return 0
    try:
        outputs = corpus_reader.clean_as_one_stream(a.bin, [p.txt for p in pages], a.args)
    except RuntimeError as e:
        print(e, file=sys.stderr)
        return 1
    scores = [prf(outputs[i].decode("utf-8", "replace"), pages[i].gold.read_text(encoding="utf-8"))
              for i in sorted(chosen)]
    n = len(scores)
    mean = [sum(s[k] for s in scores) / n for k in range(3)]
    print(f"{n} pages with a comment section: mean P={mean[0]:.4f} R={mean[1]:.4f} F1={mean[2]:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
