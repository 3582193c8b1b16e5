#!/usr/bin/env bash
# Runs .clusterfuzzlite/build.sh outside Docker, with $SRC, $OUT and $WORK
# in temporary folders, and checks that the fuzzers and their seed corpora
# land in $OUT and that the fuzzer runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SRC=$tmp/src OUT=$tmp/out WORK=$tmp/work TOOLCHAIN=${TOOLCHAIN:-nightly}
mkdir -p "$SRC/sessdiff" "$OUT" "$WORK"
# The committed tree, as the Dockerfile's COPY would see it.
git -C "$root" archive HEAD | tar -x -C "$SRC/sessdiff"
# Reuse this checkout's fuzz build cache if there is one.
if [ -d "$root/fuzz/target" ]; then cp -a "$root/fuzz/target" "$SRC/sessdiff/fuzz/"; fi
cp "$SRC/sessdiff/.clusterfuzzlite/build.sh" "$SRC/"
bash "$SRC/build.sh"

fail() { echo "check-cflite-build: FAIL: $*" >&2; exit 1; }
[ -x "$OUT/ops" ] || fail "\$OUT/ops is missing"
[ -s "$OUT/ops_seed_corpus.zip" ] || fail "\$OUT/ops_seed_corpus.zip is missing"
[ -s "$OUT/ops.options" ] || fail "\$OUT/ops.options is missing"
seeds=$(python3 -m zipfile -l "$OUT/ops_seed_corpus.zip" | tail -n +2 | wc -l)
[ "$seeds" -ge 30 ] || fail "only $seeds seeds in the corpus zip"
mkdir -p "$WORK/seeds"
(cd "$WORK/seeds" && python3 -m zipfile -e "$OUT/ops_seed_corpus.zip" .)
"$OUT/ops" -runs=0 "$WORK/seeds" >"$WORK/run.log" 2>&1 || { tail -n 30 "$WORK/run.log"; fail "the fuzzer failed on its seeds"; }
echo "check-cflite-build: OK: \$OUT has ops, ops.options and ops_seed_corpus.zip ($seeds seeds); the seeds run clean"
