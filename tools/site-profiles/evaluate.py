#!/usr/bin/env python3
"""Site profiles, evaluated leave-one-out on a WCXB-style corpus.

    python3 tools/site-profiles/evaluate.py CORPUS/wcxb [--bin target/release/kzclean]
        [--jobs 2] [--per-page pages.tsv] [--fold-models DIR] [-- ARGS...]

CORPUS/wcxb holds <id>.txt (page dump), <id>.gold.txt and meta.jsonl (id,
url, domain per page). Pages are grouped by meta.jsonl's `domain`. For each
page of a domain with two or more pages, a profile is learned from the
OTHER pages of its domain only (`kzclean learn --jsonl`, records carrying
their URL), and the page is cleaned as a JSON Lines record with
`--profile` (site from its URL) (ARGS are added, e.g.
--profile-min-share 0.5).
A profile is never learned from the page it cleans. Every other page is
cleaned with the profile of all multi-page domains (their sites are not in
it): the script checks that their output is byte-identical to cleaning
without a profile. Scores are bag-of-words token F1, as
../shared/eval/score.py computes them. Standard library only.

The built-in model was trained on these very pages, so it already knows
their sites' boilerplate, which a profile is for. With --fold-models DIR
(written by `tools/train-model/train.py --cv --no-fit --fold-models DIR`),
each page is cleaned, with and without its profile, by the model of its
cross-validation fold, which never saw its site: the case of a crawl.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

TOKEN_RE = re.compile(r"\w+")


def f1(out: str, gold: str) -> float:
    o, g = TOKEN_RE.findall(out.lower()), TOKEN_RE.findall(gold.lower())
    if not g:
        return 1.0 if not o else 0.0
    if not o:
        return 0.0
    tp = sum((Counter(o) & Counter(g)).values())
    p, r = tp / len(o), tp / len(g)
    return 2 * p * r / (p + r) if p + r else 0.0


def read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        return f.read()


def record(meta: dict, text: str) -> str:
    return json.dumps({"id": meta["id"], "url": meta["url"], "text": text}, ensure_ascii=False)


def run(cmd: list[str], stdin: str) -> str:
    done = subprocess.run(cmd, input=stdin.encode(), capture_output=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: exit {done.returncode}: {done.stderr.decode(errors='replace')}")
    return done.stdout.decode("utf-8", errors="replace")


def clean_records(binary: str, lines: str, extra: list[str]) -> str:
    out = run([binary, "--jsonl", *extra], lines)
    return json.loads(out)["text"] if out.strip() else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", help="a folder with <id>.txt, <id>.gold.txt and meta.jsonl")
    ap.add_argument("--bin", default="target/release/kzclean")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--per-page", help="write id, domain, pages, F1 without and with to this TSV")
    ap.add_argument("--fold-models", metavar="DIR", help="clean each page with DIR/fold-K.model, K its "
                    "fold in DIR/folds.tsv (train.py --fold-models)")
    ap.add_argument("args", nargs="*", help="more flags for the cleaning run with --profile")
    a = ap.parse_args()

    metas = []
    with open(os.path.join(a.corpus, "meta.jsonl"), encoding="utf-8") as f:
        for line in f:
            m = json.loads(line)
            if os.path.exists(os.path.join(a.corpus, m["id"] + ".txt")):
                metas.append(m)
    by_domain: dict[str, list[dict]] = defaultdict(list)
    for m in metas:
        by_domain[m["domain"]].append(m)
    text = {m["id"]: read(os.path.join(a.corpus, m["id"] + ".txt")) for m in metas}
    gold = {m["id"]: read(os.path.join(a.corpus, m["id"] + ".gold.txt")) for m in metas}

    tmp = tempfile.mkdtemp(prefix="site-profiles-")
    flags = [*a.args]
    model_of: dict[str, list[str]] = defaultdict(list)
    if a.fold_models:
        dataset = os.path.basename(os.path.normpath(a.corpus))
        with open(os.path.join(a.fold_models, "folds.tsv"), encoding="utf-8") as f:
            for row in f.read().splitlines()[1:]:
                ds, pid, fold = row.split("\t")
                if ds == dataset:
                    model_of[pid] = ["--model", os.path.join(a.fold_models, f"fold-{fold}.model")]
        if missing := [m["id"] for m in metas if m["id"] not in model_of]:
            sys.exit(f"{a.fold_models}/folds.tsv has no fold for {len(missing)} pages of {dataset}, e.g. {missing[0]}")

    def multi(m: dict) -> tuple[str, str]:
        others = [o for o in by_domain[m["domain"]] if o["id"] != m["id"]]
        prof = os.path.join(tmp, m["id"] + ".prof")
        with open(prof, "w", encoding="utf-8") as f:
            f.write(run([a.bin, "learn", "--jsonl"], "".join(record(o, text[o["id"]]) + "\n" for o in others)))
        rec = record(m, text[m["id"]]) + "\n"
        model = model_of[m["id"]]
        return clean_records(a.bin, rec, model), clean_records(a.bin, rec, [*model, "--profile", prof, *flags])

    all_prof = os.path.join(tmp, "all.prof")
    multis = [m for m in metas if len(by_domain[m["domain"]]) > 1]
    singles = [m for m in metas if len(by_domain[m["domain"]]) == 1]
    with open(all_prof, "w", encoding="utf-8") as f:
        f.write(run([a.bin, "learn", "--jsonl"], "".join(record(m, text[m["id"]]) + "\n" for m in multis)))

    def single(m: dict) -> tuple[str, str]:
        rec = record(m, text[m["id"]]) + "\n"
        model = model_of[m["id"]]
        return clean_records(a.bin, rec, model), clean_records(a.bin, rec, [*model, "--profile", all_prof, *flags])

    with ThreadPoolExecutor(a.jobs) as pool:
        multi_out = list(pool.map(multi, multis))
        single_out = list(pool.map(single, singles))

    rows = []
    for group, pages, outs in (("multi", multis, multi_out), ("single", singles, single_out)):
        changed = 0
        for m, (before, after) in zip(pages, outs):
            changed += before != after
            rows.append((group, m, f1(before, gold[m["id"]]), f1(after, gold[m["id"]])))
        sub = [r for r in rows if r[0] == group]
        n = len(sub)
        base = sum(r[2] for r in sub) / n
        prof = sum(r[3] for r in sub) / n
        up = sum(r[3] > r[2] + 1e-9 for r in sub)
        down = sum(r[3] < r[2] - 1e-9 for r in sub)
        domains = len({r[1]["domain"] for r in sub})
        print(
            f"{group}: pages={n} domains={domains} mean F1 without={base:.4f} with={prof:.4f} "
            f"({prof - base:+.4f}; {up} pages up, {down} down, {changed} outputs changed)"
        )
    n = len(rows)
    print(
        f"all: pages={n} mean F1 without={sum(r[2] for r in rows) / n:.4f} "
        f"with={sum(r[3] for r in rows) / n:.4f}"
    )
    if a.per_page:
        with open(a.per_page, "w", encoding="utf-8") as f:
            f.write("group\tid\tdomain\tdomain_pages\tf1_without\tf1_with\n")
            for group, m, b, w in rows:
                f.write(f"{group}\t{m['id']}\t{m['domain']}\t{len(by_domain[m['domain']])}\t{b:.4f}\t{w:.4f}\n")


if __name__ == "__main__":
    main()
