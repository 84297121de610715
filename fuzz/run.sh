#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 60), one after the other, on one
# core. Usage: fuzz/run.sh [SECONDS] [TARGET...]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a compiler that accepts
# -Z flags: a nightly toolchain, or stable with RUSTC_BOOTSTRAP=1 (tried
# first, since stable is what every machine of this project has). When
# neither can build the targets, the script says so and exits 0.
#
# New inputs found go to fuzz/target/corpus/TARGET (not committed); the seed
# corpus fuzz/corpus/TARGET is only read. Crashes go to fuzz/artifacts/TARGET
# and make the script exit 1.
set -u
cd "$(dirname "$0")"

seconds=${1:-60}
# Panics need no AddressSanitizer to be found, and the targets run about
# twice as fast without it; FUZZ_SANITIZER=address turns it back on (do so
# after changing the SIMD code, kzclean's only unsafe code).
sanitizer=${FUZZ_SANITIZER:-none}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(rule_file clean_document document_reader jsonl wet)
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz/run.sh: cargo-fuzz is not installed (cargo install cargo-fuzz); skipping"
    exit 0
fi

# Pick a way to build: stable with RUSTC_BOOTSTRAP=1, else nightly.
fuzz=()
if RUSTC_BOOTSTRAP=1 cargo fuzz build --sanitizer "$sanitizer" >build.log 2>&1; then
    fuzz=(env RUSTC_BOOTSTRAP=1 cargo fuzz)
elif rustup run nightly rustc --version >/dev/null 2>&1 &&
    cargo +nightly fuzz build --sanitizer "$sanitizer" >>build.log 2>&1; then
    fuzz=(cargo +nightly fuzz)
else
    echo "fuzz/run.sh: cannot build the fuzz targets (no nightly, and stable with"
    echo "RUSTC_BOOTSTRAP=1 failed); skipping. Last lines of the build:"
    tail -5 build.log | sed 's/^/  /'
    rm -f build.log
    exit 0
fi
rm -f build.log

failed=0
for target in "${targets[@]}"; do
    work=target/corpus/$target
    mkdir -p "$work" "artifacts/$target"
    extra=()
    if [ -f "$target.dict" ]; then
        extra+=("-dict=$target.dict")
    fi
    # These two run the pipeline on worker threads, whose first use of a
    # thread-local makes glibc allocate 32 bytes that LeakSanitizer reports
    # as a leak (see README.md); a leak check finds nothing else in Rust.
    if [ "$sanitizer" = address ] && { [ "$target" = jsonl ] || [ "$target" = wet ]; }; then
        extra+=(-detect_leaks=0)
    fi
    log=target/$target.log
    echo "== $target: ${seconds}s"
    # -timeout: one input taking 10 s is a finding (a hang), not a slow run.
    # -rss_limit_mb: so is one taking 2 GB.
    "${fuzz[@]}" run --sanitizer "$sanitizer" "$target" "$work" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 "${extra[@]}" >"$log" 2>&1
    status=$?
    grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)|^#[0-9]+ *DONE' "$log" | sed 's/^/   /'
    echo "   corpus: $(ls "$work" | wc -l) inputs in $work"
    if [ $status -ne 0 ]; then
        failed=1
        echo "   FAILED (exit $status): see fuzz/$log and fuzz/artifacts/$target"
        grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -5 | sed 's/^/   /'
    fi
done
exit $failed
