package vdksecrets_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	vdk "github.com/vdk-secrets/vdk-secrets/bindings/go"
)

func TestClientClose(t *testing.T) {
	c, err := vdk.NewClient(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	job := uniqueJob("close")
	if err := c.WriteSecrets(ctx, job, team, map[string]any{"a": "b"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err = c.ReadSecrets(ctx, job, team)
	if !errors.Is(err, vdk.ErrClosed) || !errors.Is(err, vdk.ErrInvalidArgument) {
		t.Fatalf("ReadSecrets after Close: %v, want ErrClosed", err)
	}
	asError(t, err)
	if _, err := c.ReadSecretsJSON(ctx, job, team); !errors.Is(err, vdk.ErrClosed) {
		t.Fatalf("ReadSecretsJSON after Close: %v", err)
	}
	if err := c.WriteSecrets(ctx, job, team, map[string]any{}); !errors.Is(err, vdk.ErrClosed) {
		t.Fatalf("WriteSecrets after Close: %v", err)
	}

	// A nil *Client is a closed one, not a crash.
	var nilClient *vdk.Client
	if _, err := nilClient.ReadSecrets(ctx, job, team); !errors.Is(err, vdk.ErrClosed) {
		t.Fatalf("nil client: %v", err)
	}
	if err := nilClient.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestJobSecretsClose(t *testing.T) {
	s, err := vdk.NewJobSecrets(uniqueJob("close"), team, memoryConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "a", 1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close()
	checks := map[string]error{
		"Get":     func() error { _, _, err := s.Get(ctx, "a"); return err }(),
		"GetAll":  func() error { _, err := s.GetAll(ctx); return err }(),
		"Set":     s.Set(ctx, "a", 1),
		"SetAll":  s.SetAll(ctx, map[string]any{"a": 1}),
		"Delete":  s.Delete(ctx, "a"),
		"Refresh": s.Refresh(ctx),
	}
	for name, err := range checks {
		if !errors.Is(err, vdk.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	if s.Backend() != "memory" {
		t.Errorf("Backend() after Close = %q", s.Backend())
	}
}

// Close while calls are in flight: the calls finish normally, the library object is freed
// after the last of them, and later calls fail with ErrClosed.
func TestCloseDuringCalls(t *testing.T) {
	c, err := vdk.NewClient(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.ReadSecrets(ctx, uniqueJob("fault-slow-400"), team)
			errs <- err
		}()
	}
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	c.Close()
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("Close waited %v for calls in flight", d)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		// A goroutine that started after Close gets ErrClosed; the others complete.
		if err != nil && !errors.Is(err, vdk.ErrClosed) {
			t.Errorf("a call in flight during Close failed: %v", err)
		}
	}
	if _, err := c.ReadSecrets(ctx, "job", team); !errors.Is(err, vdk.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}

	// The same for the job layer, with many goroutines racing Close.
	s, err := vdk.NewJobSecrets(uniqueJob("closerace"), team, memoryConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	var wg2 sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			for j := 0; j < 200; j++ {
				v, ok, err := s.Get(ctx, "k")
				if err != nil {
					if !errors.Is(err, vdk.ErrClosed) {
						t.Errorf("Get racing Close: %v", err)
					}
					return
				}
				if !ok || v != "v" {
					t.Errorf("Get racing Close = %v, %v", v, ok)
					return
				}
			}
		}()
	}
	time.Sleep(time.Millisecond)
	s.Close()
	wg2.Wait()
}
