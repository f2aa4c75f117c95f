package vdksecrets

import (
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// loneNotifier is an eventfd through which the completion of a lone call (lone.go) wakes its
// caller, who waits on it through the netpoller.
type loneNotifier struct {
	file *os.File
	conn syscall.RawConn
	fd   int
	buf  [8]byte
	read func(fd uintptr) bool
}

// Notifiers are reused: a lone call is one at a time, so one or two exist in practice.
var loneNotifiers struct {
	sync.Mutex
	free []*loneNotifier
}

const maxFreeLoneNotifiers = 4

// getLoneNotifier returns a notifier whose counter is zero, or nil when none can be made.
func getLoneNotifier() *loneNotifier {
	loneNotifiers.Lock()
	if k := len(loneNotifiers.free); k > 0 {
		n := loneNotifiers.free[k-1]
		loneNotifiers.free = loneNotifiers.free[:k-1]
		loneNotifiers.Unlock()
		return n
	}
	loneNotifiers.Unlock()
	fd, _, errno := syscall.RawSyscall(syscall.SYS_EVENTFD2, 0, syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if errno != 0 {
		return nil
	}
	// Non-blocking, so os.NewFile registers it with the netpoller.
	f := os.NewFile(fd, "vdk-secrets lone completion")
	conn, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil
	}
	n := &loneNotifier{file: f, conn: conn, fd: int(fd)}
	n.read = func(fd uintptr) bool {
		_, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&n.buf[0])), uintptr(len(n.buf)))
		return errno != syscall.EAGAIN
	}
	return n
}

// putLoneNotifier keeps n for reuse; its counter must be zero again (its one write read).
func putLoneNotifier(n *loneNotifier) {
	loneNotifiers.Lock()
	if len(loneNotifiers.free) < maxFreeLoneNotifiers {
		loneNotifiers.free = append(loneNotifiers.free, n)
		n = nil
	}
	loneNotifiers.Unlock()
	if n != nil {
		n.file.Close()
	}
}

// wait parks the goroutine in the netpoller until the completion has written, and reads
// (resets) the counter. The read is a raw system call: the descriptor never blocks.
func (n *loneNotifier) wait() error { return n.conn.Read(n.read) }

// notifyValue is what the completion's slot holds to write to n (vdkgo.h: fd + 1).
func (n *loneNotifier) notifyValue() int { return n.fd + 1 }
