#!/usr/bin/env bash
# Sequential reads (issue 2): one server, every client, interleaved rounds.
#
#   benches/run.sh            (VDK_BENCH_ROUNDS, default 9; VDK_BENCH_SECONDS per round, default 2)
#
# Builds the release library and the local Control Service, starts the service once (its own
# process, so each client's CPU time is its own), then:
#   1. the Rust API against the C ABI in one process (benches/read_secrets.rs): the C ABI's
#      overhead per call, as the median of per-round differences;
#   2. ROUNDS rounds, each running one after the other against the same server: wrk -t1 -c1
#      (the bare single-connection load generator of the issue), the Rust API (blocking, and its
#      async API: one task on a one-worker tokio runtime), the C ABI
#      (benches/c/read_bench.c), a blocking C client with nothing in it (benches/c/bare_client.c:
#      what the kernel and server charge any client here) and the upstream Python client
#      (benches/upstream_python.py). Every ratio is taken within a round, then the median over
#      rounds is reported with its range: this machine's speed drifts by more than the
#      differences being measured, and interleaving cancels the drift.
# Installs wrk (Debian) and the Python client (PyPI venv, setuptools<70) when missing. Prints a
# markdown table; raw per-round lines go to target/bench-sequential.raw.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
ROUNDS=${VDK_BENCH_ROUNDS:-9}
SECONDS_PER_ROUND=${VDK_BENCH_SECONDS:-2}
release=$root/target/release
work=$(mktemp -d)
service_pid=
trap 'kill $service_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
venv=${VDK_BENCH_VENV:-$root/target/bench-venv}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import vdk.plugin.control_cli_plugin' 2>/dev/null; then
  python3 -m venv "$venv"
  echo 'setuptools<70' >"$work/constraints.txt"
  PIP_CONSTRAINT=$work/constraints.txt "$venv/bin/pip" install -q vdk-plugin-control-cli vdk-core
fi

cargo build --release -q -p vdk-secrets -p vdk-control-service
rust_bench=$(cargo bench --no-run --bench read_secrets 2>&1 | sed -n 's/.*Executable .*(\(.*\)).*/\1/p' | tail -1)
cc -O2 -std=c11 -Wall -Wextra -Werror -pthread -I include benches/c/read_bench.c \
  -L "$release" -lvdk_secrets -Wl,-rpath,"$release" -o "$work/read_bench"
cc -O2 -Wall -Wextra -Werror -o "$work/bare_client" benches/c/bare_client.c

"$release/vdk-control-service" >"$work/service.out" &
service_pid=$!
for _ in $(seq 1 100); do grep -q '^listening on ' "$work/service.out" && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/service.out")
port=${url##*:}
path=/data-jobs/for-team/bench-team/jobs/bench-job/deployments/TODO/secrets

echo "== $(date -u +%FT%TZ) $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
# Also writes the 3-secret map the rounds below read.
VDK_BENCH_URL=$url "$rust_bench" --bench | grep -v '^server'

raw=$root/target/bench-sequential.raw.txt
: >"$raw"
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
for round in $(seq 1 "$ROUNDS"); do
  TIMEFORMAT='%U %S'
  { time wrk -t1 -c1 -d"${SECONDS_PER_ROUND}s" "$url$path" >"$work/wrk.out"; } 2>"$work/wrk.cpu"
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
  requests=$(awk '/requests in/ {print $1}' "$work/wrk.out")
  cpu=$(awk -v n="$requests" '{printf "%.2f", ($1 + $2) * 1e6 / n}' "$work/wrk.cpu")
  echo "$round wrk $rps $cpu" >>"$raw"
  line=$(VDK_BENCH_URL=$url VDK_BENCH_MATRIX=read VDK_BENCH_THREADS=1 VDK_BENCH_SECONDS=$SECONDS_PER_ROUND \
    VDK_BENCH_ROUNDS=1 "$rust_bench" --bench | grep RESULT)
  echo "$round rust $(echo "$line" | field rps) $(echo "$line" | field cpu)" >>"$raw"
  line=$(VDK_BENCH_URL=$url VDK_BENCH_MATRIX=read-async VDK_BENCH_THREADS=1 \
    VDK_BENCH_SECONDS=$SECONDS_PER_ROUND VDK_BENCH_ROUNDS=1 "$rust_bench" --bench | grep RESULT)
  echo "$round rust-async $(echo "$line" | field rps) $(echo "$line" | field cpu)" >>"$raw"
  line=$("$work/read_bench" read "$url" 1 "$SECONDS_PER_ROUND" 1 | grep RESULT)
  echo "$round c-abi $(echo "$line" | field rps) $(echo "$line" | field cpu)" >>"$raw"
  line=$("$work/bare_client" 127.0.0.1 "$port" "$path" "$SECONDS_PER_ROUND" 1 | grep RESULT)
  echo "$round bare-c $(echo "$line" | field rps) $(echo "$line" | field cpu)" >>"$raw"
  line=$("$venv/bin/python" benches/upstream_python.py "$url" "${VDK_BENCH_PY_CALLS:-3000}" 1)
  echo "$round python $(echo "$line" | awk '{print $3, $9}')" >>"$raw"
  echo "round $round/$ROUNDS done" >&2
done

python3 - "$raw" <<'EOF'
import statistics, sys
from collections import defaultdict
rows = defaultdict(dict)  # round -> client -> (rps, cpu)
for line in open(sys.argv[1]):
    r, client, rps, cpu = line.split()
    rows[r][client] = (float(rps), float(cpu))
clients = ["rust", "c-abi", "rust-async", "bare-c", "wrk", "python"]
names = {"rust": "Rust API", "c-abi": "C ABI", "rust-async": "Rust async API, 1 task", "bare-c": "bare blocking C client", "wrk": "wrk -t1 -c1", "python": "upstream Python"}
def med(values):
    return statistics.median(values)
def spread(values, fmt):
    return f"{fmt.format(med(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"
print(f"\n{len(rows)} interleaved rounds; medians, and in brackets the range over rounds, of values and of ratios taken within each round.\n")
print("| client | reads/s | µs per read | client CPU µs per read | reads/s vs wrk | reads/s vs Python | CPU vs Python |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for c in clients:
    rps = [rows[r][c][0] for r in rows]
    cpu = [rows[r][c][1] for r in rows]
    vs_wrk = [rows[r][c][0] / rows[r]["wrk"][0] * 100 for r in rows]
    vs_py = [rows[r][c][0] / rows[r]["python"][0] for r in rows]
    cpu_py = [rows[r]["python"][1] / rows[r][c][1] for r in rows]
    print(f"| {names[c]} | {med(rps):,.0f} | {1e6 / med(rps):.1f} | {spread(cpu, '{:.1f}')} | {spread(vs_wrk, '{:.0f}%')} "
          f"| {spread(vs_py, '{:.1f}x')} | {spread(cpu_py, '{:.1f}x')} less |")
EOF
