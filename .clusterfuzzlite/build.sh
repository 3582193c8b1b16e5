#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build: fuzzers and seed corpora into $OUT.
# Outside Docker, scripts/check-cflite-build.sh runs this with temporary
# $SRC/$OUT/$WORK and TOOLCHAIN=nightly.
cd "$SRC/sessdiff"

toolchain=()
if [ -n "${TOOLCHAIN:-}" ]; then toolchain=("+$TOOLCHAIN"); fi

# libssl instrumented too (OpenSSL 4.0.3 from the openssl-src crate, built
# with the builder's $CC and $CFLAGS: its sanitizer and libFuzzer's
# coverage), so that the sanitizer sees inside libssl and the fuzzer gets
# libssl's coverage. Outside the builder: clang-16, ASan, fuzzer-no-link.
export INSTRUMENTED_CC=${CC:-clang-16}
export INSTRUMENTED_CFLAGS=${CFLAGS:--fsanitize=address -fsanitize=fuzzer-no-link -g}
# shellcheck source=../scripts/instrumented-env.sh
. scripts/instrumented-env.sh

# The builder's cargo wrapper adds the flags of $SANITIZER; cargo-fuzz's own
# default (address) is what a plain run outside the builder gets.
cargo "${toolchain[@]}" fuzz build -O --target-dir "$target_dir"

targets=(ops der)
for t in "${targets[@]}"; do
  cp "$target_dir/x86_64-unknown-linux-gnu/release/$t" "$OUT/"
  # Seeds: the reviewed text programs, which the target reads as programs.
  find "corpora/$t" -name '*.txt' -print0 | sort -z | xargs -0 python3 -m zipfile -c "$OUT/${t}_seed_corpus.zip"
  printf '[libfuzzer]\nmax_len = 4096\ntimeout = 10\n' > "$OUT/$t.options"
done
