//go:build go1.23

package vdksecrets_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/trace"
	"strings"
	"testing"
	"time"

	vdk "github.com/vdk-secrets/vdk-secrets/bindings/go"
)

// Blocking calls made back to back (a Client's, and the job layer's) must keep their
// processor (P): without rescheduleIfDue, Go's monitor thread took it from 2% to 28% of the
// cgo calls (reschedule.go explains why), each time waking a thread for nothing and making
// the call find a P again on return. The test records a runtime trace of 250 ms of such
// calls (25 times the runtime's 10 ms time slice) and reads it with `go tool trace
// -d=parsed` (Go 1.23 or newer): a cgo call whose goroutine lost its P shows as
// Syscall->Runnable instead of Syscall->Running.
func TestBackToBackBlockingCallsKeepTheirProcessor(t *testing.T) {
	never := context.Background()
	job := uniqueJob("processor")
	c := newClient(t)
	if err := c.WriteSecrets(never, job, team, map[string]any{"a": "b"}); err != nil {
		t.Fatal(err)
	}
	s := newJobSecrets(t, job, controlServiceConfig())
	for name, call := range map[string]func() error{
		"Client.ReadSecretsJSON": func() error { _, err := c.ReadSecretsJSON(never, job, team); return err },
		// The job layer's blocking path; a refresh is a request every time.
		"JobSecrets.Refresh": func() error { return s.Refresh(never) },
	} {
		t.Run(name, func(t *testing.T) { checkBlockingCallsKeepTheirProcessor(t, call) })
	}
}

func checkBlockingCallsKeepTheirProcessor(t *testing.T, call func() error) {
	reschedulesBefore := vdk.ReschedulesForTest()
	var recorded bytes.Buffer
	if err := trace.Start(&recorded); err != nil {
		t.Fatal(err)
	}
	calls := 0
	for start := time.Now(); time.Since(start) < 250*time.Millisecond; calls++ {
		if err := call(); err != nil {
			trace.Stop()
			t.Fatal(err)
		}
	}
	trace.Stop()
	if vdk.ReschedulesForTest() == reschedulesBefore {
		t.Error("no blocking call let the scheduler run")
	}

	file := filepath.Join(t.TempDir(), "trace.out")
	if err := os.WriteFile(file, recorded.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	parsed, err := exec.Command("go", "tool", "trace", "-d=parsed", file).Output()
	if err != nil {
		t.Fatalf("go tool trace -d=parsed: %v", err)
	}
	entered, lostP := 0, 0
	lines := bufio.NewScanner(bytes.NewReader(parsed))
	lines.Buffer(make([]byte, 1<<16), 1<<20)
	for lines.Scan() {
		line := lines.Text()
		if !strings.Contains(line, " StateTransition ") || !strings.Contains(line, " GoID=") {
			continue
		}
		switch {
		case strings.Contains(line, "Running->Syscall"):
			entered++
		case strings.Contains(line, "Syscall->Runnable"):
			lostP++
		}
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d calls, %d cgo calls, %d of them lost their P", calls, entered, lostP)
	if entered < calls {
		t.Fatalf("the trace shows %d cgo calls for %d library calls: cannot read `go tool trace -d=parsed`", entered, calls)
	}
	// A call that itself lasts 10 ms loses its P legitimately; allow a few.
	if limit := 5 + entered/500; lostP > limit {
		t.Errorf("%d of %d cgo calls lost their P (at most %d expected)", lostP, entered, limit)
	}
}
