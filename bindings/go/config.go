package vdksecrets

import (
	"math"
	"time"
)

// Config holds the library's configuration keys (the README's configuration table), one field
// per key; the JSON key is given with each field.
//
// A zero value means "not set": the key is left out and the library uses its default. For the
// keys whose zero is meaningful, a negative value asks for zero explicitly (as net.Dialer's
// KeepAlive does): TotalRetries: -1 sends control_http_total_retries 0 (no retries),
// BackoffFactor: -1 sends 0 (retry at once). InsecureSkipVerify is the negation of
// control_http_verify_ssl, so that its zero value keeps verification on.
//
// Durations are sent as (fractional) seconds.
type Config struct {
	// control_service_rest_api_url: base URL of the Control Service REST API (required by
	// NewClient; for NewJobSecrets it registers the "default" and "control-service" backends).
	RestAPIURL string
	// api_token: OAuth2 refresh token; without it calls go out unauthenticated.
	APIToken string
	// api_token_authorization_url: token endpoint of the refresh-token grant; required with
	// APIToken.
	APITokenAuthorizationURL string
	// control_http_verify_ssl, negated: true sends control_http_verify_ssl=false.
	InsecureSkipVerify bool
	// control_http_ca_bundle: PEM file of extra CA certificates to trust.
	CABundle string
	// control_http_proxy: "none" (always direct) or a proxy URL http(s)://[user:password@]host:port
	// for every request (default: the HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY
	// environment variables decide).
	Proxy string
	// control_http_total_retries: retries of any kind per call (default 10; negative: 0).
	TotalRetries int
	// control_http_connect_retries: retries before the request reached the server (default 6;
	// negative: 0).
	ConnectRetries int
	// control_http_read_retries: retries while waiting for or reading the answer (default 6;
	// negative: 0).
	ReadRetries int
	// control_http_connect_timeout_seconds (default 30 s; negative: 0).
	ConnectTimeout time.Duration
	// control_http_read_timeout_seconds: longest wait for any read (default 900 s; negative: 0).
	ReadTimeout time.Duration
	// control_http_backoff_factor_seconds: retry n waits factor*2^(n-1), the first at once
	// (default 2 s; negative: 0).
	BackoffFactor time.Duration
	// control_http_backoff_max_seconds: cap on one wait (default 120 s; negative: 0).
	BackoffMax time.Duration
	// control_http_deadline_seconds: bound on a whole call, retries included (default 600 s;
	// negative: 0). A context deadline, when present, replaces it for that call.
	Deadline time.Duration
	// control_http_max_response_bytes: larger answers fail with StatusProtocol (default 8 MiB;
	// negative: 0).
	MaxResponseBytes int64
	// control_http_max_connections: requests in flight at once per client; more calls wait
	// for a connection within their own deadline (default 64; negative sends 0, which the
	// library refuses).
	MaxConnections int
	// control_service_user_agent: the User-Agent header (default "vdk-secrets/<version>").
	UserAgent string
	// op_id_override: the X-OPID header (default: random per process).
	OpIDOverride string
	// deployment_id: the deployment path segment (default "TODO", as upstream).
	DeploymentID string
	// secrets_default_type: backend of the job secrets layer: "default", "control-service" or
	// "memory".
	SecretsDefaultType string
	// secrets_cache_ttl_seconds: time-to-live of the job layer's read cache (default: until
	// the next write or Refresh; negative: 0).
	SecretsCacheTTL time.Duration
}

// configKeys lists the keys Config sets, in the README's order (tests check the list).
var configKeys = []string{
	"control_service_rest_api_url",
	"api_token",
	"api_token_authorization_url",
	"control_http_verify_ssl",
	"control_http_ca_bundle",
	"control_http_proxy",
	"control_http_total_retries",
	"control_http_connect_retries",
	"control_http_read_retries",
	"control_http_connect_timeout_seconds",
	"control_http_read_timeout_seconds",
	"control_http_backoff_factor_seconds",
	"control_http_backoff_max_seconds",
	"control_http_deadline_seconds",
	"control_http_max_response_bytes",
	"control_http_max_connections",
	"control_service_user_agent",
	"op_id_override",
	"deployment_id",
	"secrets_default_type",
	"secrets_cache_ttl_seconds",
}

// configMap returns the keys that are set, with the values the library expects.
func (c *Config) configMap() map[string]any {
	m := make(map[string]any)
	text := func(key, v string) {
		if v != "" {
			m[key] = v
		}
	}
	count := func(key string, v int64) {
		switch {
		case v > 0:
			m[key] = v
		case v < 0:
			m[key] = 0
		}
	}
	seconds := func(key string, d time.Duration) {
		switch {
		case d > 0:
			m[key] = d.Seconds()
		case d < 0:
			m[key] = 0
		}
	}
	text("control_service_rest_api_url", c.RestAPIURL)
	text("api_token", c.APIToken)
	text("api_token_authorization_url", c.APITokenAuthorizationURL)
	if c.InsecureSkipVerify {
		m["control_http_verify_ssl"] = false
	}
	text("control_http_ca_bundle", c.CABundle)
	text("control_http_proxy", c.Proxy)
	count("control_http_total_retries", int64(c.TotalRetries))
	count("control_http_connect_retries", int64(c.ConnectRetries))
	count("control_http_read_retries", int64(c.ReadRetries))
	seconds("control_http_connect_timeout_seconds", c.ConnectTimeout)
	seconds("control_http_read_timeout_seconds", c.ReadTimeout)
	seconds("control_http_backoff_factor_seconds", c.BackoffFactor)
	seconds("control_http_backoff_max_seconds", c.BackoffMax)
	seconds("control_http_deadline_seconds", c.Deadline)
	count("control_http_max_response_bytes", c.MaxResponseBytes)
	count("control_http_max_connections", int64(c.MaxConnections))
	text("control_service_user_agent", c.UserAgent)
	text("op_id_override", c.OpIDOverride)
	text("deployment_id", c.DeploymentID)
	text("secrets_default_type", c.SecretsDefaultType)
	seconds("secrets_cache_ttl_seconds", c.SecretsCacheTTL)
	return m
}

// configJSON is the JSON object the C ABI takes, NUL-terminated. It may hold the API token:
// callers wipe it after the call.
func (c *Config) configJSON() ([]byte, error) {
	b, err := appendJSON(make([]byte, 0, 512), c.configMap(), 0)
	if err != nil {
		wipe(b)
		// Only a string that is not valid UTF-8 gets here; the text never quotes it.
		return nil, invalidArgument("Cannot use the configuration", err.Error())
	}
	return terminate(b), nil
}

// terminate appends the NUL byte C wants. When that needs a bigger buffer, the old one is
// wiped, so no unwiped copy is left behind.
func terminate(b []byte) []byte {
	if len(b) < cap(b) {
		return append(b, 0)
	}
	t := make([]byte, len(b)+1)
	copy(t, b)
	wipe(b)
	return t
}

// wipe zeroes a buffer that held secret values (the Go runtime cannot wipe strings, but it
// can wipe the buffers this package builds).
func wipe(b []byte) {
	clear(b[:cap(b)])
}

// timeoutMillis converts a context's remaining time (> 0) to the C ABI's timeout_ms: rounded
// up to the next millisecond, at least 1 (0 would mean "the configured deadline"), at most
// math.MaxUint32 (49 days).
func timeoutMillis(remaining time.Duration) uint32 {
	ms := (remaining + time.Millisecond - 1) / time.Millisecond
	if ms < 1 {
		ms = 1
	}
	if ms > math.MaxUint32 {
		ms = math.MaxUint32
	}
	return uint32(ms)
}
