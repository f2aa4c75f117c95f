package vdksecrets

// Hooks for the external tests.

func ConfigKeysForTest() []string { return append([]string(nil), configKeys...) }

func ConfigMapForTest(c *Config) map[string]any { return c.configMap() }

// LiveCallHandlesForTest returns how many cgo.Handles of started calls are still live.
func LiveCallHandlesForTest() int64 { return liveHandles.Load() }

// AsyncCallsForTest counts the asynchronous calls tried, on either of their paths.
func AsyncCallsForTest() int64 { return asyncCallsStarted.Load() }

// QueuedCompletionsForTest returns how many asynchronous calls completed through the queue.
func QueuedCompletionsForTest() int64 { return queuedCompletions.Load() }

// SetCallbackCompletionsForTest makes the calls started from now on complete through the cgo
// callback (the fallback when the queue cannot be set up), or through the queue again.
func SetCallbackCompletionsForTest(on bool) { callbackForTest.Store(on) }

// LoneCompletionsForTest counts the completions of lone calls (through their own eventfd).
func LoneCompletionsForTest() int64 { return loneCompletions.Load() }

// ReschedulesForTest counts the times blocking calls let the scheduler run (reschedule.go).
func ReschedulesForTest() int64 { return reschedules.Load() }

// ImmediateCompletionsForTest says whether the library runs the binding's completion on its
// runtime worker (vdk_completion_set_immediate took the mark).
func ImmediateCompletionsForTest() bool { return immediateCompletions }
