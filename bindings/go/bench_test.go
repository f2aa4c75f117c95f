package vdksecrets_test

import (
	"context"
	"testing"
)

// The benchmarks call with context.Background(), which can never end and so takes the
// blocking calls (the figures in the README are of that path); the *Cancellable variants use
// a context that could be cancelled, which takes the asynchronous path through the library's
// completion thread.
var background = context.Background()

func cancellableContext(b *testing.B) context.Context {
	c, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	return c
}

// BenchmarkReadSecrets: one network read of a small map from the local service.
func BenchmarkReadSecrets(b *testing.B) { benchmarkReadSecrets(b, background) }

// BenchmarkReadSecretsCancellable: the same through the asynchronous path.
func BenchmarkReadSecretsCancellable(b *testing.B) { benchmarkReadSecrets(b, cancellableContext(b)) }

func benchmarkReadSecrets(b *testing.B, ctx context.Context) {
	c := newClient(b)
	job := uniqueJob("bench-read")
	if err := c.WriteSecrets(ctx, job, team, map[string]any{"api-key": "sk-abc123", "n": int64(42), "f": 1.5}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.ReadSecrets(ctx, job, team); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCachedGet: Get of one string secret from a warm cache (memory backend), the call
// bench/cached_get.c times from C: Go -> C -> Rust and back, with the decoding.
func BenchmarkCachedGet(b *testing.B) { benchmarkCachedGet(b, background) }

// BenchmarkCachedGetCancellable: the same through the asynchronous path (start, completion
// thread, callback into Go, wake-up of the waiting goroutine).
func BenchmarkCachedGetCancellable(b *testing.B) { benchmarkCachedGet(b, cancellableContext(b)) }

func benchmarkCachedGet(b *testing.B, ctx context.Context) {
	s := newJobSecrets(b, uniqueJob("bench-get"), memoryConfig())
	if err := s.Set(ctx, "api-key", "sk-abc123"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if v, ok, err := s.Get(ctx, "api-key"); err != nil || !ok || v != "sk-abc123" {
			b.Fatal(v, ok, err)
		}
	}
}

// BenchmarkCachedGetParallel: the same from GOMAXPROCS goroutines sharing the handle.
func BenchmarkCachedGetParallel(b *testing.B) {
	s := newJobSecrets(b, uniqueJob("bench-get-par"), memoryConfig())
	if err := s.Set(background, "api-key", "sk-abc123"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := s.Get(background, "api-key"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkCachedGetAll: GetAll of a ten-secret map from a warm cache (decoding through
// encoding/json).
func BenchmarkCachedGetAll(b *testing.B) {
	s := newJobSecrets(b, uniqueJob("bench-getall"), memoryConfig())
	secrets := map[string]any{}
	for i, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		secrets[k] = map[string]any{"user": "u" + k, "password": "p-" + k, "port": int64(5432 + i)}
	}
	if err := s.SetAll(background, secrets); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.GetAll(background); err != nil {
			b.Fatal(err)
		}
	}
}
