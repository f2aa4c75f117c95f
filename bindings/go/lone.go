package vdksecrets

// #include "vdkgo.h"
import "C"

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// A lone asynchronous call (no other in flight) does not go through the completion queue: its
// slot names an eventfd (lone_linux.go) that the completion writes to, and the calling
// goroutine waits for that write itself, in C (a blocking read inside a cgo call), as a
// blocking call waits. Through the queue, the completion wakes the queue's goroutine, which
// then wakes the caller; waking a goroutine from Go also wakes a second thread to look for work
// (the runtime's wakep), which finds none when one call is in flight. Waiting through the
// netpoller instead sends the thread through the scheduler's search for work before it sleeps
// in epoll. Either costs more than the call's own hops (measured: bench/vs_nethttp.sh,
// 1 goroutine with a cancellable context). With many in flight the queue is cheaper: one write
// wakes the queue's goroutine for a whole batch of completions, and no thread is held per call.
//
// The caller cannot wait on the eventfd and ctx.Done() at once, so the context's end reaches
// the call through context.AfterFunc, which cancels it (after deadlineGrace for a deadline, as
// cancelAndWait does) from another goroutine; the completion then arrives as for any other
// call.

// asyncCallsInFlight counts the asynchronous calls started and not yet returned.
var asyncCallsInFlight atomic.Int64

// loneCompletions counts the completions that came through a lone call's eventfd, for tests.
var loneCompletions atomic.Int64

// loneCanceller cancels a lone call when its context ends, unless the call has finished: the
// call must not be cancelled once the caller may have freed it.
type loneCanceller struct {
	mu       sync.Mutex
	call     *C.VdkCall
	finished bool
	grace    *time.Timer
}

func (c *loneCanceller) cancel() {
	c.mu.Lock()
	if !c.finished {
		C.vdk_call_cancel(c.call)
	}
	c.mu.Unlock()
}

// contextDone runs (once) when the call's context ends.
func (c *loneCanceller) contextDone(ctx context.Context, timeout C.uint32_t) {
	if timeout != 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		c.mu.Lock()
		if !c.finished {
			c.grace = time.AfterFunc(deadlineGrace, c.cancel)
		}
		c.mu.Unlock()
		return
	}
	c.cancel()
}

func (c *loneCanceller) finish() {
	c.mu.Lock()
	c.finished = true
	if c.grace != nil {
		c.grace.Stop()
	}
	c.mu.Unlock()
}

// callAlone is callLibrary's asynchronous call for a lone call, waiting on n (given back).
func callAlone(ctx context.Context, obj *handle, timeout C.uint32_t, start startFunc, n *loneNotifier) (C.VdkStatus, C.vdkgo_result) {
	var r C.vdkgo_result
	slot := newSlot(0)
	slot.queue = nil
	slot.notify = C.int(n.notifyValue())
	var call *C.VdkCall
	status := start(C.uintptr_t(uintptr(unsafe.Pointer(slot))), callHandleFor(ctx.Done(), &call), &r.error)
	obj.release()
	if status != C.VDK_STATUS_OK {
		// Nothing started: the completion never runs, nothing was written to n.
		freeSlot(slot)
		putLoneNotifier(n)
		return status, r
	}
	canceller := &loneCanceller{call: call}
	var stop func() bool
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, func() { canceller.contextDone(ctx, timeout) })
	}
	// Like a blocking call, the wait holds this thread in C: let the scheduler run first if it
	// has not for a while (reschedule.go).
	rescheduleIfDue()
	for n.wait() != nil {
		// Only a closed descriptor fails, and n is never closed while in use; should it ever
		// fail, the completion's write is still to come or already there: poll.
		time.Sleep(time.Millisecond)
	}
	canceller.finish()
	if stop != nil {
		stop()
	}
	loneCompletions.Add(1)
	o := outcome{status: slot.status, json: slot.json, len: slot.len, err: slot.error}
	freeSlot(slot)
	putLoneNotifier(n)
	freeCall(call)
	return o.status, o.result()
}
