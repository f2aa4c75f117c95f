#!/usr/bin/env bash
# The release as its users get it: `packaging/test-consumers.sh OUT` (OUT written by
# packaging/release.sh) installs and uses the artifacts in OUT only, with cargo and rustc
# removed from PATH, following the install sections of README.md, bindings/go/README.md and
# bindings/java/README.md:
#
#   C     the x86_64 tarball unpacked into a prefix; examples/c/job_secrets.c built through
#         pkg-config against the shared and the static library
#   Go    a fresh module fetching the binding from OUT/goproxy: the default static link,
#         -tags vdk_dynamic against the unpacked tarball, and `go mod vendor` + -mod=vendor
#   Java  a fresh Maven project depending on io.vdk.secrets:vdk-secrets from OUT/maven
#   aarch64  the C example (zig cc) and the CLI of the aarch64 tarball, and a Go program
#         cross-built against the module's arm64 library, run under qemu-user; the jar's aarch64
#         JNI library checked for architecture, glibc level and the same Java_* exports as x86_64
#
# Every program reads and writes secrets of a local Control Service (the tarball's
# `vdk-secrets serve`, on 127.0.0.1) and each write is checked through the CLI. Needs a C
# compiler, pkg-config, Go, Java 17 with Maven, readelf, qemu-user and libc6-arm64-cross, and
# the zig that release.sh installed (target/release-tools/venv).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: packaging/test-consumers.sh OUT" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(cd "$1" && pwd)
started=$(date +%s)
step() { printf '\n== consumers: %s (%ss)\n' "$*" "$(($(date +%s) - started))"; }
die() { echo "test-consumers: FAILED: $*" >&2; exit 1; }

tarball=$(ls "$out"/c/vdk-secrets-*-x86_64-linux-gnu.tar.gz)
version=$(basename "$tarball" | sed 's/^vdk-secrets-\(.*\)-x86_64-linux-gnu.tar.gz$/\1/')
soname=$(tar -tzf "$tarball" | sed -n 's|^[^/]*/lib/\(libvdk_secrets\.so\.[0-9]*\(\.[0-9]*\)\?\)$|\1|p' | head -n1)
[ -n "$soname" ] || die "no lib/libvdk_secrets.so.MAJOR[.MINOR] in $tarball"
zig_python=$root/target/release-tools/venv/bin/python3
work=$(mktemp -d)
service_pid=
cleanup() {
  if [ -n "$service_pid" ]; then kill "$service_pid" 2>/dev/null || true; wait "$service_pid" 2>/dev/null || true; fi
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# No Rust from here on: every PATH entry that holds cargo or rustc goes.
path=
IFS=: read -ra dirs <<<"$PATH"
for dir in "${dirs[@]}"; do
  [ -e "$dir/cargo" ] || [ -e "$dir/rustc" ] || path=${path:+$path:}$dir
done
export PATH=$path
if command -v cargo >/dev/null || command -v rustc >/dev/null; then die "cargo or rustc is still on PATH"; fi
unset CARGO_TARGET_DIR RUSTFLAGS
for tool in cc pkg-config go mvn java readelf qemu-aarch64; do
  command -v "$tool" >/dev/null || die "$tool is not on PATH (not installed, or in a folder with cargo or rustc)"
done
[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || die "libc6-arm64-cross is not installed"
[ -x "$zig_python" ] && "$zig_python" -m ziglang version >/dev/null || die "no zig in target/release-tools/venv (run packaging/release.sh)"
zig() { "$zig_python" -m ziglang "$@"; }

step "C: unpack the x86_64 tarball into a prefix (README's install command)"
prefix=$work/vdk
mkdir -p "$prefix" && tar -xzf "$out/c/vdk-secrets-$version-x86_64-linux-gnu.tar.gz" -C "$prefix" --strip-components=1
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
cli=$prefix/bin/vdk-secrets

step "the local Control Service: the tarball's vdk-secrets serve on 127.0.0.1"
mkfifo "$work/serve.out"
"$cli" serve --listen 127.0.0.1:0 --data-dir "$work/service-data" >"$work/serve.out" &
service_pid=$!
exec 3<"$work/serve.out"
read -r -t 30 line <&3 || die "the local Control Service did not start"
export VDK_CONTROL_SERVICE_REST_API_URL=${line#listening on }
echo "service at $VDK_CONTROL_SERVICE_REST_API_URL (pid $service_pid)"

# expect_secret JOB TEAM NAME VALUE: the CLI reads VALUE back from the service.
expect_secret() {
  local got
  got=$("$cli" -n "$1" -t "$2" --get "$3") || die "$2/$1 has no secret $3"
  [ "$got" = "$4" ] || die "$2/$1 secret $3 is '$got', expected '$4'"
}
# expect_written_since JOB TEAM NAME SECONDS: NAME holds a Unix time no older than SECONDS.
expect_written_since() {
  local got
  got=$("$cli" -n "$1" -t "$2" --get "$3") || die "$2/$1 has no secret $3"
  [[ $got =~ ^[0-9]+$ ]] && [ "$got" -ge "$4" ] || die "$2/$1 secret $3 is '$got', not a time since $4"
}
needs_library() { readelf -d "$1" | grep -q "Shared library: \[$soname\]"; }

c_example() { # c_example BINARY JOB [RUNNER...]: the C example reads api-key and writes last-run
  local binary=$1 job=$2 since
  shift 2
  since=$(date +%s)
  "$cli" -n "$job" -t consumers --set api-key "sk-$job"
  "$@" "$binary" "$job" consumers | tee "$work/$job.out"
  grep -q '^api-key: present$' "$work/$job.out" || die "$job: the C example did not read api-key"
  expect_written_since "$job" consumers last-run "$since"
}

step "C: shared library through pkg-config"
cd "$work"
cp "$root/examples/c/job_secrets.c" .
# shellcheck disable=SC2046
cc -std=c99 -Wall -Wextra -Werror job_secrets.c $(pkg-config --cflags --libs vdk_secrets) \
  -Wl,-rpath,"$(pkg-config --variable=libdir vdk_secrets)" -o job_secrets
needs_library job_secrets || die "job_secrets does not load $soname"
c_example ./job_secrets c-shared

step "C: static library through pkg-config"
# shellcheck disable=SC2046
cc -std=c99 -Wall -Wextra -Werror job_secrets.c $(pkg-config --cflags vdk_secrets) \
  "$(pkg-config --variable=libdir vdk_secrets)/libvdk_secrets.a" \
  $(pkg-config --static --libs-only-l vdk_secrets | sed 's/-lvdk_secrets//') -o job_secrets_static
! needs_library job_secrets_static || die "job_secrets_static loads $soname"
c_example ./job_secrets_static c-static

go_example() { # go_example BINARY [RUNNER...]: examples/go writes example-team/example-job
  local binary=$1
  shift
  echo '{}' | "$cli" -n example-job -t example-team --overwrite-all-job-secrets - >/dev/null
  "$@" "$binary" | tee "$work/go.out"
  grep -q 'api-key present: true' "$work/go.out" || die "$binary did not read api-key back"
  expect_secret example-job example-team api-key sk-example-123
  expect_secret example-job example-team token t-456
}

step "Go: a fresh module, the binding from OUT/goproxy (static link)"
export GOPROXY=file://$out/goproxy GONOSUMDB=github.com/vdk-secrets GOFLAGS="-mod=mod -modcacherw"
export GOMODCACHE=$work/gomodcache GOTOOLCHAIN=local GOWORK=off
mkdir "$work/goapp" && cd "$work/goapp"
go mod init example.com/vdk-consumer
cp "$root/examples/go/main.go" .
go get "github.com/vdk-secrets/vdk-secrets/bindings/go@v$version"
go build -o app-static .
! needs_library app-static || die "the default Go build loads $soname"
go_example ./app-static

step "Go: -tags vdk_dynamic, the installed shared library through pkg-config"
go build -tags vdk_dynamic -o app-dynamic .
needs_library app-dynamic || die "the vdk_dynamic Go build does not load $soname"
go_example ./app-dynamic env LD_LIBRARY_PATH="$prefix/lib"

step "Go: go mod vendor, then go build -mod=vendor"
go mod vendor
ls vendor/github.com/vdk-secrets/vdk-secrets/bindings/go/internal/native/libvdk_secrets_linux_amd64.a >/dev/null
go build -mod=vendor -o app-vendor .
go_example ./app-vendor

step "Java: a fresh Maven project, io.vdk.secrets:vdk-secrets:$version from OUT/maven"
# A local repository of its own, without io.vdk.secrets, so the artifact comes from OUT/maven;
# the plugins it downloads stay for the next run.
m2=$root/target/consumer-m2
rm -rf "$m2/io/vdk"
mkdir -p "$work/javaapp/src/main/java" && cd "$work/javaapp"
cp "$root/examples/java/SecretsExample.java" src/main/java/
cat >pom.xml <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>vdk-consumer</artifactId>
  <version>1</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <repositories>
    <repository>
      <id>vdk-secrets-release</id>
      <url>file://$out/maven</url>
    </repository>
  </repositories>
  <dependencies>
    <dependency>
      <groupId>io.vdk.secrets</groupId>
      <artifactId>vdk-secrets</artifactId>
      <version>$version</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <!-- Maven 3.8's default compiler plugin predates maven.compiler.release. -->
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-compiler-plugin</artifactId>
        <version>3.14.0</version>
      </plugin>
    </plugins>
  </build>
</project>
EOF
mvn -B -q -Dmaven.repo.local="$m2" package \
  org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies -DoutputDirectory=target/lib
ls "$m2/io/vdk/secrets/vdk-secrets/$version/vdk-secrets-$version.jar" >/dev/null
since=$(date +%s%3N)
java -cp "target/classes:target/lib/*" SecretsExample java-job consumers | tee "$work/java.out"
grep -q '^names now: .*rotated-at' "$work/java.out" || die "the Java example did not list what it wrote"
expect_secret java-job consumers api-key sk-abc123
expect_written_since java-job consumers rotated-at "$since"

step "aarch64: the C example (zig cc, glibc 2.17) and the CLI under qemu-user"
prefix_arm=$work/vdk-aarch64
mkdir -p "$prefix_arm" && tar -xzf "$out/c/vdk-secrets-$version-aarch64-linux-gnu.tar.gz" -C "$prefix_arm" --strip-components=1
qemu=(qemu-aarch64 -L /usr/aarch64-linux-gnu)
cd "$work"
pc_arm() { PKG_CONFIG_PATH=$prefix_arm/lib/pkgconfig pkg-config "$@" vdk_secrets; }
# shellcheck disable=SC2046
zig cc -target aarch64-linux-gnu.2.17 -std=c99 job_secrets.c $(pc_arm --cflags --libs) \
  -Wl,-rpath,"$(pc_arm --variable=libdir)" -o job_secrets_arm
# shellcheck disable=SC2046
zig cc -target aarch64-linux-gnu.2.17 -std=c99 job_secrets.c $(pc_arm --cflags) \
  "$(pc_arm --variable=libdir)/libvdk_secrets.a" $(pc_arm --static --libs-only-l | sed 's/-lvdk_secrets//') -o job_secrets_static_arm
for binary in job_secrets_arm job_secrets_static_arm "$prefix_arm/bin/vdk-secrets"; do
  readelf -h "$binary" | grep -q 'Machine: *AArch64' || die "$binary is not an aarch64 program"
done
c_example ./job_secrets_arm c-shared-aarch64 "${qemu[@]}"
c_example ./job_secrets_static_arm c-static-aarch64 "${qemu[@]}"
"${qemu[@]}" "$prefix_arm/bin/vdk-secrets" -n cli-aarch64 -t consumers --set written-by aarch64
expect_secret cli-aarch64 consumers written-by aarch64
"$cli" -n cli-aarch64 -t consumers --set written-by x86_64
[ "$("${qemu[@]}" "$prefix_arm/bin/vdk-secrets" -n cli-aarch64 -t consumers --get written-by)" = x86_64 ] ||
  die "the aarch64 CLI did not read what the x86_64 CLI wrote"

step "aarch64: the Go module's arm64 library, cross-built with zig cc, under qemu-user"
cd "$work/goapp"
zig_cc=$work/zig-cc-aarch64
printf '#!/bin/sh\nexec "%s" -m ziglang cc -target aarch64-linux-gnu.2.17 "$@"\n' "$zig_python" >"$zig_cc"
chmod +x "$zig_cc"
CGO_ENABLED=1 GOARCH=arm64 CC=$zig_cc go build -o app-arm64 .
readelf -h app-arm64 | grep -q 'Machine: *AArch64' || die "app-arm64 is not an aarch64 program"
go_example ./app-arm64 "${qemu[@]}"

step "aarch64: the jar's JNI library (no arm64 JVM here: architecture, glibc, exports)"
python3 - "$m2/io/vdk/secrets/vdk-secrets/$version/vdk-secrets-$version.jar" "$work/jni" <<'PY'
import sys, zipfile
jar = zipfile.ZipFile(sys.argv[1])
for arch in ("x86_64", "aarch64"):
    jar.extract(f"native/linux-{arch}/libvdk_secrets_jni.so", sys.argv[2])
PY
jni_x86=$work/jni/native/linux-x86_64/libvdk_secrets_jni.so
jni_arm=$work/jni/native/linux-aarch64/libvdk_secrets_jni.so
readelf -h "$jni_arm" | grep -q 'Machine: *AArch64' || die "the jar's linux-aarch64 library is not aarch64"
java_exports() { readelf -W --dyn-syms "$1" | awk '$7 != "UND" && $8 ~ /^Java_/ { print $8 }' | sort -u; }
java_exports "$jni_x86" >"$work/jni-x86_64.txt"
java_exports "$jni_arm" >"$work/jni-aarch64.txt"
[ -s "$work/jni-x86_64.txt" ] || die "the x86_64 JNI library exports no Java_ function"
diff -u "$work/jni-x86_64.txt" "$work/jni-aarch64.txt" || die "the aarch64 JNI library's Java_ exports differ from x86_64's"
newest=$(readelf -W --version-info "$jni_arm" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/^GLIBC_//' | sort -uV | tail -n1)
[ "$(printf '%s\n2.17\n' "$newest" | sort -V | tail -n1)" = 2.17 ] || die "the aarch64 JNI library needs GLIBC_$newest"
echo "linux-aarch64 JNI library: AArch64, newest glibc GLIBC_$newest, $(wc -l <"$work/jni-aarch64.txt") Java_ exports, the same as linux-x86_64"

step "done: every consumer built from OUT and read and wrote secrets"
