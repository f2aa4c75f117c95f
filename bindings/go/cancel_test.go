package vdksecrets_test

import (
	"context"
	"errors"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	vdk "github.com/vdk-secrets/vdk-secrets/bindings/go"
)

// Cancellation: a cancelled context ends a call in flight at once, with an error matching
// context.Canceled, and the request itself stops: the server sees its connection closed and
// no retry arrives.

// hangingConfig points a client at srv, with retries that would show up quickly.
func hangingConfig(srv *hangingServer) vdk.Config {
	return vdk.Config{
		RestAPIURL:    srv.url,
		TotalRetries:  3,
		BackoffFactor: 20 * time.Millisecond,
		Deadline:      30 * time.Second,
	}
}

// cancellableOps are every call of the package, as functions of a context, against srv.
func cancellableOps(t *testing.T, srv *hangingServer) map[string]func(context.Context) error {
	c, err := vdk.NewClient(hangingConfig(srv))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cfg := hangingConfig(srv)
	cfg.SecretsDefaultType = "control-service"
	// A fresh handle per call, so that every read goes to the server (no cache).
	job := func() *vdk.JobSecrets { return newJobSecrets(t, uniqueJob("cancel"), cfg) }
	return map[string]func(context.Context) error{
		"ReadSecrets": func(ctx context.Context) error { _, err := c.ReadSecrets(ctx, uniqueJob("cancel"), team); return err },
		"ReadSecretsJSON": func(ctx context.Context) error {
			_, err := c.ReadSecretsJSON(ctx, uniqueJob("cancel"), team)
			return err
		},
		"WriteSecrets": func(ctx context.Context) error {
			return c.WriteSecrets(ctx, uniqueJob("cancel"), team, map[string]any{"k": "v"})
		},
		"WriteSecretsJSON": func(ctx context.Context) error {
			return c.WriteSecretsJSON(ctx, uniqueJob("cancel"), team, []byte(`{"k":"v"}`))
		},
		"Get":     func(ctx context.Context) error { _, _, err := job().Get(ctx, "k"); return err },
		"GetAll":  func(ctx context.Context) error { _, err := job().GetAll(ctx); return err },
		"Set":     func(ctx context.Context) error { return job().Set(ctx, "k", "v") },
		"SetAll":  func(ctx context.Context) error { return job().SetAll(ctx, map[string]any{"k": "v"}) },
		"Delete":  func(ctx context.Context) error { return job().Delete(ctx, "k") },
		"Refresh": func(ctx context.Context) error { return job().Refresh(ctx) },
	}
}

type callResult struct {
	err      error
	returned time.Time
}

func TestCancelEndsTheCallAndTheRequest(t *testing.T) {
	srv := newHangingServer(t)
	ops := cancellableOps(t, srv)
	names := make([]string, 0, len(ops))
	for name := range ops {
		names = append(names, name)
	}
	sort.Strings(names)
	var latencies []time.Duration
	for round := 0; round < 3; round++ {
		for _, name := range names {
			op := ops[name]
			callCtx, cancel := context.WithCancel(ctx)
			result := make(chan callResult, 1)
			go func() {
				err := op(callCtx)
				result <- callResult{err, time.Now()}
			}()
			request := srv.waitRequest(t)
			// The call is now waiting for an answer that never comes.
			cancelled := time.Now()
			cancel()
			var r callResult
			select {
			case r = <-result:
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: still running 5 s after cancel", name)
			}
			latency := r.returned.Sub(cancelled)
			latencies = append(latencies, latency)
			if !errors.Is(r.err, context.Canceled) || !errors.Is(r.err, vdk.ErrCancelled) {
				t.Errorf("%s: cancelled call returned %v, want context.Canceled and ErrCancelled", name, r.err)
				continue
			}
			e := asError(t, r.err)
			if e.Status != vdk.StatusCancelled {
				t.Errorf("%s: status %v, want CANCELLED", name, e.Status)
			}
			// The request was out when the call was cancelled: the error names it.
			if len(e.OpID) != 16 || e.Attempts < 1 {
				t.Errorf("%s: cancelled call's op id %q, attempts %d", name, e.OpID, e.Attempts)
			}
			if strings.HasPrefix(request, "PUT") && !strings.Contains(e.Consequences+e.Why, "may or may not") {
				t.Errorf("%s: a cancelled write does not say it may have been applied: %+v", name, e)
			}
			// The request stops: the connection is closed, and no retry follows.
			srv.waitClosed(t, 2*time.Second)
			srv.expectNoRequest(t, 150*time.Millisecond, name+" after cancel")
		}
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	p50, p90, worst := latencies[len(latencies)/2], latencies[len(latencies)*9/10], latencies[len(latencies)-1]
	t.Logf("cancel to return over %d calls: median %v, p90 %v, worst %v", len(latencies), p50, p90, worst)
	// The target is 50 ms; the worst case gets room for a loaded, shared test machine.
	if p90 > 50*time.Millisecond || worst > 500*time.Millisecond {
		t.Errorf("cancellation too slow: median %v, p90 %v, worst %v (want p90 <= 50 ms)", p50, p90, worst)
	}
	if open, _ := srv.counts(); open != 0 {
		t.Errorf("%d connections still open after every call was cancelled", open)
	}
}

// A context cancelled while the call waits for a retry (after a 503) ends it too, and the
// retry is never sent.
func TestCancelDuringRetryWait(t *testing.T) {
	cfg := testConfig()
	cfg.TotalRetries = 5
	cfg.BackoffFactor = 2 * time.Second // the second retry waits about 2 s
	c, err := vdk.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	time.AfterFunc(500*time.Millisecond, cancel)
	start := time.Now()
	_, err = c.ReadSecrets(callCtx, uniqueJob("fault-status-503"), team)
	elapsed := time.Since(start)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, vdk.ErrCancelled) {
		t.Fatalf("cancelled during a retry wait: %v", err)
	}
	if elapsed > 1500*time.Millisecond {
		t.Errorf("the call returned %v after start, cancelled at 500 ms", elapsed)
	}
}

// Deadlines keep their meaning: the library's timeout, StatusNetwork, matching
// context.DeadlineExceeded (not Canceled).
func TestDeadlineIsNotCancellation(t *testing.T) {
	srv := newHangingServer(t)
	c, err := vdk.NewClient(hangingConfig(srv))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	callCtx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.ReadSecrets(callCtx, uniqueJob("deadline"), team)
	elapsed := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		t.Fatalf("deadline: %v, want context.DeadlineExceeded only", err)
	}
	checkError(t, "deadline against a server that never answers", err, vdk.StatusNetwork, 0)
	if elapsed < 250*time.Millisecond || elapsed > 2*time.Second {
		t.Errorf("a 300 ms deadline returned after %v", elapsed)
	}
	srv.waitClosed(t, 2*time.Second)
}

// Many cancelled calls leave nothing behind: every call handle is deleted, the goroutine
// count returns to where it was, every connection is closed, and no request follows.
func TestManyCancelledCallsLeakNothing(t *testing.T) {
	srv := newHangingServer(t)
	cfg := hangingConfig(srv)
	c, err := vdk.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg.SecretsDefaultType = "control-service"
	remote := newJobSecrets(t, uniqueJob("leak"), cfg)
	memory := newJobSecrets(t, uniqueJob("leak"), memoryConfig())
	if err := memory.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	baseline := runtime.NumGoroutine()
	if live := vdk.LiveCallHandlesForTest(); live != 0 {
		t.Fatalf("%d call handles live before the test", live)
	}

	const calls = 1000
	ops := []func(context.Context) error{
		func(ctx context.Context) error { _, err := c.ReadSecrets(ctx, uniqueJob("leak"), team); return err },
		func(ctx context.Context) error {
			return c.WriteSecrets(ctx, uniqueJob("leak"), team, map[string]any{"k": 1})
		},
		// One cache fill that every Get waits for.
		func(ctx context.Context) error { _, _, err := remote.Get(ctx, "k"); return err },
		// Served at once from the memory backend: done long before the cancel.
		func(ctx context.Context) error { _, _, err := memory.Get(ctx, "k"); return err },
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcomes := map[string]int{}
	cancels := make([]context.CancelFunc, calls)
	for i := 0; i < calls; i++ {
		callCtx, cancel := context.WithCancel(ctx)
		cancels[i] = cancel
		op := ops[i%len(ops)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := op(callCtx)
			var key string
			switch {
			case err == nil:
				key = "ok"
			case errors.Is(err, context.Canceled):
				key = "cancelled"
			default:
				key = err.Error()
			}
			mu.Lock()
			outcomes[key]++
			mu.Unlock()
		}()
	}
	// Let the calls get under way (the client's 64 connections fill; the rest wait for one),
	// then cancel them all, half in order and half from other goroutines.
	srv.waitRequest(t)
	time.Sleep(200 * time.Millisecond)
	var cancellers sync.WaitGroup
	for i := 0; i < calls; i += 2 {
		cancels[i]()
		cancellers.Add(1)
		go func(cancel context.CancelFunc) { defer cancellers.Done(); cancel() }(cancels[i+1])
	}
	cancellers.Wait()
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(10 * time.Second):
		t.Fatal("calls still running 10 s after they were all cancelled")
	}
	t.Logf("outcomes of %d calls: %v", calls, outcomes)
	if outcomes["ok"]+outcomes["cancelled"] != calls {
		t.Errorf("unexpected outcomes: %v", outcomes)
	}
	if outcomes["cancelled"] < calls/2 {
		t.Errorf("only %d of %d calls were cancelled: %v", outcomes["cancelled"], calls, outcomes)
	}
	if live := vdk.LiveCallHandlesForTest(); live != 0 {
		t.Errorf("%d call handles still live after every call returned", live)
	}
	// The server's connection goroutines end as the client closes its connections.
	deadline := time.Now().Add(5 * time.Second)
	for {
		open, _ := srv.counts()
		n := runtime.NumGoroutine()
		if open == 0 && n <= baseline {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("5 s after the calls: %d connections open, %d goroutines (baseline %d)", open, n, baseline)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, before := srv.counts()
	time.Sleep(300 * time.Millisecond)
	if _, after := srv.counts(); after != before {
		t.Errorf("%d requests arrived after every call was cancelled", after-before)
	}

	// Cancels racing completions: memory-backend calls (answered within microseconds) whose
	// context is cancelled from another goroutine as they start. Each ends refused (cancelled
	// before it started), cancelled in flight, or done; none hangs or leaks.
	raced := map[string]int{}
	for i := 0; i < calls; i++ {
		callCtx, cancel := context.WithCancel(ctx)
		go cancel()
		var err error
		if i%2 == 0 {
			_, _, err = memory.Get(callCtx, "k")
		} else {
			err = memory.Set(callCtx, "k", i)
		}
		var e *vdk.Error
		switch {
		case err == nil:
			raced["done"]++
		case errors.As(err, &e) && e.Status == vdk.StatusCancelled && errors.Is(err, context.Canceled):
			raced["cancelled in flight"]++
		case !errors.As(err, &e) && errors.Is(err, context.Canceled):
			raced["refused before starting"]++
		default:
			t.Errorf("a call whose cancel raced it: %v", err)
		}
		cancel()
	}
	t.Logf("%d calls racing their cancel: %v", calls, raced)
	if live := vdk.LiveCallHandlesForTest(); live != 0 {
		t.Errorf("%d call handles still live after the racing calls", live)
	}
	// (The cancel goroutines of the last iterations may still be exiting.)
	for start := time.Now(); runtime.NumGoroutine() > baseline; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 2*time.Second {
			t.Errorf("%d goroutines after the racing calls, baseline %d", runtime.NumGoroutine(), baseline)
			break
		}
	}

	// The handles still work.
	if err := memory.Set(ctx, "k", "w"); err != nil {
		t.Errorf("Set after the cancelled calls: %v", err)
	}
}

// Close while calls hang in flight: they keep running (a started call holds the library's
// own reference), and cancelling them afterwards still ends them and their requests.
func TestCloseThenCancelCallsInFlight(t *testing.T) {
	srv := newHangingServer(t)
	c, err := vdk.NewClient(hangingConfig(srv))
	if err != nil {
		t.Fatal(err)
	}
	callCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	const calls = 8
	errs := make(chan error, calls)
	for i := 0; i < calls; i++ {
		go func() { _, err := c.ReadSecrets(callCtx, uniqueJob("close"), team); errs <- err }()
	}
	for i := 0; i < calls; i++ {
		srv.waitRequest(t)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		t.Fatalf("a call in flight ended at Close: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	cancel()
	for i := 0; i < calls; i++ {
		select {
		case err := <-errs:
			if !errors.Is(err, context.Canceled) || !errors.Is(err, vdk.ErrCancelled) {
				t.Errorf("call cancelled after Close: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a call cancelled after Close still runs after 5 s")
		}
		srv.waitClosed(t, 2*time.Second)
	}
	if _, err := c.ReadSecrets(ctx, "job", team); !errors.Is(err, vdk.ErrClosed) {
		t.Errorf("a call after Close: %v", err)
	}
}
