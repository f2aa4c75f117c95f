/* Helpers of the Go binding, compiled into each cgo file that includes this header (static
 * inline, so the package has no .c file: with cgo disabled, the build then stops at
 * nocgo.go's readable message instead of "C source files not allowed"). */
#ifndef VDKGO_H
#define VDKGO_H

#include <stdlib.h>
#include <string.h>
#include "vdk_secrets.h"

// The outputs of one call, in one struct so that a call allocates one Go object for them.
// json/len: the returned string and its length (strlen, computed in the same cgo call);
// error: the VdkError of a failed call.
typedef struct {
	char *json;
	size_t len;
	VdkError *error;
} vdkgo_result;

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
}
#endif /* VDKGO_H */
