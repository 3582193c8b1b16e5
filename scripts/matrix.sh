#!/usr/bin/env bash
# The release matrix: for every OpenSSL release the crate registry has (and
# the system libssl), which behaviour each profile switch shows, measured by
# the switch's probe programs (`sessdiff probe`), then campaigns and a survey
# against the native model with the release's own profile (--model auto).
# Releases are built once into target/libssl/, one at a time (about 2
# minutes each, plus 2 for sessdiff against it; REBUILD=1 builds again, to
# time the builds).
#
#   scripts/matrix.sh                      # every release: about 10 minutes each (a night for all)
#   scripts/matrix.sh --quick              # probes and a 30 s survey a release, builds reused
#   scripts/matrix.sh 4.0.3 3.0.2 system   # some
#   scripts/matrix.sh --gather             # only collect what the releases' folders hold
#   OPS_SECONDS=30 DER_SECONDS=15 SURVEY_SECONDS=30 LONG_SURVEY_SECONDS=30 scripts/matrix.sh
#
# Writes, under target/matrix/: RELEASE/ (each run's logs, probe.md,
# probe.tsv, the survey), summary.md (one row a release) and switches.tsv
# (release, switch, verdict, releases, value, guess: every release's probe
# lines, of this run and earlier ones) and surveys.tsv (release, model,
# seconds, programs, classes, refused ops, date: every release's survey),
# from which `sessdiff matrix` makes the compatibility page.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
quick=0
gather=0
releases=()
for a in "$@"; do
  case $a in
    --quick) quick=1 ;;
    --gather) gather=1 ;;
    -*) echo "matrix: unknown option '$a' (--quick, --gather)" >&2; exit 2 ;;
    *) releases+=("$a") ;;
  esac
done
ops_seconds=${OPS_SECONDS:-120}
der_seconds=${DER_SECONDS:-60}
survey_seconds=${SURVEY_SECONDS:-120}
# The releases most users have: the system's and the newest.
long_survey_seconds=${LONG_SURVEY_SECONDS:-600}
if [ "$quick" = 1 ]; then
  ops_seconds=0 der_seconds=0 survey_seconds=${SURVEY_SECONDS:-30} long_survey_seconds=${SURVEY_SECONDS:-30}
fi
matrix_start=$(date +%s)
if [ "$gather" = 1 ]; then
  [ ${#releases[@]} = 0 ] || { echo "matrix: --gather takes no releases (it collects every folder under target/matrix)" >&2; exit 2; }
  newest=
else
  # Every release the registry has, oldest first (the rows of --list).
  list=$(bash "$root/scripts/build-libssl.sh" --list | awk 'NR > 1 && $1 !~ /^\(/ { print $1 }') || exit 1
  [ ${#releases[@]} -gt 0 ] || releases=(system $list)
  newest=$(tail -n 1 <<<"$list")
fi
out=$root/target/matrix
mkdir -p "$out"
# From the root, so that reports name the probe programs as the tree does.
cd "$root"
probes=(--probes corpora/upgrades corpora/probes)

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
n=0
for rel in "${releases[@]}"; do
  n=$((n + 1))
  dir=$out/$rel
  mkdir -p "$dir"
  echo "== [$n/${#releases[@]}, $(( ($(date +%s) - matrix_start) / 60 )) min] $rel" >&2
  built=-
  if [ "$rel" != system ]; then
    [ "${REBUILD:-0}" = 1 ] && rm -rf "$root/target/libssl/$rel"
    prefix=$(bash "$root/scripts/build-libssl.sh" "$rel" 2>"$dir/build.log") || {
      echo "   build failed: $dir/build.log" >&2
      rows+=("| $rel | build failed ($(tail -n 1 "$dir/build.log" | cut -c1-60 | tr '|' '/')) | | | | | | | | |")
      continue
    }
    built=$(cat "$prefix/BUILD-SECONDS" 2>/dev/null || echo "?")s
  fi
  # The switches, measured; exit 1 says the model's guess was wrong somewhere.
  run "$rel" probe "${probes[@]}" --out "$dir" >"$dir/probe.log" 2>&1
  code=$?
  case $code in
    0) probe="as guessed" ;;
    1) probe="**$(grep -c '\*\*differs\*\*' "$dir/probe.md") differ**, $(awk -F'\t' '$2 == "none"' "$dir/probe.tsv" | wc -l) unmatched" ;;
    *) probe="exit $code: $(tail -n 1 "$dir/probe.log" | cut -c1-60)" ;;
  esac
  ops=- der=- programs= refused=
  if [ "$ops_seconds" != 0 ]; then
    run "$rel" fuzz --seed 1 --seconds "$ops_seconds" --out "$dir/divergences" >"$dir/ops.log" 2>&1
    ops=$(verdict "$dir/ops.log" $?)
    programs=$(grep -ho '^[0-9]* programs\|after [0-9]* programs' "$dir/ops.log" | grep -o '[0-9]*' | tail -n 1)
    refused=$(grep -o '[0-9]* refused' "$dir/ops.log" | tail -n 1 | grep -o '[0-9]*')
  fi
  if [ "$der_seconds" != 0 ]; then
    run "$rel" fuzz --target der --seed 1 --seconds "$der_seconds" --out "$dir/divergences" >"$dir/der.log" 2>&1
    der=$(verdict "$dir/der.log" $?)
  fi
  seconds=$survey_seconds
  case $rel in system|"$newest") seconds=$long_survey_seconds ;; esac
  run "$rel" survey --seed 1 --seconds "$seconds" --out "$dir/survey" >"$dir/survey.log" 2>&1
  survey=$(grep -E '^[0-9]+ programs' "$dir/survey.log" | tail -n 1)
  classes=$(echo "$survey" | grep -oE '[0-9]+ classes')
  survey_programs=$(echo "$survey" | grep -oE '^[0-9]+')
  survey_refused=$(grep -ohE '^- [0-9]+ ops refused' "$dir/survey/survey.md" 2>/dev/null | grep -oE '[0-9]+')
  library=$(grep -m1 -o 'against OpenSSL [^;,]*' "$dir/survey.log" | sed 's/^against //')
  rows+=("| $rel | $library | $built | $probe | ${programs:-} | ${refused:-${survey_refused:-0}} | $ops | $der | ${survey_programs:-?} in ${seconds}s | ${classes:-?} |")
  echo "   probe: $probe; survey: ${classes:-?}" >&2
done

# Every release's probe lines (of this run and the earlier ones under
# target/matrix), for the compatibility page.
for tsv in "$out"/*/probe.tsv; do
  [ -f "$tsv" ] || continue
  rel=$(basename "$(dirname "$tsv")")
  [ "$rel" = system ] && rel=$(grep -m1 -o 'against OpenSSL [0-9][^ ]*' "$out/system/probe.log" | sed 's/^against OpenSSL //')
  awk -v r="$rel" -F'\t' '{ print r "\t" $0 }' "$tsv"
done >"$out/switches.tsv"

# Every release's survey (of this run and the earlier ones): release, the
# model's release, seconds, programs, classes, refused ops, date.
# The model is the release whose profile ran: the release itself, or the
# measured one an unmeasured release follows.
for log in "$out"/*/survey.log; do
  [ -f "$log" ] || continue
  dir=$(dirname "$log")
  head=$(grep -m1 '^sessdiff survey:' "$log") || continue
  last=$(grep -E '^[0-9]+ programs .* in [0-9.]+ s$' "$log" | tail -n 1)
  [ -n "$last" ] || continue # cut short: no survey to record
  grep -q ' model against OpenSSL ' <<<"$head" || continue # another library: not in this matrix
  rel=$(basename "$dir")
  [ "$rel" = system ] && rel=$(sed -n 's/.* model against OpenSSL \([^ ;]*\).*/\1/p' <<<"$head")
  model=$(sed -n 's/.*, the \(.*\) model against .*/\1/p' <<<"$head")
  case $model in
    *"follows "*) model=$(sed 's/.*follows \([^ );]*\).*/\1/' <<<"$model") ;;
    *) model=${model%% *} ;;
  esac
  seconds=$(sed -n 's/.*, \([0-9.]*\) s, the .*/\1/p' <<<"$head")
  seconds=${seconds%.*}
  programs=$(grep -oE '^[0-9]+' <<<"$last")
  classes=$(grep -oE '[0-9]+ classes' <<<"$last" | grep -oE '[0-9]+')
  refused=$(grep -ohE '^- [0-9]+ ops refused' "$dir/survey/survey.md" 2>/dev/null | grep -oE '[0-9]+')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rel" "$model" "$seconds" "$programs" "$classes" "${refused:-0}" \
    "$(date -u -r "$log" +%Y-%m-%d)"
done >"$out/surveys.tsv"

if [ "$gather" = 1 ]; then
  echo "matrix: gathered $(wc -l <"$out/switches.tsv") probe lines into $out/switches.tsv and $(wc -l <"$out/surveys.tsv") surveys into $out/surveys.tsv" >&2
  exit 0
fi
{
  echo "# sessdiff release matrix"
  echo
  if [ "$quick" = 1 ]; then
    echo "Quick: the switches' probes and a ${survey_seconds}s survey a release (--model auto), seed 1; $(date -u +%Y-%m-%d); $(( ($(date +%s) - matrix_start) / 60 )) minutes."
  else
    echo "Native model: each release's own profile (--model auto). Probes, ops campaign ${ops_seconds}s, DER campaign ${der_seconds}s, survey ${survey_seconds}s (${long_survey_seconds}s for system and $newest), seed 1; $(date -u +%Y-%m-%d); the whole matrix took $(( ($(date +%s) - matrix_start) / 60 )) minutes."
  fi
  echo
  echo "| release | library | build | switches | ops programs | refused ops | ops campaign | DER campaign | survey programs | survey |"
  echo "|---|---|---:|---|---:|---:|---|---|---:|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Switches: what \`sessdiff probe\` measured against the model's guess for the release (RELEASE/probe.md)."
  echo "Refused ops: calls the release's profile refuses as a documented library bug (dup_keeps_owner)."
  echo
  echo "Surveys: target/matrix/<release>/survey/survey.md; every switch of every release: target/matrix/switches.tsv"
} >"$out/summary.md"
cat "$out/summary.md"
