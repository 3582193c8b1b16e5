#!/usr/bin/env bash
# The library matrix: for every release (and the system libssl), an ops
# campaign, a DER campaign and a survey against the native model, then one
# summary table in target/matrix/summary.md. Releases are built once into
# target/libssl/ (about 2 minutes each); the whole matrix at the default
# durations takes about 30 minutes.
#
#   scripts/matrix.sh                      # every release
#   scripts/matrix.sh 4.0.3 3.5.5          # some
#   OPS_SECONDS=120 DER_SECONDS=60 SURVEY_SECONDS=120 scripts/matrix.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ops_seconds=${OPS_SECONDS:-60}
der_seconds=${DER_SECONDS:-30}
survey_seconds=${SURVEY_SECONDS:-60}
releases=("$@")
[ ${#releases[@]} -gt 0 ] || releases=(system 1.1.1w 3.0.0 3.0.8 3.2.1 3.5.5 3.6.3 4.0.3)
out=$root/target/matrix
mkdir -p "$out"

run() { # RELEASE sessdiff-args...
  local rel=$1
  shift
  if [ "$rel" = system ]; then
    (cd "$root" && cargo build --quiet --release) >&2 && "$root/target/release/sessdiff" "$@"
  else
    bash "$root/scripts/against.sh" "$rel" "$@"
  fi
}

# The first line that says how a campaign ended, or how it died.
verdict() { # LOG EXIT-CODE
  local log=$1 code=$2
  case $code in
    0) echo "0 divergences" ;;
    1) grep -m1 '^signature:' "$log" | sed 's/^signature: /1: /' ;;
    137) echo "killed (out of memory?)" ;;
    *) echo "exit $code: $(tail -n 1 "$log" | cut -c1-80)" ;;
  esac
}

rows=()
for rel in "${releases[@]}"; do
  dir=$out/$rel
  mkdir -p "$dir"
  echo "== $rel" >&2
  start=$(date +%s)
  if [ "$rel" != system ]; then
    bash "$root/scripts/build-libssl.sh" "$rel" >/dev/null || { rows+=("| $rel | build failed | | | | |"); continue; }
  fi
  built=$(( $(date +%s) - start ))
  run "$rel" fuzz --seed 1 --seconds "$ops_seconds" --out "$dir/divergences" >"$dir/ops.log" 2>&1
  ops=$(verdict "$dir/ops.log" $?)
  programs=$(grep -ho '^[0-9]* programs\|after [0-9]* programs' "$dir/ops.log" | grep -o '[0-9]*' | tail -n 1)
  run "$rel" fuzz --target der --seed 1 --seconds "$der_seconds" --out "$dir/divergences" >"$dir/der.log" 2>&1
  der=$(verdict "$dir/der.log" $?)
  run "$rel" survey --seed 1 --seconds "$survey_seconds" --out "$dir/survey" >"$dir/survey.log" 2>&1
  classes=$(grep -E '^[0-9]+ programs' "$dir/survey.log" | grep -oE '[0-9]+ classes' | tail -n 1)
  library=$(grep -m1 -o 'against OpenSSL [^;,]*' "$dir/survey.log" | sed 's/^against //')
  rows+=("| $rel | $library | ${built}s | ${programs:-?} | $ops | $der | ${classes:-?} |")
done

{
  echo "# sessdiff library matrix"
  echo
  echo "Native model: libssl 3.0 semantics. ops campaign ${ops_seconds}s, DER campaign ${der_seconds}s, survey ${survey_seconds}s (seed 1); $(date -u +%Y-%m-%d)."
  echo
  echo "| release | library | build | ops programs | ops campaign | DER campaign | survey |"
  echo "|---|---|---:|---:|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Surveys: target/matrix/<release>/survey/survey.md"
} >"$out/summary.md"
cat "$out/summary.md"
