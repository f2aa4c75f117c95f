//go:build unix

package vdksecrets

import (
	"os"
	"syscall"
	"unsafe"
)

// newWakePipe makes the completion queue's pipe: the read end as a File the netpoller waits
// on (a non-blocking descriptor makes os.NewFile pollable), the write end non-blocking for the
// library's completion thread, both closed on exec.
func newWakePipe() (wake *os.File, writeFD int, ok bool) {
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		return nil, 0, false
	}
	for _, fd := range fds {
		syscall.CloseOnExec(fd)
		if err := syscall.SetNonblock(fd, true); err != nil {
			syscall.Close(fds[0])
			syscall.Close(fds[1])
			return nil, 0, false
		}
	}
	return os.NewFile(uintptr(fds[0]), "vdk-secrets completions"), fds[1], true
}

func closeFD(fd int) { syscall.Close(fd) }

// readWakeups returns a function that parks the goroutine in the netpoller until the pipe has
// bytes, then reads them, discarding them. The read itself is a raw system call (it never
// blocks: the wait is the netpoller's), so the runtime does not account it as a system call
// that might block, which wakes the scheduler's monitor thread whenever the process was idle.
func readWakeups(wake *os.File) func() error {
	buf := make([]byte, 64)
	rc, err := wake.SyscallConn()
	if err != nil {
		return func() error { _, err := wake.Read(buf); return err }
	}
	read := func(fd uintptr) bool {
		_, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
		return errno != syscall.EAGAIN
	}
	return func() error { return rc.Read(read) }
}
