#!/usr/bin/env bash
# Runs any sessdiff command against another libssl: an OpenSSL release built
# from the openssl-src crate (scripts/build-libssl.sh), or an install prefix.
# sessdiff is built against it (statically) into its own target folder.
#
#   scripts/against.sh 4.0.3 survey --seconds 60
#   scripts/against.sh --libssl-dir /opt/openssl fuzz --seconds 60
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = "--libssl-dir" ]; then
  prefix=$(cd "${2:?--libssl-dir needs a folder}" && pwd)
  name=dir-$(echo "$prefix" | tr '/' '_')
  shift 2
else
  release=${1:?usage: scripts/against.sh RELEASE|--libssl-dir PREFIX COMMAND...}
  shift
  prefix=$(bash "$root/scripts/build-libssl.sh" "$release")
  name=$release
fi
[ "$#" -gt 0 ] || { echo "against: no sessdiff command given" >&2; exit 2; }
target_dir=$root/target/against/$name
# The folder with libssl in it: static if there is a libssl.a, else shared
# (found again at run time through LD_LIBRARY_PATH).
libdir=
for d in "$prefix/lib" "$prefix/lib64" "$prefix"/lib/*-linux-gnu; do
  if [ -e "$d/libssl.a" ] || [ -e "$d/libssl.so" ]; then libdir=$d; break; fi
done
[ -n "$libdir" ] || { echo "against: no libssl.a or libssl.so under $prefix/lib*" >&2; exit 2; }
static=0
[ -e "$libdir/libssl.a" ] && static=1
(
  cd "$root"
  OPENSSL_DIR=$prefix OPENSSL_LIB_DIR=$libdir OPENSSL_INCLUDE_DIR=$prefix/include \
    OPENSSL_STATIC=$static cargo build --quiet --release --target-dir "$target_dir"
) >&2
if [ "$static" = 0 ]; then
  export LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
exec "$target_dir/release/sessdiff" "$@"
