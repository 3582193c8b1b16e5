#!/usr/bin/env bash
# Minimise libFuzzer's byte corpus for TARGET (keeping the inputs that
# reach distinct coverage), then import it as deduplicated text programs
# into corpora/TARGET, where reviewed programs live.
#
#   scripts/cmin.sh [TARGET]                  (default: ops) into corpora/TARGET/coverage
#   scripts/cmin.sh --instrumented [TARGET]   into corpora/TARGET/libssl
#
# --instrumented measures coverage with the target linked against the
# instrumented libssl (see scripts/fuzz.sh --instrumented), so libssl's own
# branches count, and keeps only the inputs that add coverage to what the
# committed corpora already reach.
set -euo pipefail
instrumented=0
if [ "${1:-}" = --instrumented ]; then
  instrumented=1
  shift
fi
target=${1:-ops}
cd "$(dirname "$0")/.."
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
work=fuzz/corpus/$target
if [ ! -d "$work" ] || [ -z "$(ls -A "$work")" ]; then
  echo "scripts/cmin.sh: $work is empty: run scripts/fuzz.sh $target first" >&2
  exit 2
fi
case $target in der) kind=der ;; *) kind=ops ;; esac
if [ "$instrumented" = 0 ]; then
  cargo +nightly fuzz cmin "$target" "$work"
  cargo run --release --quiet -- import --target "$kind" "$work" --out "corpora/$target/coverage"
  exit 0
fi
# shellcheck source=instrumented-env.sh
. scripts/instrumented-env.sh
cargo +nightly fuzz build --target-dir "$target_dir" "$target" >&2
bin=$target_dir/x86_64-unknown-linux-gnu/release/$target
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The committed programs first: libFuzzer's merge then adds only the inputs
# that reach something they do not.
mkdir -p "$tmp/merged" "$tmp/new"
n=0
while IFS= read -r -d '' f; do
  n=$((n + 1))
  cp "$f" "$tmp/merged/committed-$n.txt"
done < <(find "corpora/$target" -name '*.txt' -print0)
ls "$tmp/merged" >"$tmp/before"
"$bin" -merge=1 "$tmp/merged" "$work" 2>&1 | grep 'MERGE-OUTER: [0-9]* new' >&2
comm -13 "$tmp/before" <(ls "$tmp/merged") | while read -r f; do cp "$tmp/merged/$f" "$tmp/new/"; done
# The import is an ordinary build against the system libssl: not the
# instrumented one the variables above point openssl-sys at.
env -u OPENSSL_DIR -u OPENSSL_STATIC -u OPENSSL_LIB_DIR -u OPENSSL_INCLUDE_DIR \
  cargo run --release --quiet -- import --target "$kind" "$tmp/new" --out "corpora/$target/libssl"
# The same program may already be committed elsewhere (a text file there,
# its byte form here): keep one copy.
for f in "corpora/$target/libssl"/*.txt; do
  b=$(basename "$f")
  if find "corpora/$target" -name "$b" -not -path "corpora/$target/libssl/*" | grep -q .; then
    rm -f "$f"
  fi
done
