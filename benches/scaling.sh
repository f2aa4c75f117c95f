#!/usr/bin/env bash
# Maps of four sizes (issue 15): client CPU per read and per write, the C ABI, Go, Java and the
# upstream Python client side by side, interleaved rounds against one server.
#
#   benches/scaling.sh        (VDK_BENCH_ROUNDS, default 7)
#
# Builds the release library and the local Control Service, starts the service once (its own
# process, so each client's CPU is its own), seeds the maps with benches/c/scaling_bench.c
# (300B, 10KB, 100KB, 1MB: 3, 100, 1,000, 10,000 secrets of PEM-like text), then runs ROUNDS
# rounds; in each, for every size one after the other: the C ABI (vdk_client_read_secrets +
# vdk_string_free; vdk_client_write_secrets), the upstream Python client
# (benches/scaling_python.py, read_secrets / write_secrets), and the Go binding
# (bindings/go/bench/scaling: ReadSecrets into a map, ReadSecretsJSON, WriteSecrets, and Go's
# own encoding/json decode of the same bytes), and the Java binding (bindings/java/bench/
# ScalingBench.java: readSecrets, readSecretsJson, writeSecrets, and Jackson's decode of the same bytes
# into a Map, the Java yardstick). Ratios are taken within a round; the tables give
# medians over rounds and their range. Then the peak RSS of one 1 MB read beyond an idle
# client's, and the job layer's cached get from a 300 B and a 1 MB map.
# Installs the Python client (PyPI venv, setuptools<70) when missing, as benches/run.sh does.
# Prints markdown; raw per-round lines go to target/bench-scaling.raw.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=benches/lib/service.sh
. "$root/benches/lib/service.sh"
cd "$root"
ROUNDS=${VDK_BENCH_ROUNDS:-7}
release=$root/target/release
work=$(mktemp -d)
service_pid=
trap 'kill $service_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

venv=${VDK_BENCH_VENV:-$root/target/bench-venv}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import vdk.plugin.control_cli_plugin' 2>/dev/null; then
  python3 -m venv "$venv"
  echo 'setuptools<70' >"$work/constraints.txt"
  PIP_CONSTRAINT=$work/constraints.txt "$venv/bin/pip" install -q vdk-plugin-control-cli vdk-core
fi

# One invocation, as tests/run-all.sh, so that features unify the same way.
cargo build --release -q -p vdk-secrets -p vdk-control-service -p vdk-secrets-jni
(cd bindings/java && mvn -q -B -o -DskipTests -Dvdk.skipCargo=true package >/dev/null 2>&1 ||
  mvn -q -B -DskipTests -Dvdk.skipCargo=true package)
mkdir -p "$work/java"
# Jackson databind, the bench's own dependency (bindings/java/bench/pom.xml), for "Java decode alone".
jackson=$(bindings/java/bench/deps.sh "$root/bindings/java/target/bench-lib")
javac -d "$work/java" -cp "bindings/java/target/classes:$jackson" bindings/java/bench/ScalingBench.java bindings/java/bench/ProcessCpu.java
cc -O2 -std=c11 -Wall -Wextra -Werror -pedantic -pthread -I include benches/c/scaling_bench.c \
  -L "$release" -lvdk_secrets -Wl,-rpath,"$release" -o "$work/scaling_bench"
(cd bindings/go && go build -o "$work/go_scaling" ./bench/scaling)

"$release/vdk-control-service" >"$work/service.out" &
service_pid=$!
url=$(service_url "$work/service.out")
"$work/scaling_bench" seed "$url"

echo "== $(date -u +%FT%TZ) $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
raw=$root/target/bench-scaling.raw.txt
: >"$raw"
sizes=(300B 10KB 100KB 1MB)
c_calls=(3000 2000 1000 100)
other_calls=(600 400 150 20)
# The JVM's process CPU clock ticks in 10 ms steps here: enough calls for >= 0.14 s of CPU each.
java_calls=(2000 1000 400 100)
for round in $(seq 1 "$ROUNDS"); do
  for i in "${!sizes[@]}"; do
    size=${sizes[$i]}
    for op in read write; do
      "$work/scaling_bench" "$op" "$url" "$size" "${c_calls[$i]}" | sed "s/^/round=$round /" >>"$raw"
      "$venv/bin/python" benches/scaling_python.py "$url" "$op" "$size" "${other_calls[$i]}" | sed "s/^/round=$round /" >>"$raw"
    done
    for op in read read-json write decode; do
      "$work/go_scaling" -url "$url" -op "$op" -size "$size" -calls "${other_calls[$i]}" | sed "s/^/round=$round /" >>"$raw"
    done
    for op in read read-json write decode; do
      java -Dvdk.secrets.native.path="$release/libvdk_secrets_jni.so" -cp "$work/java:bindings/java/target/classes:$jackson" \
        ScalingBench "$url" "$op" "$size" "${java_calls[$i]}" | sed "s/^/round=$round /" >>"$raw"
    done
  done
  echo "round $round/$ROUNDS done" >&2
done
for _ in 1 2 3; do "$work/scaling_bench" peak "$url" 1MB >>"$raw"; done
for size in 300B 1MB; do "$work/scaling_bench" get "$url" "$size" 1000000 >>"$raw"; done
echo "== end $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$raw" <<'EOF'
import statistics, sys
from collections import defaultdict

cpu = defaultdict(dict)  # (client, op, size) -> round -> cpu µs per call
size_bytes = {}
peaks, gets = [], {}
for line in open(sys.argv[1]):
    fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
    if line.startswith("RESULT size="):
        peaks.append(fields)
    elif fields.get("op") == "get":
        gets[fields["size"]] = float(fields["ns"])
    elif "round" in fields:
        cpu[(fields["client"], fields["op"], fields["size"])][fields["round"]] = float(fields["cpu"])
        if "bytes" in fields:
            size_bytes[fields["size"]] = int(fields["bytes"])

sizes = ["300B", "10KB", "100KB", "1MB"]
rounds = sorted(cpu[("c", "read", "300B")])
def med(v):
    return statistics.median(v)
def span(v, fmt):
    return f"{fmt.format(med(v))} ({fmt.format(min(v))}–{fmt.format(max(v))})"
def ratio(a, b, op, size):
    return [cpu[(a, op, size)][r] / cpu[(b, op, size)][r] for r in rounds]

print(f"\n{len(rounds)} interleaved rounds; client CPU µs per call, medians, and in brackets the range over rounds of ratios taken within each round.\n")
for op, binding_ops in (("read", ["read", "read-json"]), ("write", ["write"])):
    columns = [(lang, o) for lang in ("go", "java") for o in binding_ops]
    head = " | ".join(f"{lang.capitalize()} {o}" for lang, o in columns)
    print(f"| {op} | bytes | C ABI | upstream Python | Python / C | {head} | Go decode alone | Java decode alone |")
    print("| --- | ---: | ---: | ---: | ---: | " + " | ".join("---:" for _ in columns) + " | ---: | ---: |")
    for size in sizes:
        go = " | ".join(f"{med(list(cpu[(lang, o, size)].values())):,.0f}" for lang, o in columns)
        print(f"| {size} | {size_bytes.get(size, 0):,} | {med(list(cpu[('c', op, size)].values())):,.1f} "
              f"| {med(list(cpu[('python', op, size)].values())):,.1f} | {span(ratio('python', 'c', op, size), '{:.1f}x')} "
              f"| {go} | {med(list(cpu[('go', 'decode', size)].values())):,.0f} "
              f"| {med(list(cpu[('java', 'decode', size)].values())):,.0f} |")
    if op == "read":
        # Issue 15: a binding's map read may cost no more above the C ABI's read than its own
        # language's decode of the same bytes. Per round: (binding read - C read) / decode alone.
        print()
        for lang, name in (("go", "Go ReadSecrets"), ("java", "Java readSecrets")):
            for size in sizes:
                above = [cpu[(lang, "read", size)][r] - cpu[("c", "read", size)][r] for r in rounds]
                share = [a / cpu[(lang, "decode", size)][r] for a, r in zip(above, rounds)]
                print(f"{name} at {size}: {med(above):,.0f} µs above the C ABI's read, "
                      f"{med(list(cpu[(lang, 'decode', size)].values())):,.0f} µs for its language's decode alone: "
                      f"{span(share, '{:.2f}x')} of it ({'met' if med(share) <= 1.0 else 'NOT met'})")
    extra = size_bytes["1MB"] - size_bytes["100KB"]
    for client in ("c", "python"):
        per_byte = [(cpu[(client, op, "1MB")][r] - cpu[(client, op, "100KB")][r]) * 1e3 / extra for r in rounds]
        print(f"\n{op}, {client}: marginal CPU from 100KB to 1MB {span(per_byte, '{:.2f}')} ns/byte", end="")
    print("\n")
ratios = [float(p["ratio"]) for p in peaks]
p = sorted(peaks, key=lambda p: float(p["ratio"]))[len(peaks) // 2]
print(f"Peak RSS of one 1 MB read (C ABI), median of {len(peaks)} runs: idle {p['idle_kib']} KiB, peak {p['peak_kib']} KiB, "
      f"{p['above_idle_kib']} KiB above idle = {p['ratio']}x the map ({p['map_kib']} KiB); runs {min(ratios):.2f}–{max(ratios):.2f}x.")
print(f"Job layer, cached vdk_job_secrets_get of one secret: {gets.get('300B', 0):.0f} ns from the 300B map, {gets.get('1MB', 0):.0f} ns from the 1MB map.")
EOF
