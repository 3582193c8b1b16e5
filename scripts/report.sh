#!/usr/bin/env bash
# The performance comparison report: runs the criterion benchmarks (native
# against libssl), measures the differential fuzzing rate, and writes
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
cargo bench --bench memory
cargo run --release --quiet -- report --fuzz-seconds "${1:-20}"
