package vdksecrets_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	vdk "github.com/vdk-secrets/vdk-secrets/bindings/go"
)

var sentinels = map[vdk.Status]error{
	vdk.StatusInvalidArgument: vdk.ErrInvalidArgument,
	vdk.StatusConfiguration:   vdk.ErrConfiguration,
	vdk.StatusAuthentication:  vdk.ErrAuthentication,
	vdk.StatusNotFound:        vdk.ErrNotFound,
	vdk.StatusUserError:       vdk.ErrUserError,
	vdk.StatusServiceError:    vdk.ErrServiceError,
	vdk.StatusNetwork:         vdk.ErrNetwork,
	vdk.StatusProtocol:        vdk.ErrProtocol,
	vdk.StatusCancelled:       vdk.ErrCancelled,
	vdk.StatusPanic:           vdk.ErrPanic,
}

// isStatus reports whether err is an *Error matching sentinel (and no other status).
func isStatus(err error, sentinel error) bool {
	var e *vdk.Error
	if !errors.As(err, &e) || !errors.Is(err, sentinel) {
		return false
	}
	for _, other := range sentinels {
		if other != sentinel && errors.Is(err, other) {
			return false
		}
	}
	return true
}

// checkError asserts the status, the sentinel, and the presence of the texts.
func checkError(t *testing.T, name string, err error, want vdk.Status, httpStatus int) *vdk.Error {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %v", name, want)
		return nil
	}
	var e *vdk.Error
	if !errors.As(err, &e) {
		t.Errorf("%s: %v (%T) is not a *vdksecrets.Error", name, err, err)
		return nil
	}
	if e.Status != want || !isStatus(err, sentinels[want]) {
		t.Errorf("%s: status %v (%v), want %v", name, e.Status, err, want)
	}
	if httpStatus >= 0 && e.HTTPStatus != httpStatus {
		t.Errorf("%s: HTTP status %d, want %d (%v)", name, e.HTTPStatus, httpStatus, err)
	}
	if e.What == "" || e.Why == "" || e.Message == "" {
		t.Errorf("%s: missing texts: %#v", name, e)
	}
	if !strings.Contains(e.Error(), want.String()) {
		t.Errorf("%s: Error() %q does not name the status", name, e.Error())
	}
	if errors.Is(err, vdk.ErrClosed) {
		t.Errorf("%s: matches ErrClosed", name)
	}
	return e
}

func TestErrorStatuses(t *testing.T) {
	c := newClient(t)
	read := func(job string) error {
		_, err := c.ReadSecrets(ctx, job, team)
		return err
	}
	cases := []struct {
		name       string
		err        error
		status     vdk.Status
		httpStatus int // -1: not checked
		retryable  bool
	}{
		{"empty job name", read(""), vdk.StatusInvalidArgument, 0, false},
		{"NUL in job name", read("job\x00name"), vdk.StatusInvalidArgument, 0, false},
		{"NUL in team name", func() error { _, err := c.ReadSecrets(ctx, "job", "te\x00am"); return err }(), vdk.StatusInvalidArgument, 0, false},
		{"401", read(uniqueJob("fault-status-401")), vdk.StatusAuthentication, 401, false},
		{"403", read(uniqueJob("fault-status-403")), vdk.StatusAuthentication, 403, false},
		{"404", read(uniqueJob("fault-status-404")), vdk.StatusNotFound, 404, false},
		{"404 with messages", read(uniqueJob("fault-messages-404")), vdk.StatusNotFound, 404, false},
		{"400", read(uniqueJob("fault-status-400")), vdk.StatusUserError, 400, false},
		{"409", read(uniqueJob("fault-status-409")), vdk.StatusUserError, 409, false},
		{"500", read(uniqueJob("fault-status-500")), vdk.StatusServiceError, 500, true},
		{"501", read(uniqueJob("fault-status-501")), vdk.StatusServiceError, 501, false},
		{"503", read(uniqueJob("fault-status-503")), vdk.StatusServiceError, 503, true},
		{"dropped connection", read(uniqueJob("fault-drop")), vdk.StatusNetwork, 0, true},
		{"malformed", read(uniqueJob("fault-malformed")), vdk.StatusProtocol, -1, false},
		{"not an object", read(uniqueJob("fault-notobject")), vdk.StatusProtocol, -1, false},
	}
	for _, tc := range cases {
		e := checkError(t, tc.name, tc.err, tc.status, tc.httpStatus)
		if e != nil && e.Retryable != tc.retryable {
			t.Errorf("%s: Retryable = %v, want %v", tc.name, e.Retryable, tc.retryable)
		}
	}

	// Flaky faults are retried and succeed.
	if err := read(uniqueJob("fault-flaky-2-503")); err != nil {
		t.Errorf("fault-flaky-2-503 with 2 retries: %v", err)
	}
}

func TestErrorConfiguration(t *testing.T) {
	_, err := vdk.NewClient(vdk.Config{})
	checkError(t, "no URL", err, vdk.StatusConfiguration, 0)

	cfg := testConfig()
	cfg.CABundle = "/nonexistent/ca.pem"
	_, err = vdk.NewClient(cfg)
	checkError(t, "missing CA bundle", err, vdk.StatusConfiguration, 0)

	// An unknown backend is reported by the first call.
	s := newJobSecrets(t, uniqueJob("nobackend"), vdk.Config{SecretsDefaultType: "no-such-backend"})
	if s.Backend() != "unavailable" {
		t.Errorf("Backend() = %q", s.Backend())
	}
	_, _, err = s.Get(ctx, "x")
	checkError(t, "unknown backend", err, vdk.StatusConfiguration, 0)

	// No URL and no backend type: no backend.
	s = newJobSecrets(t, uniqueJob("nobackend"), vdk.Config{})
	err = s.Set(ctx, "x", 1)
	checkError(t, "no backend", err, vdk.StatusConfiguration, 0)
}

func TestErrorAuthenticationWithWrongToken(t *testing.T) {
	cfg := testConfig()
	cfg.APIToken = "not-the-token"
	c, err := vdk.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.ReadSecrets(ctx, uniqueJob("auth"), team)
	e := checkError(t, "wrong token", err, vdk.StatusAuthentication, -1)
	if e != nil && strings.Contains(e.Error()+e.Why+e.What+e.Countermeasures, "not-the-token") {
		t.Errorf("the error text holds the token: %v", e)
	}

	// Without a token at all the service refuses with 401.
	cfg = testConfig()
	cfg.APIToken, cfg.APITokenAuthorizationURL = "", ""
	c2, err := vdk.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	_, err = c2.ReadSecrets(ctx, uniqueJob("auth"), team)
	checkError(t, "no token", err, vdk.StatusAuthentication, 401)
}

func TestErrorNetworkUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := testConfig()
	cfg.RestAPIURL = "http://" + addr
	cfg.APIToken, cfg.APITokenAuthorizationURL = "", ""
	c, err := vdk.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.ReadSecrets(ctx, "job", team)
	checkError(t, "connection refused", err, vdk.StatusNetwork, 0)
}

func TestErrorProtocolOversizedAnswer(t *testing.T) {
	cfg := testConfig()
	cfg.MaxResponseBytes = 4096
	c, err := vdk.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.ReadSecrets(ctx, uniqueJob("fault-huge-100000"), team)
	checkError(t, "huge answer", err, vdk.StatusProtocol, -1)
}

func TestErrorTooLarge(t *testing.T) {
	big := strings.Repeat("x", 1<<20+10)
	marker := "SECRET-MARKER-" + randomHex(8)
	c := newClient(t)
	err := c.WriteSecrets(ctx, uniqueJob("toolarge"), team, map[string]any{"big": big, "marker": marker})
	e := checkError(t, "PUT above 1 MiB", err, vdk.StatusUserError, 413)
	if e != nil && strings.Contains(e.Error()+e.Why+e.Consequences+e.Countermeasures, marker) {
		t.Errorf("the error text holds a secret value")
	}

	// The job layer refuses before sending (no HTTP answer).
	s := newJobSecrets(t, uniqueJob("toolarge"), controlServiceConfig())
	err = s.Set(ctx, "big", big)
	checkError(t, "job layer above 1 MiB", err, vdk.StatusUserError, 0)

	// Secret names: non-empty, no whitespace.
	for _, name := range []string{"", "has space", "tab\tname"} {
		checkError(t, "bad secret name "+name, s.Set(ctx, name, 1), vdk.StatusInvalidArgument, 0)
	}
	checkError(t, "NUL in secret name", s.Set(ctx, "a\x00b", 1), vdk.StatusInvalidArgument, 0)
}

func TestErrorsNeverHoldSecretValues(t *testing.T) {
	c := newClient(t)
	marker := "SECRET-MARKER-" + randomHex(8)
	for _, job := range []string{"fault-status-400", "fault-messages-409", "fault-status-503", "fault-messages-404", "fault-drop"} {
		err := c.WriteSecrets(ctx, uniqueJob(job), team, map[string]any{"k": marker})
		if err == nil {
			t.Errorf("%s: the write succeeded", job)
			continue
		}
		e := asError(t, err)
		for _, text := range []string{e.Error(), e.Message, e.What, e.Why, e.Consequences, e.Countermeasures} {
			if strings.Contains(text, marker) {
				t.Errorf("%s: an error text holds the secret value: %q", job, text)
			}
		}
	}
}

func TestSentinels(t *testing.T) {
	for status, sentinel := range sentinels {
		e := &vdk.Error{Status: status}
		if !errors.Is(e, sentinel) {
			t.Errorf("%v does not match its sentinel", status)
		}
		for other, s := range sentinels {
			if other != status && errors.Is(e, s) {
				t.Errorf("%v matches the sentinel of %v", status, other)
			}
		}
		if errors.Is(e, vdk.ErrClosed) {
			t.Errorf("%v matches ErrClosed", status)
		}
		if errors.Is(e, context.Canceled) {
			t.Errorf("%v matches context.Canceled", status)
		}
	}
	if got := vdk.StatusCancelled.String(); got != "CANCELLED" || vdk.StatusCancelled != 9 {
		t.Errorf("StatusCancelled = %d, %q; want 9, CANCELLED (the C ABI's VDK_STATUS_CANCELLED)", vdk.StatusCancelled, got)
	}
	if got := vdk.StatusPanic.String(); got != "PANIC" {
		t.Errorf("StatusPanic.String() = %q", got)
	}
	if got := vdk.Status(42).String(); got != "STATUS_42" {
		t.Errorf("Status(42).String() = %q", got)
	}
}
