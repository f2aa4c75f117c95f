#!/usr/bin/env bash
# Builds the library and the local Control Service, starts two services (one with auth and
# fault injection, one with HTTPS), compiles the C tests with -Wall -Wextra -Werror and runs
# them under a memory checker. Also checks the header compiles as C99 and as C++.
#
#   tests/c/run.sh                 valgrind (default)
#   VDK_C_CHECKER=asan tests/c/run.sh   AddressSanitizer + UBSan build instead
#   VDK_C_CHECKER=none tests/c/run.sh   plain run
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
checker=${VDK_C_CHECKER:-valgrind}
build=$root/target/c-tests
mkdir -p "$build"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --quiet -p vdk-secrets -p vdk-control-service
lib=$root/target/debug

# Starts the local service with the given flags and sets $service_url. Runs in this shell (not
# a command substitution), so the cleanup trap knows every pid.
start_service() {
  local log=$work/service-${#pids[@]}.out
  "$lib/vdk-control-service" "$@" >"$log" 2>"$log.err" &
  pids+=($!)
  for _ in $(seq 1 100); do
    if grep -q '^listening on ' "$log"; then
      service_url=$(sed -n 's/^listening on //p' "$log" | head -n1)
      return 0
    fi
    sleep 0.1
  done
  echo "the local Control Service did not start:" >&2
  cat "$log.err" >&2
  return 1
}

api_token="c-test-refresh-token-$RANDOM$RANDOM"
printf '%s' "$api_token" >"$work/api-token"
start_service --enable-faults --api-token-file "$work/api-token" --token-lifetime-secs 2
url=$service_url
start_service --tls-self-signed "$work/tls"
tls_url=$service_url
# A service of its own for the connection cap: test_async counts its connections.
start_service --enable-faults
cap_url=$service_url
# A server that quotes every request (token and values included) in its error texts.
log=$work/echo.out
"$lib/vdk-echo-server" >"$log" 2>"$log.err" &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^listening on ' "$log" && break; sleep 0.1; done
echo_url=$(sed -n 's/^listening on //p' "$log" | head -n1)
test -n "$echo_url"

cflags=(-std=c99 -Wall -Wextra -Werror -pedantic -g -I"$root/include")
cc "${cflags[@]}" -fsyntax-only -x c "$root/include/vdk_secrets.h"
c++ -std=c++17 -Wall -Wextra -Werror -I"$root/include" -fsyntax-only "$root/tests/c/header_compiles.cpp"
# The README's C quickstart must stay a program that compiles and links.
awk '/^## C quickstart/ {on=1} on && /^```c$/ {code=1; next} code && /^```$/ {exit} code {print}' \
  "$root/README.md" >"$work/readme_quickstart.c"
test -s "$work/readme_quickstart.c"
cc "${cflags[@]}" "$work/readme_quickstart.c" -o "$work/readme_quickstart" -L"$lib" -lvdk_secrets -Wl,-rpath,"$lib"
# And so must its asynchronous example (a function, no main: compiled to an object).
awk '/^## Asynchronous calls/ {on=1} on && /^```c$/ {code=1; next} code && /^```$/ {exit} code {print}' \
  "$root/README.md" >"$work/readme_async.c"
test -s "$work/readme_async.c"
cc "${cflags[@]}" -c "$work/readme_async.c" -o "$work/readme_async.o"

run=()
extra_cflags=()
case "$checker" in
  valgrind)
    run=(valgrind --quiet --num-callers=50 --suppressions="$root/tests/c/valgrind.supp" --leak-check=full
         --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=3
         --child-silent-after-fork=${VDK_VALGRIND_CHILD_SILENT:-yes})
    ;;
  asan)
    extra_cflags=(-fsanitize=address,undefined -fno-omit-frame-pointer)
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    ;;
  none) ;;
  *) echo "unknown VDK_C_CHECKER=$checker" >&2; exit 2 ;;
esac
# Cancel to callback within 50 ms (the contract's p99); valgrind slows every step ~20x.
cancel_ms=50
[ "$checker" = valgrind ] && cancel_ms=1000

# Diagnostics on at the most verbose level: the secret and the token must not show up.
status=0
for test in test_client test_job test_async; do
  cc "${cflags[@]}" "${extra_cflags[@]}" "$root/tests/c/$test.c" -o "$build/$test-$checker" \
    -L"$lib" -lvdk_secrets -Wl,-rpath,"$lib" -lpthread
  VDK_TEST_URL=$url VDK_TEST_TOKEN_URL=$url/oauth/token VDK_TEST_API_TOKEN=$api_token \
  VDK_TEST_TLS_URL=$tls_url VDK_TEST_CA=$work/tls/ca.pem VDK_TEST_ECHO_URL=$echo_url VDK_SECRETS_LOG=trace \
  VDK_TEST_CAP_URL=$cap_url VDK_TEST_CANCEL_MS=$cancel_ms \
    "${run[@]}" "$build/$test-$checker" 2>"$work/stderr-$test" || status=$?
  grep -v '^vdk-secrets \(DEBUG\|TRACE\|INFO\)' "$work/stderr-$test" >&2 || true
done
# 300 calls in flight with control_http_max_connections=4: the requests in flight never pass
# 4, so the connections stay near that (one may be opened as another goes back to the pool).
cap_connections=$(python3 -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1] + "/__admin/stats"))["connections"])' "$cap_url")
if [ "$cap_connections" -gt 8 ] || [ "$cap_connections" -lt 1 ]; then
  echo "FAIL: 300 calls with control_http_max_connections=4 opened $cap_connections connections" >&2
  status=1
fi
echo "connection cap: 300 calls, cap 4, $cap_connections connections"

# Behind an HTTPS CONNECT proxy (tinyproxy, Basic credentials), trusting the service's CA through
# SSL_CERT_FILE alone: the configuration names only the URL.
command -v tinyproxy >/dev/null || { echo "tinyproxy is missing (apt-get install tinyproxy-bin; .ci/run does it)" >&2; exit 1; }
proxy_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/tinyproxy.conf" <<CONF
Port $proxy_port
Listen 127.0.0.1
Timeout 30
LogFile "$work/tinyproxy.log"
LogLevel Info
DisableViaHeader Yes
BasicAuth c-proxy-user c-proxy-pass-31f7
CONF
tinyproxy -d -c "$work/tinyproxy.conf" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$proxy_port") 2>/dev/null && break; sleep 0.05; done
cc "${cflags[@]}" "${extra_cflags[@]}" "$root/tests/c/test_proxy.c" -o "$build/test_proxy-$checker" \
  -L"$lib" -lvdk_secrets -Wl,-rpath,"$lib" -lpthread
env -u SSL_CERT_DIR -u REQUESTS_CA_BUNDLE -u NO_PROXY -u no_proxy \
  HTTPS_PROXY="http://c-proxy-user:c-proxy-pass-31f7@127.0.0.1:$proxy_port" SSL_CERT_FILE="$work/tls/ca.pem" \
  VDK_TEST_TLS_URL=$tls_url VDK_SECRETS_LOG=trace \
  "${run[@]}" "$build/test_proxy-$checker" 2>"$work/stderr-test_proxy" || status=$?
grep -v '^vdk-secrets \(DEBUG\|TRACE\|INFO\)' "$work/stderr-test_proxy" >&2 || true
if ! grep -q "Request (file descriptor [0-9]*): CONNECT localhost:${tls_url##*:} HTTP/1.1" "$work/tinyproxy.log"; then
  echo "FAIL: the C client did not go through the proxy (no CONNECT in tinyproxy's log)" >&2
  status=1
fi
cat "$work"/stderr-* >"$work/stderr"
if grep -q -e 'c-proxy-pass-31f7' "$work/stderr"; then
  echo "FAIL: the proxy password appeared on stderr" >&2
  status=1
fi
if grep -q -e 'sk-canary-7f3a9c1d' -e "$api_token" -e 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC' -e 'q83JxYz0' \
    -e 'echo-access-token-5d1c8e0b7a924f63' -e 'c-echo-token' "$work/stderr"; then
  echo "FAIL: a secret value or the API token appeared on stderr" >&2
  status=1
fi
log_lines=$(grep -c '^vdk-secrets ' "$work/stderr" || true)
echo "c tests: $log_lines diagnostic lines checked for secrets ($checker)"
exit "$status"
