package vdksecrets_test

import (
	"os/exec"
	"syscall"
)

// killWithParent has the kernel kill the service when the thread that started it exits.
func killWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
