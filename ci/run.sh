#!/usr/bin/env bash
# The CI job: install what is missing, check formatting and lints, run the
# README's test command, run the reference-counting race under Miri and
# ThreadSanitizer, replay generated programs under valgrind, run a
# short differential campaign and a short survey, check the model against a
# vendored OpenSSL 4.0.3 (replay the upgrade reproducers against it, probe
# its switches), load the compatibility page in headless Chromium,
# build the fuzz targets with ASan and run them briefly, show ASan catching a
# memory error inside an instrumented libssl, and check the ClusterFuzzLite
# build. Budget: about 20 to 25 minutes on 2 cores, under the 30 the
# project allows itself.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "system packages"
need=()
dpkg -s libssl-dev >/dev/null 2>&1 || need+=(libssl-dev)
dpkg -s pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v valgrind >/dev/null 2>&1 || need+=(valgrind)
command -v clang-16 >/dev/null 2>&1 || need+=(clang-16)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
openssl version

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings

step "cargo doc: the API documentation builds, every link resolves"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet

step "cargo test (the README's test command)"
cargo test

step "benchmarks compile (cargo bench --no-run)"
cargo bench --no-run

step "thread safety: tests/biased.rs under Miri (8 scheduler seeds) and ThreadSanitizer"
status=0
bash scripts/threads.sh || status=$?
case $status in
  0) ;;
  3) echo "NOT RUN: the nightly components rust-src and miri could not be added on this machine (rustup above)" ;;
  *) exit "$status" ;;
esac

step "valgrind: replay 300 generated programs"
cargo build --release
programs=target/ci/valgrind-programs
rm -rf "$programs"
target/release/sessdiff generate --seed 7 --count 300 --out "$programs"
valgrind --error-exitcode=1 --leak-check=full -q target/release/sessdiff replay "$programs" | tail -n 1

step "upgrade reproducers *-to-3.0.19: pass under the system library's profile, diverge under their own"
for dir in corpora/upgrades/*-to-3.0.19; do
  from=$(basename "$dir")
  from=${from%-to-3.0.19}
  target/release/sessdiff replay "$dir" | tail -n 1
  target/release/sessdiff replay --model "$from" --expect-divergence "$dir" | tail -n 1
done

step "the compatibility page (docs/matrix.tsv rendered by sessdiff matrix) loaded in headless Chromium"
bash scripts/check-matrix-page.sh

step "differential campaign: 60 s against the system libssl"
target/release/sessdiff fuzz --seconds 60 --seed 1 --out target/ci/divergences

step "DER campaign: 30 s of mostly-valid encodings through every decode path"
target/release/sessdiff fuzz --target der --seconds 30 --seed 1 --out target/ci/divergences

step "survey: 20 s in worker processes, no class against the system libssl"
target/release/sessdiff survey --seconds 20 --seed 1 --out target/ci/survey

step "OpenSSL 4.0.3 from the openssl-src crate: a 60 s campaign and the corpora, --model auto"
bash scripts/build-libssl.sh 4.0.3
bash scripts/against.sh 4.0.3 fuzz --seconds 60 --seed 1 --out target/ci/divergences-4.0.3
bash scripts/against.sh 4.0.3 fuzz --target der --seconds 20 --seed 1 --out target/ci/divergences-4.0.3
bash scripts/against.sh 4.0.3 replay corpora/ops corpora/der | tail -n 1
# Every switch of 4.0.3 measured by its probes, as its profile says (exit 1 otherwise).
bash scripts/against.sh 4.0.3 probe | sed -n '/^| switch/,/^$/p'

step "a divergence found through scripts/against.sh 4.0.3 (3.0.19's model) reproduces with the line it prints"
status=0
bash scripts/against.sh 4.0.3 fuzz --model 3.0.19 --seconds 20 --seed 1 --out target/ci/divergences-against \
  >target/ci/against.out || status=$?
[ "$status" = 1 ] || { cat target/ci/against.out; echo "expected a divergence (exit 1), got $status"; exit 1; }
line=$(sed -n 's/^reproduce: //p' target/ci/against.out)
sig=$(sed -n 's/^signature: //p' target/ci/against.out | head -n 1)
echo "reproduce: $line"
status=0
sh -c "$line" >target/ci/against-replay.out || status=$?
[ "$status" = 1 ] && grep -qF "  $sig" target/ci/against-replay.out \
  || { cat target/ci/against-replay.out; echo "the reproduce line did not show $sig"; exit 1; }

step "upgrade reproducers *-to-4.0.3: pass under 4.0.3's profile, diverge under their own"
for dir in corpora/upgrades/*-to-4.0.3; do
  from=$(basename "$dir")
  from=${from%-to-4.0.3}
  bash scripts/against.sh 4.0.3 replay --model 4.0.3 "$dir" | tail -n 1
  bash scripts/against.sh 4.0.3 replay --model "$from" --expect-divergence "$dir" | tail -n 1
done

step "cargo-fuzz (nightly, ASan)"
cargo +nightly --version
cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
cargo +nightly fuzz build

step "libFuzzer: target ops for 60 s over the regression corpora"
bash scripts/fuzz.sh ops 60 | tail -n 3

step "libFuzzer: target der for 60 s over the regression corpora"
bash scripts/fuzz.sh der 60 | tail -n 3

step "libFuzzer catches a planted refcount bug"
bash scripts/check-faulty.sh 60

step "instrumented libssl (clang-16, ASan, fuzzer-no-link): ASan sees a planted memory error inside it"
bash scripts/check-libssl-asan.sh 60 | tail -n 3

step "mutation testing: the mutants of the last commit's change to the model and the oracle (at most about 6)"
MUTANTS_MAX=6 bash scripts/mutants.sh --in-diff HEAD~1 | tail -n 5

step "ClusterFuzzLite build.sh outside Docker (fuzzers linked against the instrumented libssl)"
bash scripts/check-cflite-build.sh | tail -n 1

echo
echo "CI passed"
