package vdksecrets_test

import (
	"fmt"
	"sync"
	"testing"

	vdk "github.com/vdk-secrets/vdk-secrets/bindings/go"
)

// 32 goroutines share one Client: each writes and reads its own job and reads a shared one.
func TestConcurrentClient(t *testing.T) {
	c := newClient(t)
	shared := uniqueJob("shared")
	sharedSecrets := map[string]any{"shared": "yes", "n": int64(1) << 60}
	if err := c.WriteSecrets(ctx, shared, team, sharedSecrets); err != nil {
		t.Fatal(err)
	}
	const goroutines, rounds = 32, 10
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			job := uniqueJob(fmt.Sprintf("concurrent-%d", g))
			for i := 0; i < rounds; i++ {
				want := map[string]any{"g": int64(g), "i": int64(i), "name": fmt.Sprintf("secret-%d-%d", g, i)}
				if err := c.WriteSecrets(ctx, job, team, want); err != nil {
					t.Errorf("goroutine %d: WriteSecrets: %v", g, err)
					return
				}
				secrets, err := c.ReadSecrets(ctx, job, team)
				got := secrets.Map()
				if err != nil {
					t.Errorf("goroutine %d: ReadSecrets: %v", g, err)
					return
				}
				if got["g"] != want["g"] || got["i"] != want["i"] || got["name"] != want["name"] {
					t.Errorf("goroutine %d round %d: read %v, want %v", g, i, got, want)
					return
				}
				all, err := c.ReadSecrets(ctx, shared, team)
				if s, _ := all.GetString("shared"); err != nil || s != "yes" {
					t.Errorf("goroutine %d: shared job = %v, %v", g, all, err)
					return
				}
				if n, err := all.GetInt64("n"); err != nil || n != int64(1)<<60 {
					t.Errorf("goroutine %d: shared job = %v, %v", g, all, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

// 32 goroutines share one JobSecrets: concurrent Sets of distinct names are serialized by
// the library, so none is lost; Gets run alongside.
func TestConcurrentJobSecrets(t *testing.T) {
	for _, backend := range []struct {
		name string
		cfg  vdk.Config
	}{{"memory", memoryConfig()}, {"control-service", controlServiceConfig()}} {
		t.Run(backend.name, func(t *testing.T) {
			s := newJobSecrets(t, uniqueJob("concurrent-job"), backend.cfg)
			const goroutines, rounds = 32, 4
			var wg sync.WaitGroup
			for g := 0; g < goroutines; g++ {
				wg.Add(1)
				go func(g int) {
					defer wg.Done()
					for i := 0; i < rounds; i++ {
						name := fmt.Sprintf("g%d-i%d", g, i)
						if err := s.Set(ctx, name, int64(g*1000+i)); err != nil {
							t.Errorf("Set(%s): %v", name, err)
							return
						}
						if v, ok, err := s.Get(ctx, name); err != nil || !ok || v != int64(g*1000+i) {
							t.Errorf("Get(%s) = %v, %v, %v", name, v, ok, err)
							return
						}
					}
				}(g)
			}
			wg.Wait()
			if err := s.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			all, err := s.GetAll(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if all.Len() != goroutines*rounds {
				t.Fatalf("%d secrets after %d concurrent Sets", all.Len(), goroutines*rounds)
			}
		})
	}
}
