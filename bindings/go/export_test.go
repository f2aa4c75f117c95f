package vdksecrets

// Hooks for the external tests.

func ConfigKeysForTest() []string { return append([]string(nil), configKeys...) }

func ConfigMapForTest(c *Config) map[string]any { return c.configMap() }

// LiveCallHandlesForTest returns how many cgo.Handles of started calls are still live.
func LiveCallHandlesForTest() int64 { return liveHandles.Load() }

// CreatedCallHandlesForTest returns how many asynchronous calls were started (or tried).
func CreatedCallHandlesForTest() int64 { return createdHandles.Load() }
