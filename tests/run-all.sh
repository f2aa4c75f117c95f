#!/usr/bin/env bash
# Every test of the project, in the order a failure is cheapest to find. `.ci/run` calls this.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
steps=0
# Each step is a suite that exits non-zero on any failure (set -e stops the run there).
step() { steps=$((steps + 1)); printf '\n== %s\n' "$*"; }
# A full run writes about 5 GB under target/ (and Go's and pip's caches): say what is free, so
# that a run that dies of a full disk says so before it starts.
free_kib=$(df -Pk "$root" | awk 'NR == 2 { print $4 }')
printf 'disk: %s GiB free under %s\n' "$((free_kib / 1048576))" "$root"
if [ "$free_kib" -lt $((6 * 1048576)) ]; then
  echo "run-all: warning: less than 6 GiB free; the release steps may fail with ENOSPC" >&2
fi

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
step "C tests under AddressSanitizer and UBSan"
VDK_C_CHECKER=asan tests/c/run.sh
step "release build (bindings, CLI, examples)"
cargo build --quiet --release -p vdk-secrets -p vdk-secrets-cli -p vdk-control-service -p vdk-secrets-jni
step "Go binding (go vet, go test -race, example)"
bindings/go/test.sh
step "Java binding (mvn -B verify, example)"
bindings/java/test.sh
step "quickstart, end to end"
examples/quickstart.sh
step "release build (packaging/release.sh: x86_64 and aarch64, glibc 2.17)"
packaging/release.sh target/release-out
step "release consumers (C, Go, Java from the release only, no Rust; aarch64 under qemu-user)"
packaging/test-consumers.sh target/release-out
printf '\nrun-all: %d passed, 0 failed\n' "$steps"
