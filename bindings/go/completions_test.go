package vdksecrets_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	vdk "github.com/vdk-secrets/vdk-secrets/bindings/go"
)

// Asynchronous calls complete through the queue (completions.go) and, when it cannot be set
// up, through the cgo callback. Both deliver every outcome exactly once: concurrent reads and
// writes against the service, memory-backend calls (which complete at once, racing the
// caller's wait) and a cancellation, with every handle released afterwards.
func TestCompletionPaths(t *testing.T) {
	for _, path := range []string{"queue", "callback"} {
		t.Run(path, func(t *testing.T) {
			vdk.SetCallbackCompletionsForTest(path == "callback")
			defer vdk.SetCallbackCompletionsForTest(false)
			queuedBefore, loneBefore := vdk.QueuedCompletionsForTest(), vdk.LoneCompletionsForTest()
			c := newClient(t)
			memory := newJobSecrets(t, uniqueJob("paths"), memoryConfig())
			const goroutines, rounds = 16, 20
			var wg sync.WaitGroup
			for g := 0; g < goroutines; g++ {
				wg.Add(1)
				go func(g int) {
					defer wg.Done()
					job := uniqueJob(fmt.Sprintf("paths-%d", g))
					for i := 0; i < rounds; i++ {
						if err := c.WriteSecrets(ctx, job, team, map[string]any{"i": int64(i)}); err != nil {
							t.Errorf("write: %v", err)
							return
						}
						s, err := c.ReadSecrets(ctx, job, team)
						if n, _ := s.GetInt64("i"); err != nil || n != int64(i) {
							t.Errorf("read %v, %v; want i=%d", s, err, i)
							return
						}
						name := fmt.Sprintf("k%d", g)
						if err := memory.Set(ctx, name, int64(i)); err != nil {
							t.Errorf("memory set: %v", err)
							return
						}
						if v, ok, err := memory.Get(ctx, name); err != nil || !ok || v != int64(i) {
							t.Errorf("memory get = %v, %v, %v", v, ok, err)
							return
						}
					}
				}(g)
			}
			wg.Wait()

			srv := newHangingServer(t)
			hanging, err := vdk.NewClient(hangingConfig(srv))
			if err != nil {
				t.Fatal(err)
			}
			defer hanging.Close()
			callCtx, cancel := context.WithCancel(ctx)
			result := make(chan error, 1)
			go func() { _, err := hanging.ReadSecrets(callCtx, uniqueJob("paths"), team); result <- err }()
			srv.waitRequest(t)
			cancel()
			select {
			case err := <-result:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("cancelled read returned %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("cancelled read still running after 5 s")
			}
			srv.waitClosed(t, 2*time.Second)

			if live := vdk.LiveCallHandlesForTest(); live != 0 {
				t.Errorf("%d call handles live afterwards", live)
			}
			// The binding's completion only signals, so the library runs it on its runtime
			// worker instead of its completion thread (vdk_completion_set_immediate).
			if !vdk.ImmediateCompletionsForTest() {
				t.Error("the binding's completion was not marked immediate")
			}
			// Lone calls (none other in flight, as the cancelled one here) complete through
			// their own eventfd on Linux; all others through the queue.
			queued := vdk.QueuedCompletionsForTest() - queuedBefore
			lone := vdk.LoneCompletionsForTest() - loneBefore
			if want := int64(goroutines*rounds*4 + 1); path == "queue" && queued+lone < want {
				t.Errorf("%d completions came through the queue and %d alone, want at least %d", queued, lone, want)
			} else if path == "queue" && queued == 0 {
				t.Error("no completion came through the queue")
			} else if path == "queue" && runtime.GOOS == "linux" && lone == 0 {
				t.Error("the lone cancelled read did not complete through its eventfd")
			} else if path == "callback" && queued+lone != 0 {
				t.Errorf("%d completions came through the queue and %d alone with the callback forced", queued, lone)
			}
		})
	}
}

// Client calls with a context that can never end take the blocking path alone
// (TestBlockingPath) and the asynchronous one while other Client calls are in flight, where a
// blocking call would hold an OS thread each. Either way they return what was written.
func TestConcurrentBackgroundCallsGoAsynchronous(t *testing.T) {
	c := newClient(t)
	job := uniqueJob("background")
	if err := c.WriteSecrets(context.Background(), job, team, map[string]any{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	before := vdk.AsyncCallsForTest()
	const goroutines, rounds = 16, 25
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				s, err := c.ReadSecrets(context.Background(), job, team)
				if v, _ := s.GetString("k"); err != nil || v != "v" {
					t.Errorf("read %v, %v", s, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	async := vdk.AsyncCallsForTest() - before
	t.Logf("%d of %d concurrent reads took the asynchronous path", async, goroutines*rounds)
	if async == 0 {
		t.Error("no concurrent read took the asynchronous path")
	}
	if live := vdk.LiveCallHandlesForTest(); live != 0 {
		t.Errorf("%d call handles live afterwards", live)
	}
}
