#!/usr/bin/env bash
# Builds an OpenSSL release from the openssl-src crate's sources into a
# static install prefix, target/libssl/RELEASE/ (reused when present), and
# prints the prefix. About 2 minutes on 2 cores (the time is kept in
# PREFIX/BUILD-SECONDS).
#
#   scripts/build-libssl.sh RELEASE                 # 1.1.1w 3.0.0 3.0.8 3.2.1 3.5.5 3.6.3 4.0.3
#   scripts/build-libssl.sh RELEASE --instrumented  # into target/libssl/RELEASE-instrumented/
#
# --instrumented builds with clang-16, AddressSanitizer and libFuzzer's
# coverage instrumentation (-fsanitize=address,fuzzer-no-link), for the
# fuzz targets (scripts/fuzz.sh --instrumented): ASan then sees memory
# errors inside libssl, and libFuzzer gets coverage from libssl's branches.
set -euo pipefail
release=${1:?usage: scripts/build-libssl.sh RELEASE [--instrumented]}
instrumented=0
case "${2:-}" in
  "") ;;
  --instrumented) instrumented=1 ;;
  *) echo "build-libssl: unknown option '$2' (--instrumented)" >&2; exit 2 ;;
esac
case "$release" in
  1.1.1w) crate=111.28.2+1.1.1w ;;
  3.0.0) crate=300.0.2+3.0.0 ;;
  3.0.8) crate=300.0.13+3.0.8 ;;
  3.2.1) crate=300.2.3+3.2.1 ;;
  3.5.5) crate=300.5.5+3.5.5 ;;
  3.6.3) crate=300.6.1+3.6.3 ;;
  4.0.3) crate=400.0.2+4.0.3 ;;
  *)
    echo "build-libssl: unknown release '$release' (1.1.1w 3.0.0 3.0.8 3.2.1 3.5.5 3.6.3 4.0.3)" >&2
    exit 2
    ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
name=$release
[ "$instrumented" = 1 ] && name=$release-instrumented
prefix=$root/target/libssl/$name
if [ -f "$prefix/include/openssl/ssl.h" ] && ls "$prefix"/lib*/libssl.a >/dev/null 2>&1; then
  echo "$prefix"
  exit 0
fi
work=$root/target/libssl/build-$name
mkdir -p "$work/src"
cat >"$work/Cargo.toml" <<EOF
[package]
name = "build-libssl"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
openssl-src = "=$crate"

[workspace]
EOF
cat >"$work/src/main.rs" <<'EOF'
//! Builds the pinned openssl-src release into the folder named by argv[1].
fn main() {
    let out = std::env::args().nth(1).expect("an output folder");
    let target = env!("BUILD_TARGET");
    // The build's own output goes to stdout too; the prefix is printed last.
    let artifacts = openssl_src::Build::new()
        .target(target)
        .host(target)
        .out_dir(&out)
        .build();
    println!("{}", artifacts.lib_dir().parent().unwrap().display());
}
EOF
cat >"$work/build.rs" <<'EOF'
fn main() {
    println!("cargo:rustc-env=BUILD_TARGET={}", std::env::var("TARGET").unwrap());
}
EOF
host=$(rustc -vV | sed -n 's/^host: //p')
started=$(date +%s)
compiler=()
if [ "$instrumented" = 1 ]; then
  # OSS-Fuzz's builder passes its own compiler and sanitizer flags.
  cc=${INSTRUMENTED_CC:-clang-16}
  cflags=${INSTRUMENTED_CFLAGS:--fsanitize=address -fsanitize=fuzzer-no-link -g}
  command -v "$cc" >/dev/null || { echo "build-libssl: --instrumented needs $cc (apt-get install clang-16)" >&2; exit 2; }
  compiler=("CC=$cc" "CFLAGS=$cflags")
fi
(
  cd "$work"
  cargo build --quiet --release
  env ${compiler[@]+"${compiler[@]}"} OPT_LEVEL=2 DEBUG=false TARGET=$host HOST=$host \
    target/release/build-libssl "$work/out" >"$work/build.log"
) >&2
rm -rf "$prefix"
mkdir -p "$(dirname "$prefix")"
# The builder's last line is the install prefix; the rest is its log.
cp -r "$(tail -n 1 "$work/build.log")" "$prefix"
# How long the build took, for scripts/matrix.sh's table.
echo $(( $(date +%s) - started )) >"$prefix/BUILD-SECONDS"
echo "$prefix"
