package vdksecrets_test

import (
	"testing"
	"time"

	vdk "github.com/vdk-secrets/vdk-secrets/bindings/go"
)

func TestJobSecretsMemoryBackend(t *testing.T) {
	testJobSecrets(t, "memory", memoryConfig())
}

func TestJobSecretsControlServiceBackend(t *testing.T) {
	testJobSecrets(t, "control-service", controlServiceConfig())
}

func TestJobSecretsDefaultBackend(t *testing.T) {
	cfg := testConfig() // a URL and no secrets_default_type: "default", the Control Service
	s := newJobSecrets(t, uniqueJob("default"), cfg)
	if s.Backend() != "default" {
		t.Fatalf("Backend() = %q", s.Backend())
	}
	if err := s.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
}

// testJobSecrets runs get/set/delete/refresh against one backend.
func testJobSecrets(t *testing.T, backend string, cfg vdk.Config) {
	job := uniqueJob("job-" + backend)
	s := newJobSecrets(t, job, cfg)
	if s.Backend() != backend {
		t.Fatalf("Backend() = %q, want %q", s.Backend(), backend)
	}

	// A new job has no secrets: absent is not an error.
	if v, ok, err := s.Get(ctx, "missing"); err != nil || ok || v != nil {
		t.Fatalf("Get of an absent secret = %v, %v, %v", v, ok, err)
	}
	if all, err := s.GetAll(ctx); err != nil || all.Len() != 0 {
		t.Fatalf("GetAll of a new job = %v, %v", all, err)
	}

	// Set and Get each kind of value.
	values := sample()
	for name, v := range values {
		if err := s.Set(ctx, name, v); err != nil {
			t.Fatalf("Set(%q): %v", name, err)
		}
	}
	for name, want := range values {
		got, ok, err := s.Get(ctx, name)
		if err != nil || !ok {
			t.Fatalf("Get(%q) = %v, %v, %v", name, got, ok, err)
		}
		assertSameValues(t, map[string]any{name: got}, map[string]any{name: want})
	}
	// JSON null is a value, not an absence.
	if v, ok, err := s.Get(ctx, "null"); err != nil || !ok || v != nil {
		t.Fatalf("Get of a null secret = %v, %v, %v", v, ok, err)
	}
	all, err := s.GetAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	assertSameValues(t, all.Map(), values)

	// The map Map returns is the caller's: changing it changes neither the Secrets nor the
	// handle.
	copied := all.Map()
	copied["api-key"] = "changed"
	copied["nested"].(map[string]any)["map"] = "changed"
	if v, _, _ := s.Get(ctx, "api-key"); v != "sk-abc123" {
		t.Fatalf("changing GetAll's map changed the handle: %v", v)
	}
	assertSameValues(t, all.Map(), values)

	// Delete, also of an absent secret.
	if err := s.Delete(ctx, "api-key"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "api-key"); err != nil {
		t.Fatalf("Delete of an absent secret: %v", err)
	}
	if _, ok, err := s.Get(ctx, "api-key"); err != nil || ok {
		t.Fatalf("Get after Delete: %v, %v", ok, err)
	}

	// SetAll replaces everything.
	if err := s.SetAll(ctx, map[string]any{"only": int64(1)}); err != nil {
		t.Fatal(err)
	}
	if all, err := s.GetAll(ctx); err != nil || all.Len() != 1 || all.Map()["only"] != int64(1) {
		t.Fatalf("GetAll after SetAll = %v, %v", all, err)
	}

	// A second handle of the same job caches what it read; Refresh shows the other's writes.
	other := newJobSecrets(t, job, cfg)
	if v, ok, err := other.Get(ctx, "only"); err != nil || !ok || v != int64(1) {
		t.Fatalf("second handle Get = %v, %v, %v", v, ok, err)
	}
	if err := s.Set(ctx, "later", "x"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := other.Get(ctx, "later"); ok {
		t.Fatalf("the second handle's cache already sees a write made through the first")
	}
	if err := other.Refresh(ctx); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if v, ok, err := other.Get(ctx, "later"); err != nil || !ok || v != "x" {
		t.Fatalf("after Refresh: %v, %v, %v", v, ok, err)
	}

	// SetAll(nil) empties the job.
	if err := s.SetAll(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if all, err := s.GetAll(ctx); err != nil || all.Len() != 0 {
		t.Fatalf("after SetAll(nil): %v, %v", all, err)
	}
}

func TestJobSecretsSeesClientWritesAfterRefreshOrTTL(t *testing.T) {
	c := newClient(t)
	job := uniqueJob("ttl")
	if err := c.WriteSecrets(ctx, job, team, map[string]any{"v": int64(1)}); err != nil {
		t.Fatal(err)
	}
	cfg := controlServiceConfig()
	cfg.SecretsCacheTTL = 100 * time.Millisecond
	s := newJobSecrets(t, job, cfg)
	if v, _, err := s.Get(ctx, "v"); err != nil || v != int64(1) {
		t.Fatalf("Get = %v, %v", v, err)
	}
	if err := c.WriteSecrets(ctx, job, team, map[string]any{"v": int64(2)}); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := s.Get(ctx, "v"); v != int64(1) {
		t.Fatalf("the cache should still hold 1, got %v", v)
	}
	time.Sleep(150 * time.Millisecond)
	if v, _, err := s.Get(ctx, "v"); err != nil || v != int64(2) {
		t.Fatalf("after the TTL: %v, %v", v, err)
	}

	// Without a TTL, Refresh is the way.
	s2 := newJobSecrets(t, job, controlServiceConfig())
	if v, _, _ := s2.Get(ctx, "v"); v != int64(2) {
		t.Fatalf("Get = %v", v)
	}
	if err := c.WriteSecrets(ctx, job, team, map[string]any{"v": int64(3)}); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := s2.Get(ctx, "v"); v != int64(2) {
		t.Fatalf("cached Get = %v", v)
	}
	if err := s2.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := s2.Get(ctx, "v"); v != int64(3) {
		t.Fatalf("Get after Refresh = %v", v)
	}
}

func TestJobSecretsErrorsFromTheService(t *testing.T) {
	s := newJobSecrets(t, uniqueJob("fault-status-404"), controlServiceConfig())
	_, _, err := s.Get(ctx, "x")
	checkError(t, "Get of fault-status-404", err, vdk.StatusNotFound, 404)
	checkError(t, "Set of fault-status-404", s.Set(ctx, "x", 1), vdk.StatusNotFound, 404)
	checkError(t, "Refresh of fault-status-404", s.Refresh(ctx), vdk.StatusNotFound, 404)

	s = newJobSecrets(t, uniqueJob("fault-status-503"), controlServiceConfig())
	_, err = s.GetAll(ctx)
	checkError(t, "GetAll of fault-status-503", err, vdk.StatusServiceError, 503)

	// Invalid names for the handle itself.
	if _, err := vdk.NewJobSecrets("", team, memoryConfig()); err == nil {
		t.Error("NewJobSecrets with an empty job name succeeded")
	} else {
		checkError(t, "empty job name", err, vdk.StatusInvalidArgument, 0)
	}
	_, err = vdk.NewJobSecrets("a\x00b", team, memoryConfig())
	checkError(t, "NUL in job name", err, vdk.StatusInvalidArgument, 0)
}
