/* The C ABI's cached get, timed the way the Java benchmark times JobSecrets.get: 1,000,000
 * vdk_job_secrets_get calls on a memory-backend handle (the cache is warm after the first),
 * each followed by vdk_string_free, in 5 batches; prints the median in ns/op.
 *
 * Build (bench/run.sh does it):
 *   cc -O2 -std=c11 -I include bindings/java/bench/cached_get.c -L target/release \
 *      -lvdk_secrets -Wl,-rpath,$PWD/target/release -o cached_get
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vdk_secrets.h"

#define CALLS 1000000L
#define BATCHES 5

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int check(VdkStatus status, VdkError *error, const char *what) {
  if (status == VDK_STATUS_OK) return 0;
  fprintf(stderr, "%s failed: %s\n", what, vdk_error_message(error));
  vdk_error_free(error);
  return 1;
}

int main(void) {
  VdkJobSecrets *secrets = NULL;
  VdkError *error = NULL;
  if (check(vdk_job_secrets_new("bench-job", "bench-team", "{\"secrets_default_type\": \"memory\"}",
                                &secrets, &error),
            error, "vdk_job_secrets_new"))
    return 1;
  /* The same 64-character value the Java benchmark reads. */
  if (check(vdk_job_secrets_set(secrets, "api-key",
                                "\"sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"", &error),
            error, "vdk_job_secrets_set"))
    return 1;

  size_t total = 0;
  double batch_ns[BATCHES];
  for (int batch = -1; batch < BATCHES; batch++) { /* batch -1 warms up */
    double start = now_ns();
    for (long i = 0; i < CALLS; i++) {
      char *value = NULL;
      if (vdk_job_secrets_get(secrets, "api-key", &value, NULL) != VDK_STATUS_OK || value == NULL) {
        fprintf(stderr, "get failed\n");
        return 1;
      }
      total += strlen(value);
      vdk_string_free(value);
    }
    if (batch >= 0) batch_ns[batch] = (now_ns() - start) / (double)CALLS;
  }
  qsort(batch_ns, BATCHES, sizeof batch_ns[0], compare);
  printf("c cached get: %.1f ns/op (median of %d x %ld calls; checksum %zu)\n", batch_ns[BATCHES / 2], BATCHES,
         CALLS, total);
  vdk_job_secrets_free(secrets);
  return 0;
}
