#!/usr/bin/env bash
# Run a cargo-fuzz target with libFuzzer, seeded from the text corpora.
#
#   scripts/fuzz.sh TARGET [SECONDS]                 e.g. scripts/fuzz.sh ops 600
#   scripts/fuzz.sh --instrumented TARGET [SECONDS]  against an instrumented libssl
#
# --instrumented links the target against an OpenSSL built with ASan and
# libFuzzer's coverage (scripts/build-libssl.sh RELEASE --instrumented;
# INSTRUMENTED_RELEASE, default 4.0.3), in its own target folder
# (fuzz/target-instrumented/RELEASE): ASan then reports memory errors inside
# libssl, and libFuzzer's coverage includes libssl's branches. The native
# model follows that release's profile.
#
# Environment:
#   FUZZ_JOBS=N     fork N workers (-fork=N); "all" for every core
#   FUZZ_FLAGS=...  extra libFuzzer flags
#
# Installs cargo-fuzz if it is missing. libFuzzer's byte corpus lives in
# fuzz/corpus/TARGET (a cache, not committed); corpora/TARGET/*.txt are the
# reviewed seeds, read as text programs by the target. Exits non-zero on any
# finding (the crash input lands in fuzz/artifacts/TARGET/). Prints the
# average exec/s at the end.
set -euo pipefail
instrumented=0
if [ "${1:-}" = --instrumented ]; then
  instrumented=1
  shift
fi
target=${1:?usage: scripts/fuzz.sh [--instrumented] TARGET [SECONDS]}
seconds=${2:-60}
cd "$(dirname "$0")/.."
# The targets are the files of fuzz/fuzz_targets: check the name before
# anything is built or created.
targets=$(cd fuzz/fuzz_targets && ls -- *.rs | sed 's/\.rs$//' | tr '\n' ' ')
if [ ! -f "fuzz/fuzz_targets/$target.rs" ]; then
  echo "scripts/fuzz.sh: unknown target '$target' (targets: ${targets% })" >&2
  exit 2
fi
case $seconds in
  ''|*[!0-9]*|0) echo "scripts/fuzz.sh: SECONDS must be a positive whole number, not '$seconds'" >&2; exit 2 ;;
esac
build=()
if [ "$instrumented" = 1 ]; then
  # shellcheck source=instrumented-env.sh
  . scripts/instrumented-env.sh
  build=(--target-dir "$target_dir")
fi

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "scripts/fuzz.sh: a nightly toolchain is needed (rustup toolchain install nightly)" >&2
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

work=fuzz/corpus/$target
mkdir -p "$work" "fuzz/artifacts/$target"
seeds=()
[ -d "corpora/$target" ] && seeds+=("corpora/$target")

flags=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096)
case "${FUZZ_JOBS:-}" in
  "") ;;
  all) flags+=(-fork="$(nproc)") ;;
  *) flags+=(-fork="$FUZZ_JOBS") ;;
esac
# shellcheck disable=SC2206
[ -n "${FUZZ_FLAGS:-}" ] && flags+=($FUZZ_FLAGS)

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo +nightly fuzz run ${build[@]+"${build[@]}"} "$target" "$work" "${seeds[@]}" -- "${flags[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || true)
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || true)
cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1 || true)
lib=system
[ "$instrumented" = 1 ] && lib="instrumented $release"
echo "scripts/fuzz.sh: target $target against the $lib libssl, ${seconds}s: ${runs:-?} executions, ${rate:-?} exec/s, ${cov:-cov: ?}, exit $status"
exit "$status"
