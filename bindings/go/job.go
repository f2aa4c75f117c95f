package vdksecrets

// #include "vdkgo.h"
import "C"

import (
	"context"
	"runtime"
	"unsafe"
)

// JobSecrets is one job's secrets as data-job code sees them: Get, GetAll, Set, SetAll,
// Delete, Refresh, through the backend the configuration picks ("default" or
// "control-service" when RestAPIURL is set, or "memory", an in-process store shared by the
// whole process).
//
// Reads are cached until a write through this JobSecrets, Refresh, or SecretsCacheTTL;
// concurrent first reads cause one fetch; Set, SetAll and Delete are serialized. Safe for
// concurrent use. Close releases it; calls after Close fail with ErrClosed.
type JobSecrets struct {
	h       *handle
	cleanup cleanup
	backend string
}

// NewJobSecrets creates the job's secrets handle from cfg. It does no network I/O; a missing
// or unknown backend is reported by the first call, with StatusConfiguration.
func NewJobSecrets(job, team string, cfg Config) (*JobSecrets, error) {
	config, err := cfg.configJSON()
	if err != nil {
		return nil, err
	}
	defer wipe(config)
	return newJobSecrets(job, team, config)
}

// NewJobSecretsFromEnv creates the job's secrets handle from the VDK_* environment variables.
func NewJobSecretsFromEnv(job, team string) (*JobSecrets, error) {
	return newJobSecrets(job, team, nil)
}

func newJobSecrets(job, team string, config []byte) (*JobSecrets, error) {
	cjob, err := cString("job name", job)
	if err != nil {
		return nil, err
	}
	cteam, err := cString("team name", team)
	if err != nil {
		return nil, err
	}
	var cconfig *C.char // NULL: from the environment
	if config != nil {
		cconfig = cPtr(config)
	}
	var ptr *C.VdkJobSecrets
	var cerr *C.VdkError
	if status := C.vdk_job_secrets_new(cPtr(cjob), cPtr(cteam), cconfig, &ptr, &cerr); status != C.VDK_STATUS_OK {
		return nil, takeError(nil, status, cerr)
	}
	s := &JobSecrets{
		h:       newHandle(unsafe.Pointer(ptr), func(p unsafe.Pointer) { C.vdk_job_secrets_free((*C.VdkJobSecrets)(p)) }),
		backend: C.GoString(C.vdk_job_secrets_backend(ptr)),
	}
	s.cleanup = attachCleanup(s, s.h)
	return s, nil
}

// Backend returns the name of the backend in use: "default", "control-service", "memory",
// or "unavailable" when the configuration chose none (calls then fail with
// StatusConfiguration).
func (s *JobSecrets) Backend() string {
	if s == nil {
		return ""
	}
	return s.backend
}

func (s *JobSecrets) acquire(ctx context.Context, op string) (*C.VdkJobSecrets, C.uint32_t, error) {
	if s == nil || s.h == nil {
		return nil, 0, closedError(op, "job secrets handle")
	}
	timeout, err := timeoutFor(ctx, op)
	if err != nil {
		return nil, 0, err
	}
	ptr, ok := s.h.acquire()
	if !ok {
		return nil, 0, closedError(op, "job secrets handle")
	}
	return (*C.VdkJobSecrets)(ptr), timeout, nil
}

// call runs one call on the acquired handle (see callLibrary); the handle may be freed once
// the call has started.
func (s *JobSecrets) call(ctx context.Context, timeout C.uint32_t, block blockFunc, start startFunc) (C.VdkStatus, C.vdkgo_result) {
	status, r := callLibrary(ctx, s.h, timeout, false, block, start)
	runtime.KeepAlive(s)
	return status, r
}

// callNoResult runs a call whose completion carries no result (set, delete, refresh).
func (s *JobSecrets) callNoResult(ctx context.Context, timeout C.uint32_t, block blockFunc, start startFunc) error {
	status, r := s.call(ctx, timeout, block, start)
	if status != C.VDK_STATUS_OK {
		return takeError(ctx, status, r.error)
	}
	freeResult(&r) // NULL by contract; released all the same should that change
	return nil
}

// Get returns one secret's value and true, or nil and false when it is not set (a secret
// set to JSON null returns nil and true). Served from the cache when warm.
func (s *JobSecrets) Get(ctx context.Context, name string) (any, bool, error) {
	const op = "get a secret"
	cname, err := cString("secret name", name)
	if err != nil {
		return nil, false, err
	}
	ptr, timeout, err := s.acquire(ctx, op)
	if err != nil {
		return nil, false, err
	}
	status, r := s.call(ctx, timeout, func(r *C.vdkgo_result) C.VdkStatus {
		return C.vdkgo_job_get(ptr, cPtr(cname), timeout, r)
	}, func(w C.uintptr_t, call **C.VdkCall, cerr **C.VdkError) C.VdkStatus {
		return C.vdkgo_job_get_async(ptr, cPtr(cname), timeout, w, call, cerr)
	})
	if status != C.VDK_STATUS_OK {
		return nil, false, takeError(ctx, status, r.error)
	}
	if r.json == nil {
		return nil, false, nil
	}
	defer freeResult(&r)
	value, err := decodeValue(takeJSON(&r))
	if err != nil {
		return nil, false, malformed(op)
	}
	return value, true, nil
}

// GetAll returns all secrets of the job, from the cache when warm. The result never prints
// its values; read them with its getters (see Secrets).
func (s *JobSecrets) GetAll(ctx context.Context) (Secrets, error) {
	const op = "get all secrets"
	ptr, timeout, err := s.acquire(ctx, op)
	if err != nil {
		return Secrets{}, err
	}
	status, r := s.call(ctx, timeout, func(r *C.vdkgo_result) C.VdkStatus {
		return C.vdkgo_job_get_all(ptr, timeout, r)
	}, func(w C.uintptr_t, call **C.VdkCall, cerr **C.VdkError) C.VdkStatus {
		return C.vdkgo_job_get_all_async(ptr, timeout, w, call, cerr)
	})
	if status != C.VDK_STATUS_OK {
		return Secrets{}, takeError(ctx, status, r.error)
	}
	defer freeResult(&r)
	secrets, err := decodeObject(takeJSON(&r))
	if err != nil {
		return Secrets{}, malformed(op)
	}
	return newSecrets(secrets), nil
}

// Set sets one secret to value (any JSON-encodable Go value; see the package documentation):
// it reads the current map (from the cache when warm), changes it and writes it back. Names
// must be non-empty without whitespace; maps above 1 MiB are refused with StatusUserError
// before sending. On any error nothing is written.
func (s *JobSecrets) Set(ctx context.Context, name string, value any) error {
	const op = "set a secret"
	cname, err := cString("secret name", name)
	if err != nil {
		return err
	}
	cvalue, err := encodeJSON("secret value", value)
	if err != nil {
		return err
	}
	defer wipe(cvalue)
	ptr, timeout, err := s.acquire(ctx, op)
	if err != nil {
		return err
	}
	return s.callNoResult(ctx, timeout, func(r *C.vdkgo_result) C.VdkStatus {
		return C.vdkgo_job_set(ptr, cPtr(cname), cPtr(cvalue), timeout, r)
	}, func(w C.uintptr_t, call **C.VdkCall, cerr **C.VdkError) C.VdkStatus {
		return C.vdkgo_job_set_async(ptr, cPtr(cname), cPtr(cvalue), timeout, w, call, cerr)
	})
}

// SetAll replaces all secrets of the job. Validated as Set validates; on any error nothing
// is written.
func (s *JobSecrets) SetAll(ctx context.Context, secrets map[string]any) error {
	const op = "set all secrets"
	if secrets == nil {
		secrets = map[string]any{}
	}
	body, err := encodeJSON("secrets", secrets)
	if err != nil {
		return err
	}
	defer wipe(body)
	ptr, timeout, err := s.acquire(ctx, op)
	if err != nil {
		return err
	}
	return s.callNoResult(ctx, timeout, func(r *C.vdkgo_result) C.VdkStatus {
		return C.vdkgo_job_set_all(ptr, cPtr(body), timeout, r)
	}, func(w C.uintptr_t, call **C.VdkCall, cerr **C.VdkError) C.VdkStatus {
		return C.vdkgo_job_set_all_async(ptr, cPtr(body), timeout, w, call, cerr)
	})
}

// Delete removes one secret (read, change, write, as Set). Removing a secret that is not set
// writes nothing and succeeds.
func (s *JobSecrets) Delete(ctx context.Context, name string) error {
	const op = "delete a secret"
	cname, err := cString("secret name", name)
	if err != nil {
		return err
	}
	ptr, timeout, err := s.acquire(ctx, op)
	if err != nil {
		return err
	}
	return s.callNoResult(ctx, timeout, func(r *C.vdkgo_result) C.VdkStatus {
		return C.vdkgo_job_delete(ptr, cPtr(cname), timeout, r)
	}, func(w C.uintptr_t, call **C.VdkCall, cerr **C.VdkError) C.VdkStatus {
		return C.vdkgo_job_delete_async(ptr, cPtr(cname), timeout, w, call, cerr)
	})
}

// Refresh drops the cache and fetches the job's secrets again, so later reads see other
// writers. On failure the cache stays empty and the next read fetches.
func (s *JobSecrets) Refresh(ctx context.Context) error {
	const op = "refresh secrets"
	ptr, timeout, err := s.acquire(ctx, op)
	if err != nil {
		return err
	}
	return s.callNoResult(ctx, timeout, func(r *C.vdkgo_result) C.VdkStatus {
		return C.vdkgo_job_refresh(ptr, timeout, r)
	}, func(w C.uintptr_t, call **C.VdkCall, cerr **C.VdkError) C.VdkStatus {
		return C.vdkgo_job_refresh_async(ptr, timeout, w, call, cerr)
	})
}

// Close releases the handle and wipes its cache (once the calls in flight have returned). It
// is idempotent, never blocks, and always returns nil. Later calls fail with ErrClosed.
func (s *JobSecrets) Close() error {
	if s == nil || s.h == nil {
		return nil
	}
	if s.h.close() {
		detachCleanup(s, s.cleanup)
	}
	return nil
}
