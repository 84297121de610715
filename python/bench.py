#!/usr/bin/env python3
"""Throughput of kzclean.Cleaner.clean_many on 1 and 2 threads.

    python python/bench.py [--mb 20] [--repeat 3] [FILE ...]

Cleans the repository's seed pages (or the given plain-text pages), repeated
to about --mb megabytes, and prints MB/s (input bytes, best of --repeat
runs) for a loop of clean(), clean_many on 1 thread and on 2 threads, and
the 2-thread / 1-thread ratio. Not a test: the figures depend on the machine
and on what else runs on it.
"""

import argparse
import sys
import time
from pathlib import Path

# Run as `python python/bench.py`, this folder comes first on sys.path and its
# kzclean/ (the sources, without the built extension) would hide the
# installed package.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import kzclean  # noqa: E402

SEEDS = HERE.parent / "tests" / "fixtures" / "seeds"


def best_of(repeat, fn):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="pages to clean (default: the seed pages)")
    parser.add_argument("--mb", type=float, default=20.0, help="input size in MB (default: 20)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure; the best counts (default: 3)")
    args = parser.parse_args()

    pages = [p.read_bytes().decode("utf-8") for p in (args.files or sorted(SEEDS.glob("*.txt")))]
    size = sum(len(p.encode()) for p in pages)
    texts = pages * max(1, round(args.mb * 1e6 / size))
    mb = sum(len(t.encode()) for t in texts) / 1e6
    cleaner = kzclean.Cleaner()
    cleaner.clean_many(texts[:100], threads=2)  # start the pools and warm the caches

    print(f"kzclean {kzclean.__version__}: {len(texts)} documents, {mb:.1f} MB ({len(pages)} pages repeated)")
    loop = best_of(args.repeat, lambda: [cleaner.clean(t) for t in texts])
    one = best_of(args.repeat, lambda: cleaner.clean_many(texts, threads=1))
    two = best_of(args.repeat, lambda: cleaner.clean_many(texts, threads=2))
    print(f"clean() loop        {mb / loop:7.1f} MB/s")
    print(f"clean_many 1 thread {mb / one:7.1f} MB/s")
    print(f"clean_many 2 threads{mb / two:7.1f} MB/s")
    print(f"2 threads / 1 thread {one / two:.2f}x")


if __name__ == "__main__":
    main()
