package vdksecrets

import (
	"runtime"
	"sync/atomic"
	"time"
)

// A goroutine that makes blocking calls one after the other (the blocking path: a context
// that can never end) spends nearly all its time inside C, and is never rescheduled: it
// leaves each cgo call on the processor (P) it entered with, without passing through the
// scheduler. Go's monitor thread (sysmon, in runtime/proc.go retake) counts a P whose
// goroutine has not been rescheduled for 10 ms as hogging it, and preempts it; a goroutine
// inside a cgo call cannot be preempted, so sysmon takes the P away instead (handoffp, which
// wakes another thread to look for work, which finds none), and the goroutine must find a P
// again when the call returns. Since the goroutine is still not rescheduled by that, the
// condition stays true and sysmon, its idle backoff reset by every such take, does it again
// on every wake-up, every 20 µs or so, for as long as the calls go on: a P taken from most
// calls, three thread wake-ups each. Measured (bench/scaling.sh, 300 B reads, perf uprobes on
// runtime.handoffp): 775 Ps taken over 3,600 calls, 3 with rescheduleIfDue; the binding's
// CPU above the C ABI's read went from 27–40 µs per call to 3–8 µs (interleaved A/Bs).
//
// rescheduleIfDue, before each blocking call, lets the scheduler run (runtime.Gosched) once
// at least rescheduleInterval has passed since the last time it did, so that sysmon sees the
// goroutine rescheduled well within its 10 ms. It is one clock read per call otherwise;
// the Gosched itself, at most 200 per second, costs about 20 µs of CPU each. A host
// program whose goroutines are rescheduled anyway (most of them) gains nothing and loses
// nothing. Nothing process-wide is changed: no GOMAXPROCS, no GODEBUG.

// rescheduleInterval is half the runtime's 10 ms (forcePreemptNS in runtime/proc.go), so
// that calls of up to 5 ms each still let the scheduler run within every 10 ms. Not less: a
// Gosched wakes a second thread to look for work (the runtime's wakep), about 20 µs of CPU
// in all, which at every 2 ms was 2% of the CPU of back-to-back 300-byte reads.
const rescheduleInterval = 5 * time.Millisecond

// rescheduleEpoch makes time.Since read the monotonic clock.
var rescheduleEpoch = time.Now()

// lastReschedule is when a blocking call last let the scheduler run, in nanoseconds since
// rescheduleEpoch. Shared by all goroutines: a blocking Client call is one at a time (with
// others in flight calls go asynchronous, see callLibrary), and goroutines that block in the
// job layer at the same time are rescheduled by one another's Gosched often enough.
var lastReschedule atomic.Int64

// reschedules counts the Gosched calls made, for tests.
var reschedules atomic.Int64

func rescheduleIfDue() {
	now := int64(time.Since(rescheduleEpoch))
	last := lastReschedule.Load()
	if now-last < int64(rescheduleInterval) || !lastReschedule.CompareAndSwap(last, now) {
		return
	}
	reschedules.Add(1)
	runtime.Gosched()
}
