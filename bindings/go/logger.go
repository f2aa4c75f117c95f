package vdksecrets

// #include "vdkgo.h"
import "C"

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// LevelTrace is the slog level of the library's TRACE records, one step (4) below
// slog.LevelDebug, as slog's documentation suggests for finer levels.
const LevelTrace = slog.LevelDebug - 4

// The library's log levels (VDK_LOG_*), most severe first, with the slog levels they map to.
var logLevels = [...]struct {
	vdk  uint32
	slog slog.Level
}{
	{C.VDK_LOG_ERROR, slog.LevelError},
	{C.VDK_LOG_WARN, slog.LevelWarn},
	{C.VDK_LOG_INFO, slog.LevelInfo},
	{C.VDK_LOG_DEBUG, slog.LevelDebug},
	{C.VDK_LOG_TRACE, LevelTrace},
}

// slogLevel maps a library level to slog's; out-of-range levels are clamped, as the library
// clamps them.
func slogLevel(level uint32) slog.Level {
	switch {
	case level <= logLevels[0].vdk:
		return logLevels[0].slog
	case level >= logLevels[len(logLevels)-1].vdk:
		return logLevels[len(logLevels)-1].slog
	}
	return logLevels[level-1].slog
}

var (
	// hostLogger is the logger records go to; nil when the library logs on its own.
	hostLogger atomic.Pointer[slog.Logger]
	// setLoggerMu keeps SetLogger calls in order, so the sink's level matches the last logger.
	setLoggerMu sync.Mutex
)

// SetLogger routes the library's log records (retries, token refreshes, proxy and trust-store
// choices) to l, for the whole process: the library has one log sink. nil restores the
// library's default (stderr, when the VDK_SECRETS_LOG environment variable names a level).
//
// Levels map as ERROR → slog.LevelError, WARN → slog.LevelWarn, INFO → slog.LevelInfo,
// DEBUG → slog.LevelDebug and TRACE → LevelTrace (slog.LevelDebug-4). Each record carries
// the library's module as the attribute "target" (e.g. "vdk_secrets::http"), has no source
// position, and is handled with context.Background(). Records never hold secret values,
// tokens or proxy credentials.
//
// The most verbose level l's handler is enabled for is read here and handed to the library,
// which then does not even format the records below it: after lowering the handler's level
// (a slog.LevelVar), call SetLogger again. Records may arrive on any goroutine or thread; a
// handler that panics loses the record (the panic is recovered, since it must not unwind
// through the library). The handler must not call SetLogger.
func SetLogger(l *slog.Logger) {
	setLoggerMu.Lock()
	defer setLoggerMu.Unlock()
	if l == nil {
		// Returns once no thread is still inside the sink.
		C.vdk_set_log_sink(nil, nil, C.VDK_LOG_ERROR)
		hostLogger.Store(nil)
		return
	}
	hostLogger.Store(l)
	C.vdkgo_set_log_sink(C.VdkLogLevel(mostVerboseEnabled(l.Handler())))
}

// mostVerboseEnabled returns the most verbose library level h takes records of (ERROR when it
// takes none: the few ERROR records are then dropped here).
func mostVerboseEnabled(h slog.Handler) uint32 {
	for i := len(logLevels) - 1; i > 0; i-- {
		if h.Enabled(context.Background(), logLevels[i].slog) {
			return logLevels[i].vdk
		}
	}
	return logLevels[0].vdk
}

// logRecord hands one library record to the host's logger. It runs on the thread that
// logged, possibly not a Go thread.
func logRecord(level uint32, target, message *C.char) {
	l := hostLogger.Load()
	if l == nil {
		return
	}
	defer func() { _ = recover() }()
	ctx := context.Background()
	h := l.Handler()
	lvl := slogLevel(level)
	if !h.Enabled(ctx, lvl) {
		return
	}
	r := slog.NewRecord(time.Now(), lvl, C.GoString(message), 0)
	r.AddAttrs(slog.String("target", C.GoString(target)))
	_ = h.Handle(ctx, r)
}
