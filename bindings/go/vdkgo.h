/* Helpers of the Go binding, compiled into each cgo file that includes this header (static
 * inline, so the package has no .c file: with cgo disabled, the build then stops at
 * nocgo.go's readable message instead of "C source files not allowed"). */
#ifndef VDKGO_H
#define VDKGO_H

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
// completion is vdkgo_completed below, with a vdkgo_done slot (C memory, from the Go side) as
// user_data. The completion runs on the library's completion thread and writes the outcome
// into the slot, then hands the slot to Go:
//
//  - normally through the queue (completions.go): it pushes the slot on a lock-free list and,
//    when the list was empty, writes one byte to a non-blocking pipe that a Go goroutine waits
//    on through the netpoller. That goroutine takes the whole list with one atomic swap, in
//    Go, and wakes each waiting caller. So the completion thread never enters Go: a call from
//    a C thread into Go must first get one of Go's processors (P) and leaves the woken caller
//    on a P it then gives up, which cost tens of microseconds per call under load.
//  - for a lone call (no other asynchronous call in flight; lone.go), by writing to an eventfd
//    that the calling goroutine itself waits on through the netpoller: no goroutine in
//    between, so no wake-up of a second goroutine and of a thread to run it.
//  - when the queue could not be set up (no file descriptor for the pipe), by calling the Go
//    function vdkgoCallCompleted (exports.go) directly.
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

static inline void vdkgo_completed(void *user_data, VdkCall *call, VdkStatus status, char *json,
                                   VdkError *error) {
	(void)call;
	vdkgo_done *d = (vdkgo_done *)user_data;
	d->status = status;
	d->json = json;
	d->len = json != NULL ? strlen(json) : 0;
	d->error = error;
	int notify = d->notify;
	if (notify != 0) {
		// A lone call: its caller waits on this eventfd itself, through the netpoller. From
		// here on the slot is the caller's: it is not touched again.
		uint64_t one = 1;
		ssize_t written = write(notify - 1, &one, sizeof one);
		(void)written;
		return;
	}
	vdkgo_queue *q = d->queue;
	if (q == NULL) {
		vdkgoCallCompleted((void *)d);
		return;
	}
	void *head = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
	do {
		d->next = (vdkgo_done *)head;
	} while (!__atomic_compare_exchange_n(&q->head, &head, (void *)d, 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	if (head == NULL) {
		// The list was empty, so the Go side may be asleep: wake it. A full pipe (EAGAIN)
		// already holds a wake-up; nothing else can fail on a valid pipe.
		char wake = 1;
		ssize_t written = write(q->wake_fd, &wake, 1);
		(void)written;
	}
}

static inline VdkStatus vdkgo_client_read_async(const VdkClient *c, const char *job, const char *team,
                                                uint32_t timeout_ms, uintptr_t done,
                                                VdkCall **out_call, VdkError **out_error) {
	return vdk_client_read_secrets_async(c, job, team, timeout_ms, vdkgo_completed, (void *)done,
	                                     out_call, out_error);
}

static inline VdkStatus vdkgo_client_write_async(const VdkClient *c, const char *job, const char *team,
                                                 const char *secrets_json, uint32_t timeout_ms,
                                                 uintptr_t done, VdkCall **out_call,
                                                 VdkError **out_error) {
	return vdk_client_write_secrets_async(c, job, team, secrets_json, timeout_ms, vdkgo_completed,
	                                      (void *)done, out_call, out_error);
}

static inline VdkStatus vdkgo_job_get_async(const VdkJobSecrets *s, const char *name, uint32_t timeout_ms,
                                            uintptr_t done, VdkCall **out_call, VdkError **out_error) {
	return vdk_job_secrets_get_async(s, name, timeout_ms, vdkgo_completed, (void *)done, out_call,
	                                 out_error);
}

static inline VdkStatus vdkgo_job_get_all_async(const VdkJobSecrets *s, uint32_t timeout_ms,
                                                uintptr_t done, VdkCall **out_call,
                                                VdkError **out_error) {
	return vdk_job_secrets_get_all_async(s, timeout_ms, vdkgo_completed, (void *)done, out_call,
	                                     out_error);
}

static inline VdkStatus vdkgo_job_set_async(const VdkJobSecrets *s, const char *name,
                                            const char *value_json, uint32_t timeout_ms,
                                            uintptr_t done, VdkCall **out_call, VdkError **out_error) {
	return vdk_job_secrets_set_async(s, name, value_json, timeout_ms, vdkgo_completed, (void *)done,
	                                 out_call, out_error);
}

static inline VdkStatus vdkgo_job_set_all_async(const VdkJobSecrets *s, const char *secrets_json,
                                                uint32_t timeout_ms, uintptr_t done,
                                                VdkCall **out_call, VdkError **out_error) {
	return vdk_job_secrets_set_all_async(s, secrets_json, timeout_ms, vdkgo_completed, (void *)done,
	                                     out_call, out_error);
}

static inline VdkStatus vdkgo_job_delete_async(const VdkJobSecrets *s, const char *name,
                                               uint32_t timeout_ms, uintptr_t done,
                                               VdkCall **out_call, VdkError **out_error) {
	return vdk_job_secrets_delete_async(s, name, timeout_ms, vdkgo_completed, (void *)done, out_call,
	                                    out_error);
}

static inline VdkStatus vdkgo_job_refresh_async(const VdkJobSecrets *s, uint32_t timeout_ms,
                                                uintptr_t done, VdkCall **out_call,
                                                VdkError **out_error) {
	return vdk_job_secrets_refresh_async(s, timeout_ms, vdkgo_completed, (void *)done, out_call,
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
