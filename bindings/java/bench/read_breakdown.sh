#!/usr/bin/env bash
# In one JVM, where readSecrets goes above the C ABI's read (issue 15); see ReadBreakdown.java.
#   bindings/java/bench/read_breakdown.sh [SIZE: 300B|10KB|100KB|1MB] [CALLS per batch] [ROUNDS]
# Builds what it needs, starts a local Control Service, seeds the maps of benches/scaling.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=prepare.sh
. "$here/prepare.sh"
javac -d "$work/classes" -cp "$java_dir/target/classes" "$here/ReadBreakdown.java" "$here/ProcessCpu.java"
cc -O2 -std=c11 -Wall -Wextra -Werror -pedantic -pthread -I "$root/include" "$root/benches/c/scaling_bench.c" \
  -L "$release" -lvdk_secrets -Wl,-rpath,"$release" -o "$work/scaling_bench"

"$release/vdk-control-service" >"$work/service.out" &
service_pid=$!
url=$(service_url "$work/service.out")
"$work/scaling_bench" seed "$url"
java -Dvdk.secrets.native.path="$release/libvdk_secrets_jni.so" -cp "$work/classes:$java_dir/target/classes:$jackson" \
  io.vdk.secrets.ReadBreakdown "$url" "${1:-10KB}" "${2:-100}" "${3:-60}"
