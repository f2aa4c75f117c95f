#!/usr/bin/env bash
# The quickstart, end to end on a fresh clone: builds the CLI, the library and the C example,
# starts a local Control Service on a free port, sets and reads secrets with the CLI, runs a
# command with them in its environment (`vdk-secrets exec`), reads them with the C example (and
# the Go and Java examples when their toolchains are installed), then stops the service.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=$(mktemp -d)
service_pid=
cleanup() {
  [ -n "$service_pid" ] && kill "$service_pid" 2>/dev/null && wait "$service_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
if [ -t 1 ]; then say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }; else say() { printf '\n$ %s\n' "$*"; }; fi

cargo build --release --quiet -p vdk-secrets -p vdk-secrets-cli
make --quiet -C examples/c
cli=$root/target/release/vdk-secrets

# A local Control Service, state encrypted in a throwaway data directory.
"$cli" serve --listen 127.0.0.1:0 --data-dir "$work/data" >"$work/serve.out" &
service_pid=$!
for _ in $(seq 1 100); do grep -q '^listening on ' "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
export VDK_CONTROL_SERVICE_REST_API_URL=$(sed -n 's/^listening on //p' "$work/serve.out")
echo "local Control Service at $VDK_CONTROL_SERVICE_REST_API_URL"

say vdk-secrets -n my-job -t my-team --set api-key sk-quickstart-123 --set db-port 5432
"$cli" -n my-job -t my-team --set api-key sk-quickstart-123 --set db-port 5432
say "echo '{\"retries\": 3}' | vdk-secrets -n other-job -t my-team --overwrite-all-job-secrets -"
echo '{"retries": 3}' | "$cli" -n other-job -t my-team --overwrite-all-job-secrets -
say "vdk-secrets -n other-job -t my-team --set retries 5   # an existing number stays a number"
"$cli" -n other-job -t my-team --set retries 5
"$cli" -n other-job -t my-team -o json --list
say vdk-secrets -n my-job -t my-team --list
"$cli" -n my-job -t my-team --list
say examples/c/job_secrets my-job my-team
examples/c/job_secrets my-job my-team
say vdk-secrets -n my-job -t my-team --get db-port
"$cli" -n my-job -t my-team --get db-port
say "vdk-secrets exec -n my-job -t my-team -- sh -c 'echo \"DB_PORT=\$DB_PORT, API_KEY has \${#API_KEY} characters\"'"
"$cli" exec -n my-job -t my-team -- sh -c 'echo "DB_PORT=$DB_PORT, API_KEY has ${#API_KEY} characters"'

if command -v go >/dev/null; then
  say "(cd examples/go && go run .)      # the Go binding, job example-job"
  (cd examples/go && go run .)
fi
if command -v mvn >/dev/null && command -v java >/dev/null; then
  say "java -cp bindings/java/target/vdk-secrets-0.1.0.jar examples/java/SecretsExample.java my-job my-team"
  (cd bindings/java && mvn -B -q package -DskipTests)
  java -cp bindings/java/target/vdk-secrets-0.1.0.jar examples/java/SecretsExample.java my-job my-team
fi

say vdk-secrets -n my-job -t my-team --delete api-key
"$cli" -n my-job -t my-team --delete api-key
say vdk-secrets -n my-job -t my-team -o json --list
"$cli" -n my-job -t my-team -o json --list
echo
echo "quickstart: ok"
