/* Helpers of the Go binding, compiled into each cgo file that includes this header (static
 * inline, so the package has no .c file: with cgo disabled, the build then stops at
 * nocgo.go's readable message instead of "C source files not allowed"). */
#ifndef VDKGO_H
#define VDKGO_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vdk_secrets.h"

// The outputs of one call, in one struct so that a call allocates one Go object for them.
// json/len: the returned string and its length (strlen, computed in the same cgo call or in
// the completion); error: the VdkError of a failed call.
typedef struct {
	char *json;
	size_t len;
	VdkError *error;
} vdkgo_result;

// Blocking calls, for contexts that can never be cancelled: a call served from the job
// layer's cache then costs well under a microsecond, where a round trip through the
// completion thread costs tens.
static inline void vdkgo_measure(VdkStatus status, vdkgo_result *r) {
	r->len = (status == VDK_STATUS_OK && r->json != NULL) ? strlen(r->json) : 0;
}

static inline VdkStatus vdkgo_client_read(const VdkClient *c, const char *job, const char *team,
                                          uint32_t timeout_ms, vdkgo_result *r) {
	VdkStatus s = vdk_client_read_secrets_with_timeout(c, job, team, timeout_ms, &r->json, &r->error);
	vdkgo_measure(s, r);
	return s;
}

static inline VdkStatus vdkgo_client_write(const VdkClient *c, const char *job, const char *team,
                                           const char *secrets_json, uint32_t timeout_ms, vdkgo_result *r) {
	return vdk_client_write_secrets_with_timeout(c, job, team, secrets_json, timeout_ms, NULL, &r->error);
}

static inline VdkStatus vdkgo_job_get(const VdkJobSecrets *s, const char *name, uint32_t timeout_ms,
                                      vdkgo_result *r) {
	VdkStatus st = vdk_job_secrets_get_with_timeout(s, name, timeout_ms, &r->json, &r->error);
	vdkgo_measure(st, r);
	return st;
}

static inline VdkStatus vdkgo_job_get_all(const VdkJobSecrets *s, uint32_t timeout_ms, vdkgo_result *r) {
	VdkStatus st = vdk_job_secrets_get_all_with_timeout(s, timeout_ms, &r->json, &r->error);
	vdkgo_measure(st, r);
	return st;
}

static inline VdkStatus vdkgo_job_set(const VdkJobSecrets *s, const char *name, const char *value_json,
                                      uint32_t timeout_ms, vdkgo_result *r) {
	return vdk_job_secrets_set_with_timeout(s, name, value_json, timeout_ms, &r->error);
}

static inline VdkStatus vdkgo_job_set_all(const VdkJobSecrets *s, const char *secrets_json,
                                          uint32_t timeout_ms, vdkgo_result *r) {
	return vdk_job_secrets_set_all_with_timeout(s, secrets_json, timeout_ms, &r->error);
}

static inline VdkStatus vdkgo_job_delete(const VdkJobSecrets *s, const char *name, uint32_t timeout_ms,
                                         vdkgo_result *r) {
	return vdk_job_secrets_delete_with_timeout(s, name, timeout_ms, &r->error);
}

static inline VdkStatus vdkgo_job_refresh(const VdkJobSecrets *s, uint32_t timeout_ms, vdkgo_result *r) {
	return vdk_job_secrets_refresh_with_timeout(s, timeout_ms, &r->error);
}

// The error's fields, read in one cgo call. The texts are borrowed from the error.
typedef struct {
	VdkStatus status;
	uint16_t http_status;
	bool retryable;
	const char *message;
	const char *what;
	const char *why;
	const char *consequences;
	const char *countermeasures;
	const char *op_id;
	uint32_t attempts;
} vdkgo_error_details;

static inline void vdkgo_error_read(const VdkError *e, vdkgo_error_details *d) {
	d->status = vdk_error_status(e);
	d->http_status = vdk_error_http_status(e);
	d->retryable = vdk_error_retryable(e);
	d->message = vdk_error_message(e);
	d->what = vdk_error_what(e);
	d->why = vdk_error_why(e);
	d->consequences = vdk_error_consequences(e);
	d->countermeasures = vdk_error_countermeasures(e);
	d->op_id = vdk_error_op_id(e);
	d->attempts = vdk_error_attempts(e);
}

// Asynchronous calls (for contexts that can be cancelled). Each starts one call whose
// completion is vdkgo_completed (completions.go), with a vdkgo_done slot (C memory, from the Go
// side) as user_data. The completion runs on the library's runtime worker (it is marked
// immediate, see below) or, for a cancelled call, on its completion thread; it writes the
// outcome into the slot, then hands the slot to Go:
//
//  - normally through the queue (completions.go): it pushes the slot on a lock-free list and,
//    when the list was empty, writes one byte to a non-blocking pipe that a Go goroutine waits
//    on through the netpoller. That goroutine takes the whole list with one atomic swap, in
//    Go, and wakes each waiting caller. So the completion thread never enters Go: a call from
//    a C thread into Go must first get one of Go's processors (P) and leaves the woken caller
//    on a P it then gives up, which cost tens of microseconds per call under load.
//  - for a lone call (no other asynchronous call in flight; lone.go), by writing to an eventfd
//    that the calling goroutine itself waits on, in C: no goroutine in between, so no wake-up
//    of a second goroutine and of a thread to run it.
//  - when the queue could not be set up (no file descriptor for the pipe), by calling the Go
//    function vdkgoCallCompleted (exports.go) directly, from vdkgo_completed_in_go.
typedef struct vdkgo_queue {
	void *head;  // vdkgo_done *, the last slot pushed; swapped to NULL by Go (atomically)
	int wake_fd; // the pipe's write end, non-blocking
} vdkgo_queue;

typedef struct vdkgo_done {
	struct vdkgo_done *next; // on the queue's list
	int notify;              // a lone call's eventfd + 1 (lone.go): the completion only writes to it; 0: none
	vdkgo_queue *queue;      // NULL (and no notify): complete through vdkgoCallCompleted
	uintptr_t waiter;        // the cgo.Handle of the Go waiter
	VdkStatus status;
	char *json;
	size_t len;
	VdkError *error;
} vdkgo_done;

extern void vdkgoCallCompleted(void *done);

// Waits for a lone call's completion (lone.go): blocks in read() until the eventfd's counter is
// non-zero, and resets it. 0 once written; -1 only for a bad descriptor.
static inline int vdkgo_wait_eventfd(int fd) {
	uint64_t count;
	for (;;) {
		if (read(fd, &count, sizeof count) == (ssize_t)sizeof count) return 0;
		if (errno != EINTR) return -1;
	}
}

// Both are defined once, in completions.go's preamble, so that every file that starts calls
// passes the same function: the library recognises vdkgo_completed by its address, as marked
// immediate (vdk_completion_set_immediate): it only stores and signals, so the library runs it
// right on the runtime worker that finished the call, without a hand-over to its completion
// thread (one thread wake-up fewer per call, or per batch of calls). vdkgo_completed_in_go, for
// slots without queue or notifier, calls into Go, which may wait for one of Go's processors:
// never marked, it runs on the completion thread, as every completion does by default.
void vdkgo_completed(void *user_data, VdkCall *call, VdkStatus status, char *json, VdkError *error);
void vdkgo_completed_in_go(void *user_data, VdkCall *call, VdkStatus status, char *json, VdkError *error);

// The completion for the slot done.
static inline VdkCompletion vdkgo_completion(uintptr_t done) {
	const vdkgo_done *d = (const vdkgo_done *)done;
	return d->notify == 0 && d->queue == NULL ? vdkgo_completed_in_go : vdkgo_completed;
}

// Marks vdkgo_completed immediate; once per process (completions.go). On failure (16 other
// functions marked by other code in the process) calls still work, through the completion thread.
static inline VdkStatus vdkgo_mark_immediate(void) {
	return vdk_completion_set_immediate(vdkgo_completed, NULL);
}

static inline VdkStatus vdkgo_client_read_async(const VdkClient *c, const char *job, const char *team,
                                                uint32_t timeout_ms, uintptr_t done,
                                                VdkCall **out_call, VdkError **out_error) {
	return vdk_client_read_secrets_async(c, job, team, timeout_ms, vdkgo_completion(done), (void *)done,
	                                     out_call, out_error);
}

static inline VdkStatus vdkgo_client_write_async(const VdkClient *c, const char *job, const char *team,
                                                 const char *secrets_json, uint32_t timeout_ms,
                                                 uintptr_t done, VdkCall **out_call,
                                                 VdkError **out_error) {
	return vdk_client_write_secrets_async(c, job, team, secrets_json, timeout_ms, vdkgo_completion(done),
	                                      (void *)done, out_call, out_error);
}

static inline VdkStatus vdkgo_job_get_async(const VdkJobSecrets *s, const char *name, uint32_t timeout_ms,
                                            uintptr_t done, VdkCall **out_call, VdkError **out_error) {
	return vdk_job_secrets_get_async(s, name, timeout_ms, vdkgo_completion(done), (void *)done, out_call,
	                                 out_error);
}

static inline VdkStatus vdkgo_job_get_all_async(const VdkJobSecrets *s, uint32_t timeout_ms,
                                                uintptr_t done, VdkCall **out_call,
                                                VdkError **out_error) {
	return vdk_job_secrets_get_all_async(s, timeout_ms, vdkgo_completion(done), (void *)done, out_call,
	                                     out_error);
}

static inline VdkStatus vdkgo_job_set_async(const VdkJobSecrets *s, const char *name,
                                            const char *value_json, uint32_t timeout_ms,
                                            uintptr_t done, VdkCall **out_call, VdkError **out_error) {
	return vdk_job_secrets_set_async(s, name, value_json, timeout_ms, vdkgo_completion(done), (void *)done,
	                                 out_call, out_error);
}

static inline VdkStatus vdkgo_job_set_all_async(const VdkJobSecrets *s, const char *secrets_json,
                                                uint32_t timeout_ms, uintptr_t done,
                                                VdkCall **out_call, VdkError **out_error) {
	return vdk_job_secrets_set_all_async(s, secrets_json, timeout_ms, vdkgo_completion(done), (void *)done,
	                                     out_call, out_error);
}

static inline VdkStatus vdkgo_job_delete_async(const VdkJobSecrets *s, const char *name,
                                               uint32_t timeout_ms, uintptr_t done,
                                               VdkCall **out_call, VdkError **out_error) {
	return vdk_job_secrets_delete_async(s, name, timeout_ms, vdkgo_completion(done), (void *)done, out_call,
	                                    out_error);
}

static inline VdkStatus vdkgo_job_refresh_async(const VdkJobSecrets *s, uint32_t timeout_ms,
                                                uintptr_t done, VdkCall **out_call,
                                                VdkError **out_error) {
	return vdk_job_secrets_refresh_async(s, timeout_ms, vdkgo_completion(done), (void *)done, out_call,
	                                     out_error);
}

// The log sink: forwards each record to the Go function vdkgoLogRecord (exports.go). The
// strings stay borrowed: Go copies them before returning.
extern void vdkgoLogRecord(VdkLogLevel level, char *target, char *message);

static inline void vdkgo_log_sink(void *user_data, VdkLogLevel level, const char *target,
                                  const char *message) {
	(void)user_data;
	vdkgoLogRecord(level, (char *)target, (char *)message);
}

static inline void vdkgo_set_log_sink(VdkLogLevel max_level) {
	vdk_set_log_sink(vdkgo_log_sink, NULL, max_level);
}
#endif /* VDKGO_H */
