//go:build !vdk_dynamic

package vdksecrets

// The link line in a clone of the repository: the header from include/, the static library
// built by `cargo build --release -p vdk-secrets`, then the system libraries it needs. That -l
// list is the output of
//
//	cargo rustc --release -p vdk-secrets --lib --crate-type staticlib -- --print native-static-libs
//
// on x86_64 Linux with Rust 1.95. packaging/release.sh replaces this file in the released module
// with packaging/go/link_prebuilt.go, which links the libraries shipped inside the module.

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: ${SRCDIR}/../../target/release/libvdk_secrets.a
#cgo linux LDFLAGS: -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
*/
import "C"
