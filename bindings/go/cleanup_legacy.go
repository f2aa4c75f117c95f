//go:build !go1.24

package vdksecrets

import "runtime"

// cleanup is the safety net that frees the library object of a Client or JobSecrets dropped
// without Close. Before Go 1.24 it is a finalizer on the owner.
type cleanup struct{}

// attachCleanup arranges for h to be closed when owner becomes unreachable. The finalizer
// refers only to h: owner holds no reference back to itself, so it can be collected.
func attachCleanup[T any](owner *T, h *handle) cleanup {
	runtime.SetFinalizer(owner, func(*T) { h.close() })
	return cleanup{}
}

// detachCleanup cancels the safety net after an explicit Close.
func detachCleanup[T any](owner *T, _ cleanup) {
	runtime.SetFinalizer(owner, nil)
}
