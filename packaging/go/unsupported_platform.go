//go:build cgo && !vdk_dynamic && !(linux && (amd64 || arm64))

package vdksecrets

// The released module carries static libraries for linux/amd64 and linux/arm64 only. Elsewhere
// the build stops here, naming the way out: build the C library for your platform, install it
// where pkg-config finds it, and build with -tags vdk_dynamic.
var _ = vdksecrets_prebuilt_library_is_for_linux_amd64_and_arm64_only__install_the_C_library_and_build_with_tags_vdk_dynamic
