package vdksecrets

// How the library is found and linked is in link_*.go: link_workspace.go in this repository,
// link_dynamic.go with -tags vdk_dynamic; a release swaps in the prebuilt static libraries.

/*
#include "vdkgo.h"
*/
import "C"

import (
	"context"
	"strings"
	"time"
	"unsafe"
)

// Arguments go to C as NUL-terminated copies in Go memory: the cgo pointer rules allow it
// (the memory holds no Go pointers), and the library copies every input during the call and
// keeps no pointer to it. So arguments need no C memory and nothing to C.free (the only C
// memory of the binding is the completion slots of asynchronous calls, completions.go);
// buffers that hold secret values or the API token are wiped after the call. Strings
// the library returns are decoded while still in C memory, then released with
// vdk_string_free (which wipes them); every VdkError is released with vdk_error_free.

// cString copies s with a terminating NUL. A string holding a NUL byte is refused: C would
// see only the part before it.
func cString(what, s string) ([]byte, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, invalidArgument("Invalid "+what, what+" contains a NUL byte, which C strings cannot carry")
	}
	b := make([]byte, len(s)+1)
	copy(b, s)
	return b, nil
}

func cPtr(b []byte) *C.char { return (*C.char)(unsafe.Pointer(&b[0])) }

// encodeJSON encodes v and terminates it with a NUL, for an argument that carries values.
func encodeJSON(what string, v any) ([]byte, error) {
	b, err := appendJSON(make([]byte, 0, 256), v, 0)
	if err != nil {
		wipe(b)
		return nil, invalidArgument("Invalid "+what, err.Error())
	}
	return terminate(b), nil
}

// timeoutFor refuses a context that is already done, and turns its deadline into the
// library's per-call timeout: the remaining time rounded up to a millisecond, at least 1 ms.
// 0 (no deadline) means the configured control_http_deadline_seconds.
func timeoutFor(ctx context.Context, op string) (C.uint32_t, error) {
	if ctx == nil {
		return 0, invalidArgument("Cannot "+op, "the context is nil")
	}
	if err := ctx.Err(); err != nil {
		return 0, contextError(op, err)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		return 0, nil
	}
	remaining := time.Until(deadline)
	if remaining <= 0 {
		return 0, contextError(op, context.DeadlineExceeded)
	}
	return C.uint32_t(timeoutMillis(remaining)), nil
}

// takeError converts and frees the error of a failed call. When the context ended during the
// call, the error also wraps the context's error.
func takeError(ctx context.Context, status C.VdkStatus, cerr *C.VdkError) error {
	e := &Error{Status: Status(status)}
	if cerr != nil {
		var d C.vdkgo_error_details
		C.vdkgo_error_read(cerr, &d)
		e.HTTPStatus = int(d.http_status)
		e.Retryable = bool(d.retryable)
		e.Message = C.GoString(d.message)
		e.What = C.GoString(d.what)
		e.Why = C.GoString(d.why)
		e.Consequences = C.GoString(d.consequences)
		e.Countermeasures = C.GoString(d.countermeasures)
		e.OpID = C.GoString(d.op_id)
		e.Attempts = int(d.attempts)
		C.vdk_error_free(cerr)
	} else {
		e.What = "Call failed"
		e.Why = "the library gave no details"
		e.Message = e.What + ": " + e.Why
	}
	if ctx != nil {
		e.cause = ctx.Err()
		if e.cause == nil {
			// The library's timeout and the context's timer end at the same instant; the
			// context may not have noticed yet.
			if deadline, ok := ctx.Deadline(); ok && !time.Now().Before(deadline) {
				e.cause = context.DeadlineExceeded
			}
		}
	}
	return e
}

// takeJSON returns the C memory of a returned string as a byte slice, valid until
// freeResult.
func takeJSON(r *C.vdkgo_result) []byte {
	if r.json == nil {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(r.json)), int(r.len))
}

// freeResult releases the string a call returned, if any (vdk_string_free wipes it).
func freeResult(r *C.vdkgo_result) {
	if r.json != nil {
		C.vdk_string_free(r.json)
		r.json = nil
	}
}

func malformed(op string) error {
	return &Error{
		Status:          StatusProtocol,
		What:            "Cannot " + op,
		Why:             "the library returned JSON this binding cannot decode",
		Message:         "Cannot " + op + ": the library returned JSON this binding cannot decode",
		Countermeasures: "Report this as a bug of the Go binding.",
	}
}

// Version returns the library's name and version, e.g. "vdk-secrets 0.1.0".
func Version() string {
	return C.GoString(C.vdk_version())
}
