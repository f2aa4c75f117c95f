package vdksecrets

// The Go functions the library calls back, through the C trampolines in vdkgo.h. A file with
// //export may only declare in its preamble (cgo copies it into two C files), so it includes
// the library's header, which only declares, and not vdkgo.h.

// #include "vdk_secrets.h"
import "C"

// vdkgoCallCompleted receives the outcome of an asynchronous call, on the library's
// completion thread (not a Go thread; cgo supports such callbacks). It only hands the outcome
// over, never blocks, and never panics: the completion must return normally.
//
//export vdkgoCallCompleted
func vdkgoCallCompleted(waiter C.uintptr_t, _ *C.VdkCall, status C.VdkStatus, json *C.char, length C.size_t, cerr *C.VdkError) {
	completeCall(uintptr(waiter), outcome{status: status, json: json, len: length, err: cerr})
}

// vdkgoLogRecord receives one log record, on any thread. The strings are borrowed for this
// call only.
//
//export vdkgoLogRecord
func vdkgoLogRecord(level C.VdkLogLevel, target, message *C.char) {
	logRecord(uint32(level), target, message)
}
