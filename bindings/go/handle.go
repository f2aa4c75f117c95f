package vdksecrets

import (
	"sync/atomic"
	"unsafe"
)

// handle guards one library object (a VdkClient or VdkJobSecrets) with an atomic reference
// count, because the C ABI forbids freeing an object while a call on it is in flight:
//
//   - every call acquires the handle (refused with ErrClosed once closed) and releases it
//     when the C call has returned;
//   - close marks the handle closed and frees the object at once if no call is in flight;
//     otherwise the last call in flight frees it when it returns.
//
// So Close never blocks and never frees under a running call, and exactly one party frees.
// ptr never changes after creation.
type handle struct {
	ptr   unsafe.Pointer
	free  func(unsafe.Pointer)
	state atomic.Uint64 // closedBit | number of calls in flight
	freed atomic.Bool   // belt and braces: the object is freed at most once
}

const closedBit = uint64(1) << 63

func newHandle(ptr unsafe.Pointer, free func(unsafe.Pointer)) *handle {
	return &handle{ptr: ptr, free: free}
}

// acquire returns the object for one call, or false once the handle is closed.
func (h *handle) acquire() (unsafe.Pointer, bool) {
	for {
		s := h.state.Load()
		if s&closedBit != 0 {
			return nil, false
		}
		if h.state.CompareAndSwap(s, s+1) {
			return h.ptr, true
		}
	}
}

// release ends one call; the last call after close frees the object.
func (h *handle) release() {
	if h.state.Add(^uint64(0)) == closedBit {
		h.doFree()
	}
}

// close marks the handle closed (reporting whether this call did so) and frees the object if
// no call is in flight.
func (h *handle) close() bool {
	for {
		s := h.state.Load()
		if s&closedBit != 0 {
			return false
		}
		if h.state.CompareAndSwap(s, s|closedBit) {
			if s == 0 {
				h.doFree()
			}
			return true
		}
	}
}

func (h *handle) doFree() {
	if h.freed.CompareAndSwap(false, true) {
		h.free(h.ptr)
	}
}
