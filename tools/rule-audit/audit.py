#!/usr/bin/env python3
"""What each rule removes from a labelled corpus: article lines or boilerplate.

    python3 tools/rule-audit/audit.py --corpus ../shared/corpus [--bin target/release/kzclean] [--rules site.rules]

Runs kzclean with `--explain --no-classifier` over every page (as one stream,
pages joined by form-feed lines) and, per rule, counts the lines and words it
removed that the labels (`<id>.labels`, 1 = article) call article text, and
those they call boilerplate. A rule whose removals are mostly article text
costs more than it saves; the table lists rules by article words removed,
with a few of those lines, and the number of pages they came from (a rule
that only errs on one page says less than one that errs on many).

Standard library only; needs a release build (`cargo build --release`).
"""
from __future__ import annotations

import argparse
import collections
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from corpus import add_corpus_argument, list_pages, load_labels  # noqa: E402  tools/corpus.py


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_corpus_argument(ap)
    ap.add_argument("--bin", default="target/release/kzclean")
    ap.add_argument("--rules", action="append", default=[], help="extra rule files, as kzclean --rules")
    ap.add_argument("--top", type=int, default=30, help="rules to list")
    args = ap.parse_args()

    files = list_pages(args.corpus)
    if not files:
        sys.exit(f"no labelled pages under {args.corpus}")
    texts = []
    stream = bytearray()
    for f in files:
        text = f.txt.read_bytes()
        if text and not text.endswith(b"\n"):
            text += b"\n"
        texts.append(text)
        stream += text + b"\x0c\n"
    command = [args.bin, "--explain", "--no-classifier", "--threads", "0"]
    for r in args.rules:
        command += ["--rules", r]
    rows = subprocess.run(command, input=bytes(stream), capture_output=True, check=True).stdout.split(b"\n")

    Side = collections.namedtuple("Side", "lines words pages examples")
    article: dict[str, Side] = {}
    boiler: dict[str, Side] = {}
    at = 0
    for f, text in zip(files, texts):
        lines = text.split(b"\n")[:-1]
        labels = load_labels(f)
        for i, line in enumerate(lines):
            verdict, reason, _ = (rows[at].split(b"\t", 2) + [b"", b""])[:3]
            at += 1
            if verdict != b"drop" or reason in (b"blank-run", b"blank"):
                continue
            rule = reason.split(b":")[0].decode()
            side = article if i < len(labels) and labels[i] == 1 else boiler
            s = side.get(rule) or Side(0, 0, set(), [])
            s.pages.add(f"{f.ds}/{f.id}")
            if len(s.examples) < 3:
                s.examples.append(line[:90].decode("utf-8", "replace"))
            side[rule] = Side(s.lines + 1, s.words + len(line.split()), s.pages, s.examples)
        at += 1  # the separator row

    empty = Side(0, 0, set(), [])
    rules = sorted(set(article) | set(boiler), key=lambda r: -article.get(r, empty).words)
    print(f"{'rule':28} {'article lines/words/pages':>26} {'boilerplate lines/words':>24} {'boilerplate share':>18}")
    for rule in rules[: args.top]:
        a, b = article.get(rule, empty), boiler.get(rule, empty)
        share = b.words / max(a.words + b.words, 1)
        print(f"{rule:28} {a.lines:8} {a.words:8} {len(a.pages):8} {b.lines:11} {b.words:11} {share:18.2f}")
        for example in a.examples:
            print(f"    article: {example}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
