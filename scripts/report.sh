#!/usr/bin/env bash
# The performance comparison report: runs the criterion benchmarks (native
# against libssl, the differential loop from several copies of its binary),
# measures the differential fuzzing rate, and writes
# target/report/index.md, index.html and cache.svg. The memory benchmark
# (bytes per cached session, counted on both sides) runs in a process of
# its own: it must hook libcrypto's allocator before anything else runs.
#
#   scripts/report.sh [FUZZ_SECONDS]     (default 20)
#
# The release × path table of libssl costs comes from
# scripts/bench-releases.sh (run it first; about 5 minutes a release).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench hot_paths
# The differential loop again, from copies of the benchmark binary: where
# the kernel places a binary's pages moves that benchmark by several percent
# (byte-identical copies differ that much), so its row is the median of
# these runs and the one above (saved as criterion baselines copy-K).
copies=4
bin=$(cargo bench --bench hot_paths --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))$/\1/p')
[ -x "$bin" ] || { echo "scripts/report.sh: cannot find the hot_paths benchmark binary" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for k in $(seq 1 "$copies"); do
  cp "$bin" "$tmp/hot_paths-$k"
  "$tmp/hot_paths-$k" --bench differential_loop --noplot --save-baseline "copy-$k"
done
cargo bench --bench memory
cargo run --release --quiet -- report --fuzz-seconds "${1:-20}" --loop-copies "$copies"
