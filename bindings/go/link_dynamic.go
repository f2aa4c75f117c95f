//go:build vdk_dynamic

package vdksecrets

// -tags vdk_dynamic links the shared library of an installed copy of the C library, found
// through pkg-config (set PKG_CONFIG_PATH to PREFIX/lib/pkgconfig for a prefix of your own),
// instead of the static library. At run time the dynamic loader must find
// libvdk_secrets.so.0.1 (a system prefix, LD_LIBRARY_PATH, or an rpath).

/*
#cgo pkg-config: vdk_secrets
*/
import "C"
