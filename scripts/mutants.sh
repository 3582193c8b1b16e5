#!/usr/bin/env bash
# Mutation testing of the native implementation (src/native) with
# cargo-mutants: every mutant must make the test selection below fail.
# Survivors are either killed by a new test or corpus program, or listed in
# docs/mutants.md with the reason they cannot be (equivalent behaviour,
# unreachable through the public API).
#
#   scripts/mutants.sh                          # every mutant of src/native (hours on 2 cores)
#   scripts/mutants.sh --shard 3/8              # one eighth: shards run anywhere, in the background
#   scripts/mutants.sh --in-diff REF            # only the mutants in `git diff REF` (what CI runs)
#   MUTANTS_MAX=6 scripts/mutants.sh --in-diff REF    # at most about 6 of them (a shard), for a time budget
#   scripts/mutants.sh --file src/native/lhash.rs
#
# The test selection is fast and strong: the library's unit tests, the
# lockstep semantics and ex_data tests, the corpora replayed against libssl, the profile
# tests, the upgrade reproducers between profiles, the DER tests and a short
# seeded campaign (tests/ops.rs) and the biased-count stress test, about 10 s
# a mutant plus its build. Results land in mutants.out/ (ignored); the last
# line is the kill rate.
set -euo pipefail
cd "$(dirname "$0")/.."
install() {
  if ! cargo mutants --version >/dev/null 2>&1; then
    echo "==> installing cargo-mutants"
    cargo install cargo-mutants --locked
  fi
}
args=()
while [ "$#" -gt 0 ]; do
  case $1 in
    --in-diff)
      ref=${2:?--in-diff needs a git revision}
      diff=$(mktemp)
      trap 'rm -f "$diff"' EXIT
      git diff "$ref" -- src/native >"$diff"
      if [ ! -s "$diff" ]; then
        echo "scripts/mutants.sh: no change to src/native since $ref: no mutant to test"
        exit 0
      fi
      args+=(--in-diff "$diff")
      shift 2
      install
      n=$(cargo mutants --list --in-diff "$diff" --file 'src/native/**/*.rs' 2>/dev/null | wc -l)
      if [ "$n" -eq 0 ]; then
        echo "scripts/mutants.sh: the change to src/native since $ref has no mutant (tests or comments only)"
        exit 0
      fi
      if [ -n "${MUTANTS_MAX:-}" ]; then
        k=$(( (n + MUTANTS_MAX - 1) / MUTANTS_MAX ))
        if [ "$k" -gt 1 ]; then
          echo "scripts/mutants.sh: $n mutants in the diff; testing shard 1/$k (MUTANTS_MAX=$MUTANTS_MAX)"
          args+=(--shard "1/$k")
        fi
      fi
      ;;
    --shard|--file)
      args+=("$1" "${2:?$1 needs a value}")
      shift 2
      ;;
    *)
      echo "scripts/mutants.sh: unknown option '$1' (--shard K/N, --in-diff REF, --file PATH)" >&2
      exit 2
      ;;
  esac
done
install
has_file=0
for a in "${args[@]+"${args[@]}"}"; do [ "$a" = --file ] && has_file=1; done
[ "$has_file" = 1 ] || args+=(--file 'src/native/**/*.rs')
set +e
cargo mutants --no-shuffle --timeout 120 "${args[@]}" -- \
  --lib --test semantics --test ex_data --test corpora --test profiles --test upgrades --test der --test ops --test biased
status=$?
set -e
out=mutants.out
# `grep -c` prints 0 (and fails) for an empty file.
count() { if [ -f "$out/$1.txt" ]; then grep -c . "$out/$1.txt" || true; else echo 0; fi; }
caught=$(count caught)
missed=$(count missed)
timeout=$(count timeout)
unviable=$(count unviable)
tested=$((caught + missed + timeout))
if [ "$tested" -gt 0 ]; then
  echo "scripts/mutants.sh: $caught caught, $timeout timed out, $missed missed, $unviable unviable: $(( (caught + timeout) * 1000 / tested / 10 )).$(( (caught + timeout) * 1000 / tested % 10 ))% killed"
fi
[ -s "$out/missed.txt" ] && { echo "missed:"; cat "$out/missed.txt"; }
# cargo-mutants exits 2 when mutants were missed, 3 on timeouts.
exit "$status"
