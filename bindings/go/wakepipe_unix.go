//go:build unix

package vdksecrets

import (
	"os"
	"syscall"
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
