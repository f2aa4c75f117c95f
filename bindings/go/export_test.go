package vdksecrets

// Hooks for the external tests.

func ConfigKeysForTest() []string { return append([]string(nil), configKeys...) }

func ConfigMapForTest(c *Config) map[string]any { return c.configMap() }

// LiveCallHandlesForTest returns how many cgo.Handles of started calls are still live.
func LiveCallHandlesForTest() int64 { return liveHandles.Load() }

// CreatedCallHandlesForTest returns how many asynchronous calls were started (or tried).
func CreatedCallHandlesForTest() int64 { return createdHandles.Load() }

// QueuedCompletionsForTest returns how many asynchronous calls completed through the queue.
func QueuedCompletionsForTest() int64 { return queuedCompletions.Load() }

// SetCallbackCompletionsForTest makes the calls started from now on complete through the cgo
// callback (the fallback when the queue cannot be set up), or through the queue again.
func SetCallbackCompletionsForTest(on bool) { callbackForTest.Store(on) }
