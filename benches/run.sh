#!/usr/bin/env bash
# One run, one server, every client: builds the release library and local Control Service,
# starts the service once, then measures in the same run
#   - the Rust API and the C ABI (benches/read_secrets.rs),
#   - wrk -t1 -c1 (a bare single-connection load generator) on the same read path,
#   - the upstream Python client (vdk-plugin-control-cli from PyPI, in a virtual environment).
# Installs wrk (Debian) and the Python client (PyPI) when missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=$(mktemp -d)
trap 'kill $service_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
venv=${VDK_BENCH_VENV:-$root/target/bench-venv}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import vdk.plugin.control_cli_plugin' 2>/dev/null; then
  python3 -m venv "$venv"
  echo 'setuptools<70' >"$work/constraints.txt"
  PIP_CONSTRAINT=$work/constraints.txt "$venv/bin/pip" install -q vdk-plugin-control-cli vdk-core
fi

cargo build --release -q -p vdk-control-service
target/release/vdk-control-service >"$work/service.out" &
service_pid=$!
for _ in $(seq 1 100); do grep -q '^listening on ' "$work/service.out" && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/service.out")
path=/data-jobs/for-team/bench-team/jobs/bench-job/deployments/TODO/secrets

echo "== $(date -u +%FT%TZ) $(nproc) cores, $(uname -r)"
VDK_BENCH_URL=$url cargo bench -q --bench read_secrets
wrk -t1 -c1 -d10s "$url$path" | awk -v label=wrk-t1-c1 '/Requests\/sec/ {printf "%-10s reads/s %9.0f   us/call %7.2f\n", label, $2, 1e6/$2}'
"$venv/bin/python" benches/upstream_python.py "$url" "${VDK_BENCH_PY_CALLS:-2000}" 5
