#!/usr/bin/env bash
# Show that libFuzzer and the lockstep oracle catch a planted refcount bug:
# the `ops_faulty` target (a native backend whose ssl_get1 leaks a
# reference, or SESSDIFF_FAULT=...) must crash within SECONDS (default 60),
# with a divergence signature and a shrunk program of at most 6 ops.
#
#   scripts/check-faulty.sh [SECONDS]
set -euo pipefail
seconds=${1:-60}
cd "$(dirname "$0")/.."
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
fault=${SESSDIFF_FAULT:-get1-leaks}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp corpora/ops/*.txt "$work"/
log=$work/log
start=$(date +%s)
set +e
SESSDIFF_FAULT=$fault cargo +nightly fuzz run ops_faulty "$work" -- \
  -max_total_time="$seconds" -artifact_prefix="$work/" >"$log" 2>&1
status=$?
set -e
elapsed=$(( $(date +%s) - start ))
if [ "$status" -eq 0 ]; then
  tail -n 20 "$log"
  echo "check-faulty: FAIL: the $fault fault was not caught in ${seconds}s" >&2
  exit 1
fi
sig=$(grep -o 'divergence:[a-z0-9_]*:[a-z0-9_.]*' "$log" | head -n 1)
ops=$(grep -o 'minimal program ([0-9]* ops)' "$log" | head -n 1 | grep -o '[0-9]*')
if [ -z "$sig" ] || [ -z "$ops" ]; then
  tail -n 40 "$log"
  echo "check-faulty: FAIL: the target crashed without a divergence report" >&2
  exit 1
fi
echo "check-faulty: $fault caught in ${elapsed}s (build included): $sig, shrunk to $ops ops"
sed -n '/minimal program/,/^$/p' "$log" | head -n 8
if [ "$ops" -gt 6 ]; then
  echo "check-faulty: FAIL: the shrunk program has $ops ops (more than 6)" >&2
  exit 1
fi
