package vdksecrets_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	vdk "github.com/vdk-secrets/vdk-secrets/bindings/go"
)

// vmRSS returns the process's resident set size in KiB, from /proc/self/status.
func vmRSS(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kib
		}
	}
	t.Skip("no VmRSS line")
	return 0
}

func settle() {
	runtime.GC()
	debug.FreeOSMemory()
}

// 100,000 calls (cached Gets of a job secrets handle, half with a context that can never end
// (blocking calls), half with one that can (asynchronous calls); every 1,000 a network read, a
// failing read, a cancelled read, a GetAll and a Set) must not grow the resident set: every
// string, error and call handle is released.
//
// Under the race detector the figures are printed but not checked: its shadow memory and
// vector clocks grow with every goroutine the test binary has run (after the 1,000 goroutines
// of TestManyCancelledCallsLeakNothing, by tens of MiB over this loop, flat without -race).
// test.sh runs this test once more without -race.
func TestMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	cancellable, cancelAll := context.WithCancel(context.Background())
	defer cancelAll()
	never := context.Background()
	c := newClient(t)
	job := uniqueJob("rss")
	if err := c.WriteSecrets(ctx, job, team, map[string]any{"api-key": "sk-abc123", "nested": map[string]any{"n": int64(1) << 60, "l": []any{1.5, "x"}}}); err != nil {
		t.Fatal(err)
	}
	s := newJobSecrets(t, job, controlServiceConfig())
	missing := uniqueJob("fault-status-404")
	slow := uniqueJob("fault-slow-5000")
	iteration := func(i int) {
		getCtx := never
		if i%2 == 1 {
			getCtx = cancellable
		}
		if v, ok, err := s.Get(getCtx, "api-key"); err != nil || !ok || v != "sk-abc123" {
			t.Fatalf("Get = %v, %v, %v", v, ok, err)
		}
		if i%1000 == 0 {
			cancelled, cancel := context.WithTimeout(cancellable, 5*time.Second)
			time.AfterFunc(2*time.Millisecond, cancel)
			if _, err := c.ReadSecrets(cancelled, slow, team); !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled read: %v", err)
			}
			if _, err := c.ReadSecrets(ctx, job, team); err != nil {
				t.Fatal(err)
			}
			if _, err := c.ReadSecrets(ctx, missing, team); !errors.Is(err, vdk.ErrNotFound) {
				t.Fatal(err)
			}
			if _, err := s.GetAll(ctx); err != nil {
				t.Fatal(err)
			}
			if err := s.Set(ctx, "counter", int64(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := 0; i < 20_000; i++ {
		iteration(i)
	}
	settle()
	before := vmRSS(t)
	const calls = 100_000
	for i := 0; i < calls; i++ {
		iteration(i)
	}
	settle()
	after := vmRSS(t)
	growth := after - before
	msg := fmt.Sprintf("RSS over %d calls: before %d KiB, after %d KiB, growth %d KiB", calls, before, after, growth)
	t.Log(msg)
	fmt.Println("vdksecrets memory:", msg)
	if raceDetector {
		t.Log("not checked under the race detector")
		return
	}
	if growth > 20*1024 {
		t.Fatalf("RSS grew by more than 20 MiB: %s", msg)
	}
}
