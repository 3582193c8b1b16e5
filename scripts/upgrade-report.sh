#!/usr/bin/env bash
# An upgrade report: what changes in session behaviour from release FROM to
# release TO. A survey runs the native model with FROM's profile against
# the TO library (built from the openssl-src crate, or `system` for the
# system libssl), explains each class by the profile switch that accounts
# for it, and the report and its reproducers are copied into the tree:
#
#   docs/upgrades/FROM-to-TO.md         the report
#   corpora/upgrades/FROM-to-TO/*.txt   its reproducers (replayed by cargo test)
#
#   scripts/upgrade-report.sh 3.0.19 4.0.3          # 300 s survey
#   SECONDS_=60 scripts/upgrade-report.sh 3.0.0 system
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
from=${1:?usage: scripts/upgrade-report.sh FROM TO|system}
to=${2:?usage: scripts/upgrade-report.sh FROM TO|system}
seconds=${SECONDS_:-300}
cd "$root"
work=target/upgrades/$from-to-$to
if [ "$to" = system ]; then
  (cd "$root" && cargo build --quiet --release) >&2
  run=("$root/target/release/sessdiff")
else
  run=(bash "$root/scripts/against.sh" "$to")
fi
# The survey exits 1 when it finds classes: that is its job here.
status=0
"${run[@]}" survey --model "$from" --seconds "$seconds" --seed 1 --out "$work" || status=$?
[ "$status" -le 1 ] || exit "$status"
[ -f "$work/upgrade.md" ] || { echo "upgrade-report: no upgrade.md (do $from and $to differ?)" >&2; exit 2; }
# The library's release name, as the report's title gives it.
slug=$(sed -n '1s/^# Upgrading OpenSSL from \([^ ]*\) to \([^:]*\):.*/\1-to-\2/p' "$work/upgrade.md")
mkdir -p docs/upgrades corpora/upgrades
cp "$work/upgrade.md" "docs/upgrades/$slug.md"
rm -rf "corpora/upgrades/$slug"
if compgen -G "$work/upgrade/*.txt" >/dev/null; then
  cp -r "$work/upgrade" "corpora/upgrades/$slug"
fi
echo "wrote docs/upgrades/$slug.md and corpora/upgrades/$slug/"
