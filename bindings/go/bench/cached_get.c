/* Times vdk_job_secrets_get on a warm memory-backend handle from C, the baseline of the Go
 * binding's BenchmarkCachedGet (same call, same value, same library), so that the difference is
 * what Go -> C costs. Each iteration is what a careful C caller does: get, then
 * vdk_string_free.
 *
 *   cc -O2 -I../../include cached_get.c ../../target/release/libvdk_secrets.a \
 *      -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc -o cached_get
 *   ./cached_get [iterations]     (default 1000000; prints "c_cached_get_ns_per_op <n>")
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vdk_secrets.h"

static int fail(const char *what, VdkError *error) {
  fprintf(stderr, "%s: %s\n", what, vdk_error_message(error));
  vdk_error_free(error);
  return 1;
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
  long iterations = argc > 1 ? atol(argv[1]) : 1000000;
  if (iterations <= 0) iterations = 1000000;
  VdkJobSecrets *secrets = NULL;
  VdkError *error = NULL;
  if (vdk_job_secrets_new("bench-c-cached-get", "bench-team", "{\"secrets_default_type\": \"memory\"}",
                          &secrets, &error) != VDK_STATUS_OK)
    return fail("vdk_job_secrets_new", error);
  if (vdk_job_secrets_set(secrets, "api-key", "\"sk-abc123\"", &error) != VDK_STATUS_OK)
    return fail("vdk_job_secrets_set", error);

  long warmup = iterations / 10 + 1;
  double start = 0;
  size_t checksum = 0;
  for (long i = -warmup; i < iterations; i++) {
    if (i == 0) start = now_ns();
    char *value = NULL;
    if (vdk_job_secrets_get(secrets, "api-key", &value, &error) != VDK_STATUS_OK)
      return fail("vdk_job_secrets_get", error);
    checksum += strlen(value); /* use the value, as a caller would */
    vdk_string_free(value);
  }
  double elapsed = now_ns() - start;
  if (checksum != (size_t)(iterations + warmup) * strlen("\"sk-abc123\"")) {
    fprintf(stderr, "unexpected values\n");
    return 1;
  }
  printf("c_cached_get_ns_per_op %.1f (%ld calls)\n", elapsed / (double)iterations, iterations);
  vdk_job_secrets_free(secrets);
  return 0;
}
