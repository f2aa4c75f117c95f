/* The C ABI's part of benches/scaling.sh (issue 15): reads and writes of maps of four sizes.
 *
 *   scaling_bench seed  URL                  writes the four maps, to jobs scale-SIZE (read by
 *        every client) and scale-write-c-SIZE
 *   scaling_bench read  URL SIZE CALLS       CALLS sequential vdk_client_read_secrets (after a
 *        warm-up of CALLS/5); prints client CPU us per call (getrusage, all threads) and wall us
 *   scaling_bench write URL SIZE CALLS       the same with vdk_client_write_secrets of the map to
 *        scale-write-c-SIZE
 *   scaling_bench peak  URL SIZE             RSS of an idle client (created, one read of the
 *        300B map done), then the peak RSS (VmHWM, reset through /proc/self/clear_refs) during
 *        one read of the SIZE map and vdk_string_free of its result
 *   scaling_bench get   URL SIZE CALLS       the job layer: vdk_job_secrets_get of one secret from
 *        a warm cache of the SIZE map (job scale-SIZE), CALLS times; prints ns per get
 *   scaling_bench map   SIZE                 prints the map (for a look at its shape)
 *
 * SIZE is 300B, 10KB, 100KB or 1MB: 3, 100, 1,000 and 10,000 secrets of ~100 bytes of JSON
 * each, values being PEM-like lines of letters and digits joined by "\n" escapes.
 *
 * Build: cc -O2 -pthread -I include benches/c/scaling_bench.c -L target/release -lvdk_secrets \
 *          -Wl,-rpath,target/release -o scaling_bench
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "vdk_secrets.h"

#define TEAM "bench-team"

struct size {
  const char *name;
  size_t bytes;
  int secrets;
};

static const struct size SIZES[] = {
    {"300B", 300, 3}, {"10KB", 10000, 100}, {"100KB", 100000, 1000}, {"1MB", 1000000, 10000}};

static const struct size *size_named(const char *name) {
  for (size_t i = 0; i < sizeof SIZES / sizeof SIZES[0]; i++)
    if (!strcmp(SIZES[i].name, name)) return &SIZES[i];
  fprintf(stderr, "unknown size %s (300B, 10KB, 100KB, 1MB)\n", name);
  exit(2);
}

/* The map as compact JSON, keys in order; about size->bytes long. */
static char *make_map(const struct size *size) {
  size_t per_secret = size->bytes / (size_t)size->secrets;
  size_t overhead = 19; /* "secret-00000":"" and a comma */
  size_t value_len = per_secret > overhead ? per_secret - overhead : 1;
  char *out = malloc(size->bytes * 2 + 64);
  if (!out) exit(1);
  size_t n = 0;
  unsigned state = 12345;
  out[n++] = '{';
  for (int i = 0; i < size->secrets; i++) {
    n += (size_t)sprintf(out + n, "%s\"secret-%05d\":\"", i ? "," : "", i);
    for (size_t j = 0; j < value_len; j++) {
      if (j % 64 == 63 && j + 2 < value_len) {
        out[n++] = '\\';
        out[n++] = 'n';
        j++;
        continue;
      }
      state = state * 1103515245u + 12345u;
      out[n++] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[(state >> 16) & 63];
    }
    out[n++] = '"';
  }
  out[n++] = '}';
  out[n] = 0;
  return out;
}

static double cpu_us(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}

static double wall_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void check(VdkStatus status, const char *what, VdkError *error) {
  if (status == VDK_STATUS_OK) return;
  fprintf(stderr, "%s: %s\n", what, error ? vdk_error_message(error) : "failed");
  exit(1);
}

static VdkClient *new_client(const char *url) {
  char config[1024];
  snprintf(config, sizeof config, "{\"control_service_rest_api_url\": \"%s\"}", url);
  VdkClient *client = NULL;
  VdkError *error = NULL;
  check(vdk_client_new(config, &client, &error), "vdk_client_new", error);
  return client;
}

static void read_once(VdkClient *client, const char *job, size_t min_len) {
  char *json = NULL;
  VdkError *error = NULL;
  check(vdk_client_read_secrets(client, job, TEAM, &json, &error), "vdk_client_read_secrets", error);
  if (strlen(json) < min_len) {
    fprintf(stderr, "short answer for %s\n", job);
    exit(1);
  }
  vdk_string_free(json);
}

static void write_once(VdkClient *client, const char *job, const char *map) {
  VdkError *error = NULL;
  check(vdk_client_write_secrets(client, job, TEAM, map, NULL, &error), "vdk_client_write_secrets", error);
}

static long status_kib(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long value = -1;
  size_t len = strlen(field);
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, field, len)) value = atol(line + len);
  if (f) fclose(f);
  return value;
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "map")) {
    puts(make_map(size_named(argv[2])));
    return 0;
  }
  if (argc == 3 && !strcmp(argv[1], "seed")) {
    VdkClient *client = new_client(argv[2]);
    for (size_t i = 0; i < sizeof SIZES / sizeof SIZES[0]; i++) {
      char job[64];
      char *map = make_map(&SIZES[i]);
      snprintf(job, sizeof job, "scale-%s", SIZES[i].name);
      write_once(client, job, map);
      snprintf(job, sizeof job, "scale-write-c-%s", SIZES[i].name);
      write_once(client, job, map);
      free(map);
    }
    vdk_client_free(client);
    return 0;
  }
  if (argc == 4 && !strcmp(argv[1], "peak")) {
    const struct size *size = size_named(argv[3]);
    VdkClient *client = new_client(argv[2]);
    read_once(client, "scale-300B", 10);
    long idle = status_kib("VmRSS:");
    FILE *clear = fopen("/proc/self/clear_refs", "w");
    if (!clear || fputs("5", clear) < 0 || fclose(clear) != 0) {
      fprintf(stderr, "cannot reset the peak RSS\n");
      return 1;
    }
    char job[64];
    snprintf(job, sizeof job, "scale-%s", size->name);
    read_once(client, job, size->bytes / 2);
    long peak = status_kib("VmHWM:");
    printf("RESULT size=%s idle_kib=%ld peak_kib=%ld above_idle_kib=%ld map_kib=%.0f ratio=%.2f\n", size->name, idle,
           peak, peak - idle, size->bytes / 1024.0, (peak - idle) / (size->bytes / 1024.0));
    vdk_client_free(client);
    return 0;
  }
  if (argc == 5 && !strcmp(argv[1], "get")) {
    const struct size *size = size_named(argv[3]);
    long calls = atol(argv[4]);
    char config[1024], job[64];
    snprintf(config, sizeof config, "{\"control_service_rest_api_url\": \"%s\"}", argv[2]);
    snprintf(job, sizeof job, "scale-%s", size->name);
    VdkJobSecrets *secrets = NULL;
    VdkError *error = NULL;
    check(vdk_job_secrets_new(job, TEAM, config, &secrets, &error), "vdk_job_secrets_new", error);
    double w0 = 0;
    for (long i = -1; i < calls; i++) {
      if (i == 0) w0 = wall_us();
      char *value = NULL;
      check(vdk_job_secrets_get(secrets, "secret-00001", &value, &error), "vdk_job_secrets_get", error);
      if (!value) {
        fprintf(stderr, "secret-00001 is not set\n");
        return 1;
      }
      vdk_string_free(value);
    }
    printf("RESULT client=c op=get size=%s calls=%ld ns=%.1f\n", size->name, calls, (wall_us() - w0) * 1e3 / calls);
    vdk_job_secrets_free(secrets);
    return 0;
  }
  if (argc == 5 && (!strcmp(argv[1], "read") || !strcmp(argv[1], "write"))) {
    int reading = !strcmp(argv[1], "read");
    const struct size *size = size_named(argv[3]);
    long calls = atol(argv[4]);
    VdkClient *client = new_client(argv[2]);
    char *map = make_map(size);
    char job[64];
    snprintf(job, sizeof job, reading ? "scale-%s" : "scale-write-c-%s", size->name);
    for (long i = 0; i < calls / 5 + 1; i++) reading ? read_once(client, job, size->bytes / 2) : write_once(client, job, map);
    double c0 = cpu_us(), w0 = wall_us();
    for (long i = 0; i < calls; i++) reading ? read_once(client, job, size->bytes / 2) : write_once(client, job, map);
    double cpu = (cpu_us() - c0) / calls, wall = (wall_us() - w0) / calls;
    printf("RESULT client=c op=%s size=%s calls=%ld cpu=%.1f wall=%.1f bytes=%zu\n", argv[1], size->name, calls, cpu, wall,
           strlen(map));
    free(map);
    vdk_client_free(client);
    return 0;
  }
  fprintf(stderr, "usage: see the comment at the top of benches/c/scaling_bench.c\n");
  return 2;
}
