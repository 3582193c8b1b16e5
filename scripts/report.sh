#!/usr/bin/env bash
# The performance comparison report: runs the criterion benchmarks (native
# against libssl, the differential loop from several copies of its binary),
# measures the differential fuzzing rate, and writes
# target/report/index.md, index.html and cache.svg. The memory benchmark
# (bytes per cached session, counted on both sides) runs in a process of
# its own: it must hook libcrypto's allocator before anything else runs.
#
#   scripts/report.sh [FUZZ_SECONDS]            full: about 6 minutes on 2 cores (default 20 s of fuzzing)
#   scripts/report.sh --quick                   about 2.5 minutes: shorter samples, no copies, 5 s of fuzzing
#   scripts/report.sh --publish [FUZZ_SECONDS]  full, then docs/performance.md and the README's summary
#
# (Add about 2 minutes the first time, to build the benchmarks.) --quick's
# figures are noisier: use them to see where things stand, the full run to
# quote. --publish copies the report to docs/performance.md (with its
# chart) and its summary (machine, date, table, fuzzing rate) into README.md
# between its markers; tests/docs.rs checks that the two agree.
#
# criterion warns when a benchmark's samples take longer than their target
# time ("Unable to complete N samples"): the median stands, measured over
# fewer iterations, so those warnings are counted in one line, not printed.
#
# The release × path table of libssl costs comes from
# scripts/bench-releases.sh (run it first; about 5 minutes a release).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
publish=0
case "${1:-}" in
  --quick) quick=1; shift ;;
  --publish) publish=1; shift ;;
  --*) echo "scripts/report.sh: unknown option '$1' (--quick, --publish)" >&2; exit 2 ;;
esac
fuzz_seconds=${1:-20}
[ "$quick" = 1 ] && fuzz_seconds=${1:-5}
case $fuzz_seconds in
  ''|*[!0-9]*) echo "scripts/report.sh: FUZZ_SECONDS must be a whole number, not '$fuzz_seconds'" >&2; exit 2 ;;
esac
started=$(date +%s)
step() { echo "==> [$(( $(date +%s) - started )) s] $*" >&2; }
crit=()
copies=4
if [ "$quick" = 1 ]; then
  crit=(--warm-up-time 0.2 --measurement-time 0.4 --sample-size 10)
  copies=0
fi
warnings=$(mktemp)
trap 'rm -f "$warnings"' EXIT
bench() {
  # Counted from both streams, then dropped.
  "$@" > >(tee -a "$warnings" | grep --line-buffered -v 'Unable to complete') \
    2> >(tee -a "$warnings" | grep --line-buffered -v 'Unable to complete' >&2)
}
step "building and running the benchmarks (cargo bench --bench hot_paths)"
bench cargo bench --bench hot_paths -- ${crit[@]+"${crit[@]}"}
# The differential loop again, from copies of the benchmark binary: where
# the kernel places a binary's pages moves that benchmark by several percent
# (byte-identical copies differ that much), so its row is the median of
# these runs and the one above (saved as criterion baselines copy-K).
if [ "$copies" -gt 0 ]; then
  bin=$(cargo bench --bench hot_paths --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))$/\1/p')
  [ -x "$bin" ] || { echo "scripts/report.sh: cannot find the hot_paths benchmark binary" >&2; exit 1; }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp" "$warnings"' EXIT
  for k in $(seq 1 "$copies"); do
    step "the differential loop from copy $k of $copies of the benchmark binary"
    cp "$bin" "$tmp/hot_paths-$k"
    bench "$tmp/hot_paths-$k" --bench differential_loop --noplot --save-baseline "copy-$k"
  done
fi
step "the memory benchmark"
bench cargo bench --bench memory
step "the report (and ${fuzz_seconds} s of differential fuzzing)"
flags=(--fuzz-seconds "$fuzz_seconds" --loop-copies "$copies")
[ "$publish" = 1 ] && flags+=(--publish)
cargo run --release --quiet -- report "${flags[@]}"
n=$(grep -c 'Unable to complete' "$warnings" || true)
[ "$n" = 0 ] || echo "($n benchmarks took longer than their target time: their medians stand, over fewer iterations)" >&2
step "done"
