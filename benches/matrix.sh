#!/usr/bin/env bash
# Side by side (issue 6): every client, two servers, one run.
#
#   benches/matrix.sh        (prints markdown tables; also writes them to target/bench-matrix.md,
#                             and the raw per-round lines to target/bench-matrix.raw.txt)
#
# Builds everything (release), starts ONE local Control Service and ONE nginx serving a static
# file with the same 3-secret map at the same path (keep-alive, 1 worker, no access log), then
# measures against each server, where it applies:
#   - reads with 1, 4, 16 and 64 threads (1 = sequential): reads/s, p50/p99 per call, client CPU
#     per read, for the Rust API (benches/read_secrets.rs, VDK_BENCH_MATRIX=read; and its async
#     API with as many tasks on a one-worker tokio runtime, VDK_BENCH_MATRIX=read-async), the C ABI
#     (benches/c/read_bench.c), Go (bindings/go/bench/matrix), Java (bindings/java/bench/
#     ReadMatrix.java), the upstream Python client (benches/matrix_python.py) and wrk
#     (-t1 -c1, -t1 -cN, -t2 -cN) as the bare baseline; the CLI as a process, sequential only;
#   - writes with the same thread counts, local service only (nginx does not accept PUT): every
#     client above, each thread writing a job of its own, and wrk with a PUT script;
#   - cached gets (bindings/go/bench/run.sh and bindings/java/bench/run.sh, called as they are);
#   - cold start to the first read (C with an API token against a second service started with
#     --api-token-file; C and Python without a token against the main service);
#   - RSS and threads of a C process after the first read and after 1,000,000 cached gets and
#     up to 100,000 network reads (bounded to VDK_MATRIX_RSS_SECONDS, default 120);
#   - library sizes, as built and stripped.
# Environment: VDK_MATRIX_SECONDS (per round, integer, default 1), VDK_MATRIX_ROUNDS (default
# 3), VDK_MATRIX_THREADS (default "1 4 16 64"). Installs wrk and nginx (Debian) and the Python
# client (PyPI venv, as benches/run.sh) when missing. Every process it starts is stopped on exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=benches/lib/service.sh
. "$root/benches/lib/service.sh"
# shellcheck source=benches/lib/wrk.sh
. "$root/benches/lib/wrk.sh"
cd "$root"
S=$(wrk_seconds VDK_MATRIX_SECONDS 1)
R=${VDK_MATRIX_ROUNDS:-3}
THREADS=${VDK_MATRIX_THREADS:-"1 4 16 64"}
release=$root/target/release
venv=${VDK_BENCH_VENV:-$root/target/bench-venv}
path=/data-jobs/for-team/bench-team/jobs/bench-job/deployments/TODO/secrets

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
results=$work/results.txt
: >"$results"
log() { echo "[matrix $(date -u +%T)] $*" >&2; }

started=$(date -u +%FT%TZ)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# --- tools -----------------------------------------------------------------------------------
need_apt=()
command -v wrk >/dev/null || need_apt+=(wrk)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import vdk.plugin.control_cli_plugin' 2>/dev/null; then
  python3 -m venv "$venv"
  echo 'setuptools<70' >"$work/constraints.txt"
  PIP_CONSTRAINT=$work/constraints.txt "$venv/bin/pip" install -q vdk-plugin-control-cli vdk-core
fi

# --- build -----------------------------------------------------------------------------------
log "building (release)"
# One invocation, as tests/run-all.sh, so that features unify the same way.
cargo build --quiet --release -p vdk-secrets -p vdk-secrets-cli -p vdk-control-service -p vdk-secrets-jni
rust_bench=$(cargo bench --no-run --bench read_secrets 2>&1 | sed -n 's/.*Executable .*(\(.*\)).*/\1/p' | tail -1)
[ -x "$rust_bench" ] || { echo "cannot find the read_secrets bench binary" >&2; exit 1; }
(cd bindings/java && mvn -q -B -o -DskipTests -Dvdk.skipCargo=true package >/dev/null 2>&1 ||
  mvn -q -B -DskipTests -Dvdk.skipCargo=true package)
(cd bindings/go && go build -o "$work/go_matrix" ./bench/matrix)
cc -O2 -std=c11 -Wall -Wextra -Werror -pthread -I include benches/c/read_bench.c \
  -L "$release" -lvdk_secrets -Wl,-rpath,"$release" -o "$work/read_bench"
mkdir -p "$work/java"
javac -d "$work/java" -cp bindings/java/target/classes bindings/java/bench/ReadMatrix.java

# --- servers ---------------------------------------------------------------------------------
"$release/vdk-control-service" >"$work/service.out" &
pids+=($!)
service_pid=$!
svc=$(service_url "$work/service.out")
"$work/read_bench" cold "{\"control_service_rest_api_url\": \"$svc\"}" seed >/dev/null # stores the 3-secret map

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# shellcheck source=benches/lib/nginx.sh
. benches/lib/nginx.sh
start_nginx "$work" "$path" "$svc"
pids+=("$nginx_pid")
log "service $svc (pid $service_pid), nginx $nginx_url"

# --- reads -----------------------------------------------------------------------------------
# Each line of $results: KIND SERVER CLIENT THREADS key=value...; the formatter takes medians
# of lines with the same first four fields.
record() { local kind=$1 server=$2 client=$3 threads=$4 line=$5; echo "$kind $server $client $threads ${line#RESULT }" >>"$results"; }
result_of() { grep '^RESULT' | tail -1; }

wrk_rounds() { # SERVER URL THREADS CONNECTIONS [KIND [WRK ARGS...]]
  local server=$1 url=$2 t=$3 c=$4 kind=${5:-read}
  shift $(($# < 5 ? $# : 5))
  for _ in $(seq 1 "$R"); do
    local TIMEFORMAT='%3U %3S'
    { time wrk -t"$t" -c"$c" -d"${S}s" --latency "$@" "$url$path" >"$work/wrk.out"; } 2>"$work/wrk.time"
    awk -v cpu="$(awk '{print $1 + $2}' "$work/wrk.time")" '
      function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000; if (v ~ /s$/) return v * 1e6; return v }
      $1 == "50%" { p50 = us($2) } $1 == "99%" { p99 = us($2) }
      / requests in / { n = $1 } /^Requests\/sec/ { rps = $2 }
      END { printf "RESULT rps=%.0f p50=%.1f p99=%.1f cpu=%.1f\n", rps, p50, p99, cpu * 1e6 / n }' "$work/wrk.out" |
      { read -r line; record "$kind" "$server" "wrk-t$t" "$c" "$line"; }
  done
}

read_all() { # SERVER URL
  local server=$1 url=$2 n
  for n in $THREADS; do
    log "reads: $server, $n threads"
    record read "$server" rust "$n" "$(VDK_BENCH_URL=$url VDK_BENCH_MATRIX=read VDK_BENCH_THREADS=$n \
      VDK_BENCH_SECONDS=$S VDK_BENCH_ROUNDS=$R "$rust_bench" | result_of)"
    record read "$server" rust-async "$n" "$(VDK_BENCH_URL=$url VDK_BENCH_MATRIX=read-async VDK_BENCH_THREADS=$n \
      VDK_BENCH_WORKERS=1 VDK_BENCH_SECONDS=$S VDK_BENCH_ROUNDS=$R "$rust_bench" | result_of)"
    record read "$server" c "$n" "$("$work/read_bench" read "$url" "$n" "$S" "$R" | result_of)"
    record read "$server" go "$n" "$("$work/go_matrix" -url "$url" -goroutines "$n" -seconds "$S" -rounds "$R" | result_of)"
    record read "$server" java "$n" "$(java -Dvdk.secrets.native.path="$release/libvdk_secrets_jni.so" \
      -cp "$work/java:bindings/java/target/classes" ReadMatrix "$url" "$n" "$S" "$R" | result_of)"
    record read "$server" python "$n" "$("$venv/bin/python" benches/matrix_python.py read "$url" "$n" "$S" "$R" | result_of)"
    wrk_rounds "$server" "$url" 1 "$n"
    if [ "$n" -gt 1 ]; then wrk_rounds "$server" "$url" 2 "$n"; fi
  done
}

cli_runs() { # KIND SERVER URL CLI-ARGS...: 3 rounds of 100 runs, sequential
  local kind=$1 server=$2 url=$3
  shift 3
  log "cli: $kind, $server"
  for _ in 1 2 3; do
    local TIMEFORMAT='%3R %3U %3S'
    { time for _ in $(seq 1 100); do
      "$release/vdk-secrets" -t bench-team -u "$url" "$@" >/dev/null 2>&1
    done; } 2>"$work/cli.time"
    record "$kind" "$server" cli 1 "$(awk '{printf "RESULT rps=%.0f p50=%.1f cpu=%.1f", 100 / $1, $1 * 1e6 / 100, ($2 + $3) * 1e6 / 100}' "$work/cli.time")"
  done
}

read_all service "$svc"
read_all nginx "$nginx_url"
cli_runs read service "$svc" -n bench-job --get api-key
cli_runs read nginx "$nginx_url" -n bench-job --get api-key
# --set reads the job's map, changes it and writes it back, as upstream's `vdk secrets --set`.
cli_runs writes service "$svc" -n bench-write-cli --set api-key sk-abc123xyz789

# --- writes (local service only: nginx does not take PUT) ------------------------------------
# Every writer writes a job of its own (bench-write-N), as the jobs of a fleet do; wrk's script
# spreads its PUTs over as many jobs as it has connections.
cat >"$work/put.lua" <<'EOF'
local n = 0
local body = '{"api-key":"sk-abc123xyz789","db-password":"secretpass","port":5432}'
local headers = { ["Content-Type"] = "application/json" }
local jobs = tonumber(os.getenv("WRK_JOBS") or "1")
request = function()
  n = n + 1
  local job = "bench-write-" .. (n % jobs)
  return wrk.format("PUT", "/data-jobs/for-team/bench-team/jobs/" .. job .. "/deployments/TODO/secrets", headers, body)
end
EOF
for n in $THREADS; do
  log "writes: $n threads"
  record writes service rust "$n" "$(VDK_BENCH_URL=$svc VDK_BENCH_MATRIX=write-concurrent VDK_BENCH_THREADS=$n \
    VDK_BENCH_SECONDS=$S VDK_BENCH_ROUNDS=$R "$rust_bench" | result_of)"
  record writes service c "$n" "$("$work/read_bench" writes "$svc" "$n" "$S" "$R" | result_of)"
  record writes service go "$n" "$("$work/go_matrix" -url "$svc" -goroutines "$n" -seconds "$S" -rounds "$R" -writes | result_of)"
  record writes service java "$n" "$(java -Dvdk.secrets.native.path="$release/libvdk_secrets_jni.so" \
    -cp "$work/java:bindings/java/target/classes" ReadMatrix "$svc" "$n" "$S" "$R" writes | result_of)"
  record writes service python "$n" "$("$venv/bin/python" benches/matrix_python.py writes "$svc" "$n" "$S" "$R" | result_of)"
  WRK_JOBS=$n wrk_rounds service "$svc" 1 "$n" writes -s "$work/put.lua"
  if [ "$n" -gt 1 ]; then WRK_JOBS=$n wrk_rounds service "$svc" 2 "$n" writes -s "$work/put.lua"; fi
done

# --- cached gets (the bindings' own bench scripts) -------------------------------------------
log "cached gets: Go"
VDK_GO_BENCHTIME=${VDK_GO_BENCHTIME:-1s} bindings/go/bench/run.sh >"$work/go-bench.txt" 2>&1 || true
log "cached gets: Java"
bindings/java/bench/run.sh >"$work/java-bench.txt" 2>&1 || true
go_cached=$(awk '$1 ~ /^BenchmarkCachedGet(-[0-9]+)?$/ {print $3}' "$work/go-bench.txt")
go_c_cached=$(awk '$1 == "c_cached_get_ns_per_op" {print $2}' "$work/go-bench.txt")
java_cached=$(sed -n 's/^java cached get.*: \([0-9.]*\) ns\/op.*/\1/p' "$work/java-bench.txt")
java_c_cached=$(sed -n 's/^c cached get.*: \([0-9.]*\) ns\/op.*/\1/p' "$work/java-bench.txt")
echo "cached - go - ns=${go_cached:-nan} c_ns=${go_c_cached:-nan}" >>"$results"
echo "cached - java - ns=${java_cached:-nan} c_ns=${java_c_cached:-nan}" >>"$results"

# --- cold start ------------------------------------------------------------------------------
log "cold start"
head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$work/api-token"
"$release/vdk-control-service" --api-token-file "$work/api-token" >"$work/auth-service.out" &
pids+=($!)
auth=$(service_url "$work/auth-service.out")
token_config=$(printf '{"control_service_rest_api_url": "%s", "api_token": "%s", "api_token_authorization_url": "%s/oauth/token"}' \
  "$auth" "$(cat "$work/api-token")" "$auth")
"$work/read_bench" cold "$token_config" seed >/dev/null
record cold auth c-token 1 "$("$work/read_bench" spawn 20 "$work/read_bench" cold "$token_config" | result_of)"
record cold service c 1 "$("$work/read_bench" spawn 20 "$work/read_bench" cold "{\"control_service_rest_api_url\": \"$svc\"}" | result_of)"
record cold service python 1 "$("$work/read_bench" spawn 20 "$venv/bin/python" benches/matrix_python.py cold "$svc" | result_of)"

# --- RSS -------------------------------------------------------------------------------------
log "rss"
"$work/read_bench" rss "$svc" 1000000 100000 "${VDK_MATRIX_RSS_SECONDS:-120}" >"$work/rss.txt"
awk '/^RSS / {print "rss - c", $2, $3, $4, $5}' "$work/rss.txt" >>"$results"

# --- sizes -----------------------------------------------------------------------------------
mkdir -p "$work/strip"
for lib in libvdk_secrets.so libvdk_secrets.a libvdk_secrets_jni.so; do
  strip --strip-unneeded -o "$work/strip/$lib" "$release/$lib"
  echo "size - $lib - bytes=$(stat -c %s "$release/$lib") stripped=$(stat -c %s "$work/strip/$lib")" >>"$results"
done

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
cp "$results" "$root/target/bench-matrix.raw.txt"

# --- tables ----------------------------------------------------------------------------------
python3 benches/matrix_report.py "$results" \
  "$started" "$(nproc)" "$(uname -r)" "$load_start" "$load_end" "$S" "$R" "$svc" "$nginx_url" |
  tee "$root/target/bench-matrix.md"
