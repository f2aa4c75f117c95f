package vdksecrets_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	vdk "github.com/vdk-secrets/vdk-secrets/bindings/go"
)

// captureHandler is a slog.Handler that keeps every record it takes.
type captureHandler struct {
	level    slog.Level
	levelVar *slog.LevelVar // when set, the level instead of level
	store    *capturedRecords
	attrs    []slog.Attr
	panic    bool // panic in Handle instead, to test that the binding contains it
}

type capturedRecord struct {
	level   slog.Level
	message string
	attrs   map[string]string
}

func (r capturedRecord) String() string {
	return r.level.String() + " " + r.message + " " + slog.AnyValue(r.attrs).String()
}

type capturedRecords struct {
	mu      sync.Mutex
	records []capturedRecord
}

func newCaptureHandler(level slog.Level) *captureHandler {
	return &captureHandler{level: level, store: &capturedRecords{}}
}

func (h *captureHandler) Enabled(_ context.Context, l slog.Level) bool {
	if h.levelVar != nil {
		return l >= h.levelVar.Level()
	}
	return l >= h.level
}

func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	if h.panic {
		panic("a handler that panics")
	}
	attrs := map[string]string{}
	for _, a := range h.attrs {
		attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		attrs[a.Key] = a.Value.String()
		return true
	})
	h.store.mu.Lock()
	h.store.records = append(h.store.records, capturedRecord{r.Level, r.Message, attrs})
	h.store.mu.Unlock()
	return nil
}

func (h *captureHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &c
}

func (h *captureHandler) WithGroup(string) slog.Handler { return h }

func (h *captureHandler) snapshot() []capturedRecord {
	h.store.mu.Lock()
	defer h.store.mu.Unlock()
	return append([]capturedRecord(nil), h.store.records...)
}

// flakyWriteAndRead writes canary to a job whose first two requests fail with 503 (so the
// library retries, and logs it), then reads it back, with callCtx.
func flakyWriteAndRead(t *testing.T, c *vdk.Client, callCtx context.Context, canary string) {
	t.Helper()
	job := uniqueJob("fault-flaky-2-503")
	if err := c.WriteSecrets(callCtx, job, team, map[string]any{"password": canary, "nested": map[string]any{"key": canary}}); err != nil {
		t.Fatalf("WriteSecrets to %s: %v", job, err)
	}
	got, err := c.ReadSecrets(callCtx, job, team)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := got.GetString("password"); err != nil || v != canary {
		t.Fatalf("read back %v, %v", got, err)
	}
}

func TestSetLoggerRoutesRecordsWithoutSecrets(t *testing.T) {
	handler := newCaptureHandler(vdk.LevelTrace)
	vdk.SetLogger(slog.New(handler).With("component", "vdk"))
	t.Cleanup(func() { vdk.SetLogger(nil) })
	c := newClient(t) // 2 retries: enough for fault-flaky-2-503
	canary := "canary-" + randomHex(16)
	// The asynchronous path (records from runtime threads) and the blocking one (records
	// also from the calling thread, inside the C call).
	flakyWriteAndRead(t, c, ctx, canary)
	flakyWriteAndRead(t, c, context.Background(), canary)

	records := handler.snapshot()
	if len(records) == 0 {
		t.Fatal("no record reached the logger")
	}
	retries := 0
	for _, r := range records {
		text := r.String()
		if strings.Contains(text, canary) || strings.Contains(text, service.token) {
			t.Errorf("a log record holds a secret: %s", text)
		}
		if !strings.HasPrefix(r.attrs["target"], "vdk_secrets") {
			t.Errorf("record without the library's target: %s", text)
		}
		if r.attrs["component"] != "vdk" {
			t.Errorf("the logger's own attributes are missing: %s", text)
		}
		if strings.Contains(r.message, "retrying") && strings.Contains(r.message, "503") {
			retries++
			if r.level != slog.LevelDebug {
				t.Errorf("a retry record has level %v, want DEBUG", r.level)
			}
		}
	}
	// Each flaky job fails twice, once for the write of each path.
	if retries < 4 {
		t.Errorf("%d retry records, want at least 4; records:\n%s", retries, joinRecords(records))
	}
	t.Logf("%d records, e.g. %s", len(records), records[0])

	// nil restores the library's default: nothing more reaches the handler.
	vdk.SetLogger(nil)
	before := len(handler.snapshot())
	flakyWriteAndRead(t, c, ctx, canary)
	if after := len(handler.snapshot()); after != before {
		t.Errorf("%d records reached the logger after SetLogger(nil)", after-before)
	}
}

// The library formats no record below the level the handler took at SetLogger: after the
// handler's level is lowered, DEBUG records arrive only once SetLogger is called again.
func TestSetLoggerLevel(t *testing.T) {
	var level slog.LevelVar
	level.Set(slog.LevelInfo)
	handler := newCaptureHandler(0)
	handler.levelVar = &level
	logger := slog.New(handler)
	vdk.SetLogger(logger)
	t.Cleanup(func() { vdk.SetLogger(nil) })
	c := newClient(t)
	level.Set(slog.LevelDebug) // too late: the library was told INFO
	flakyWriteAndRead(t, c, ctx, "x")
	for _, r := range handler.snapshot() {
		if r.level < slog.LevelInfo {
			t.Errorf("a %v record arrived, though the handler was at INFO at SetLogger: %s", r.level, r)
		}
	}
	vdk.SetLogger(logger)
	flakyWriteAndRead(t, c, ctx, "x")
	debug := 0
	for _, r := range handler.snapshot() {
		if r.level == slog.LevelDebug {
			debug++
		}
	}
	if debug == 0 {
		t.Error("no DEBUG record after SetLogger with the handler at DEBUG")
	}
}

// A handler that panics loses its records but neither crashes the process nor fails calls.
func TestSetLoggerPanickingHandler(t *testing.T) {
	handler := newCaptureHandler(vdk.LevelTrace)
	handler.panic = true
	vdk.SetLogger(slog.New(handler))
	t.Cleanup(func() { vdk.SetLogger(nil) })
	c := newClient(t)
	flakyWriteAndRead(t, c, ctx, "x")
	flakyWriteAndRead(t, c, context.Background(), "x")
}

func joinRecords(records []capturedRecord) string {
	var b strings.Builder
	for _, r := range records {
		b.WriteString(r.String())
		b.WriteByte('\n')
	}
	return b.String()
}
