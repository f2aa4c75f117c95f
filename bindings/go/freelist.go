package vdksecrets

import "sync"

// freeList keeps up to max released objects for reuse (call slots in C memory, eventfds), so
// a call in the common case allocates nothing. Objects beyond max are the caller's to release.
type freeList[T any] struct {
	mu   sync.Mutex
	free []T
	max  int
}

// take returns a kept object, if there is one.
func (l *freeList[T]) take() (x T, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.free); n > 0 {
		x, ok = l.free[n-1], true
		var zero T
		l.free[n-1] = zero
		l.free = l.free[:n-1]
	}
	return x, ok
}

// keep keeps x for reuse, or says (false) that the list is full and x must be released.
func (l *freeList[T]) keep(x T) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.free) >= l.max {
		return false
	}
	l.free = append(l.free, x)
	return true
}
