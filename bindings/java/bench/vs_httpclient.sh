#!/usr/bin/env bash
# Issue 12, item 6 (Java): the binding against a plain java.net.http.HttpClient + Jackson doing
# the same exchange (token once, GET with the library's headers, status check, JSON decode into
# a Map), at 1 and 16 calls in flight, blocking (platform threads) and async (one thread keeping
# the calls in flight), side by side against one local Control Service with token auth.
#
#   bindings/java/bench/vs_httpclient.sh      (VDK_BENCH_ROUNDS, default 5; VDK_BENCH_SECONDS, default 2)
#   VDK_BENCH_JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java bindings/java/bench/vs_httpclient.sh
#
# VDK_BENCH_JAVA runs both clients on another JVM (the bench is compiled for Java 17); HttpClient
# itself got much faster between JDK 17 and 25, so the script says which one ran.
#
# Builds what it needs (cargo: the JNI glue and the service; mvn: the binding's classes; the
# bench's Jackson jars through bench/deps.sh), starts the service once with an API token, seeds
# the 3-secret map, then runs ROUNDS rounds; in each, one JVM per client (the two alternate in
# going first): a warm-up of every cell (VDK_BENCH_WARMUP s in all, default 4: the JIT,
# connections, the token), then each cell measured for VDK_BENCH_SECONDS, in an order rotated
# from round to round. Prints medians of reads/s and of client CPU per read, and the
# binding/plain ratio of each round (median and range).
# Raw lines go to target/bench-vs-httpclient.raw.txt.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=prepare.sh
. "$here/prepare.sh"
ROUNDS=${VDK_BENCH_ROUNDS:-5}
SECONDS_PER_CELL=${VDK_BENCH_SECONDS:-2}
WARMUP=${VDK_BENCH_WARMUP:-4}
mkdir -p "$work/classes"
javac --release 17 -d "$work/classes" -cp "$jackson:$java_dir/target/classes" "$here/VsHttpClient.java"
cp="$work/classes:$jackson:$java_dir/target/classes"

head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$work/api-token"
"$release/vdk-control-service" --api-token-file "$work/api-token" >"$work/service.out" &
service_pid=$!
url=$(service_url "$work/service.out")
token=$(cat "$work/api-token")
java_bin=${VDK_BENCH_JAVA:-java}
bench() { "$java_bin" -Dvdk.secrets.native.path="$release/libvdk_secrets_jni.so" -cp "$cp" VsHttpClient "$url" "$token" "$@"; }
bench binding seed

cells=(blocking:1 blocking:16 async:1 async:16)
raw="${CARGO_TARGET_DIR:-$root/target}/bench-vs-httpclient.raw.txt"
: >"$raw"
echo "== $(date -u +%FT%TZ) $(nproc) cores, $(uname -r), $("$java_bin" -version 2>&1 | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$ROUNDS"); do
  # The cell order rotates and the client that goes first alternates from round to round.
  shift_by=$((round % ${#cells[@]}))
  order=("${cells[@]:$shift_by}" "${cells[@]:0:$shift_by}")
  if [ $((round % 2)) = 0 ]; then clients="binding plain"; else clients="plain binding"; fi
  for client in $clients; do
    bench "$client" "$WARMUP" "$SECONDS_PER_CELL" "${order[@]}" | sed "s/^/round=$round /" >>"$raw"
  done
  echo "round $round/$ROUNDS done, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
echo "== end $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$raw" <<'PY'
import statistics, sys
from collections import defaultdict

rps, cpu = defaultdict(dict), defaultdict(dict)  # (client, mode, n) -> round -> value
for line in open(sys.argv[1]):
    f = dict(x.split("=", 1) for x in line.split() if "=" in x)
    if "rps" in f:
        key = (f["client"], f["mode"], int(f["n"]))
        rps[key][f["round"]] = float(f["rps"])
        cpu[key][f["round"]] = float(f["cpu"])
med = statistics.median
rounds = sorted({r for v in rps.values() for r in v})
print(f"\n{len(rounds)} interleaved rounds; medians, and in brackets the range over rounds of the binding/plain ratio taken within each round.\n")
print("| mode | in flight | binding reads/s | plain reads/s | binding / plain reads/s | binding CPU µs/read | plain CPU µs/read | plain / binding CPU |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for mode, n in (("blocking", 1), ("blocking", 16), ("async", 1), ("async", 16)):
    b, p = ("binding", mode, n), ("plain", mode, n)
    rs = [rps[b][r] / rps[p][r] for r in rounds]
    cs = [cpu[p][r] / cpu[b][r] for r in rounds]
    label = f"{n} thread{'s' if n > 1 else ''}" if mode == "blocking" else "1 thread"
    print(f"| {mode} ({label}) | {n} | {med(rps[b].values()):,.0f} | {med(rps[p].values()):,.0f} "
          f"| {med(rs):.2f}x ({min(rs):.2f}x–{max(rs):.2f}x) | {med(cpu[b].values()):.1f} | {med(cpu[p].values()):.1f} "
          f"| {med(cs):.2f}x ({min(cs):.2f}x–{max(cs):.2f}x) |")
worst = min(med([rps[("binding", m, n)][r] / rps[("plain", m, n)][r] for r in rounds])
            for m in ("blocking", "async") for n in (1, 16))
print(f"\nTarget (issue 12): binding >= 1.0x plain reads/s in every row: {'met' if worst >= 1.0 else 'NOT met'} (lowest median ratio {worst:.2f}x).")
PY
