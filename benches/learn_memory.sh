#!/usr/bin/env bash
# Peak memory of `kzclean learn` on 1,000,000 pages (issue 24's bound:
# under 256 MB), in the two shapes that stress it: many pages of few sites
# (20,000 sites of 50 pages: templates repeat) and one page per site
# (1,000,000 sites: nothing repeats, every line is new). The pages come
# from tools/site-profiles/gen_pages.py (20 lines each, about 600 bytes).
# Prints each shape's max RSS and wall time, and exits 1 when one is at
# or over LIMIT_MB.
#
# Needs: python3, GNU time (/usr/bin/time). About a minute a shape.
#
#   benches/learn_memory.sh
#   PAGES=100000 LIMIT_MB=128 benches/learn_memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PAGES=${PAGES:-1000000}
LIMIT_MB=${LIMIT_MB:-256}
KZ=target/release/kzclean
TIME=/usr/bin/time
cargo build --release --quiet
log=$(mktemp)
trap 'rm -f "$log"' EXIT

status=0
for sites in 20000 "$PAGES"; do
    python3 tools/site-profiles/gen_pages.py --pages "$PAGES" --sites "$sites" |
        "$TIME" -v "$KZ" learn --jsonl >/dev/null 2>"$log"
    kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
    mb=$((kib * 1024 / 1000000))
    verdict=ok
    if ((mb >= LIMIT_MB)); then
        verdict="OVER ${LIMIT_MB} MB"
        status=1
    fi
    printf '%s pages of %s sites: max RSS %s MB, wall %s (%s)\n' "$PAGES" "$sites" "$mb" "$wall" "$verdict"
done
exit "$status"
