#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build: fuzzers and seed corpora into $OUT.
# Outside Docker, scripts/check-cflite-build.sh runs this with temporary
# $SRC/$OUT/$WORK and TOOLCHAIN=nightly.
cd "$SRC/sessdiff"

toolchain=()
if [ -n "${TOOLCHAIN:-}" ]; then toolchain=("+$TOOLCHAIN"); fi

# The builder's cargo wrapper adds the flags of $SANITIZER; cargo-fuzz's own
# default (address) is what a plain run outside the builder gets.
cargo "${toolchain[@]}" fuzz build -O

targets=(ops der)
for t in "${targets[@]}"; do
  cp "fuzz/target/x86_64-unknown-linux-gnu/release/$t" "$OUT/"
  # Seeds: the reviewed text programs, which the target reads as programs.
  find "corpora/$t" -name '*.txt' -print0 | sort -z | xargs -0 python3 -m zipfile -c "$OUT/${t}_seed_corpus.zip"
  printf '[libfuzzer]\nmax_len = 4096\ntimeout = 10\n' > "$OUT/$t.options"
done
