#!/usr/bin/env bash
# The release build: `packaging/release.sh OUT`, from a clone of the repository. Writes
#
#   OUT/c/vdk-secrets-VERSION-ARCH-linux-gnu.tar.gz        the C library, header, pkg-config file, CLI
#   OUT/c/vdk-secrets-VERSION-ARCH-linux-gnu-debug.tar.gz  their debug info, to unpack beside them
#   OUT/goproxy/                                           the Go module (GOPROXY=file://OUT/goproxy)
#   OUT/maven/                                             io.vdk.secrets:vdk-secrets (a file:// Maven repository)
#   OUT/SHA256SUMS
#
# for ARCH x86_64 and aarch64, every binary built for glibc 2.17 with cargo-zigbuild and zig, and
# checks what it wrote: no symbol version newer than GLIBC_2.17 in any shipped ELF file, the
# SONAME, the architecture, and that the C example links against each static and shared library
# with `zig cc -target ARCH-linux-gnu.2.17`. packaging/test-consumers.sh then uses OUT as a user
# would.
#
# Needs Rust (rustup), Python 3 (for zig and cargo-zigbuild from PyPI, installed into
# target/release-tools/venv), Go, Java 17 with Maven, pkg-config and readelf. Environment:
#   CARGO_BUILD_JOBS, CARGO_TARGET_DIR   as for cargo (the tools stay in target/release-tools)
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: packaging/release.sh OUT" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mkdir -p "$1"
out=$(cd "$1" && pwd)
started=$(date +%s)
step() { printf '\n== release: %s (%ss)\n' "$*" "$(($(date +%s) - started))"; }
die() { echo "release: $*" >&2; exit 1; }

# Pinned tools; bump deliberately.
ZIGLANG_VERSION=0.15.2
CARGO_ZIGBUILD_VERSION=0.24.1
GLIBC=2.17
ARCHS=(x86_64 aarch64)
# What the Rust static library needs from the system on linux-gnu (`--print native-static-libs`);
# the zig link check below fails if this list is short.
NATIVE_STATIC_LIBS="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
[[ $version =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || die "Cargo.toml version '$version' is not MAJOR.MINOR.PATCH"
major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
# SONAME policy: 0.x releases keep their ABI within a minor version, 1.0 and later within a
# major version.
if [ "$major" = 0 ]; then sover=$major.$minor; else sover=$major; fi
soname=libvdk_secrets.so.$sover
sofile=libvdk_secrets.so.$version
pom_version=$(sed -n '0,/<version>/s:.*<version>\(.*\)</version>.*:\1:p' bindings/java/pom.xml)
[ "$pom_version" = "$version" ] || die "bindings/java/pom.xml has version $pom_version, Cargo.toml $version"
go_module=$(sed -n 's/^module //p' bindings/go/go.mod)
# The release's date: the commit's, so that a rebuild of the same commit says the same.
epoch=$(git log -1 --format=%ct 2>/dev/null || date +%s)
release_time=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step "tools: zig $ZIGLANG_VERSION and cargo-zigbuild $CARGO_ZIGBUILD_VERSION (PyPI), Rust targets"
tools=$root/target/release-tools
venv=$tools/venv
stamp="ziglang==$ZIGLANG_VERSION cargo-zigbuild==$CARGO_ZIGBUILD_VERSION"
if [ "$(cat "$tools/installed" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$venv"
  mkdir -p "$tools"
  python3 -m venv "$venv"
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --no-cache-dir --disable-pip-version-check $stamp
  echo "$stamp" > "$tools/installed"
fi
# cargo-zigbuild runs `python3 -m ziglang` when no `zig` is on PATH: the venv's python.
export PATH="$venv/bin:$PATH"
zig() { "$venv/bin/python3" -m ziglang "$@"; }
installed_targets=$(rustup target list --installed)
for arch in "${ARCHS[@]}"; do
  grep -qx "$arch-unknown-linux-gnu" <<<"$installed_targets" || rustup target add "$arch-unknown-linux-gnu"
done
# llvm-objcopy from rustup's llvm-tools component splits and strips ELF files of any
# architecture, archives included.
rustup component list --installed | grep -q '^llvm-tools' || rustup component add llvm-tools
objcopy=$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/llvm-objcopy
[ -x "$objcopy" ] || die "no llvm-objcopy at $objcopy (rustup component add llvm-tools)"

# Splits the debug info of ELF file $1 into $2/<name>.debug and strips $1 with flag $3,
# leaving a .gnu_debuglink that names the .debug file.
split_debug() {
  local file=$1 debug_dir=$2 strip_flag=$3 name
  name=$(basename "$file")
  "$objcopy" --only-keep-debug "$file" "$debug_dir/$name.debug"
  (cd "$debug_dir" && "$objcopy" "$strip_flag" --add-gnu-debuglink="$name.debug" "$file")
}

# Runs a build command, and once more if it fails: a zig link has failed here once with no
# message while the machine was loaded, and passed when run again. A real error fails twice.
retry_once() {
  "$@" || { echo "release: '$*' failed; running it once more" >&2; "$@"; }
}

# Fails unless every symbol version ELF file $1 needs from glibc is GLIBC_2.17 or older.
check_glibc() {
  local file=$1 newest
  newest=$(readelf -W --version-info "$file" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/^GLIBC_//' | sort -uV | tail -n1)
  [ -n "$newest" ] || die "$file needs no glibc symbol version at all: not a glibc build?"
  [ "$(printf '%s\n%s\n' "$newest" "$GLIBC" | sort -V | tail -n1)" = "$GLIBC" ] ||
    die "$file needs GLIBC_$newest, newer than GLIBC_$GLIBC"
  echo "  $(basename "$file"): newest glibc symbol version GLIBC_$newest"
}

# Fails unless ELF file $1 is for architecture $2.
check_machine() {
  local file=$1 arch=$2 want machine
  case $arch in x86_64) want="Advanced Micro Devices X86-64" ;; aarch64) want="AArch64" ;; esac
  machine=$(readelf -h "$file" | sed -n 's/^ *Machine: *//p')
  [ "$machine" = "$want" ] || die "$file is for '$machine', not $arch"
}

# A release replaces what an earlier one left, so OUT never mixes versions.
rm -rf "$out/c" "$out/goproxy" "$out/maven" "$out/SHA256SUMS"
for arch in "${ARCHS[@]}"; do
  triple=$arch-unknown-linux-gnu
  step "$arch: cargo zigbuild --target $triple.$GLIBC (profile dist: release with debug info)"
  # The CLI and the JNI glue in one invocation; then the C library alone, so that only its
  # cdylib gets the SONAME (link args of a dependency's build would reach the JNI library too).
  retry_once cargo zigbuild --locked --profile dist --target "$triple.$GLIBC" -p vdk-secrets-cli -p vdk-secrets-jni
  retry_once cargo-zigbuild rustc --locked --profile dist --target "$triple.$GLIBC" -p vdk-secrets --lib \
    -- -C "link-arg=-Wl,-soname,$soname"
  built=${CARGO_TARGET_DIR:-$root/target}/$triple/dist

  step "$arch: C tarball"
  name=vdk-secrets-$version-$arch-linux-gnu
  stage=$work/$name
  debug=$work/$name-debug
  mkdir -p "$stage"/{include,lib/pkgconfig,bin} "$debug"/{lib,bin}
  cp include/vdk_secrets.h "$stage/include/"
  cp "$built/libvdk_secrets.so" "$stage/lib/$sofile"
  ln -s "$sofile" "$stage/lib/$soname"
  ln -s "$soname" "$stage/lib/libvdk_secrets.so"
  cp "$built/libvdk_secrets.a" "$stage/lib/"
  cp "$built/vdk-secrets" "$stage/bin/"
  split_debug "$stage/lib/$sofile" "$debug/lib" --strip-unneeded
  split_debug "$stage/bin/vdk-secrets" "$debug/bin" --strip-all
  "$objcopy" --strip-debug "$stage/lib/libvdk_secrets.a"
  # The prefix is the folder two levels above the .pc file, wherever the tarball is unpacked.
  sed -e 's|@PREFIX@|${pcfiledir}/../..|' -e 's|@LIBDIR@|${prefix}/lib|' \
      -e 's|@INCLUDEDIR@|${prefix}/include|' -e "s|@VERSION@|$version|" \
      -e "s|@NATIVE_STATIC_LIBS@|$NATIVE_STATIC_LIBS|" vdk_secrets.pc.in > "$stage/lib/pkgconfig/vdk_secrets.pc"
  sed -e "s|@VERSION@|$version|g" -e "s|@ARCH@|$arch|g" -e "s|@SOVER@|$sover|g" -e "s|@SOFULL@|$version|g" \
    packaging/c/README.md > "$stage/README.md"
  cp LICENSE "$stage/"

  step "$arch: checks (SONAME, architecture, glibc $GLIBC, zig cc links the C example)"
  readelf -d "$stage/lib/$sofile" | grep -q "Library soname: \[$soname\]" || die "$sofile has no SONAME $soname"
  for file in "$stage/lib/$sofile" "$stage/bin/vdk-secrets" "$built/libvdk_secrets_jni.so"; do
    check_machine "$file" "$arch"
    check_glibc "$file"
  done
  pc() { PKG_CONFIG_PATH=$stage/lib/pkgconfig pkg-config "$@" vdk_secrets; }
  [ "$(pc --variable=libdir)" -ef "$stage/lib" ] || die "the .pc file's libdir is not the tarball's lib/"
  zig_cc=(zig cc -target "$arch-linux-gnu.$GLIBC" -std=c99 -Wall -Wextra -Werror -pedantic -O2)
  # shellcheck disable=SC2046
  "${zig_cc[@]}" $(pc --cflags) examples/c/job_secrets.c -o "$work/job_secrets_static_$arch" \
    "$stage/lib/libvdk_secrets.a" $(pc --static --libs-only-l | sed 's/-lvdk_secrets//')
  # shellcheck disable=SC2046
  "${zig_cc[@]}" $(pc --cflags) examples/c/job_secrets.c -o "$work/job_secrets_$arch" $(pc --libs)
  readelf -d "$work/job_secrets_$arch" | grep -q "Shared library: \[$soname\]" ||
    die "the C example linked against the shared library does not need $soname"
  for file in "$work/job_secrets_static_$arch" "$work/job_secrets_$arch"; do
    check_machine "$file" "$arch"
    check_glibc "$file"
  done

  mkdir -p "$out/c"
  tar_flags=(--sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch")
  tar "${tar_flags[@]}" -C "$work" -cf - "$name" | gzip -n > "$out/c/$name.tar.gz"

  # What the Go module and the jar need of this architecture.
  case $arch in x86_64) goarch=amd64 ;; aarch64) goarch=arm64 ;; esac
  mkdir -p "$work/go-native" "$work/natives/linux-$arch" "$work/jni-debug"
  cp "$stage/lib/libvdk_secrets.a" "$work/go-native/libvdk_secrets_linux_$goarch.a"
  cp "$built/libvdk_secrets_jni.so" "$work/natives/linux-$arch/"
  split_debug "$work/natives/linux-$arch/libvdk_secrets_jni.so" "$work/jni-debug" --strip-unneeded
  mkdir -p "$debug/jni/linux-$arch"
  mv "$work/jni-debug/libvdk_secrets_jni.so.debug" "$debug/jni/linux-$arch/"
  tar "${tar_flags[@]}" -C "$debug" -cf - lib bin jni | gzip -n > "$out/c/$name-debug.tar.gz"
done

step "Go module $go_module@v$version into OUT/goproxy"
module=$work/gomodule
cp -r bindings/go "$module"
# Not for users of the module: the repository's link line, its tests (they need the
# repository's target/) and benchmarks.
rm -rf "$module/bench" "$module/test.sh" "$module/link_workspace.go" "$module"/*_test.go
sed -e "s|@MODULE@|$go_module|" -e "s|@NATIVE_STATIC_LIBS@|$NATIVE_STATIC_LIBS|" \
  packaging/go/link_prebuilt.go > "$module/link_prebuilt.go"
cp packaging/go/unsupported_platform.go "$module/"
mkdir -p "$module/internal/native"
cp packaging/go/native.go include/vdk_secrets.h "$work"/go-native/*.a "$module/internal/native/"
cp LICENSE "$module/"
(cd packaging/gomodzip && GOTOOLCHAIN=local GOFLAGS=-mod=readonly go build -o "$work/gomodzip" .)
"$work/gomodzip" -proxy "$out/goproxy" -version "v$version" -time "$release_time" "$module"

step "Maven artifact io.vdk.secrets:vdk-secrets:$version into OUT/maven"
# Built from a copy, so that bindings/java/target (the developer build) keeps only its own
# platform's library.
java_build=$work/java
mkdir -p "$java_build"
cp -r bindings/java/pom.xml bindings/java/src "$java_build/"
rm -rf "$java_build/src/test"
(cd "$java_build" && mvn -B -q -DskipTests -Dmaven.install.skip=true \
  -Dvdk.natives.dir="$work/natives" \
  -DaltDeploymentRepository="vdk-release::file://$out/maven" deploy)
jar=$out/maven/io/vdk/secrets/vdk-secrets/$version/vdk-secrets-$version.jar
python3 - "$jar" "${ARCHS[@]}" <<'PY' || die "$jar is incomplete"
import sys, zipfile
jar = zipfile.ZipFile(sys.argv[1])
names = set(jar.namelist())
missing = [a for a in sys.argv[2:] if f"native/linux-{a}/libvdk_secrets_jni.so" not in names]
manifest = jar.read("META-INF/MANIFEST.MF").decode()
if missing:
    sys.exit(f"no native library for linux-{', linux-'.join(missing)}")
if "Automatic-Module-Name: io.vdk.secrets" not in manifest.splitlines():
    sys.exit("no Automatic-Module-Name: io.vdk.secrets in the manifest")
PY

(cd "$out" && find c goproxy maven -type f ! -name '*.md5' ! -name '*.sha1' | sort | xargs sha256sum > SHA256SUMS)
step "done: $out"
ls -l "$out/c"
