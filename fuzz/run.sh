#!/usr/bin/env bash
# Runs every fuzz target for a while: `fuzz/run.sh [seconds per target]` (default 60).
# Needs cargo-fuzz (installed here if missing). Uses a nightly toolchain when there is one,
# otherwise the stable one with RUSTC_BOOTSTRAP=1 (cargo-fuzz passes -Z sanitizer flags).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  fuzz=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi
mkdir -p corpus/config corpus/secrets_abi corpus/server_answers
for target in config secrets_abi server_answers; do
  echo "== fuzz $target for ${seconds}s"
  "${fuzz[@]}" run "$target" "corpus/$target" seeds/"$target" -- -max_total_time="$seconds" -max_len=65536 2>&1 | tail -n 3
done
