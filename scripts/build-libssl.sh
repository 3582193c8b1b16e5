#!/usr/bin/env bash
# Builds an OpenSSL release from the openssl-src crate's sources into a
# static install prefix, target/libssl/RELEASE/ (reused when present), and
# prints the prefix. About 2 minutes on 2 cores (the time is kept in
# PREFIX/BUILD-SECONDS).
#
#   scripts/build-libssl.sh RELEASE                 # a measured release of src/native/releases.txt
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
root=$(cd "$(dirname "$0")/.." && pwd)
# The one table of releases (also read by --model): the measured releases
# and the openssl-src crate version that builds each.
table=$root/src/native/releases.txt
crate=$(awk -v r="$release" '$1 == r && $3 == "measured" { print $2 }' "$table")
if [ -z "$crate" ] || [ "$crate" = system ]; then
  buildable=$(awk '$1 !~ /^#/ && $3 == "measured" && $2 != "system" { printf "%s ", $1 }' "$table")
  if [ "$crate" = system ]; then
    echo "build-libssl: $release is the system's libssl: nothing to build (run sessdiff itself)" >&2
  else
    echo "build-libssl: '$release' is not a release this script builds (it builds the measured releases: ${buildable% }; $table lists every release sessdiff knows)" >&2
  fi
  exit 2
fi
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
echo "==> building OpenSSL $release from openssl-src $crate into $prefix (first use only: about 2 minutes on 2 cores)" >&2
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
echo "==> OpenSSL $release built in $(( $(date +%s) - started )) s" >&2
echo "$prefix"
