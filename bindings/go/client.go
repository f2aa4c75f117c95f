package vdksecrets

// #include "vdkgo.h"
import "C"

import (
	"context"
	"runtime"
	"unsafe"
)

// Client is a client of one Control Service's secrets API. It is safe for concurrent use by
// any number of goroutines, which share its connection pool and access token.
//
// Close releases it. A Client dropped without Close is released by the garbage collector (a
// safety net; Close is still the way to release it promptly). Calls after Close fail with
// ErrClosed.
type Client struct {
	h       *handle
	cleanup cleanup
}

// NewClient creates a client from cfg. It does no network I/O: the token exchange and the
// first connection happen on the first call. RestAPIURL is required (StatusConfiguration
// otherwise).
func NewClient(cfg Config) (*Client, error) {
	config, err := cfg.configJSON()
	if err != nil {
		return nil, err
	}
	defer wipe(config)
	var ptr *C.VdkClient
	var cerr *C.VdkError
	if status := C.vdk_client_new(cPtr(config), &ptr, &cerr); status != C.VDK_STATUS_OK {
		return nil, takeError(nil, status, cerr)
	}
	return newClient(ptr), nil
}

// NewClientFromEnv creates a client from the VDK_* environment variables (names
// case-insensitive, e.g. VDK_CONTROL_SERVICE_REST_API_URL), read at this call only.
func NewClientFromEnv() (*Client, error) {
	var ptr *C.VdkClient
	var cerr *C.VdkError
	if status := C.vdk_client_new_from_env(&ptr, &cerr); status != C.VDK_STATUS_OK {
		return nil, takeError(nil, status, cerr)
	}
	return newClient(ptr), nil
}

func newClient(ptr *C.VdkClient) *Client {
	c := &Client{h: newHandle(unsafe.Pointer(ptr), func(p unsafe.Pointer) { C.vdk_client_free((*C.VdkClient)(p)) })}
	c.cleanup = attachCleanup(c, c.h)
	return c
}

// acquire refuses a nil or closed client and a done context, and returns the library object
// and the call's timeout. On success the caller must call c.h.release().
func (c *Client) acquire(ctx context.Context, op string) (*C.VdkClient, C.uint32_t, error) {
	if c == nil || c.h == nil {
		return nil, 0, closedError(op, "client")
	}
	timeout, err := timeoutFor(ctx, op)
	if err != nil {
		return nil, 0, err
	}
	ptr, ok := c.h.acquire()
	if !ok {
		return nil, 0, closedError(op, "client")
	}
	return (*C.VdkClient)(ptr), timeout, nil
}

// ReadSecrets reads a job's secrets (empty when none are stored). Numbers decode to int64,
// uint64 or float64 (see the package documentation). The result never prints its values;
// read them with its getters (see Secrets).
func (c *Client) ReadSecrets(ctx context.Context, job, team string) (Secrets, error) {
	var secrets Secrets
	err := c.readSecrets(ctx, job, team, func(b []byte) error {
		m, err := decodeObject(b)
		secrets = newSecrets(m)
		return err
	})
	return secrets, err
}

// ReadSecretsJSON reads a job's secrets as the library returns them: a compact JSON object
// with sorted keys. The slice is the caller's; wipe it when done if it matters.
func (c *Client) ReadSecretsJSON(ctx context.Context, job, team string) ([]byte, error) {
	var out []byte
	err := c.readSecrets(ctx, job, team, func(b []byte) error {
		out = append([]byte(nil), b...)
		return nil
	})
	return out, err
}

func (c *Client) readSecrets(ctx context.Context, job, team string, use func([]byte) error) error {
	const op = "read secrets"
	cjob, err := cString("job name", job)
	if err != nil {
		return err
	}
	cteam, err := cString("team name", team)
	if err != nil {
		return err
	}
	ptr, timeout, err := c.acquire(ctx, op)
	if err != nil {
		return err
	}
	status, r := callLibrary(ctx, c.h, timeout, true, func(r *C.vdkgo_result) C.VdkStatus {
		return C.vdkgo_client_read(ptr, cPtr(cjob), cPtr(cteam), timeout, r)
	}, func(w C.uintptr_t, call **C.VdkCall, cerr **C.VdkError) C.VdkStatus {
		return C.vdkgo_client_read_async(ptr, cPtr(cjob), cPtr(cteam), timeout, w, call, cerr)
	})
	runtime.KeepAlive(c)
	if status != C.VDK_STATUS_OK {
		return takeError(ctx, status, r.error)
	}
	defer freeResult(&r)
	if r.json == nil || use(takeJSON(&r)) != nil {
		return malformed(op)
	}
	return nil
}

// WriteSecrets replaces a job's whole secrets map. Values may be any JSON-encodable Go value
// (see the package documentation); float64 values are sent as floats even when integral.
// Retries 5xx and network failures within the deadline (a PUT of a whole map is idempotent).
func (c *Client) WriteSecrets(ctx context.Context, job, team string, secrets map[string]any) error {
	if secrets == nil {
		secrets = map[string]any{}
	}
	body, err := encodeJSON("secrets", secrets)
	if err != nil {
		return err
	}
	defer wipe(body)
	return c.writeSecrets(ctx, job, team, body)
}

// WriteSecretsJSON replaces a job's whole secrets map with secretsJSON, a JSON object. The
// library validates it (StatusInvalidArgument when malformed or not an object; nothing is
// sent then).
func (c *Client) WriteSecretsJSON(ctx context.Context, job, team string, secretsJSON []byte) error {
	body := make([]byte, len(secretsJSON)+1)
	copy(body, secretsJSON)
	defer wipe(body)
	if i := indexNUL(secretsJSON); i >= 0 {
		return invalidArgument("Invalid secrets JSON", "it contains a NUL byte")
	}
	return c.writeSecrets(ctx, job, team, body)
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

func (c *Client) writeSecrets(ctx context.Context, job, team string, body []byte) error {
	const op = "write secrets"
	cjob, err := cString("job name", job)
	if err != nil {
		return err
	}
	cteam, err := cString("team name", team)
	if err != nil {
		return err
	}
	ptr, timeout, err := c.acquire(ctx, op)
	if err != nil {
		return err
	}
	status, r := callLibrary(ctx, c.h, timeout, true, func(r *C.vdkgo_result) C.VdkStatus {
		return C.vdkgo_client_write(ptr, cPtr(cjob), cPtr(cteam), cPtr(body), timeout, r)
	}, func(w C.uintptr_t, call **C.VdkCall, cerr **C.VdkError) C.VdkStatus {
		return C.vdkgo_client_write_async(ptr, cPtr(cjob), cPtr(cteam), cPtr(body), timeout, w, call, cerr)
	})
	runtime.KeepAlive(c)
	if status != C.VDK_STATUS_OK {
		return takeError(ctx, status, r.error)
	}
	freeResult(&r) // the map as written: not needed
	return nil
}

// Close releases the client. It is idempotent and never blocks: calls in flight finish (a
// started asynchronous call holds the library's own reference), and the library object is
// released once no call is inside the C library with it. Later calls fail with ErrClosed.
// Close always returns nil.
func (c *Client) Close() error {
	if c == nil || c.h == nil {
		return nil
	}
	if c.h.close() {
		detachCleanup(c, c.cleanup)
	}
	return nil
}
