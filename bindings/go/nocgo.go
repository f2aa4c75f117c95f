//go:build !cgo

package vdksecrets

// This package calls the vdk-secrets Rust library through cgo, so it cannot be built with
// cgo disabled. The line below stops the build with an error that names the cause:
//
//	undefined: vdksecrets_needs_cgo__build_with_CGO_ENABLED_1_and_a_C_compiler_see_bindings_go_README
//
// Fix: install a C compiler (gcc or clang) and build with CGO_ENABLED=1 (the default when a
// C compiler is found; cross-compiling turns it off unless CC is set).
var _ = vdksecrets_needs_cgo__build_with_CGO_ENABLED_1_and_a_C_compiler_see_bindings_go_README
