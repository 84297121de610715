#!/usr/bin/env python3
"""Writes a synthetic JSON Lines corpus of small pages to stdout, for
measuring `kzclean learn`'s memory (docs/accuracy.md, "Site profiles").

    python3 tools/site-profiles/gen_pages.py [--pages 1000000] [--sites 20000] \\
        | /usr/bin/time -v target/release/kzclean learn --jsonl > /dev/null

Each page has 10 lines of its site's template, 2 lines shared with some
other pages of its site, and 8 lines of its own (about 600 bytes).
Standard library only.
"""
import argparse
import json
import sys


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=1_000_000)
    ap.add_argument("--sites", type=int, default=20_000)
    a = ap.parse_args()
    out = sys.stdout
    for i in range(a.pages):
        s = i % a.sites
        lines = [f"Menu item {k} of site {s}" for k in range(10)]
        lines += [f"Related story {i % 7 + k} on site {s}" for k in range(2)]
        lines += [f"Sentence {k} of page {i}, which no other page has." for k in range(8)]
        out.write(json.dumps({"url": f"https://www.site{s}.com/page/{i}", "text": "\n".join(lines)}))
        out.write("\n")


if __name__ == "__main__":
    main()
