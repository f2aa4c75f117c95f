package vdksecrets_test

import (
	"context"
	"regexp"
	"testing"

	vdk "github.com/vdk-secrets/vdk-secrets/bindings/go"
)

var opIDPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)

// Errors carry the X-OPID the call sent and how many requests it made, for matching a
// failure with the Control Service's logs; through both the blocking and the asynchronous
// path.
func TestErrorOpIDAndAttempts(t *testing.T) {
	for _, path := range []struct {
		name string
		ctx  context.Context
	}{{"blocking", context.Background()}, {"async", ctx}} {
		t.Run(path.name, func(t *testing.T) {
			cfg := testConfig() // 2 retries
			c, err := vdk.NewClient(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			asyncBefore := vdk.AsyncCallsForTest()
			_, err = c.ReadSecrets(path.ctx, uniqueJob("fault-status-503"), team)
			if async := vdk.AsyncCallsForTest() > asyncBefore; async != (path.name == "async") {
				t.Errorf("the call took the wrong path (asynchronous: %v)", async)
			}
			e := checkError(t, "fault-status-503", err, vdk.StatusServiceError, 503)
			if e == nil {
				return
			}
			// The first request, its two retries, and the token exchange before them.
			if e.Attempts < 3 {
				t.Errorf("a 503 after 2 retries reports %d attempts", e.Attempts)
			}
			if !opIDPattern.MatchString(e.OpID) {
				t.Errorf("op id %q is not 16 hex digits", e.OpID)
			}
			t.Logf("fault-status-503: op id %s, %d attempts: %v", e.OpID, e.Attempts, err)

			// The op id is the client's: the same for its next call, the override when set.
			_, err = c.ReadSecrets(path.ctx, uniqueJob("fault-status-404"), team)
			if e2 := checkError(t, "fault-status-404", err, vdk.StatusNotFound, 404); e2 != nil && e2.OpID != e.OpID {
				t.Errorf("op ids differ between calls of one client: %q, %q", e.OpID, e2.OpID)
			}
			cfg.OpIDOverride = "0123456789abcdef"
			overridden, err := vdk.NewClient(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer overridden.Close()
			_, err = overridden.ReadSecrets(path.ctx, uniqueJob("fault-status-404"), team)
			if e := checkError(t, "op id override", err, vdk.StatusNotFound, 404); e != nil && (e.OpID != cfg.OpIDOverride || e.Attempts < 1) {
				t.Errorf("with op_id_override: op id %q, %d attempts", e.OpID, e.Attempts)
			}

			// A call refused before any request sent nothing.
			_, err = c.ReadSecrets(path.ctx, "", team)
			if e := checkError(t, "empty job name", err, vdk.StatusInvalidArgument, 0); e != nil && (e.OpID != "" || e.Attempts != 0) {
				t.Errorf("a refused call reports op id %q, %d attempts", e.OpID, e.Attempts)
			}
		})
	}
}
