#!/usr/bin/env bash
# Shows that a memory error inside libssl is reported by AddressSanitizer,
# with a stack inside libssl, and not by the differential oracle: the
# `ops_faulty` target with SESSDIFF_FAULT=libssl-releases-twice (the libssl
# backend's `free` releases one reference too many) against the
# instrumented libssl (scripts/build-libssl.sh 4.0.3 --instrumented).
#
#   scripts/check-libssl-asan.sh [SECONDS]
set -euo pipefail
seconds=${1:-60}
cd "$(dirname "$0")/.."
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
# shellcheck source=instrumented-env.sh
. scripts/instrumented-env.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp corpora/ops/*.txt "$work"/
log=$work/log
set +e
SESSDIFF_FAULT=libssl-releases-twice cargo +nightly fuzz run --target-dir "$target_dir" ops_faulty "$work" -- \
  -max_total_time="$seconds" -artifact_prefix="$work/" >"$log" 2>&1
status=$?
set -e
report=$(sed -n '/ERROR: AddressSanitizer/,/^$/p' "$log")
if [ "$status" -eq 0 ] || [ -z "$report" ]; then
  tail -n 30 "$log"
  echo "check-libssl-asan: FAIL: no AddressSanitizer report in ${seconds}s (exit $status)" >&2
  exit 1
fi
if grep -q '^divergence:' "$log"; then
  echo "check-libssl-asan: FAIL: the oracle, not ASan, reported it" >&2
  exit 1
fi
echo "$report" | head -n 12
# The first frame must be OpenSSL's own code (instrumented, so ASan knows
# its source line in the build tree), not the harness's.
first=$(echo "$report" | grep -m1 '^ *#0 ')
case $first in
  *target/libssl/build-*/src/*) ;;
  *) echo "check-libssl-asan: FAIL: the first frame is not in libssl: $first" >&2; exit 1 ;;
esac
echo "check-libssl-asan: OK: ASan reported the planted libssl memory error inside libssl ($release)"
