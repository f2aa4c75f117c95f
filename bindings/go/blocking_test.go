package vdksecrets_test

import (
	"context"
	"testing"

	vdk "github.com/vdk-secrets/vdk-secrets/bindings/go"
)

// Contexts that can never end (context.Background, context.WithoutCancel) take the blocking
// calls; the other tests use a cancellable context, so this test covers every call on the
// blocking path.
func TestBlockingPath(t *testing.T) {
	for name, never := range map[string]context.Context{
		"Background":      context.Background(),
		"WithoutCancel":   context.WithoutCancel(ctx),
		"TODO with value": context.WithValue(context.TODO(), struct{}{}, 1),
	} {
		t.Run(name, func(t *testing.T) {
			if never.Done() != nil {
				t.Fatal("the context can end")
			}
			asyncBefore := vdk.AsyncCallsForTest()
			defer func() {
				if n := vdk.AsyncCallsForTest() - asyncBefore; n != 0 {
					t.Errorf("%d calls took the asynchronous path", n)
				}
			}()
			c := newClient(t)
			job := uniqueJob("blocking")
			want := map[string]any{"a": "b", "n": int64(1) << 60}
			if err := c.WriteSecrets(never, job, team, want); err != nil {
				t.Fatal(err)
			}
			if err := c.WriteSecretsJSON(never, job, team, []byte(`{"a":"b","n":1152921504606846976}`)); err != nil {
				t.Fatal(err)
			}
			got, err := c.ReadSecrets(never, job, team)
			if err != nil || !got.Equal(newSecretsFromMap(t, want)) {
				t.Fatalf("ReadSecrets = %v, %v", got, err)
			}
			if b, err := c.ReadSecretsJSON(never, job, team); err != nil || string(b) != `{"a":"b","n":1152921504606846976}` {
				t.Fatalf("ReadSecretsJSON = %s, %v", b, err)
			}
			_, err = c.ReadSecrets(never, uniqueJob("fault-status-404"), team)
			checkError(t, "404", err, vdk.StatusNotFound, 404)

			s := newJobSecrets(t, job, controlServiceConfig())
			if v, ok, err := s.Get(never, "a"); err != nil || !ok || v != "b" {
				t.Fatalf("Get = %v, %v, %v", v, ok, err)
			}
			if err := s.Set(never, "c", 1.5); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(never, "a"); err != nil {
				t.Fatal(err)
			}
			if err := s.Refresh(never); err != nil {
				t.Fatal(err)
			}
			all, err := s.GetAll(never)
			if err != nil || all.Len() != 2 || !all.Has("c") || all.Has("a") {
				t.Fatalf("GetAll = %v, %v", all, err)
			}
			if err := s.SetAll(never, map[string]any{"only": true}); err != nil {
				t.Fatal(err)
			}
			if names := mustGetAll(t, s, never).Names(); len(names) != 1 || names[0] != "only" {
				t.Fatalf("after SetAll: %v", names)
			}
		})
	}
}

func mustGetAll(t *testing.T, s *vdk.JobSecrets, ctx context.Context) vdk.Secrets {
	t.Helper()
	all, err := s.GetAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// newSecretsFromMap writes m to a memory-backend job and reads it back, since Secrets has no
// public constructor.
func newSecretsFromMap(t *testing.T, m map[string]any) vdk.Secrets {
	t.Helper()
	s := newJobSecrets(t, uniqueJob("expected"), memoryConfig())
	if err := s.SetAll(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return mustGetAll(t, s, context.Background())
}
