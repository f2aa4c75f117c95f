#!/usr/bin/env bash
# Fetches the benchmarks' own dependencies (bench/pom.xml: Jackson databind) into DIR and prints
# the classpath of their jars. Offline first (the local Maven repository), then from Maven Central.
#
#   bindings/java/bench/deps.sh DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="$1"
mkdir -p "$dir"
fetch() { mvn -q -B "$@" -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$dir" >"$dir/mvn.log" 2>&1; }
fetch -o || fetch || { cat "$dir/mvn.log" >&2; exit 1; }
ls "$dir"/*.jar | paste -sd: -
