#!/usr/bin/env bash
# Every test of the project, in the order a failure is cheapest to find. `.ci/run` calls this.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
step() { printf '\n== %s\n' "$*"; }

step "format"
cargo fmt --all --check
step "clippy (warnings denied)"
cargo clippy --quiet --workspace --all-targets -- -D warnings
step "header freshness (include/vdk_secrets.h vs cbindgen)"
cargo test --quiet --test header
step "Rust tests (library, local Control Service)"
cargo test --quiet --workspace
step "C tests under valgrind"
tests/c/run.sh
