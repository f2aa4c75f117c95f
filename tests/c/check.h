/* Shared by the C test programs: the CHECK counter, a monotonic clock, and the environment
 * that run.sh passes. Each program closes with "<name>: N passed, M failed". */
#ifndef VDK_TEST_CHECK_H
#define VDK_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* A value no error text, log line or debug print may ever show. */
#define CANARY "sk-canary-7f3a9c1d"

static int passed, failed;

#define CHECK(cond, ...)                                                      \
  do {                                                                        \
    if (cond) {                                                               \
      passed++;                                                               \
    } else {                                                                  \
      failed++;                                                               \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);         \
      fprintf(stderr, __VA_ARGS__);                                           \
      fputc('\n', stderr);                                                    \
    }                                                                         \
  } while (0)

static inline double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* An environment variable run.sh must have set. */
static inline const char *need(const char *name) {
  const char *value = getenv(name);
  if (!value || !*value) {
    fprintf(stderr, "%s is not set; run tests/c/run.sh\n", name);
    exit(2);
  }
  return value;
}

#ifdef _GNU_SOURCE
#include <stdarg.h>
/* A new string formatted like printf (the caller frees it); aborts when out of memory. */
static inline char *fmt(const char *format, ...) {
  va_list args;
  va_start(args, format);
  char *out = NULL;
  if (vasprintf(&out, format, args) < 0) abort();
  va_end(args);
  return out;
}
#endif

#endif
