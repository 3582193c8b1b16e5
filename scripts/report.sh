#!/usr/bin/env bash
# The performance comparison report: runs the criterion benchmarks (native
# against libssl), measures the differential fuzzing rate, and writes
# target/report/index.md, index.html and cache.svg.
#
#   scripts/report.sh [FUZZ_SECONDS]     (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench hot_paths
cargo run --release --quiet -- report --fuzz-seconds "${1:-20}"
