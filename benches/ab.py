#!/usr/bin/env python3
"""Interleaved A/B timing of kzclean builds on one input.

    python3 benches/ab.py N FILE "ARGS" BIN_A BIN_B [BIN ...]

Runs each binary N times with `-j1 ARGS < FILE > /dev/null`, alternating
the order every round so that the machine's slow spells hit every build
alike, and prints, per binary, the minimum, lower quartile and median of
its CPU time (user + system, from wait4), and their ratios to the first
binary's. On a noisy virtual machine trust only a difference that shows in
the minimum and the lower quartile both, with N of 20 or more.
"""
import os
import statistics
import subprocess
import sys


def main() -> None:
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    runs, path, args, bins = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(), sys.argv[4:]
    times = {b: [] for b in bins}
    for i in range(runs):
        for b in bins if i % 2 == 0 else bins[::-1]:
            with open(path, "rb") as inp, open(os.devnull, "wb") as out:
                child = subprocess.Popen([b, "-j1", *args], stdin=inp, stdout=out)
                _, status, usage = os.wait4(child.pid, 0)
            if status != 0:
                sys.exit(f"{b} failed with status {status}")
            times[b].append(usage.ru_utime + usage.ru_stime)
    first = None
    for b, t in times.items():
        t.sort()
        row = (t[0], t[len(t) // 4], statistics.median(t))
        first = first or row
        ratios = " ".join(f"{x / f:.3f}" for x, f in zip(row, first))
        print(f"{b:30s} min {row[0]:.3f} q25 {row[1]:.3f} median {row[2]:.3f} s   vs first: {ratios}")


if __name__ == "__main__":
    main()
