#!/usr/bin/env bash
# Minimise libFuzzer's byte corpus for TARGET (keeping the inputs that
# reach distinct coverage), then import it as deduplicated text programs
# into corpora/TARGET, where reviewed programs live.
#
#   scripts/cmin.sh [TARGET]     (default: ops)
set -euo pipefail
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
cargo +nightly fuzz cmin "$target" "$work"
case $target in der) kind=der ;; *) kind=ops ;; esac
cargo run --release --quiet -- import --target "$kind" "$work" --out "corpora/$target/coverage"
