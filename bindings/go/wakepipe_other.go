//go:build !unix

package vdksecrets

import "os"

// Without Unix pipes, asynchronous calls complete through the cgo callback (the fallback).
func newWakePipe() (wake *os.File, writeFD int, ok bool) { return nil, 0, false }

func closeFD(int) {}

func readWakeups(*os.File) func() error { return nil }
