#!/usr/bin/env bash
# The compatibility page, loaded in a headless browser: `sessdiff matrix`
# renders the committed measures (docs/matrix.tsv) into
# target/matrix-page/index.html, headless Chromium loads it, and the page it
# shows must hold the table (one row a measured release, one column a
# switch) and each switch's section. A screenshot is left beside it
# (target/matrix-page/screenshot.png). Installs chromium if missing (Debian).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=target/matrix-page
if ! command -v chromium >/dev/null; then
  echo "==> installing chromium (headless, for the page check)" >&2
  sudo=
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
cargo build --quiet --release
./target/release/sessdiff matrix --tsv docs/matrix.tsv --surveys docs/matrix-surveys.tsv --dir "$out"
page=file://$root/$out/index.html
log=$out/chromium.log
browse() {
  chromium --headless --no-sandbox --disable-gpu --window-size=1800,1200 "$@" 2>>"$log" ||
    { echo "check-matrix-page: chromium failed ($*); its log:" >&2; tail -n 20 "$log" >&2; exit 1; }
}
: >"$log"
dom=$(browse --dump-dom "$page")
browse --screenshot="$root/$out/screenshot.png" "$page" >/dev/null
releases=$(cut -f1 docs/matrix.tsv | sort -u | wc -l)
# The page has a section for every switch of the model (sessdiff probe
# measures them all, so the committed measures name each).
switches=$(cut -f2 docs/matrix.tsv | sort -u | wc -l)
# The table's rows, as the browser built them: the header and one a release.
rows=$(grep -o '<tr>' <<<"$dom" | wc -l)
sections=$(grep -o '<h3>' <<<"$dom" | wc -l)
fail=0
# The switches' table and the surveys' (every release of either).
surveyed=$(cut -f1 docs/matrix.tsv docs/matrix-surveys.tsv | sort -u | wc -l)
want=$((releases + 1 + surveyed + 1))
[ "$rows" -eq "$want" ] || { echo "check-matrix-page: $rows table rows, expected $want" >&2; fail=1; }
[ "$sections" -eq "$switches" ] || { echo "check-matrix-page: $sections switch sections, expected $switches" >&2; fail=1; }
grep -q '<title>sessdiff: session behaviour across OpenSSL releases</title>' <<<"$dom" ||
  { echo "check-matrix-page: the page has not its title" >&2; fail=1; }
[ -s "$out/screenshot.png" ] || { echo "check-matrix-page: no screenshot" >&2; fail=1; }
[ "$fail" = 0 ] || exit 1
echo "check-matrix-page: Chromium loaded $out/index.html: $releases releases x $switches switches, $sections sections; screenshot $out/screenshot.png"
