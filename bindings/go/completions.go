package vdksecrets

/*
#include "vdkgo.h"

static void vdkgo_store(vdkgo_done *d, VdkStatus status, char *json, VdkError *error) {
	d->status = status;
	d->json = json;
	d->len = json != NULL ? strlen(json) : 0;
	d->error = error;
}

// The completion of every asynchronous call the binding starts (see vdkgo.h): stores the
// outcome in the slot and signals its waiter. Marked immediate, so it must never wait: it
// makes one non-blocking write at most.
void vdkgo_completed(void *user_data, VdkCall *call, VdkStatus status, char *json, VdkError *error) {
	(void)call;
	vdkgo_done *d = (vdkgo_done *)user_data;
	vdkgo_store(d, status, json, error);
	int notify = d->notify;
	if (notify != 0) {
		// A lone call: its caller waits on this eventfd itself. From here on the slot is the
		// caller's: it is not touched again.
		uint64_t one = 1;
		ssize_t written = write(notify - 1, &one, sizeof one);
		(void)written;
		return;
	}
	vdkgo_queue *q = d->queue;
	void *head = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
	do {
		d->next = (vdkgo_done *)head;
	} while (!__atomic_compare_exchange_n(&q->head, &head, (void *)d, 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	if (head == NULL) {
		// The list was empty, so the Go side may be asleep: wake it. A full pipe (EAGAIN)
		// already holds a wake-up; nothing else can fail on a valid pipe.
		char wake = 1;
		ssize_t written = write(q->wake_fd, &wake, 1);
		(void)written;
	}
}

// For slots with neither queue nor notifier: hands the slot to Go through a cgo callback.
void vdkgo_completed_in_go(void *user_data, VdkCall *call, VdkStatus status, char *json, VdkError *error) {
	(void)call;
	vdkgo_done *d = (vdkgo_done *)user_data;
	vdkgo_store(d, status, json, error);
	vdkgoCallCompleted((void *)d);
}
*/
import "C"

import (
	"os"
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// How the outcome of an asynchronous call gets back to Go (the C half is vdkgo_completed
// above). Each started call carries a vdkgo_done slot in C memory; its completion (run by the
// library's runtime worker that finished the call, or by its completion thread for a cancelled
// call) fills it and pushes it on a lock-free list, writing one byte to a pipe when the list
// was empty. One goroutine, the drainer, reads the pipe through the netpoller (so it holds no
// thread while it waits), takes the whole list with one atomic swap and wakes each caller,
// from Go, on a P it already runs on: the woken caller usually runs next on the same thread.
//
// Before, the completion thread called into Go (a cgo callback) for every call. That needs one
// of Go's processors (GOMAXPROCS of them) before any Go code runs, and the caller it woke
// waited on the P the callback gave back, until the scheduler's monitor took it (tens of
// microseconds, more under load). That remains the fallback when the pipe cannot be made.

var completions struct {
	once  sync.Once
	queue *C.vdkgo_queue // nil: no queue, slots complete through vdkgoCallCompleted
}

// completionQueue returns the queue, set up (with its drainer) on first use; nil when the
// pipe could not be made.
func completionQueue() *C.vdkgo_queue {
	completions.once.Do(func() {
		immediateCompletions = C.vdkgo_mark_immediate() == C.VDK_STATUS_OK
		wake, writeFD, ok := newWakePipe()
		if !ok {
			return
		}
		q := (*C.vdkgo_queue)(C.calloc(1, C.sizeof_vdkgo_queue))
		if q == nil {
			wake.Close()
			closeFD(writeFD)
			return
		}
		q.wake_fd = C.int(writeFD)
		completions.queue = q
		go drainCompletions(q, wake)
	})
	return completions.queue
}

// immediateCompletions says whether vdkgo_completed runs on the library's runtime worker (it
// was marked immediate), for tests.
var immediateCompletions bool

// queuedCompletions counts the completions that came through the queue, for tests.
var queuedCompletions atomic.Int64

// callbackForTest makes the calls started while it is set complete through the cgo callback,
// the fallback, so that tests run it too.
var callbackForTest atomic.Bool

// drainCompletions runs for the life of the process.
func drainCompletions(q *C.vdkgo_queue, wake *os.File) {
	head := (*unsafe.Pointer)(unsafe.Pointer(&q.head))
	read := readWakeups(wake)
	for {
		// Each byte is one wake-up: the list went from empty to not empty. Reading before the
		// swap loses none: a slot pushed after the swap finds the list empty and writes again.
		if err := read(); err != nil {
			// A pipe nobody else holds does not fail; if it ever did, a pause beats spinning
			// (the list is still drained, every millisecond).
			time.Sleep(time.Millisecond)
		}
		for d := (*C.vdkgo_done)(atomic.SwapPointer(head, nil)); d != nil; {
			next := d.next
			queuedCompletions.Add(1)
			completeSlot(unsafe.Pointer(d))
			d = next
		}
	}
}

// completeSlot hands a filled slot's outcome to its waiter and recycles the slot.
func completeSlot(p unsafe.Pointer) {
	d := (*C.vdkgo_done)(p)
	h := cgo.Handle(d.waiter)
	o := outcome{status: d.status, json: d.json, len: d.len, err: d.error}
	freeSlot(d)
	completeCall(h, o)
}

// Slots are kept for reuse, so a call allocates no C memory in the common case.
var slots = freeList[*C.vdkgo_done]{max: 4096}

// newSlot returns a zeroed slot for one call whose waiter has handle h.
func newSlot(h cgo.Handle) *C.vdkgo_done {
	q := completionQueue()
	if callbackForTest.Load() {
		q = nil
	}
	d, kept := slots.take()
	if !kept {
		d = (*C.vdkgo_done)(C.calloc(1, C.sizeof_vdkgo_done))
		if d == nil {
			panic("vdksecrets: out of C memory")
		}
	}
	*d = C.vdkgo_done{queue: q, waiter: C.uintptr_t(h)}
	return d
}

func freeSlot(d *C.vdkgo_done) {
	*d = C.vdkgo_done{}
	if !slots.keep(d) {
		C.free(unsafe.Pointer(d))
	}
}
