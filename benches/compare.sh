#!/usr/bin/env bash
# Side-by-side throughput on the ~250 MB dev stream: kzclean on one thread,
# kzclean on all cores, and ripgrep removing lines that match 16 boilerplate
# patterns (benches/boilerplate16.txt, taken from rules/default.rules), on
# one thread. Runs alternate (kz -j1, kz all cores, rg, kz -j1, ...) so that
# load from other processes hits all three alike; the best of RUNS runs is
# reported. Prints MB/s, the ratios, and each kzclean configuration's peak
# RSS (the largest over its runs).
#
# Needs: the dev corpus (../shared/corpus, or CORPUS=DIR), ripgrep
# (`apt-get install -y ripgrep`), GNU time (/usr/bin/time).
#
#   benches/compare.sh                 # 5 runs each
#   RUNS=9 KZFLAGS=--no-classifier benches/compare.sh
#
# The stream is built once in $WORK (default /tmp/kzclean-bench): every
# *.txt under the corpus except *.gold.txt, sorted, each followed by a line
# holding only a form feed, the whole repeated 10 times. Outputs go to a
# file in $WORK, not /dev/null: ripgrep stops at the first match when its
# output is /dev/null.
set -euo pipefail
cd "$(dirname "$0")/.."

CORPUS=${CORPUS:-../shared/corpus}
WORK=${WORK:-/tmp/kzclean-bench}
RUNS=${RUNS:-5}
KZFLAGS=${KZFLAGS:-}
PATTERNS=benches/boilerplate16.txt
KZ=target/release/kzclean
TIME=/usr/bin/time

[ -d "$CORPUS" ] || { echo "no corpus at $CORPUS (set CORPUS=DIR)" >&2; exit 2; }
command -v rg > /dev/null || { echo "ripgrep missing: apt-get install -y ripgrep" >&2; exit 2; }
[ -x "$TIME" ] || { echo "GNU time missing: apt-get install -y time" >&2; exit 2; }

mkdir -p "$WORK"
STREAM=$WORK/stream.txt
if [ ! -s "$STREAM" ]; then
    echo "building $STREAM ..." >&2
    one=$WORK/dev.txt
    : > "$one"
    find "$CORPUS" -type f -name '*.txt' ! -name '*.gold.txt' | LC_ALL=C sort |
        while IFS= read -r f; do cat "$f"; printf '\f\n'; done > "$one"
    for _ in 1 2 3 4 5 6 7 8 9 10; do cat "$one"; done > "$STREAM"
fi
BYTES=$(stat -c %s "$STREAM")

cargo build --release --quiet
CORES=$(nproc)
OUT=$WORK/out

# run NAME COMMAND...: one timed run; appends "NAME wall_seconds maxrss_kb".
run() {
    local name=$1
    shift
    "$TIME" -f "%e %M" -o "$WORK/time" "$@" < "$STREAM" > "$OUT"
    echo "$name $(cat "$WORK/time")" >> "$WORK/runs"
}

: > "$WORK/runs"
for i in $(seq "$RUNS"); do
    # shellcheck disable=SC2086
    run kz-j1 "$KZ" $KZFLAGS --threads 1
    # shellcheck disable=SC2086
    run "kz-j$CORES" "$KZ" $KZFLAGS
    run rg-j1 rg -j1 -v -f "$PATTERNS"
    echo "run $i/$RUNS done" >&2
done
rm -f "$OUT"

echo "input: $STREAM, $BYTES bytes; $RUNS runs each, best wall time; $CORES cores"
echo "kzclean flags: ${KZFLAGS:-(none)}"
awk -v bytes="$BYTES" -v cores="$CORES" '
    { if (!($1 in best) || $2 < best[$1]) best[$1] = $2
      if ($3 > rss[$1]) rss[$1] = $3 }
    END {
        split("kz-j1 kz-j" cores " rg-j1", order, " ")
        for (k = 1; k <= 3; k++) {
            n = order[k]
            line = sprintf("%-8s %7.2f s %8.1f MB/s", n, best[n], bytes / best[n] / 1e6)
            if (n ~ /^kz/) line = line sprintf("   peak RSS %6.1f MiB", rss[n] / 1024)
            print line
        }
        printf "kz-j1 / rg-j1:        %.2fx\n", best["rg-j1"] / best["kz-j1"]
        printf "kz-j%d / kz-j1:        %.2fx\n", cores, best["kz-j1"] / best["kz-j" cores]
    }' "$WORK/runs"
