//go:build go1.24

package vdksecrets

import "runtime"

// cleanup is the safety net that frees the library object of a Client or JobSecrets dropped
// without Close. From Go 1.24 it is a runtime.AddCleanup, which (unlike a finalizer) does not
// resurrect the owner and allows cycles.
type cleanup = runtime.Cleanup

// attachCleanup arranges for h to be closed when owner becomes unreachable. The function
// refers only to h, never to owner, as runtime.AddCleanup requires.
func attachCleanup[T any](owner *T, h *handle) cleanup {
	return runtime.AddCleanup(owner, func(h *handle) { h.close() }, h)
}

// detachCleanup cancels the safety net after an explicit Close.
func detachCleanup[T any](_ *T, c cleanup) {
	c.Stop()
}
