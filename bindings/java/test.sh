#!/usr/bin/env bash
# Builds and tests the Java binding from a clean clone (Java 17, Maven, Rust and a C compiler
# installed, and a JDK 21+ for the virtual-thread tests): cargo builds the C library, the JNI
# glue and the local Control Service; `mvn -B verify` builds and tests the jar (the
# virtual-thread tests once more on the JDK 21+); the example runs against a freshly started
# local service, stopped afterwards. Exits non-zero on any failure.
#
# The JDK 21+ is VDK_JAVA21_HOME, else the newest under /usr/lib/jvm that is 21 or later (these
# machines have Temurin 25 there). VDK_JAVA_SKIP_VIRTUAL_THREADS=1 skips those tests instead of
# failing when there is none.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
release="${CARGO_TARGET_DIR:-$root/target}/release"
started=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$1" "$(($(date +%s) - started))"; }

step "cargo: libvdk_secrets, libvdk_secrets_jni, vdk-control-service"
# One invocation, so that features unify across the workspace members as they do for the tests.
(cd "$root" && cargo build --release -p vdk-secrets -p vdk-secrets-jni -p vdk-control-service)

# A java of version 21 or later, or nothing.
find_java21() {
  local home java version
  for home in ${VDK_JAVA21_HOME:-} $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
    java="${home%/}/bin/java"
    [ -x "$java" ] || continue
    version=$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [ "${version%%.*}" -ge 21 ] 2>/dev/null; then
      echo "$java"
      return 0
    fi
  done
  return 1
}
virtual_threads=()
if java21="$(find_java21)"; then
  echo "virtual-thread tests on: $java21"
  virtual_threads=("-Dvdk.virtualThreads.java=$java21")
elif [ "${VDK_JAVA_SKIP_VIRTUAL_THREADS:-}" = 1 ]; then
  echo "no JDK 21+ found: virtual-thread tests skipped (VDK_JAVA_SKIP_VIRTUAL_THREADS=1)"
else
  echo "no JDK 21+ found for the virtual-thread tests: set VDK_JAVA21_HOME, or VDK_JAVA_SKIP_VIRTUAL_THREADS=1 to skip them" >&2
  exit 1
fi

step "mvn -B verify"
(cd "$here" && mvn -B verify "${virtual_threads[@]}")

work="$(mktemp -d)"
service_pid=""
cleanup() {
  if [ -n "$service_pid" ]; then kill "$service_pid" 2>/dev/null || true; wait "$service_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

step "a jar without this platform's native library does not build"
# From a copy, so target/classes here (which holds the library) cannot satisfy the check.
mkdir "$work/no-native" && cp -r "$here/pom.xml" "$here/src" "$work/no-native/"
if (cd "$work/no-native" && mvn -B -q -DskipTests -Dvdk.skipCargo=true -Dcargo.target.dir="$work/empty" \
    package >"$work/no-native.txt" 2>&1); then
  echo "the jar built without a native library for this platform" >&2
  exit 1
fi
grep -q 'The jar would hold no native library for this platform' "$work/no-native.txt" || {
  cat "$work/no-native.txt" >&2
  exit 1
}

step "example against a fresh local Control Service"
echo "example-token-$RANDOM$RANDOM" > "$work/token"
mkfifo "$work/out"
"$release/vdk-control-service" --listen 127.0.0.1:0 --api-token-file "$work/token" > "$work/out" &
service_pid=$!
exec 3< "$work/out"
read -r -t 30 line <&3 || { echo "the local Control Service did not start" >&2; exit 1; }
url="${line#listening on }"
echo "service: $url (pid $service_pid)"
VDK_CONTROL_SERVICE_REST_API_URL="$url" \
VDK_API_TOKEN="$(cat "$work/token")" \
VDK_API_TOKEN_AUTHORIZATION_URL="$url/oauth/token" \
  java -cp "$here/target/vdk-secrets-0.1.0.jar" "$root/examples/java/SecretsExample.java" example-job example-team
exec 3<&-

step "done: all Java binding checks passed"
