#!/usr/bin/env bash
# Builds and tests the Go binding from a clean clone (needs Go, Rust and a C compiler):
#
#   1. cargo build --release -p vdk-secrets -p vdk-control-service   (the static library and
#      the local Control Service)
#   2. gofmt, go vet (binding and example), and the cgo-disabled build's error message
#   3. go test -race -count=1 (the tests start their own local Control Service), then the
#      flat-RSS test once more without -race
#   4. builds the example and runs it against a freshly started local service
#
# Exits non-zero on any failure. Environment:
#   VDK_CONTROL_SERVICE_BIN   the service binary (default target/release/vdk-control-service)
#   VDK_GO_TEST_FLAGS         extra flags for go test (e.g. -run TestRoundTrip)
#   VDK_GO_BENCH=1            also run bench/run.sh (Go and C benchmarks)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
service_pid=
cleanup() {
  if [[ -n "$service_pid" ]]; then
    kill "$service_pid" 2>/dev/null || true
    wait "$service_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n==> %s\n' "$*"; }
start=$(date +%s)

step "cargo build --release -p vdk-secrets -p vdk-control-service"
(cd "$root" && cargo build --release -p vdk-secrets -p vdk-control-service)
service_bin=${VDK_CONTROL_SERVICE_BIN:-$root/target/release/vdk-control-service}
export VDK_CONTROL_SERVICE_BIN=$service_bin

step "gofmt and go vet"
unformatted=$(cd "$root" && gofmt -l bindings/go examples/go)
if [[ -n "$unformatted" ]]; then
  echo "not gofmt-formatted:" >&2
  echo "$unformatted" >&2
  exit 1
fi
(cd "$here" && go vet ./...)
(cd "$root/examples/go" && go vet ./...)

step "the build without cgo fails with a readable message"
if (cd "$here" && CGO_ENABLED=0 go build ./... >"$work/nocgo.txt" 2>&1); then
  echo "the package built with CGO_ENABLED=0" >&2
  exit 1
fi
if ! grep -q 'vdksecrets_needs_cgo' "$work/nocgo.txt"; then
  echo "unexpected CGO_ENABLED=0 build output:" >&2
  cat "$work/nocgo.txt" >&2
  exit 1
fi
grep 'vdksecrets_needs_cgo' "$work/nocgo.txt" | head -n1

step "go test -race -count=1 ./..."
test_start=$(date +%s)
# -v for the per-test lines (counted below) and the RSS figures; the full log is printed
# only on failure.
# shellcheck disable=SC2086
if ! (cd "$here" && go test -race -count=1 -v ${VDK_GO_TEST_FLAGS:-} ./... >"$work/test.log" 2>&1); then
  cat "$work/test.log"
  echo "go test failed" >&2
  exit 1
fi
test_end=$(date +%s)
grep -E '^(ok|FAIL|---)|vdksecrets memory:|deadline against|cancel to return' "$work/test.log" | grep -v -- '--- PASS' || true
passed=$(grep -c -- '--- PASS' "$work/test.log" || true)
top=$(grep -c -- '^--- PASS' "$work/test.log" || true)
skipped=$(grep -c -- '--- SKIP' "$work/test.log" || true)
echo "tests passed: $passed ($top top-level, the rest subtests), skipped: $skipped, in $((test_end - test_start)) s"

step "go test -count=1 -run TestMemoryIsFlat (without -race, whose shadow memory it would measure)"
if ! (cd "$here" && go test -count=1 -v -run 'TestMemoryIsFlat$' . >"$work/memory.log" 2>&1); then
  cat "$work/memory.log"
  echo "TestMemoryIsFlat failed without -race" >&2
  exit 1
fi
grep -E 'vdksecrets memory:' "$work/memory.log" || true

step "example against a fresh local Control Service"
(cd "$root/examples/go" && go build -o "$work/example" .)
"$service_bin" --listen 127.0.0.1:0 >"$work/service.out" 2>"$work/service.err" &
service_pid=$!
url=
for _ in $(seq 1 100); do
  url=$(sed -n 's/^listening on //p' "$work/service.out" | head -n1)
  [[ -n "$url" ]] && break
  sleep 0.1
done
if [[ -z "$url" ]]; then
  echo "the local Control Service did not start:" >&2
  cat "$work/service.err" >&2
  exit 1
fi
VDK_CONTROL_SERVICE_REST_API_URL=$url "$work/example"
kill "$service_pid"
wait "$service_pid" 2>/dev/null || true
service_pid=

if [[ "${VDK_GO_BENCH:-0}" == 1 ]]; then
  step "benchmarks"
  "$here/bench/run.sh"
fi

echo
echo "bindings/go/test.sh: all passed in $(($(date +%s) - start)) s"
