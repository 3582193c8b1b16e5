#!/usr/bin/env bash
# The thread-safety checks of the native session library's reference
# counting: tests/biased.rs (threads racing local and shared references;
# the last one may fall on any thread) under Miri, several scheduler seeds,
# which checks data races and weak memory orders, and under ThreadSanitizer,
# with the standard library rebuilt instrumented; and it requires both to
# report the race planted in biased::planted_data_race.
#
#   scripts/threads.sh             # Miri with 8 seeds, then ThreadSanitizer
#   SEEDS=64 scripts/threads.sh    # more Miri seeds
#
# Needs the nightly toolchain with its rust-src and miri components; the
# script adds them with rustup if missing, and exits 3 (nothing checked)
# if it cannot.
set -euo pipefail
cd "$(dirname "$0")/.."

seeds=${SEEDS:-8}
case $seeds in
  '' | *[!0-9]* | 0*) echo "scripts/threads.sh: SEEDS must be a positive number, not '$seeds'" >&2; exit 2 ;;
esac

for c in rust-src miri; do
  if ! rustup +nightly component list --installed 2>/dev/null | grep -q "^$c"; then
    if ! rustup component add --toolchain nightly "$c"; then
      echo "scripts/threads.sh: cannot add the nightly component $c (rustup above): nothing checked" >&2
      exit 3
    fi
  fi
done
host=$(rustc +nightly -vV | sed -n 's/^host: //p')

mkdir -p target/threads
# Runs the planted race under a checker (the command in "$@"), which must
# report it.
planted() {
  local name=$1 pattern=$2 log=target/threads/planted-$1.log status=0
  shift 2
  "$@" --ignored --exact planted_data_race >"$log" 2>&1 || status=$?
  if [ "$status" -eq 0 ] || ! grep -q "$pattern" "$log"; then
    cat "$log" >&2
    echo "scripts/threads.sh: $name did not report the planted race (exit $status)" >&2
    exit 1
  fi
  echo "$name reports the planted race: $(grep -m1 "$pattern" "$log")"
}

echo "== Miri: tests/biased.rs, scheduler seeds 0..$seeds"
miri() { cargo +nightly miri test --quiet --test biased -- "$@"; }
MIRIFLAGS="-Zmiri-many-seeds=0..$seeds" miri
planted Miri "Data race detected" miri

echo "== ThreadSanitizer: tests/biased.rs, std rebuilt with -Zsanitizer=thread"
# A report fails the run (exit code 66) rather than only being printed;
# scripts/tsan.supp says what is suppressed, and why.
tsan() {
  TSAN_OPTIONS="halt_on_error=1 exitcode=66 suppressions=$PWD/scripts/tsan.supp" \
    RUSTFLAGS="-Zsanitizer=thread" \
    CARGO_TARGET_DIR=target/tsan \
    cargo +nightly test --quiet -Zbuild-std --target "$host" --test biased -- "$@"
}
tsan
planted ThreadSanitizer "SUMMARY: ThreadSanitizer: data race" tsan
echo "scripts/threads.sh: no data race, no undefined behaviour; both checkers report the planted race"
