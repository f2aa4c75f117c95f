package vdksecrets

// #include "vdkgo.h"
import "C"

import (
	"syscall"
)

// loneNotifier is an eventfd through which the completion of a lone call (lone.go) wakes its
// caller, who waits on it in C.
type loneNotifier struct{ fd int }

// Notifiers are reused: a lone call is one at a time, so one or two exist in practice.
var loneNotifiers = freeList[*loneNotifier]{max: 4}

// getLoneNotifier returns a notifier whose counter is zero, or nil when none can be made.
func getLoneNotifier() *loneNotifier {
	if n, kept := loneNotifiers.take(); kept {
		return n
	}
	// Blocking: the caller's read waits for the completion's write.
	fd, _, errno := syscall.RawSyscall(syscall.SYS_EVENTFD2, 0, syscall.O_CLOEXEC, 0)
	if errno != 0 {
		return nil
	}
	return &loneNotifier{fd: int(fd)}
}

// wait blocks the calling thread until the completion has written, and reads (resets) the
// counter.
func (n *loneNotifier) wait() error {
	if C.vdkgo_wait_eventfd(C.int(n.fd)) != 0 {
		return syscall.EBADF
	}
	return nil
}

// putLoneNotifier keeps n for reuse; its counter must be zero again (its one write read).
func putLoneNotifier(n *loneNotifier) {
	if !loneNotifiers.keep(n) {
		syscall.Close(n.fd)
	}
}

// notifyValue is what the completion's slot holds to write to n (vdkgo.h: fd + 1).
func (n *loneNotifier) notifyValue() int { return n.fd + 1 }
