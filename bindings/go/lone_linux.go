package vdksecrets

import (
	"os"
	"syscall"
)

// loneNotifier is an eventfd through which the completion of a lone call (lone.go) wakes its
// caller, who waits on it through the netpoller.
type loneNotifier struct {
	file *os.File
	fd   int
	// wait parks the goroutine in the netpoller until the completion has written, and reads
	// (resets) the counter.
	wait func() error
}

// Notifiers are reused: a lone call is one at a time, so one or two exist in practice.
var loneNotifiers = freeList[*loneNotifier]{max: 4}

// getLoneNotifier returns a notifier whose counter is zero, or nil when none can be made.
func getLoneNotifier() *loneNotifier {
	if n, kept := loneNotifiers.take(); kept {
		return n
	}
	fd, _, errno := syscall.RawSyscall(syscall.SYS_EVENTFD2, 0, syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if errno != 0 {
		return nil
	}
	// Non-blocking, so os.NewFile registers it with the netpoller.
	f := os.NewFile(fd, "vdk-secrets lone completion")
	wait, err := pollingReader(f, make([]byte, 8))
	if err != nil {
		f.Close()
		return nil
	}
	return &loneNotifier{file: f, fd: int(fd), wait: wait}
}

// putLoneNotifier keeps n for reuse; its counter must be zero again (its one write read).
func putLoneNotifier(n *loneNotifier) {
	if !loneNotifiers.keep(n) {
		n.file.Close()
	}
}

// notifyValue is what the completion's slot holds to write to n (vdkgo.h: fd + 1).
func (n *loneNotifier) notifyValue() int { return n.fd + 1 }
