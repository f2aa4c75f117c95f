package vdksecrets

// Hooks for the external tests.

func ConfigKeysForTest() []string { return append([]string(nil), configKeys...) }

func ConfigMapForTest(c *Config) map[string]any { return c.configMap() }
