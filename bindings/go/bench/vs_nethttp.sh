#!/usr/bin/env bash
# The Go binding against what a Go user would write instead (issue 12, item 6): net/http +
# encoding/json doing the same exchange (bench/matrix/plain.go), at 1 and 16 goroutines, in
# interleaved rounds against one local Control Service with authentication (an API token
# exchanged once for an access token, by both clients).
#
#   bindings/go/bench/vs_nethttp.sh    (VDK_BENCH_ROUNDS, default 5; VDK_BENCH_SECONDS per run, default 2)
#
# VDK_BENCH_LATENCY_US=N reads a job the service answers N µs late (fault-latency-N): a Control
# Service across a network, where the round trip, not the client's CPU, sets the pace.
# VDK_BENCH_PIN=1 runs the service on cpu 1 and every client on cpu 0 (as on two machines).
#
# Each round runs, one after the other: the binding with context.Background() (its blocking
# path, what a Go user gets by default), the binding with a cancellable context (the
# asynchronous ABI), the plain client, and for reference the C ABI's blocking read from as many
# C threads (benches/c/read_bench.c: what the library itself costs, without Go); each at 1 and
# 16 goroutines/threads, every run its own process. Prints medians of reads/s and client CPU per read, and the ratios binding/plain
# taken within each round (median and range). Raw lines: target/bench-go-vs-nethttp.raw.txt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
# shellcheck source=benches/lib/service.sh
. "$root/benches/lib/service.sh"
ROUNDS=${VDK_BENCH_ROUNDS:-5}
S=${VDK_BENCH_SECONDS:-2}
work=$(mktemp -d)
service_pid=
trap 'kill $service_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

(cd "$root" && cargo build --release -q -p vdk-secrets -p vdk-control-service)
(cd "$here/.." && go build -o "$work/matrix" ./bench/matrix)
cc -O2 -std=c11 -Wall -Wextra -Werror -pthread -I "$root/include" "$root/benches/c/read_bench.c" \
  "$root/target/release/libvdk_secrets.a" -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o "$work/read_bench"

head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$work/api-token"
job=bench-job
service_flags=()
if [ -n "${VDK_BENCH_LATENCY_US:-}" ]; then
  job=fault-latency-$VDK_BENCH_LATENCY_US-remote
  service_flags=(--enable-faults)
fi
service_cpu=() client_cpu=()
if [ "${VDK_BENCH_PIN:-0}" = 1 ]; then service_cpu=(taskset -c 1) client_cpu=(taskset -c 0); fi
"${service_cpu[@]}" "$root/target/release/vdk-control-service" --listen 127.0.0.1:0 --api-token-file "$work/api-token" "${service_flags[@]}" \
  >"$work/service.out" &
service_pid=$!
url=$(service_url "$work/service.out")
config=$(printf '{"control_service_rest_api_url": "%s", "api_token": "%s", "api_token_authorization_url": "%s/oauth/token"}' \
  "$url" "$(cat "$work/api-token")" "$url")

echo "== $(date -u +%FT%TZ) $(nproc) cores, $(uname -r), $(go version | cut -d' ' -f3), job $job, pinned ${VDK_BENCH_PIN:-0}, load $(cut -d' ' -f1-3 /proc/loadavg)"
raw=$root/target/bench-go-vs-nethttp.raw.txt
: >"$raw"
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
for round in $(seq 1 "$ROUNDS"); do
  for n in 1 16; do
    for client in blocking cancellable plain c-abi; do
      flags=()
      case $client in
        cancellable) flags=(-cancellable) ;;
        plain) flags=(-plain) ;;
      esac
      if [ "$client" = c-abi ]; then
        line=$(VDK_BENCH_JOB=$job "${client_cpu[@]}" "$work/read_bench" read "$config" "$n" "$S" 1 | grep RESULT)
      else
        line=$("${client_cpu[@]}" "$work/matrix" -url "$url" -job "$job" -api-token-file "$work/api-token" -goroutines "$n" -seconds "$S" \
          -rounds 1 "${flags[@]}" | grep RESULT)
      fi
      echo "$round $client-$n $(echo "$line" | field rps) $(echo "$line" | field cpu) $(echo "$line" | field p50) $(echo "$line" | field p99)" >>"$raw"
    done
  done
  echo "round $round/$ROUNDS done, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
echo "== done $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$raw" <<'PY'
import statistics, sys
from collections import defaultdict
rows = defaultdict(dict)  # round -> client -> (rps, cpu, p50, p99)
for line in open(sys.argv[1]):
    r, client, *vals = line.split()
    rows[r][client] = tuple(float(v) for v in vals)
med = statistics.median
def spread(v, fmt):
    return f"{fmt.format(med(v))} ({fmt.format(min(v))}–{fmt.format(max(v))})"
names = {"blocking": "binding, `context.Background()` (blocking path)",
         "cancellable": "binding, cancellable context (async ABI)",
         "plain": "plain `net/http` + `encoding/json`",
         "c-abi": "(reference: the C ABI from C threads)"}
print(f"\n{len(rows)} interleaved rounds; medians, and in brackets the range over rounds of values and of ratios taken within each round.\n")
print("| goroutines | client | reads/s | client CPU µs/read | p50 µs | p99 µs | reads/s vs plain | CPU vs plain |")
print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for n in (1, 16):
    for c in ("blocking", "cancellable", "plain", "c-abi"):
        key = f"{c}-{n}"
        vals = [rows[r][key] for r in rows]
        rps = [v[0] for v in vals]; cpu = [v[1] for v in vals]
        p50 = [v[2] for v in vals]; p99 = [v[3] for v in vals]
        if c == "plain":
            vs = cpu_vs = "1"
        else:
            vs = spread([rows[r][key][0] / rows[r][f"plain-{n}"][0] for r in rows], "{:.2f}x")
            cpu_vs = spread([rows[r][key][1] / rows[r][f"plain-{n}"][1] for r in rows], "{:.2f}x")
        print(f"| {n} | {names[c]} | {spread(rps, '{:,.0f}')} | {spread(cpu, '{:.1f}')} | {med(p50):.0f} | {med(p99):.0f} | {vs} | {cpu_vs} |")
print("\nPer-round reads/s ratios binding/plain:")
for n in (1, 16):
    for c in ("blocking", "cancellable", "c-abi"):
        print(f"  {c}, {n} goroutine(s): " + " ".join(f"{rows[r][f'{c}-{n}'][0] / rows[r][f'plain-{n}'][0]:.2f}" for r in sorted(rows, key=int)))
PY
