//go:build !linux

package vdksecrets_test

import "os/exec"

// killWithParent: only Linux has Pdeathsig; elsewhere TestMain's stop is the only cleanup.
func killWithParent(*exec.Cmd) {}
