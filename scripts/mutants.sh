#!/usr/bin/env bash
# Mutation testing with cargo-mutants: every mutant must make the test
# selection below fail. Survivors are either killed by a new test or corpus
# program, or listed in docs/mutants.md with the reason they cannot be
# (equivalent behaviour, unreachable through the public API).
#
# Two parts of the crate are mutated, each with its own test selection:
#
# - the model, src/native (the default);
# - the oracle (--oracle): what runs both sides, compares them, names and
#   groups the differences and reports them: src/lockstep, src/backend,
#   src/shrink.rs, src/campaign.rs, src/corpus.rs, and src/survey.
#
#   scripts/mutants.sh                          # every mutant of src/native (hours on 2 cores)
#   scripts/mutants.sh --oracle                 # every mutant of the oracle (see below for the time)
#   scripts/mutants.sh --shard 3/8              # one eighth: shards run anywhere, in the background
#   scripts/mutants.sh --in-diff REF            # the mutants in `git diff REF` of the model and the oracle (what CI runs;
#                                               # the oracle's core test selection for all of them)
#   MUTANTS_MAX=6 scripts/mutants.sh --in-diff REF    # at most about 6 of them (a shard), for a time budget
#   scripts/mutants.sh --file src/native/lhash.rs     # one file (of either part)
#
# The model's test selection is fast and strong: the library's unit tests,
# the lockstep semantics and ex_data tests, the corpora replayed against
# libssl, the profile tests, the upgrade reproducers between profiles, the
# DER tests and a short seeded campaign (tests/ops.rs) and the biased-count
# stress test, about 10 s a mutant plus its build. The oracle's adds the
# faulty backends the harness must catch (tests/faulty.rs: one planted
# fault per observation, the fuzz targets' entry point, the abandoned
# world) and the CLI (tests/cli.rs); src/survey's mutants run with the
# survey tests (tests/survey.rs, worker processes, a planted abort and
# hang: about 45 s a mutant) and the tests of the committed matrix page,
# probes and upgrade reports, the rest without them. Most of the survey
# is also unit-tested with a worker in a thread (src/survey/tests.rs),
# which the quick pass runs.
#
# The oracle's parts run in two passes: first every mutant against a quick
# selection (the library's unit tests, the faulty backends, and for the core
# the CLI: 10 to 20 seconds a mutant), then, with cargo-mutants' --iterate,
# only the mutants that selection missed against the whole one. A mutant
# the quick selection catches is caught by the whole one (it is a subset),
# so the result is the one a single pass would give, in a fraction of the
# time (the survey tests run only for the few the unit tests miss).
#
# Results land in mutants.out/PART/mutants.out/ (ignored), one folder a part
# (model, oracle-core, oracle-survey, diff, files); the last lines give the
# kill rates.
set -euo pipefail
cd "$(dirname "$0")/.."

MODEL_FILES=('src/native/**/*.rs')
ORACLE_CORE_FILES=('src/lockstep/**/*.rs' 'src/backend/**/*.rs' src/shrink.rs src/campaign.rs src/corpus.rs)
ORACLE_SURVEY_FILES=('src/survey/**/*.rs')
MODEL_TESTS=(--lib --test semantics --test ex_data --test corpora --test profiles --test upgrades --test der --test ops --test biased)
ORACLE_CORE_TESTS=("${MODEL_TESTS[@]}" --test faulty --test cli)
# src/survey: the survey's own tests, and those that check what the matrix,
# probe and upgrade code writes (the committed matrix page, the probes
# against the profiles, the upgrade reports' reproducers, the CLI).
ORACLE_SURVEY_TESTS=(--lib --test survey --test faulty --test cli --test docs --test profiles --test upgrades)
# The oracle's quick first passes (see above). They leave out the library's
# unit tests of the parts not mutated here (the program language's and the
# model's: `program::`, `native::`, two thirds of the unit tests' time):
# what they would catch, the second pass's whole selection catches.
QUICK_SKIP=(-- --skip program:: --skip native::)
ORACLE_CORE_QUICK=(--lib --test faulty --test cli "${QUICK_SKIP[@]}")
ORACLE_SURVEY_QUICK=(--lib --test faulty "${QUICK_SKIP[@]}")
# What `git diff` looks at for --in-diff.
DIFF_PATHS=(src/native src/lockstep src/backend src/shrink.rs src/campaign.rs src/corpus.rs src/survey)

install() {
  if ! cargo mutants --version >/dev/null 2>&1; then
    echo "==> installing cargo-mutants"
    cargo install cargo-mutants --locked
  fi
}

usage="(--oracle, --shard K/N, --in-diff REF, --file PATH)"
oracle=0
diff_ref=
args=()
files=()
while [ "$#" -gt 0 ]; do
  case $1 in
    --oracle) oracle=1; shift ;;
    --in-diff) diff_ref=${2:?--in-diff needs a git revision}; shift 2 ;;
    --shard) args+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
    --file) files+=("${2:?--file needs a path}"); shift 2 ;;
    *)
      echo "scripts/mutants.sh: unknown option '$1' $usage" >&2
      exit 2
      ;;
  esac
done

# The parts to run: a name, its files, its tests and (optionally) a quick
# first pass's tests, as "name|files|tests|quick".
parts=()
part() { parts+=("$1|$2|$3|${4:-}"); }
if [ ${#files[@]} -gt 0 ]; then
  # One test selection for the named files: the survey's if any is in
  # src/survey, else the oracle's if any is outside src/native.
  tests=("${MODEL_TESTS[@]}")
  for f in "${files[@]}"; do
    case $f in
      src/survey*) tests=("${ORACLE_SURVEY_TESTS[@]}" "${ORACLE_CORE_TESTS[@]:1}"); break ;;
      src/native*) ;;
      *) tests=("${ORACLE_CORE_TESTS[@]}") ;;
    esac
  done
  part files "${files[*]}" "${tests[*]}"
elif [ "$oracle" = 1 ]; then
  part oracle-core "${ORACLE_CORE_FILES[*]}" "${ORACLE_CORE_TESTS[*]}" "${ORACLE_CORE_QUICK[*]}"
  part oracle-survey "${ORACLE_SURVEY_FILES[*]}" "${ORACLE_SURVEY_TESTS[*]}" "${ORACLE_SURVEY_QUICK[*]}"
elif [ -n "$diff_ref" ]; then
  # One run (one copy of the tree, one baseline build) over the model and
  # the oracle, with the oracle's core selection (src/survey's mutants
  # without the slow survey tests: --oracle runs those with them).
  part diff "${MODEL_FILES[*]} ${ORACLE_CORE_FILES[*]} ${ORACLE_SURVEY_FILES[*]}" "${ORACLE_CORE_TESTS[*]}"
else
  part model "${MODEL_FILES[*]}" "${MODEL_TESTS[*]}"
fi

diff=
if [ -n "$diff_ref" ]; then
  diff=$(mktemp)
  trap 'rm -f "$diff"' EXIT
  git diff "$diff_ref" -- "${DIFF_PATHS[@]}" >"$diff"
  if [ ! -s "$diff" ]; then
    echo "scripts/mutants.sh: no change to the model or the oracle since $diff_ref: no mutant to test"
    exit 0
  fi
fi

install
# mold links the test binaries of every mutant's build in a fraction of the
# default linker's time, where it is installed.
if command -v mold >/dev/null 2>&1 && [ -z "${RUSTFLAGS:-}" ]; then
  export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C link-arg=-fuse-ld=mold"
fi
# `grep -c` prints 0 (and fails) for an empty file.
count() { if [ -f "$1/$2.txt" ]; then grep -c . "$1/$2.txt" || true; else echo 0; fi; }
# One cargo-mutants pass: NAME OUTPUT TIMEOUT TESTS... (the selection and
# the run's options come from the loop below). Returns cargo-mutants' status.
pass() {
  local label=$1 output=$2 timeout=$3
  shift 3
  echo "==> $label: cargo mutants ${sel[*]} -- $*"
  set +e
  cargo mutants --no-shuffle --profile mutants --timeout "$timeout" --output "$output" "${run[@]+"${run[@]}"}" "${sel[@]}" -- "$@"
  local s=$?
  set -e
  return "$s"
}
status=0
total_caught=0
total_tested=0
for p in "${parts[@]}"; do
  IFS='|' read -r name part_files part_tests part_quick <<<"$p"
  read -r -a fa <<<"$part_files"
  read -r -a ta <<<"$part_tests"
  read -r -a qa <<<"$part_quick"
  sel=()
  for f in "${fa[@]}"; do sel+=(--file "$f"); done
  run=("${args[@]+"${args[@]}"}")
  if [ -n "$diff" ]; then
    n=$(cargo mutants --list --in-diff "$diff" "${sel[@]}" 2>/dev/null | wc -l)
    if [ "$n" -eq 0 ]; then
      echo "scripts/mutants.sh: $name: the change since $diff_ref has no mutant here"
      continue
    fi
    run+=(--in-diff "$diff")
    if [ -n "${MUTANTS_MAX:-}" ]; then
      k=$(( (n + MUTANTS_MAX - 1) / MUTANTS_MAX ))
      if [ "$k" -gt 1 ]; then
        echo "scripts/mutants.sh: $name: $n mutants in the diff; testing shard 1/$k (MUTANTS_MAX=$MUTANTS_MAX)"
        run+=(--shard "1/$k")
      fi
    fi
  fi
  out=mutants.out/$name/mutants.out
  mkdir -p "mutants.out/$name"
  s=0
  # Two passes only over a whole part: a shard of the second pass's list
  # would not be the first's shard.
  if [ ${#qa[@]} -gt 0 ] && [ ${#args[@]} -eq 0 ]; then
    pass "$name (quick pass)" "mutants.out/$name" 60 "${qa[@]}" || s=$?
    if [ "$s" = 0 ]; then
      echo "scripts/mutants.sh: $name: the quick pass caught every mutant"
    elif [ "$s" != 2 ] && [ "$s" != 3 ]; then
      # Not missed mutants or timeouts (2, 3): a usage error or a failing
      # baseline, which the whole selection would not mend.
      echo "scripts/mutants.sh: $name: the quick pass failed (cargo-mutants exit $s)" >&2
    else
      run+=(--iterate)
      s=0
      pass "$name (the quick pass's survivors, whole selection)" "mutants.out/$name" 180 "${ta[@]}" || s=$?
    fi
  else
    pass "$name" "mutants.out/$name" 180 "${ta[@]}" || s=$?
  fi
  # With --iterate, the first pass's catches are in previously_caught.txt.
  caught=$(( $(count "$out" caught) + $(count "$out" previously_caught) + $(count "$out" timeout) ))
  missed=$(count "$out" missed)
  unviable=$(count "$out" unviable)
  tested=$((caught + missed))
  total_caught=$((total_caught + caught))
  total_tested=$((total_tested + tested))
  if [ "$tested" -gt 0 ]; then
    echo "scripts/mutants.sh: $name: $caught caught (timeouts included), $missed missed, $unviable unviable: $(( caught * 1000 / tested / 10 )).$(( caught * 1000 / tested % 10 ))% killed"
  fi
  [ -s "$out/missed.txt" ] && { echo "missed ($name):"; cat "$out/missed.txt"; }
  # cargo-mutants exits 2 when mutants were missed, 3 on timeouts.
  [ "$s" = 0 ] || [ "$status" != 0 ] || status=$s
done
if [ "${#parts[@]}" -gt 1 ] && [ "$total_tested" -gt 0 ]; then
  echo "scripts/mutants.sh: in all, $total_caught of $total_tested viable mutants killed: $(( total_caught * 1000 / total_tested / 10 )).$(( total_caught * 1000 / total_tested % 10 ))%"
fi
exit "$status"
