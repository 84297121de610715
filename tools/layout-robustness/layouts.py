#!/usr/bin/env python3
"""How kzclean scores when the dumps are laid out differently from the dev corpus.

    python3 tools/layout-robustness/layouts.py --corpus ../shared/corpus [--bin target/release/kzclean]

The dev dumps hold one block of the page per line, blank lines between
paragraphs and `\\n` line ends. Other scrapers differ. This rewrites every
input page of the corpus in each of these layouts, leaves the gold as it
is, and scores each rewritten corpus with `../shared/eval/eval.sh`:

  as-is      the pages unchanged (the reference)
  no-blank   every blank line removed
  crlf       `\\r\\n` line ends
  wrap80     every line wrapped at 80 characters, at spaces where it can
             (as lynx-style and html2text dumps are)
  unwrap80   wrap80, then each line joined to the one before it when its
             first word would have fitted there: what a user can do to a
             wrapped dump before cleaning it

It prints mean F1 per dataset and over all pages for each layout. The
bag-of-words score does not see line breaks, so the gold needs no
rewriting. docs/accuracy.md ("Other dumps' layouts") quotes this table.

Standard library only; needs a release build (`cargo build --release`).
Takes about two minutes per layout (one kzclean process per page).
"""
from __future__ import annotations

import argparse
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from corpus import add_corpus_argument, is_input  # noqa: E402  tools/corpus.py

WIDTH = 80


def no_blank(lines: list[bytes]) -> list[bytes]:
    return [line for line in lines if line.strip()]


def wrap(lines: list[bytes]) -> list[bytes]:
    out = []
    for line in lines:
        text = line.decode("utf-8", "surrogateescape")
        if len(text) <= WIDTH:
            out.append(line)
            continue
        pieces = textwrap.wrap(text, WIDTH, break_on_hyphens=False)
        out.extend(p.encode("utf-8", "surrogateescape") for p in pieces)
    return out


def unwrap(lines: list[bytes]) -> list[bytes]:
    """Joins a line to the one before when its first word would have fitted
    on that one (so the writer must have broken the line for width)."""
    out: list[bytes] = []
    last_len = 0  # characters in the last physical line of out[-1]
    for line in wrap(lines):
        text = line.decode("utf-8", "surrogateescape")
        first = text.split(" ", 1)[0]
        if out and out[-1] and text and last_len + 1 + len(first) > WIDTH:
            out[-1] += b" " + line
        else:
            out.append(line)
        last_len = len(text)
    return out


LAYOUTS = {
    "as-is": None,
    "no-blank": no_blank,
    "crlf": lambda lines: [line + b"\r" for line in lines],
    "wrap80": wrap,
    "unwrap80": unwrap,
}


def rewrite(corpus: pathlib.Path, into: pathlib.Path, layout) -> None:
    for path in corpus.rglob("*"):
        target = into / path.relative_to(corpus)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if not is_input(path):
            target.symlink_to(path.resolve())
            continue
        lines = path.read_bytes().split(b"\n")
        # A final newline leaves an empty last piece: keep it out of the layout.
        end = lines.pop() if lines and lines[-1] == b"" else None
        lines = layout(lines)
        data = b"\n".join(lines) + (b"\n" if end is not None else b"")
        target.write_bytes(data)


def score(eval_sh: pathlib.Path, binary: str, corpus: pathlib.Path) -> dict[str, str]:
    out = subprocess.run(
        ["bash", str(eval_sh), "-b", binary, str(corpus)], capture_output=True, text=True, check=True
    ).stdout
    found = {}
    for m in re.finditer(r"\[(\w+)\]: pages=\d+ mean P=[\d.]+ R=[\d.]+ F1=([\d.]+)", out):
        found[m.group(1)] = m.group(2)
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_corpus_argument(ap)
    ap.add_argument("--bin", default="target/release/kzclean")
    ap.add_argument("--eval", type=pathlib.Path, help="eval.sh (default: eval/eval.sh beside the corpus)")
    ap.add_argument("--only", nargs="*", choices=list(LAYOUTS), help="these layouts only")
    args = ap.parse_args()
    eval_sh = args.eval or args.corpus.resolve().parent / "eval" / "eval.sh"
    if not eval_sh.exists():
        print(f"layouts.py: no eval.sh at {eval_sh} (give --eval)", file=sys.stderr)
        return 2
    binary = str(pathlib.Path(args.bin).resolve())
    rows = []
    for name in args.only or LAYOUTS:
        layout = LAYOUTS[name]
        if layout is None:
            rows.append((name, score(eval_sh, binary, args.corpus)))
            continue
        work = pathlib.Path(tempfile.mkdtemp(prefix=f"kz-layout-{name}-"))
        try:
            rewrite(args.corpus.resolve(), work, layout)
            rows.append((name, score(eval_sh, binary, work)))
        finally:
            shutil.rmtree(work)
        print(f"{name} done", file=sys.stderr)
    sets = sorted({k for _, r in rows for k in r} - {"ALL"}) + ["ALL"]
    print("| layout | " + " | ".join(sets) + " |")
    print("|---" * (len(sets) + 1) + "|")
    for name, r in rows:
        print(f"| {name} | " + " | ".join(r.get(k, "-") for k in sets) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
