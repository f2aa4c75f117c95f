// Package native holds the prebuilt vdk-secrets static libraries (linux/amd64, linux/arm64,
// glibc 2.17 or newer) and their C header, which the binding's cgo directives link. It has no
// Go API; it exists as a package so that `go mod vendor` keeps this folder.
package native
