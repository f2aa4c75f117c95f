# Sourced by the Java bench scripts after they set `here` (this folder): builds what they run
# (cargo: the C library, the JNI glue and the local Control Service; mvn: the binding's classes)
# and fetches the benches' Jackson jars (deps.sh). Sets java_dir, root, release, jackson (a
# class path) and work (a temporary folder removed on exit, with the service whose pid the
# script puts in service_pid), and defines service_url (benches/lib/service.sh).
java_dir="$(cd "$here/.." && pwd)"
root="$(cd "$here/../../.." && pwd)"
# shellcheck source=benches/lib/service.sh
. "$root/benches/lib/service.sh"
release="${CARGO_TARGET_DIR:-$root/target}/release"
work=$(mktemp -d)
service_pid=
trap 'if [ -n "$service_pid" ]; then kill "$service_pid" 2>/dev/null || true; wait "$service_pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT

(cd "$root" && cargo build --release -q -p vdk-secrets -p vdk-secrets-jni -p vdk-control-service)
(cd "$java_dir" && { mvn -q -B -o -DskipTests -Dvdk.skipCargo=true package >/dev/null 2>&1 ||
  mvn -q -B -DskipTests -Dvdk.skipCargo=true package; })
jackson=$("$here/deps.sh" "$java_dir/target/bench-lib")
