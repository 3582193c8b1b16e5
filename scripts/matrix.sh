#!/usr/bin/env bash
# The library matrix: for every release (and the system libssl), an ops
# campaign, a DER campaign and a survey against the native model with the
# release's own profile (--model auto), then one summary table in
# target/matrix/summary.md. Releases are built once into target/libssl/
# (about 2 minutes each; REBUILD=1 builds them again, to time the builds).
# At the default durations (120 s ops, 60 s DER, 120 s survey, 600 s for the
# system library and 4.0.3) the matrix takes about an hour on 2 cores.
#
#   scripts/matrix.sh                      # every release
#   scripts/matrix.sh 4.0.3 3.5.5          # some
#   OPS_SECONDS=30 DER_SECONDS=15 SURVEY_SECONDS=30 LONG_SURVEY_SECONDS=30 scripts/matrix.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ops_seconds=${OPS_SECONDS:-120}
der_seconds=${DER_SECONDS:-60}
survey_seconds=${SURVEY_SECONDS:-120}
# The releases most users have: the system's and the newest.
long_survey_seconds=${LONG_SURVEY_SECONDS:-600}
matrix_start=$(date +%s)
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
  built=-
  if [ "$rel" != system ]; then
    [ "${REBUILD:-0}" = 1 ] && rm -rf "$root/target/libssl/$rel"
    prefix=$(bash "$root/scripts/build-libssl.sh" "$rel") || { rows+=("| $rel | build failed | | | | | | |"); continue; }
    built=$(cat "$prefix/BUILD-SECONDS" 2>/dev/null || echo "?")s
  fi
  seconds=$survey_seconds
  case $rel in system|4.0.3) seconds=$long_survey_seconds ;; esac
  run "$rel" fuzz --seed 1 --seconds "$ops_seconds" --out "$dir/divergences" >"$dir/ops.log" 2>&1
  ops=$(verdict "$dir/ops.log" $?)
  programs=$(grep -ho '^[0-9]* programs\|after [0-9]* programs' "$dir/ops.log" | grep -o '[0-9]*' | tail -n 1)
  refused=$(grep -o '[0-9]* refused' "$dir/ops.log" | tail -n 1 | grep -o '[0-9]*')
  run "$rel" fuzz --target der --seed 1 --seconds "$der_seconds" --out "$dir/divergences" >"$dir/der.log" 2>&1
  der=$(verdict "$dir/der.log" $?)
  run "$rel" survey --seed 1 --seconds "$seconds" --out "$dir/survey" >"$dir/survey.log" 2>&1
  survey=$(grep -E '^[0-9]+ programs' "$dir/survey.log" | tail -n 1)
  classes=$(echo "$survey" | grep -oE '[0-9]+ classes')
  survey_programs=$(echo "$survey" | grep -oE '^[0-9]+')
  library=$(grep -m1 -o 'against OpenSSL [^;,]*' "$dir/survey.log" | sed 's/^against //')
  rows+=("| $rel | $library | $built | ${programs:-?} | ${refused:-0} | $ops | $der | ${survey_programs:-?} in ${seconds}s | ${classes:-?} |")
done

{
  echo "# sessdiff library matrix"
  echo
  echo "Native model: each release's own profile (--model auto). ops campaign ${ops_seconds}s, DER campaign ${der_seconds}s, survey ${survey_seconds}s (${long_survey_seconds}s for system and 4.0.3), seed 1; $(date -u +%Y-%m-%d); the whole matrix took $(( ($(date +%s) - matrix_start) / 60 )) minutes."
  echo
  echo "| release | library | build | ops programs | refused ops | ops campaign | DER campaign | survey programs | survey |"
  echo "|---|---|---:|---:|---:|---|---|---:|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Refused ops: calls the release's profile refuses as a documented library bug (3.0.0 and 3.0.8: dup_keeps_owner)."
  echo
  echo "Surveys: target/matrix/<release>/survey/survey.md"
} >"$out/summary.md"
cat "$out/summary.md"
