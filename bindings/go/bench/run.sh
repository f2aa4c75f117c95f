#!/usr/bin/env bash
# Benchmarks of the Go binding: the network read and the cached Get from Go, and the same
# cached Get from C (cached_get.c), to show what the binding adds over the C ABI.
#
#   bindings/go/bench/run.sh            (after cargo build --release -p vdk-secrets -p vdk-control-service)
#
# Prints the Go benchmark lines, the C figure, and the overhead per call.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT

# Same link line as the #cgo LDFLAGS in ../link_workspace.go.
cc -O2 -std=c99 -Wall -Wextra -Werror -I"$root/include" "$here/cached_get.c" \
  "$root/target/release/libvdk_secrets.a" -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc \
  -o "$build/cached_get"

cd "$here/.."
go test -run '^$' -bench 'BenchmarkReadSecrets$|BenchmarkCachedGet$|BenchmarkCachedGetParallel$|BenchmarkCachedGetAll$' \
  -benchtime "${VDK_GO_BENCHTIME:-2s}" -count=1 . | tee "$build/go.txt"
"$build/cached_get" 1000000 | tee "$build/c.txt"

go_ns=$(awk '$1 ~ /^BenchmarkCachedGet(-[0-9]+)?$/ {print $3}' "$build/go.txt")
c_ns=$(awk '{print $2}' "$build/c.txt")
awk -v g="$go_ns" -v c="$c_ns" 'BEGIN {
  printf "cached Get: Go %.0f ns/op, C %.0f ns/op, binding overhead %.0f ns/op (target < 2000)\n", g, c, g - c
  exit (g - c < 2000) ? 0 : 1
}'
