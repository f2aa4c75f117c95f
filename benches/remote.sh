#!/usr/bin/env bash
# The asynchronous C ABI against wrk as if the Control Service were on another machine
# (issue 12, item 6): the service on one core, the clients on the other (taskset), so that a
# client's CPU does not slow the server it is measured against, and the service answering
# after a delay (fault-latency-<µs>: a sleep to the microsecond) or at once.
#
#   benches/remote.sh    (VDK_BENCH_ROUNDS, default 5; VDK_BENCH_SECONDS per run, default 2;
#                         VDK_BENCH_LATENCIES, default "0 2000" µs; VDK_BENCH_IN_FLIGHT, default "1 16 64")
#
# Per round, latency and count: benches/c/read_bench.c async (one C thread keeping N reads in
# flight), then wrk -t1 -cN on the same path. Prints reads/s and the ratio to wrk taken within
# each round (median and range). Needs 2 cores or more; raw lines in target/bench-remote.raw.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=benches/lib/service.sh
. "$root/benches/lib/service.sh"
# shellcheck source=benches/lib/wrk.sh
. "$root/benches/lib/wrk.sh"
cd "$root"
ROUNDS=${VDK_BENCH_ROUNDS:-5}
S=$(wrk_seconds VDK_BENCH_SECONDS 2)
release=$root/target/release
work=$(mktemp -d)
service_pid=
trap 'kill $service_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
[ "$(nproc)" -ge 2 ] || { echo "benches/remote.sh needs 2 cores" >&2; exit 1; }
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

cargo build --release -q -p vdk-secrets -p vdk-control-service
cc -O2 -std=c11 -Wall -Wextra -Werror -pthread -I include benches/c/read_bench.c \
  -L "$release" -lvdk_secrets -Wl,-rpath,"$release" -o "$work/read_bench"

# The service's runtime sizes itself from the CPUs it may use: one core, one worker.
taskset -c 1 "$release/vdk-control-service" --enable-faults >"$work/service.out" &
service_pid=$!
url=$(service_url "$work/service.out")

job_for() { if [ "$1" = 0 ]; then echo bench-job; else echo "fault-latency-$1-remote"; fi; }
for latency in ${VDK_BENCH_LATENCIES:-0 2000}; do
  VDK_BENCH_JOB=$(job_for "$latency") taskset -c 0 "$work/read_bench" cold \
    "{\"control_service_rest_api_url\": \"$url\"}" seed >/dev/null
done

echo "== $(date -u +%FT%TZ) $(nproc) cores, service on cpu 1, clients on cpu 0, load $(cut -d' ' -f1-3 /proc/loadavg)"
raw=$root/target/bench-remote.raw.txt
: >"$raw"
for round in $(seq 1 "$ROUNDS"); do
  for latency in ${VDK_BENCH_LATENCIES:-0 2000}; do
    job=$(job_for "$latency")
    for n in ${VDK_BENCH_IN_FLIGHT:-1 16 64}; do
      line=$(VDK_BENCH_JOB=$job taskset -c 0 "$work/read_bench" async "$url" "$n" "$S" 1 | grep RESULT)
      echo "$round $latency $n c-async $(echo "$line" | sed -n 's/.*rps=\([0-9.]*\).*/\1/p')" >>"$raw"
      rps=$(taskset -c 0 wrk -t1 -c"$n" -d"${S}s" "$url/data-jobs/for-team/bench-team/jobs/$job/deployments/TODO/secrets" |
        awk '/Requests\/sec/ {print $2}')
      echo "$round $latency $n wrk $rps" >>"$raw"
    done
  done
  echo "round $round/$ROUNDS done" >&2
done

python3 - "$raw" <<'EOF'
import statistics, sys
from collections import defaultdict
rps = defaultdict(dict)  # (latency, n, client) -> round -> reads/s
for line in open(sys.argv[1]):
    r, latency, n, client, value = line.split()
    rps[(int(latency), int(n), client)][r] = float(value)
med = statistics.median
print(f"\n{len({r for v in rps.values() for r in v})} interleaved rounds; the service on one core, the clients on the other;")
print("medians, and in brackets the range over rounds of the ratio taken within each round.\n")
print("| service answers after | in flight | C async reads/s | wrk -t1 -cN reads/s | C async vs wrk |")
print("| ---: | ---: | ---: | ---: | ---: |")
for latency, n in sorted({(k[0], k[1]) for k in rps}):
    c, w = rps[(latency, n, "c-async")], rps[(latency, n, "wrk")]
    ratio = [c[r] / w[r] for r in c]
    print(f"| {latency} µs | {n} | {med(c.values()):,.0f} | {med(w.values()):,.0f} | "
          f"{med(ratio):.2f}x ({min(ratio):.2f}x–{max(ratio):.2f}x) |")
EOF
