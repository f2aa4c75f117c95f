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
#   3. the same rounds also run 16 calling threads (Rust API, C ABI, wrk -t2 -c16) and the
#      upstream Python client at 1, 4 and 16 threads (its best is the comparison);
#   3b. the asynchronous C ABI driven from one C thread with 1, 16, 64 and 256 calls in flight
#      (benches/c/read_bench.c async), beside wrk -t1 -cN at the same counts, same rounds, and
#      at 16 and more the same exchange made by reqwest alone and by hyper-util alone (the
#      floors of the transport, benches/read_secrets.rs VDK_BENCH_MATRIX=reqwest-floor|hyper-floor);
#   3c. the asynchronous C ABI and wrk at 1, 16 and 64 in flight against a job the service
#      answers after 2 ms (fault-latency-2000-remote): a Control Service across a network;
#      3b and 3c run the C ABI twice: its completion on the completion thread (the default),
#      and marked immediate (VDK_BENCH_IMMEDIATE=1: run on the runtime worker, rows "immediate");
#   4. cancel-to-callback latency (200 cancels of calls waiting on a slow answer), cold start to
#      the first read (20 processes each: C, C with a token exchange, Python) and
#      the RSS of a C process over 1,000,000 cached gets and up to 100,000 network reads.
# Installs wrk (Debian) and the Python client (PyPI venv, setuptools<70) when missing. Prints
# markdown tables; raw per-round lines go to target/bench-sequential.raw.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=benches/lib/service.sh
. "$root/benches/lib/service.sh"
# shellcheck source=benches/lib/wrk.sh
. "$root/benches/lib/wrk.sh"
cd "$root"
ROUNDS=${VDK_BENCH_ROUNDS:-9}
SECONDS_PER_ROUND=$(wrk_seconds VDK_BENCH_SECONDS 2)
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

"$release/vdk-control-service" --enable-faults >"$work/service.out" &
service_pid=$!
url=$(service_url "$work/service.out")
port=${url##*:}
path=/data-jobs/for-team/bench-team/jobs/bench-job/deployments/TODO/secrets

echo "== $(date -u +%FT%TZ) $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
# Also writes the 3-secret map the rounds below read.
VDK_BENCH_URL=$url "$rust_bench" --bench | grep -v '^server'

# shellcheck source=benches/lib/nginx.sh
. benches/lib/nginx.sh
start_nginx "$work" "$path" "$url"
trap 'kill $service_pid $nginx_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

remote_job=fault-latency-2000-remote
remote_path=${path/bench-job/$remote_job}
VDK_BENCH_JOB=$remote_job "$work/read_bench" cold "{\"control_service_rest_api_url\": \"$url\"}" seed >/dev/null

raw=$root/target/bench-sequential.raw.txt
: >"$raw"
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
# One raw line for LABEL from a client's `RESULT rps=.. cpu=..` line.
record() { echo "$round $1 $(echo "$2" | field rps) $(echo "$2" | field cpu)" >>"$raw"; }
# wrk with THREADS threads and CONNS connections against URL; its client CPU from the shell's
# `time`, per request.
wrk_row() {
  local label=$1 threads=$2 conns=$3 target=$4 target_path=${5:-$path} rps requests
  { time wrk -t"$threads" -c"$conns" -d"${SECONDS_PER_ROUND}s" "$target$target_path" >"$work/wrk.out"; } 2>"$work/wrk.cpu"
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
  requests=$(awk '/requests in/ {print $1}' "$work/wrk.out")
  echo "$round $label $rps $(awk -v n="$requests" '{printf "%.2f", ($1 + $2) * 1e6 / n}' "$work/wrk.cpu")" >>"$raw"
}
# The transport crates alone making the same exchange from N tasks on one worker (reqwest as
# the library configures it, and hyper-util's pooled client under it): the floors under the
# asynchronous C ABI at 16 and more in flight.
floors() {
  local target=$1 n=$2 tag=$3 mode
  [[ $n -ge 16 ]] || return 0
  for mode in reqwest hyper; do
    record "$mode-floor-$tag$n" "$(VDK_BENCH_URL=$target VDK_BENCH_MATRIX=$mode-floor VDK_BENCH_THREADS=$n \
      VDK_BENCH_SECONDS=$SECONDS_PER_ROUND VDK_BENCH_ROUNDS=1 "$rust_bench" --bench | grep RESULT)"
  done
}
for round in $(seq 1 "$ROUNDS"); do
  TIMEFORMAT='%U %S'
  wrk_row wrk 1 1 "$url"
  record rust "$(VDK_BENCH_URL=$url VDK_BENCH_MATRIX=read VDK_BENCH_THREADS=1 VDK_BENCH_SECONDS=$SECONDS_PER_ROUND \
    VDK_BENCH_ROUNDS=1 "$rust_bench" --bench | grep RESULT)"
  record rust-async "$(VDK_BENCH_URL=$url VDK_BENCH_MATRIX=read-async VDK_BENCH_THREADS=1 \
    VDK_BENCH_SECONDS=$SECONDS_PER_ROUND VDK_BENCH_ROUNDS=1 "$rust_bench" --bench | grep RESULT)"
  record c-abi "$("$work/read_bench" read "$url" 1 "$SECONDS_PER_ROUND" 1 | grep RESULT)"
  record bare-c "$("$work/bare_client" 127.0.0.1 "$port" "$path" "$SECONDS_PER_ROUND" 1 | grep RESULT)"
  line=$("$venv/bin/python" benches/upstream_python.py "$url" "${VDK_BENCH_PY_CALLS:-3000}" 1)
  echo "$round python $(echo "$line" | awk '{print $3, $9}')" >>"$raw"
  # 16 calling threads (wrk: 16 connections on 2 threads); Python at 1, 4 and 16 threads.
  wrk_row wrk-16 2 16 "$url"
  record rust-16 "$(VDK_BENCH_URL=$url VDK_BENCH_MATRIX=read VDK_BENCH_THREADS=16 VDK_BENCH_SECONDS=$SECONDS_PER_ROUND \
    VDK_BENCH_ROUNDS=1 "$rust_bench" --bench | grep RESULT)"
  record c-abi-16 "$("$work/read_bench" read "$url" 16 "$SECONDS_PER_ROUND" 1 | grep RESULT)"
  for n in 1 4 16; do
    record "python-$n" "$("$venv/bin/python" benches/matrix_python.py read "$url" "$n" "$SECONDS_PER_ROUND" 1 | grep RESULT)"
  done
  # The asynchronous C ABI from one thread, and wrk with one thread, at the same counts.
  for n in ${VDK_BENCH_IN_FLIGHT:-1 16 64 256}; do
    record "c-async-$n" "$("$work/read_bench" async "$url" "$n" "$SECONDS_PER_ROUND" 1 | grep RESULT)"
    record "c-async-imm-$n" "$(VDK_BENCH_IMMEDIATE=1 "$work/read_bench" async "$url" "$n" "$SECONDS_PER_ROUND" 1 | grep RESULT)"
    wrk_row "wrk-c$n" 1 "$n" "$url"
    floors "$url" "$n" ""
  done
  # The same against nginx at the counts the target names.
  for n in 16 64; do
    record "c-async-nginx-$n" "$("$work/read_bench" async "$nginx_url" "$n" "$SECONDS_PER_ROUND" 1 | grep RESULT)"
    record "c-async-imm-nginx-$n" "$(VDK_BENCH_IMMEDIATE=1 "$work/read_bench" async "$nginx_url" "$n" "$SECONDS_PER_ROUND" 1 | grep RESULT)"
    wrk_row "wrk-nginx-c$n" 1 "$n" "$nginx_url"
    floors "$nginx_url" "$n" "nginx-"
  done
  # A Control Service across a network: the same service answering this job after 2 ms
  # (fault-latency-2000, a sleep to the microsecond). What a caller with calls in flight feels
  # there is the round trip more than the client's CPU per read.
  for n in 1 16 64; do
    record "c-async-remote-$n" "$(VDK_BENCH_JOB=$remote_job "$work/read_bench" async "$url" "$n" "$SECONDS_PER_ROUND" 1 | grep RESULT)"
    record "c-async-imm-remote-$n" "$(VDK_BENCH_IMMEDIATE=1 VDK_BENCH_JOB=$remote_job "$work/read_bench" async "$url" "$n" "$SECONDS_PER_ROUND" 1 | grep RESULT)"
    wrk_row "wrk-remote-c$n" 1 "$n" "$url" "$remote_path"
  done
  echo "round $round/$ROUNDS done" >&2
done

# Cold start (20 processes each) and RSS, once.
head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$work/api-token"
"$release/vdk-control-service" --api-token-file "$work/api-token" >"$work/auth.out" &
auth_pid=$!
trap 'kill $service_pid $nginx_pid $auth_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
auth=$(service_url "$work/auth.out")
token_config=$(printf '{"control_service_rest_api_url": "%s", "api_token": "%s", "api_token_authorization_url": "%s/oauth/token"}' \
  "$auth" "$(cat "$work/api-token")" "$auth")
"$work/read_bench" cold "$token_config" seed >/dev/null
cold_c=$("$work/read_bench" spawn 20 "$work/read_bench" cold "{\"control_service_rest_api_url\": \"$url\"}" | grep RESULT)
cold_token=$("$work/read_bench" spawn 20 "$work/read_bench" cold "$token_config" | grep RESULT)
cold_py=$("$work/read_bench" spawn 20 "$venv/bin/python" benches/matrix_python.py cold "$url" | grep RESULT)
echo
echo "Cold start to the first read done, median of 20 processes: C $(echo "$cold_c" | field median_ms) ms," \
  "C with a token exchange first $(echo "$cold_token" | field median_ms) ms, upstream Python $(echo "$cold_py" | field median_ms) ms."
echo
echo "Cancel to callback, 200 cancels of reads waiting on a 5 s answer: $("$work/read_bench" cancel "$url" 200 | grep RESULT)"
echo
echo "RSS of a C process (VmRSS KiB, threads):"
"$work/read_bench" rss "$url" 1000000 100000 "${VDK_BENCH_RSS_SECONDS:-120}" | grep '^RSS '

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
print("\nThe asynchronous C ABI, one C thread keeping N calls in flight, beside wrk -t1 -cN in the same rounds;")
print("at 16 and more, also the same exchange made by reqwest alone and by hyper-util alone (N tasks, one worker).\n")
print("| in flight | C async reads/s | client CPU µs per read | wrk -t1 -cN reads/s | C async vs wrk | reqwest alone: reads/s, CPU µs, vs wrk | hyper-util alone: reads/s, CPU µs, vs wrk | C async vs reqwest alone |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for server, prefix, wrk_prefix, tag in [("local service", "c-async-", "wrk-c", ""), ("nginx", "c-async-nginx-", "wrk-nginx-c", "nginx-"),
                                        ("service answering in 2 ms", "c-async-remote-", "wrk-remote-c", "remote-"),
                                        ("local service, immediate", "c-async-imm-", "wrk-c", ""),
                                        ("nginx, immediate", "c-async-imm-nginx-", "wrk-nginx-c", "nginx-"),
                                        ("2 ms, immediate", "c-async-imm-remote-", "wrk-remote-c", "remote-")]:
    counts = sorted({int(c[len(prefix):]) for r in rows for c in rows[r] if c.startswith(prefix) and c[len(prefix):].isdigit()})
    for n in counts:
        rps = [rows[r][f"{prefix}{n}"][0] for r in rows]
        cpu = [rows[r][f"{prefix}{n}"][1] for r in rows]
        wrk = [rows[r][f"{wrk_prefix}{n}"][0] for r in rows]
        ratio = [rows[r][f"{prefix}{n}"][0] / rows[r][f"{wrk_prefix}{n}"][0] for r in rows]
        cells = []
        for floor in ("reqwest", "hyper"):
            key = f"{floor}-floor-{tag}{n}"
            if all(key in rows[r] for r in rows):
                f_rps = [rows[r][key][0] for r in rows]
                f_cpu = [rows[r][key][1] for r in rows]
                f_ratio = [rows[r][key][0] / rows[r][f"{wrk_prefix}{n}"][0] for r in rows]
                cells.append(f"{med(f_rps):,.0f}, {med(f_cpu):.1f}, {spread(f_ratio, '{:.2f}x')}")
            else:
                cells.append("–")
        key = f"reqwest-floor-{tag}{n}"
        if all(key in rows[r] for r in rows):
            cells.append(spread([rows[r][f"{prefix}{n}"][0] / rows[r][key][0] for r in rows], "{:.2f}x"))
        else:
            cells.append("–")
        print(f"| {n} ({server}) | {med(rps):,.0f} | {spread(cpu, '{:.1f}')} | {med(wrk):,.0f} | {spread(ratio, '{:.2f}x')} | " + " | ".join(cells) + " |")
print("\n16 calling threads (wrk: -t2 -c16), same rounds; Python's best of 1, 4 and 16 threads in each round.\n")
print("| client | reads/s | client CPU µs per read | reads/s vs Python's best | reads/s vs wrk -t2 -c16 |")
print("| --- | ---: | ---: | ---: | ---: |")
best = {r: max(rows[r][f"python-{n}"][0] for n in (1, 4, 16)) for r in rows}
for c, name in [("rust-16", "Rust API, 16 threads"), ("c-abi-16", "C ABI, 16 threads"), ("wrk-16", "wrk -t2 -c16"),
                ("python-1", "upstream Python, 1 thread"), ("python-4", "upstream Python, 4 threads"), ("python-16", "upstream Python, 16 threads")]:
    rps = [rows[r][c][0] for r in rows]
    cpu = [rows[r][c][1] for r in rows]
    vs_best = [rows[r][c][0] / best[r] for r in rows]
    vs_wrk = [rows[r][c][0] / rows[r]["wrk-16"][0] * 100 for r in rows]
    print(f"| {name} | {med(rps):,.0f} | {spread(cpu, '{:.1f}')} | {spread(vs_best, '{:.1f}x')} | {spread(vs_wrk, '{:.0f}%')} |")
EOF
