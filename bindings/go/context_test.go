package vdksecrets_test

import (
	"context"
	"errors"
	"testing"
	"time"

	vdk "github.com/vdk-secrets/vdk-secrets/bindings/go"
)

// noRetryClient fails at the first failed request, so a fault-flaky-1 job tells whether a
// request reached the service before.
func noRetryClient(t *testing.T) *vdk.Client {
	cfg := testConfig()
	cfg.TotalRetries = -1
	c, err := vdk.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestContextAlreadyCancelledIsRefusedWithoutACall(t *testing.T) {
	c := noRetryClient(t)
	job := uniqueJob("fault-flaky-1-503")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()

	_, err := c.ReadSecrets(cancelled, job, team)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadSecrets with a cancelled context: %v, want context.Canceled", err)
	}
	var e *vdk.Error
	if errors.As(err, &e) {
		t.Fatalf("a refused call returned a library error: %v", err)
	}
	if err := c.WriteSecrets(cancelled, job, team, map[string]any{"a": 1}); !errors.Is(err, context.Canceled) {
		t.Fatalf("WriteSecrets with a cancelled context: %v", err)
	}

	// Had either call reached the service, the job's one failure would be used up.
	_, err = c.ReadSecrets(ctx, job, team)
	checkError(t, "first request of fault-flaky-1-503", err, vdk.StatusServiceError, 503)

	// The job layer refuses the same way.
	s := newJobSecrets(t, uniqueJob("ctx"), memoryConfig())
	checks := map[string]error{
		"Get":     func() error { _, _, err := s.Get(cancelled, "a"); return err }(),
		"GetAll":  func() error { _, err := s.GetAll(cancelled); return err }(),
		"Set":     s.Set(cancelled, "a", 1),
		"SetAll":  s.SetAll(cancelled, map[string]any{"a": 1}),
		"Delete":  s.Delete(cancelled, "a"),
		"Refresh": s.Refresh(cancelled),
	}
	for name, err := range checks {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v", name, err)
		}
	}
	if all, err := s.GetAll(ctx); err != nil || all.Len() != 0 {
		t.Errorf("a refused Set wrote: %v, %v", all, err)
	}
}

func TestContextExpiredDeadlineIsRefused(t *testing.T) {
	c := noRetryClient(t)
	job := uniqueJob("fault-flaky-1-503")
	expired, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	_, err := c.ReadSecrets(expired, job, team)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ReadSecrets with an expired deadline: %v", err)
	}
	_, err = c.ReadSecrets(ctx, job, team)
	checkError(t, "first request of fault-flaky-1-503", err, vdk.StatusServiceError, 503)
}

func TestContextDeadlineReachesTheLibrary(t *testing.T) {
	c := newClient(t) // configured deadline: 30 s
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.ReadSecrets(short, uniqueJob("fault-slow-5000"), team)
	elapsed := time.Since(start)
	checkError(t, "deadline against fault-slow-5000", err, vdk.StatusNetwork, 0)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the error does not match context.DeadlineExceeded: %v", err)
	}
	if elapsed < 150*time.Millisecond || elapsed > 2*time.Second {
		t.Errorf("the call took %v with a 200 ms deadline", elapsed)
	}
	t.Logf("200 ms deadline against a 5 s answer: returned after %v: %v", elapsed.Round(time.Millisecond), err)

	// The job layer too.
	s := newJobSecrets(t, uniqueJob("fault-slow-5000"), controlServiceConfig())
	short2, cancel2 := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel2()
	start = time.Now()
	_, _, err = s.Get(short2, "x")
	checkError(t, "job layer deadline", err, vdk.StatusNetwork, 0)
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Get took %v with a 100 ms deadline", elapsed)
	}

	// A generous deadline does not cut a slow but successful call.
	long, cancel3 := context.WithTimeout(ctx, 10*time.Second)
	defer cancel3()
	if _, err := c.ReadSecrets(long, uniqueJob("fault-slow-300"), team); err != nil {
		t.Errorf("fault-slow-300 with a 10 s deadline: %v", err)
	}
}

func TestContextNil(t *testing.T) {
	c := newClient(t)
	_, err := c.ReadSecrets(nilContext(), "job", team)
	checkError(t, "nil context", err, vdk.StatusInvalidArgument, 0)
}

func nilContext() context.Context { return nil }
