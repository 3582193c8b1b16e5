#!/usr/bin/env bash
# Builds an OpenSSL release from the openssl-src crate's sources into a
# static install prefix, target/libssl/RELEASE/ (reused when present), and
# prints the prefix. About 2 minutes on 2 cores (the time is kept in
# PREFIX/BUILD-SECONDS).
#
#   scripts/build-libssl.sh RELEASE                 # any release the registry has an openssl-src for
#   scripts/build-libssl.sh RELEASE --instrumented  # into target/libssl/RELEASE-instrumented/
#   scripts/build-libssl.sh --list                  # the releases the registry has; which are measured, built
#   scripts/build-libssl.sh libressl-4.3.2          # LibreSSL, from ../shared/vendor/libressl-4.3.2.tar.gz
#
# The releases come from the crate registry, asked through cargo: every
# openssl-src version that is not yanked carries its OpenSSL release as
# build metadata (300.0.5+3.0.2), and the newest crate version of a release
# builds it. A measured release (src/native/releases.txt) builds from the
# crate version pinned there, so its build does not move when the registry
# gains a version.
#
# --instrumented builds with clang-16, AddressSanitizer and libFuzzer's
# coverage instrumentation (-fsanitize=address,fuzzer-no-link), for the
# fuzz targets (scripts/fuzz.sh --instrumented): ASan then sees memory
# errors inside libssl, and libFuzzer gets coverage from libssl's branches.
set -euo pipefail
usage="usage: scripts/build-libssl.sh RELEASE [--instrumented] | --list"
[ "$#" -ge 1 ] || { echo "build-libssl: $usage" >&2; exit 2; }
release=$1
instrumented=0
case "${2:-}" in
  "") ;;
  --instrumented) instrumented=1 ;;
  *) echo "build-libssl: unknown option '$2' (--instrumented)" >&2; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
# The one table of releases (also read by --model): the measured releases
# and the openssl-src crate version pinned for each.
table=$root/src/native/releases.txt
# The other libraries (not OpenSSL), by the names the scripts take.
other_libraries="libressl-4.3.2"

# Every OpenSSL release the registry has an openssl-src version for, as
# "RELEASE CRATE-VERSION" lines in version order (the newest crate version of
# each release; 1.1.1 and later: sessdiff needs 1.1.1's API). cargo resolves a throwaway manifest, which refreshes its
# copy of the registry's index entry for openssl-src; the entry is read from
# that copy. Offline, the last copy is used (with a warning).
registry_releases() {
  local dir=$root/target/libssl/registry home entry
  mkdir -p "$dir/src"
  printf '%s\n' '[package]' 'name = "registry"' 'version = "0.0.0"' 'edition = "2021"' 'publish = false' \
    '' '[dependencies]' 'openssl-src = ">=111.0.0"' '' '[workspace]' >"$dir/Cargo.toml"
  : >"$dir/src/lib.rs"
  if ! (cd "$dir" && cargo generate-lockfile --quiet) 2>"$dir/cargo.log"; then
    echo "build-libssl: cargo could not reach the registry ($dir/cargo.log); using its last copy of the index" >&2
  fi
  home=${CARGO_HOME:-$HOME/.cargo}
  # The newest copy, should there be several registries' indexes.
  entry=$(ls -t "$home"/registry/index/*/.cache/op/en/openssl-src 2>/dev/null | head -n 1 || true)
  if [ -z "$entry" ]; then
    echo "build-libssl: cargo has no copy of the registry's index entry for openssl-src (see $dir/cargo.log)" >&2
    return 1
  fi
  # The entry: a header, then NUL-separated version and JSON records.
  tr '\0' '\n' <"$entry" | grep '^{' | grep -v '"yanked": *true' |
    sed -n 's/.*"vers": *"\(1[1-9][1-9]\.[0-9]*\.[0-9]*\|[2-9][0-9][0-9]\.[0-9]*\.[0-9]*\)+\([0-9][0-9.a-z]*\)".*/\2 \1+\2/p' |
    sort -V -k1,1 -k2,2 |
    awk '{ crate[$1] = $2; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
      END { for (i = 1; i <= n; i++) print order[i], crate[order[i]] }'
}

if [ "$release" = --list ]; then
  list=$(registry_releases) || exit 1
  printf '%-8s %-20s %s\n' release openssl-src status
  while read -r rel crate; do
    status=
    pinned=$(awk -v r="$rel" '$1 == r && $3 == "measured" { print $2 }' "$table")
    [ -n "$pinned" ] && { status=measured; crate=$pinned; }
    [ -f "$root/target/libssl/$rel/include/openssl/ssl.h" ] && status="${status:+$status, }built"
    printf '%-8s %-20s %s\n' "$rel" "$crate" "$status"
  done <<<"$list"
  echo "($(grep -c . <<<"$list") releases; the system's libssl, $(awk '$2 == "system" { print $1 }' "$table"), needs no build)"
  echo "(other libraries: $other_libraries)"
  exit 0
fi
case $release in
  -*) echo "build-libssl: unknown option '$release' ($usage)" >&2; exit 2 ;;
esac

case $release in
  libressl-*|libresl*|libre*|boring*|aws*|awslc*)
    case " $other_libraries " in
      *" $release "*) ;;
      *) echo "build-libssl: '$release' is not a library sessdiff knows; the libraries: $other_libraries, and the OpenSSL releases of scripts/build-libssl.sh --list" >&2
         exit 2 ;;
    esac ;;
esac

# LibreSSL, from the release tarball beside the project (no network): a
# static build with position-independent code, installed under the prefix.
build_libressl() { # VERSION
  local version=$1 tarball sum want prefix work started
  tarball=$root/../shared/vendor/libressl-$version.tar.gz
  want=ae7db41d1f9129649916ca1914588cee6870a545685faf90d26f0c29064daf5f
  prefix=$root/target/libssl/libressl-$version
  [ "$instrumented" = 0 ] || { echo "build-libssl: --instrumented is not there yet for LibreSSL" >&2; return 2; }
  # BUILD-SECONDS is written last: a build cut short is made again.
  if [ -f "$prefix/BUILD-SECONDS" ]; then
    echo "$prefix"
    return 0
  fi
  [ -f "$tarball" ] || { echo "build-libssl: LibreSSL $version is built from its release tarball, $tarball, which is missing" >&2; return 2; }
  sum=$(sha256sum "$tarball" | cut -d' ' -f1)
  [ "$sum" = "$want" ] || { echo "build-libssl: $tarball: sha256 $sum, expected $want" >&2; return 2; }
  work=$root/target/libssl/build-libressl-$version
  rm -rf "$work"
  mkdir -p "$work"
  started=$(date +%s)
  echo "==> building LibreSSL $version from $tarball into $prefix (first use only: about 2.5 minutes on 2 cores)" >&2
  step_log() { # STEP COMMAND...
    local step=$1
    shift
    "$@" >>"$work/build.log" 2>&1 ||
      { echo "build-libssl: LibreSSL $version: $step failed; its log: $work/build.log" >&2; tail -n 15 "$work/build.log" >&2; return 1; }
  }
  step_log "unpacking" tar -xzf "$tarball" -C "$work" || return 1
  cd "$work/libressl-$version"
  step_log "./configure" ./configure --disable-shared --with-pic --prefix="$prefix" --libdir="$prefix/lib" || return 1
  step_log "make" make -j"$(nproc)" || return 1
  rm -rf "$prefix"
  step_log "make install" make install || return 1
  echo $(( $(date +%s) - started )) >"$prefix/BUILD-SECONDS"
  echo "==> LibreSSL $version built in $(( $(date +%s) - started )) s" >&2
  echo "$prefix"
}
case $release in
  libressl-*) build_libressl "${release#libressl-}"; exit $? ;;
esac

crate=$(awk -v r="$release" '$1 == r && $3 == "measured" { print $2 }' "$table")
if [ "$crate" = system ]; then
  echo "build-libssl: $release is the system's libssl: nothing to build (run sessdiff itself)" >&2
  exit 2
fi
name=$release
[ "$instrumented" = 1 ] && name=$release-instrumented
prefix=$root/target/libssl/$name
if [ -f "$prefix/include/openssl/ssl.h" ] && ls "$prefix"/lib*/libssl.a >/dev/null 2>&1; then
  echo "$prefix"
  exit 0
fi
if [ -z "$crate" ]; then
  list=$(registry_releases) || exit 1
  crate=$(awk -v r="$release" '$1 == r { print $2 }' <<<"$list")
  if [ -z "$crate" ]; then
    # The nearest releases the registry has: the one before and the one after.
    near=$( { echo "$release ~"; cat <<<"$list"; } | sort -V -k1,1 |
      awk '$2 == "~" { if (prev != "") printf "%s ", prev; want = 1; next }
           want { printf "%s", $1; exit } { prev = $1 }')
    echo "build-libssl: the registry has no openssl-src for OpenSSL '$release'; the nearest it has: ${near% } (scripts/build-libssl.sh --list shows them all)" >&2
    exit 2
  fi
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
