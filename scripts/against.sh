#!/usr/bin/env bash
# Runs any sessdiff command against another libssl: an OpenSSL release built
# from the openssl-src crate (scripts/build-libssl.sh: any release the crate
# registry has, `scripts/build-libssl.sh --list`), or an install prefix. sessdiff is built
# against it (statically) into its own target folder, target/against/NAME.
# The first use of a release builds it (about 2 minutes on 2 cores) and
# sessdiff against it (about 2 minutes more); later uses start at once.
#
#   scripts/against.sh 4.0.3 survey --seconds 60
#   scripts/against.sh --libssl-dir /opt/openssl fuzz --seconds 60
#
# Every command sessdiff prints to run again (a divergence's reproduce:
# line, a survey's replay lines) goes through this script with the same
# library: sessdiff learns it from SESSDIFF_AGAINST.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
usage="usage: scripts/against.sh RELEASE|--libssl-dir PREFIX COMMAND [ARGS...]"
started=$(date +%s)
step() { echo "==> [$(( $(date +%s) - started )) s] $*" >&2; }

# Check the arguments before building anything.
if [ "${1:-}" = "--libssl-dir" ]; then
  dir=${2:?--libssl-dir needs a folder}
  [ -d "$dir" ] || { echo "against: --libssl-dir: no folder $dir" >&2; exit 2; }
  prefix=$(cd "$dir" && pwd)
  name=dir-$(echo "$prefix" | tr '/' '_')
  library=(--libssl-dir "$prefix")
  shift 2
else
  release=${1:?$usage}
  shift
  library=("$release")
fi
[ "$#" -gt 0 ] || { echo "against: no sessdiff command given ($usage)" >&2; exit 2; }
# The subcommands are the files of src/cli (one a subcommand).
commands=$(cd "$root/src/cli" && ls -- *.rs | grep -v '^mod\.rs$' | sed 's/\.rs$//' | tr '\n' ' ')
case " $commands --help -h help " in
  *" $1 "*) ;;
  *) echo "against: '$1' is not a sessdiff command (${commands% })" >&2; exit 2 ;;
esac
if [ -z "${prefix:-}" ]; then
  table=$root/src/native/releases.txt
  if [ "$(awk -v r="$release" '$1 == r { print $2 }' "$table")" = system ]; then
    echo "against: $release is the system's libssl: run sessdiff itself (cargo install --path .)" >&2
    exit 2
  fi
  # build-libssl.sh refuses a release the registry lacks, with the nearest.
  [ -d "$root/target/libssl/$release" ] || step "building OpenSSL $release (first use: about 2 minutes)"
  prefix=$(bash "$root/scripts/build-libssl.sh" "$release")
  name=$release
fi
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
if [ -x "$target_dir/release/sessdiff" ]; then
  step "building sessdiff against $prefix (if anything changed)"
else
  step "building sessdiff against $prefix (first use: about 2 minutes)"
fi
(
  cd "$root"
  OPENSSL_DIR=$prefix OPENSSL_LIB_DIR=$libdir OPENSSL_INCLUDE_DIR=$prefix/include \
    OPENSSL_STATIC=$static cargo build --release --target-dir "$target_dir"
) >&2
step "running sessdiff $*"
if [ "$static" = 0 ]; then
  export LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
SESSDIFF_AGAINST="$root/scripts/against.sh ${library[*]}" exec "$target_dir/release/sessdiff" "$@"
