//go:build !vdk_dynamic

package vdksecrets

// The link line of the released module (packaging/release.sh puts this file in place of
// link_workspace.go): the header and the static libraries shipped in internal/native, built
// for glibc 2.17, then the system libraries they need. -tags vdk_dynamic links an installed
// shared library instead (link_dynamic.go).

/*
#cgo CFLAGS: -I${SRCDIR}/internal/native
#cgo linux,amd64 LDFLAGS: ${SRCDIR}/internal/native/libvdk_secrets_linux_amd64.a
#cgo linux,arm64 LDFLAGS: ${SRCDIR}/internal/native/libvdk_secrets_linux_arm64.a
#cgo linux LDFLAGS: @NATIVE_STATIC_LIBS@
*/
import "C"

// `go mod vendor` copies only the folders of packages the build imports; this import keeps
// internal/native, with its libraries and header, in vendor/.
import _ "@MODULE@/internal/native"
