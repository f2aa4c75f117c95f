package vdksecrets

// The Go functions the library calls back, through the C trampolines in vdkgo.h. A file with
// //export may only declare in its preamble (cgo copies it into two C files), so it includes
// the library's header, which only declares, and not vdkgo.h.

// #include "vdk_secrets.h"
import "C"

import "unsafe"

// vdkgoCallCompleted receives the outcome of an asynchronous call when the completion queue
// (completions.go) is not in use, on the library's completion thread (not a Go thread; cgo
// supports such callbacks). done is a vdkgo_done slot (vdkgo.h), passed as void * since this
// file cannot include vdkgo.h. It only hands the outcome over, never blocks,
// and never panics: the completion must return normally.
//
//export vdkgoCallCompleted
func vdkgoCallCompleted(done unsafe.Pointer) {
	completeSlot(done)
}

// vdkgoLogRecord receives one log record, on any thread. The strings are borrowed for this
// call only.
//
//export vdkgoLogRecord
func vdkgoLogRecord(level C.VdkLogLevel, target, message *C.char) {
	logRecord(uint32(level), target, message)
}
