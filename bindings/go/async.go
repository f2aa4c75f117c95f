package vdksecrets

// #include "vdkgo.h"
import "C"

import (
	"context"
	"errors"
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// A call whose context can end goes through the library's asynchronous ABI, so that the
// context's end stops it:
//
//  1. the calling goroutine starts the call with a completion (vdkgo_completed in vdkgo.h)
//     whose user_data is a slot in C memory holding a cgo.Handle of a waiter, a channel with
//     room for one outcome (completions.go: the slot comes back to Go through a queue);
//  2. it waits on that channel and on ctx.Done();
//  3. when the context ends first it cancels the call (vdk_call_cancel) and still waits for
//     the completion, which then reports VDK_STATUS_CANCELLED. So every started call is
//     waited for: its result or error is always released, its handle always deleted, and no
//     goroutine is left behind (the calling goroutine is the only one involved).
//
// Whoever takes the slot back (the queue's goroutine, or the completion itself when the queue
// is not in use) deletes the handle and sends the outcome, which never blocks (the channel
// has room and is drained before reuse).

// outcome is what a completion hands over: the status and the result, in C memory owned by
// the receiver (json with its length, or the error).
type outcome struct {
	status C.VdkStatus
	json   *C.char
	len    C.size_t
	err    *C.VdkError
}

func (o outcome) result() C.vdkgo_result {
	return C.vdkgo_result{json: o.json, len: o.len, error: o.err}
}

// waiter receives the outcome of one started call. Waiters are reused: once its outcome has
// been received nothing can send on it again (one completion per started call).
type waiter struct{ done chan outcome }

var waiters = sync.Pool{New: func() any { return &waiter{done: make(chan outcome, 1)} }}

// liveHandles counts the cgo.Handles of calls whose completion has not run yet (or that
// failed to start and are being released). Tests check that it returns to zero.
var liveHandles atomic.Int64

// asyncCallsStarted counts the asynchronous calls tried (through the queue or alone); tests
// check with it which path calls took.
var asyncCallsStarted atomic.Int64

func newCallHandle(w *waiter) cgo.Handle {
	liveHandles.Add(1)
	return cgo.NewHandle(w)
}

func deleteCallHandle(h cgo.Handle) {
	h.Delete()
	liveHandles.Add(-1)
}

// networkCallsInFlight counts the Client calls in flight, on either path.
var networkCallsInFlight atomic.Int64

// completeCall is the Go side of the completion: runs once per started call.
func completeCall(h cgo.Handle, o outcome) {
	w := h.Value().(*waiter)
	deleteCallHandle(h)
	w.done <- o
}

// blockFunc makes one blocking call (vdkgo.h's vdkgo_* helpers without _async).
type blockFunc func(r *C.vdkgo_result) C.VdkStatus

// startFunc starts one asynchronous call whose completion reports through the given
// vdkgo_done slot (vdkgo.h's vdkgo_*_async helpers).
type startFunc func(done C.uintptr_t, call **C.VdkCall, cerr **C.VdkError) C.VdkStatus

// deadlineGrace is how long a call whose context passed its deadline is left to end by the
// library's own timeout (the same deadline, handed over as timeout_ms) before it is
// cancelled. Both clocks run out at about the same instant; letting the library's win keeps
// a deadline a StatusNetwork timeout with the library's own texts, as for blocking calls.
const deadlineGrace = 100 * time.Millisecond

// callLibrary makes one call on the object of obj (acquired by the caller, released here as
// soon as the call has started: a started asynchronous call holds its own reference) and
// returns its outcome. timeout is the call's timeout_ms.
//
// A context that can end gets the asynchronous call, which the context's end cancels. A
// context that can never end (Done returns nil: context.Background, WithoutCancel) has
// nothing to cancel, and gets:
//
//   - for a job-layer call (network false: usually served from the cache), the blocking call,
//     far cheaper than a round trip through the completion thread;
//   - for a Client call (network true: always a request), the blocking call when it is the
//     only such call in flight, and the asynchronous call when others are. A blocking call
//     holds an OS thread inside C for the whole request, and with many in flight Go's
//     scheduler spends more on taking processors from those threads and giving them back
//     than the request costs (measured in bench/vs_nethttp.sh); an asynchronous call parks
//     the goroutine instead. Alone, the blocking call is quicker: one thread hop fewer.
//
// Before a blocking call the goroutine lets the scheduler run now and then (rescheduleIfDue,
// reschedule.go), without which Go's monitor thread takes the processor away from most
// calls of a goroutine that makes them back to back.
//
// On a status other than VDK_STATUS_OK the error in the result is set (or NULL) and must be
// released with takeError; on VDK_STATUS_OK the result's json, if any, must be released with
// freeResult.
func callLibrary(ctx context.Context, obj *handle, timeout C.uint32_t, network bool, block blockFunc, start startFunc) (C.VdkStatus, C.vdkgo_result) {
	var r C.vdkgo_result
	done := ctx.Done()
	blocking := done == nil
	if network {
		others := networkCallsInFlight.Add(1) - 1
		defer networkCallsInFlight.Add(-1)
		blocking = blocking && others == 0
	}
	if blocking {
		rescheduleIfDue()
		status := block(&r)
		obj.release()
		return status, r
	}
	asyncCallsStarted.Add(1)
	lone := asyncCallsInFlight.Add(1) == 1
	defer asyncCallsInFlight.Add(-1)
	if lone && !callbackForTest.Load() {
		if n := getLoneNotifier(); n != nil {
			return callAlone(ctx, obj, timeout, start, n)
		}
	}
	w := waiters.Get().(*waiter)
	h := newCallHandle(w)
	slot := newSlot(h)
	var call *C.VdkCall
	status := start(C.uintptr_t(uintptr(unsafe.Pointer(slot))), callHandleFor(done, &call), &r.error)
	obj.release()
	if status != C.VDK_STATUS_OK {
		// Nothing started: the completion never runs.
		freeSlot(slot)
		deleteCallHandle(h)
		waiters.Put(w)
		return status, r
	}
	var o outcome
	select {
	case o = <-w.done:
	case <-done:
		o = cancelAndWait(ctx, call, w, timeout)
	}
	freeCall(call)
	waiters.Put(w)
	return o.status, o.result()
}

// callHandleFor returns where a call started for a context with the given Done channel
// receives its handle: nowhere (NULL) when the context can never end, since nothing will
// cancel the call, which saves freeing the handle (a cgo call) afterwards.
func callHandleFor(done <-chan struct{}, call **C.VdkCall) **C.VdkCall {
	if done == nil {
		return nil
	}
	return call
}

func freeCall(call *C.VdkCall) {
	if call != nil {
		C.vdk_call_free(call)
	}
}

// cancelAndWait ends a call whose context is done and returns its outcome: CANCELLED, or
// whatever it reported if it finished first.
func cancelAndWait(ctx context.Context, call *C.VdkCall, w *waiter, timeout C.uint32_t) outcome {
	if timeout != 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		grace := time.NewTimer(deadlineGrace)
		select {
		case o := <-w.done:
			grace.Stop()
			return o
		case <-grace.C:
		}
	}
	C.vdk_call_cancel(call)
	return <-w.done
}
