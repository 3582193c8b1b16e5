#!/usr/bin/env bash
# Runs .clusterfuzzlite/build.sh outside Docker, with $SRC, $OUT and $WORK
# in temporary folders, and checks that the fuzzers and their seed corpora
# land in $OUT and that each fuzzer runs clean on its seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SRC=$tmp/src OUT=$tmp/out WORK=$tmp/work TOOLCHAIN=${TOOLCHAIN:-nightly}
mkdir -p "$SRC/sessdiff" "$OUT" "$WORK"
# The committed tree, as the Dockerfile's COPY would see it.
git -C "$root" archive HEAD | tar -x -C "$SRC/sessdiff"
# Reuse this checkout's instrumented libssl and fuzz build if there are any.
for d in target/libssl/4.0.3-instrumented fuzz/target-instrumented; do
  if [ -d "$root/$d" ]; then
    mkdir -p "$SRC/sessdiff/$(dirname "$d")"
    cp -a "$root/$d" "$SRC/sessdiff/$d"
  fi
done
cp "$SRC/sessdiff/.clusterfuzzlite/build.sh" "$SRC/"
bash "$SRC/build.sh"

fail() { echo "check-cflite-build: FAIL: $*" >&2; exit 1; }
report=()
for t in ops der; do
  [ -x "$OUT/$t" ] || fail "\$OUT/$t is missing"
  [ -s "$OUT/${t}_seed_corpus.zip" ] || fail "\$OUT/${t}_seed_corpus.zip is missing"
  [ -s "$OUT/$t.options" ] || fail "\$OUT/$t.options is missing"
  seeds=$(python3 -m zipfile -l "$OUT/${t}_seed_corpus.zip" | tail -n +2 | wc -l)
  [ "$seeds" -ge 30 ] || fail "only $seeds seeds in the $t corpus zip"
  mkdir -p "$WORK/seeds-$t"
  (cd "$WORK/seeds-$t" && python3 -m zipfile -e "$OUT/${t}_seed_corpus.zip" .)
  "$OUT/$t" -runs=0 "$WORK/seeds-$t" >"$WORK/run-$t.log" 2>&1 || {
    tail -n 30 "$WORK/run-$t.log"
    fail "the $t fuzzer failed on its seeds"
  }
  report+=("$t ($seeds seeds)")
done
echo "check-cflite-build: OK: \$OUT has a fuzzer, its options and its seed corpus for ${report[*]}; the seeds run clean"
