#!/usr/bin/env bash
# The libssl side of the hot-path benchmarks against OpenSSL releases built
# from the openssl-src crate (scripts/build-libssl.sh), for the report's
# release × path table: what a release costs per session.
#
#   scripts/bench-releases.sh                     # 1.1.1w 3.0.0 3.0.8 3.2.1 3.5.5 3.6.3 4.0.3
#   scripts/bench-releases.sh 3.5.5 4.0.3
#   BENCH_FILTER=flush_half/libssl scripts/bench-releases.sh   # one group again
#
# Each release gets its own build of the benchmark (statically linked) in
# target/bench-releases/RELEASE, and criterion's results land in
# target/bench-releases/RELEASE/criterion, where `sessdiff report` finds
# them. Only the libssl benchmarks run (the native ones do not depend on
# the release).
set -euo pipefail
cd "$(dirname "$0")/.."
releases=("$@")
[ "${#releases[@]}" -gt 0 ] || releases=(1.1.1w 3.0.0 3.0.8 3.2.1 3.5.5 3.6.3 4.0.3)
for r in "${releases[@]}"; do
  prefix=$(bash scripts/build-libssl.sh "$r")
  libdir=$prefix/lib
  [ -d "$prefix/lib64" ] && libdir=$prefix/lib64
  echo "==> benchmarking libssl $r" >&2
  OPENSSL_DIR=$prefix OPENSSL_STATIC=1 OPENSSL_LIB_DIR=$libdir OPENSSL_INCLUDE_DIR=$prefix/include \
    CARGO_TARGET_DIR=target/bench-releases/$r \
    cargo bench --bench hot_paths -- "${BENCH_FILTER:-/libssl}"
done
echo "scripts/bench-releases.sh: results in target/bench-releases/*/criterion; run scripts/report.sh (or sessdiff report) to see the table" >&2
