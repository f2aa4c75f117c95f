#!/usr/bin/env bash
# Benchmarks of the Java binding: a network read and a cached JobSecrets.get from Java, and the
# C ABI's cached get (cached_get.c) in the same run, with the binding's overhead per call.
# Needs: target/release/{libvdk_secrets.so,vdk-control-service} and `mvn verify` (or
# `mvn test-compile`) done in bindings/java. Exits non-zero when the overhead exceeds 3 us.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
java_dir="$(cd "$here/.." && pwd)"
root="$(cd "$here/../../.." && pwd)"
release="${CARGO_TARGET_DIR:-$root/target}/release"
out="$java_dir/target/bench"
mkdir -p "$out"

"${CC:-cc}" -O2 -std=c11 -Wall -Wextra -Werror -I "$root/include" "$here/cached_get.c" \
  -L "$release" -lvdk_secrets -Wl,-rpath,"$release" -o "$out/cached_get"

java -Dvdk.control.service.bin="$release/vdk-control-service" \
  -Dvdk.bench.c="$out/cached_get" \
  -cp "$java_dir/target/classes:$java_dir/target/test-classes" io.vdk.secrets.Benchmark
