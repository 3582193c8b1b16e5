#!/usr/bin/env bash
# How many edges inside the instrumented OpenSSL the programs under the
# given folders reach, through fuzz target TARGET (libFuzzer's
# -print_coverage over scripts/fuzz.sh --instrumented's build).
#
#   scripts/libssl-edges.sh ops corpora/ops
#   scripts/libssl-edges.sh der corpora/der
set -euo pipefail
target=${1:?usage: scripts/libssl-edges.sh TARGET FOLDER...}
shift
[ "$#" -gt 0 ] || { echo "libssl-edges: no folder given" >&2; exit 2; }
cd "$(dirname "$0")/.."
# shellcheck source=instrumented-env.sh
. scripts/instrumented-env.sh
cargo +nightly fuzz build --target-dir "$target_dir" "$target" >&2
bin=$target_dir/x86_64-unknown-linux-gnu/release/$target
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# One flat folder: libFuzzer reads the files of a folder, not its subfolders.
n=0
while IFS= read -r -d '' f; do
  n=$((n + 1))
  cp "$f" "$tmp/$n.txt"
done < <(find "$@" -name '*.txt' -print0)
edges=$("$bin" -runs=0 -print_coverage=1 "$tmp" 2>&1 >/dev/null | grep '^COVERED_FUNC' \
  | grep -- '-instrumented/out/' | sed -E 's/.*edges: ([0-9]+)\/.*/\1/' | awk '{s += $1} END {print s + 0}')
echo "$n programs reach $edges edges inside the instrumented OpenSSL $release"
