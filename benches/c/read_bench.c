/* The C ABI's part of benches/matrix.sh: one program, several modes.
 *
 *   read_bench read  URL THREADS SECONDS ROUNDS   concurrent reads on one shared VdkClient:
 *        every call's latency (clock_gettime) goes into a per-thread array; per round the
 *        arrays are merged and sorted for p50/p99. Prints the median over rounds of
 *        reads/s, p50 us, p99 us and client CPU us per read (getrusage, all threads).
 *   read_bench writes URL THREADS SECONDS ROUNDS  the same with PUTs of the 3-secret map, each
 *        thread writing a job of its own (bench-write-N).
 *   read_bench async URL INFLIGHT SECONDS ROUNDS   INFLIGHT asynchronous reads kept in flight by
 *        one thread: the main thread starts them, each completion starts the next one
 *        (completions run on the library's one completion thread; with VDK_BENCH_IMMEDIATE=1
 *        on the runtime worker, see vdk_completion_set_immediate). Prints reads/s, p50/p99
 *        (start to completion) and client CPU per read, medians over rounds.
 *   read_bench cancel URL RUNS                    cancel-to-callback latency of RUNS reads
 *        of a job that answers after 5 s (fault-slow-5000): median and p99 in microseconds.
 *   read_bench cold  CONFIG_JSON [seed]           creates a client from CONFIG_JSON, reads once,
 *        prints CLOCK_MONOTONIC ns when the read is done (the parent took the start time);
 *        with "seed", writes the 3-secret map first (to prepare a fresh service).
 *   read_bench spawn RUNS PROGRAM ARGS...         runs PROGRAM RUNS times; each run prints a
 *        CLOCK_MONOTONIC ns timestamp; prints the median ms from before fork to that timestamp.
 *   read_bench rss   URL GETS READS SECONDS       VmRSS and Threads after initialisation and the
 *        first read, then after GETS cached vdk_job_secrets_get and up to READS network reads
 *        (stopping the reads after SECONDS).
 *
 * VDK_BENCH_JOB, when set, names the job that read, async and cold read (and cold ... seed writes).
 *
 * Build: cc -O2 -pthread -I include benches/c/read_bench.c -L target/release -lvdk_secrets \
 *          -Wl,-rpath,target/release -o read_bench
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vdk_secrets.h"

#define JOB "bench-job"
#define TEAM "bench-team"
#define MAP "{\"api-key\":\"sk-abc123xyz789\",\"db-password\":\"secretpass\",\"port\":5432}"

/* The job every mode reads: JOB, or VDK_BENCH_JOB (benches/run.sh reads fault-latency-2000-remote,
 * which the local service answers after 2 ms, to stand for a Control Service across a network).
 * Set once in main, so that no measured call pays for getenv. */
static const char *bench_job = JOB;

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double cpu_us(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}

static void die(const char *what, VdkError *error) {
  fprintf(stderr, "%s: %s\n", what, error ? vdk_error_message(error) : "failed");
  vdk_error_free(error);
  exit(1);
}

static VdkClient *new_client(const char *config) {
  VdkClient *client = NULL;
  VdkError *error = NULL;
  if (vdk_client_new(config, &client, &error) != VDK_STATUS_OK) die("vdk_client_new", error);
  return client;
}

/* A URL, or a whole configuration JSON (starting with '{', e.g. with an API token). */
static char *url_config(const char *url) {
  static char config[1024];
  if (url[0] == '{') return (char *)url;
  snprintf(config, sizeof config, "{\"control_service_rest_api_url\": \"%s\"}", url);
  return config;
}

static void read_once(VdkClient *client) {
  char *json = NULL;
  VdkError *error = NULL;
  if (vdk_client_read_secrets(client, bench_job, TEAM, &json, &error) != VDK_STATUS_OK)
    die("vdk_client_read_secrets", error);
  if (strlen(json) < 10) die("short answer", NULL);
  vdk_string_free(json);
}

static int cmp_ll(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return (x > y) - (x < y);
}
static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}
static double median(double *v, int n) {
  qsort(v, n, sizeof *v, cmp_d);
  return v[n / 2];
}

struct worker {
  pthread_t thread;
  VdkClient *client;
  char job[32]; /* writers: a job of their own */
  int writes;
  long long deadline;
  long long *lat;
  long n, cap;
};

static pthread_barrier_t start_barrier;

static void *worker_main(void *arg) {
  struct worker *w = arg;
  pthread_barrier_wait(&start_barrier);
  while (now_ns() < w->deadline) {
    long long t0 = now_ns();
    if (w->writes) {
      VdkError *error = NULL;
      if (vdk_client_write_secrets(w->client, w->job, TEAM, MAP, NULL, &error) != VDK_STATUS_OK)
        die("vdk_client_write_secrets", error);
    } else {
      read_once(w->client);
    }
    long long dt = now_ns() - t0;
    if (w->n == w->cap) {
      w->cap *= 2;
      w->lat = realloc(w->lat, w->cap * sizeof *w->lat);
      if (!w->lat) die("realloc", NULL);
    }
    w->lat[w->n++] = dt;
  }
  return NULL;
}

static int mode_concurrent(const char *url, int threads, double seconds, int rounds, int writes) {
  VdkClient *client = new_client(url_config(url));
  for (int i = 0; i < 200; i++) read_once(client); /* warm-up: connections, caches */
  double *rps = calloc(rounds, sizeof *rps), *p50 = calloc(rounds, sizeof *p50),
         *p99 = calloc(rounds, sizeof *p99), *cpu = calloc(rounds, sizeof *cpu);
  struct worker *w = calloc(threads, sizeof *w);
  for (int r = 0; r < rounds; r++) {
    pthread_barrier_init(&start_barrier, NULL, threads + 1);
    for (int t = 0; t < threads; t++) {
      w[t].client = client;
      w[t].writes = writes;
      snprintf(w[t].job, sizeof w[t].job, "bench-write-%d", t);
      w[t].n = 0;
      if (!w[t].lat) { w[t].cap = 1 << 16; w[t].lat = malloc(w[t].cap * sizeof(long long)); }
    }
    long long deadline = now_ns() + (long long)(seconds * 1e9) + 1000000;
    for (int t = 0; t < threads; t++) {
      w[t].deadline = deadline;
      pthread_create(&w[t].thread, NULL, worker_main, &w[t]);
    }
    pthread_barrier_wait(&start_barrier);
    long long t0 = now_ns();
    double c0 = cpu_us();
    for (int t = 0; t < threads; t++) pthread_join(w[t].thread, NULL);
    double wall = (now_ns() - t0) / 1e9, used = cpu_us() - c0;
    pthread_barrier_destroy(&start_barrier);
    long total = 0;
    for (int t = 0; t < threads; t++) total += w[t].n;
    long long *all = malloc(total * sizeof *all);
    long k = 0;
    for (int t = 0; t < threads; t++) { memcpy(all + k, w[t].lat, w[t].n * sizeof *all); k += w[t].n; }
    qsort(all, total, sizeof *all, cmp_ll);
    rps[r] = total / wall;
    p50[r] = all[total / 2] / 1e3;
    p99[r] = all[(long)(total * 0.99)] / 1e3;
    cpu[r] = used / total;
    free(all);
  }
  printf("RESULT rps=%.0f p50=%.1f p99=%.1f cpu=%.1f\n", median(rps, rounds), median(p50, rounds),
         median(p99, rounds), median(cpu, rounds));
  vdk_client_free(client);
  return 0;
}

/* --- asynchronous calls ------------------------------------------------------------------ */

struct async_run {
  VdkClient *client;
  long long deadline;
  long long *lat;
  long n, cap, in_flight, failed;
  pthread_mutex_t lock;
  pthread_cond_t idle;
};

struct async_slot {
  struct async_run *run;
  long long started;
};

static void async_start(struct async_slot *slot);

static void async_done(void *user_data, VdkCall *call, VdkStatus status, char *json, VdkError *error) {
  (void)call;
  struct async_slot *slot = user_data;
  struct async_run *run = slot->run;
  long long now = now_ns();
  vdk_string_free(json);
  vdk_error_free(error);
  /* The lock guards the latency array and the count (completions may run on a worker). */
  pthread_mutex_lock(&run->lock);
  if (status != VDK_STATUS_OK) run->failed++;
  if (run->n == run->cap) {
    run->cap *= 2;
    run->lat = realloc(run->lat, run->cap * sizeof *run->lat);
    if (!run->lat) die("realloc", NULL);
  }
  run->lat[run->n++] = now - slot->started;
  int again = now < run->deadline;
  if (!again && --run->in_flight == 0) pthread_cond_signal(&run->idle);
  pthread_mutex_unlock(&run->lock);
  if (again) async_start(slot);
}

static void async_start(struct async_slot *slot) {
  slot->started = now_ns();
  VdkError *error = NULL;
  if (vdk_client_read_secrets_async(slot->run->client, bench_job, TEAM, 0, async_done, slot, NULL, &error) != VDK_STATUS_OK)
    die("vdk_client_read_secrets_async", error);
}

static int mode_async(const char *url, int in_flight, double seconds, int rounds) {
  /* VDK_BENCH_IMMEDIATE=1: async_done only records and starts the next call, so it may run
   * right on the runtime worker that finished its call (vdk_completion_set_immediate). */
  const char *immediate = getenv("VDK_BENCH_IMMEDIATE");
  if (immediate && !strcmp(immediate, "1")) {
    VdkError *error = NULL;
    if (vdk_completion_set_immediate(async_done, &error) != VDK_STATUS_OK) die("vdk_completion_set_immediate", error);
  }
  VdkClient *client = new_client(url_config(url));
  for (int i = 0; i < 200; i++) read_once(client);
  double *rps = calloc(rounds, sizeof *rps), *p50 = calloc(rounds, sizeof *p50),
         *p99 = calloc(rounds, sizeof *p99), *cpu = calloc(rounds, sizeof *cpu);
  struct async_slot *slots = calloc(in_flight, sizeof *slots);
  struct async_run run = {.client = client, .cap = 1 << 16};
  run.lat = malloc(run.cap * sizeof *run.lat);
  pthread_mutex_init(&run.lock, NULL);
  pthread_cond_init(&run.idle, NULL);
  for (int r = 0; r < rounds; r++) {
    run.n = 0;
    run.failed = 0;
    run.in_flight = in_flight;
    long long t0 = now_ns();
    double c0 = cpu_us();
    run.deadline = t0 + (long long)(seconds * 1e9);
    for (int i = 0; i < in_flight; i++) {
      slots[i].run = &run;
      async_start(&slots[i]);
    }
    pthread_mutex_lock(&run.lock);
    while (run.in_flight > 0) pthread_cond_wait(&run.idle, &run.lock);
    pthread_mutex_unlock(&run.lock);
    double wall = (now_ns() - t0) / 1e9, used = cpu_us() - c0;
    if (run.failed) fprintf(stderr, "%ld calls failed\n", run.failed);
    qsort(run.lat, run.n, sizeof *run.lat, cmp_ll);
    rps[r] = run.n / wall;
    p50[r] = run.lat[run.n / 2] / 1e3;
    p99[r] = run.lat[(long)(run.n * 0.99)] / 1e3;
    cpu[r] = used / run.n;
  }
  printf("RESULT rps=%.0f p50=%.1f p99=%.1f cpu=%.1f\n", median(rps, rounds), median(p50, rounds),
         median(p99, rounds), median(cpu, rounds));
  vdk_client_free(client);
  return 0;
}

struct cancel_wait {
  pthread_mutex_t lock;
  pthread_cond_t done;
  long long at;
};

static void cancel_done(void *user_data, VdkCall *call, VdkStatus status, char *json, VdkError *error) {
  (void)call;
  (void)status;
  struct cancel_wait *w = user_data;
  vdk_string_free(json);
  vdk_error_free(error);
  pthread_mutex_lock(&w->lock);
  w->at = now_ns();
  pthread_cond_signal(&w->done);
  pthread_mutex_unlock(&w->lock);
}

static int mode_cancel(const char *url, int runs) {
  VdkClient *client = new_client(url_config(url));
  long long *lat = calloc(runs, sizeof *lat);
  struct cancel_wait w = {.at = 0};
  pthread_mutex_init(&w.lock, NULL);
  pthread_cond_init(&w.done, NULL);
  for (int i = 0; i < runs; i++) {
    char job[64];
    snprintf(job, sizeof job, "fault-slow-5000-bench-%d", i);
    VdkCall *call = NULL;
    w.at = 0;
    if (vdk_client_read_secrets_async(client, job, TEAM, 0, cancel_done, &w, &call, NULL) != VDK_STATUS_OK)
      die("vdk_client_read_secrets_async", NULL);
    usleep(20000); /* the request is out, waiting for the slow answer */
    long long asked = now_ns();
    vdk_call_cancel(call);
    pthread_mutex_lock(&w.lock);
    while (w.at == 0) pthread_cond_wait(&w.done, &w.lock);
    lat[i] = w.at - asked;
    pthread_mutex_unlock(&w.lock);
    vdk_call_free(call);
  }
  qsort(lat, runs, sizeof *lat, cmp_ll);
  printf("RESULT median_us=%.1f p99_us=%.1f runs=%d\n", lat[runs / 2] / 1e3, lat[(long)(runs * 0.99)] / 1e3, runs);
  vdk_client_free(client);
  return 0;
}

static int mode_cold(const char *config, int seed) {
  VdkClient *client = new_client(config);
  VdkError *error = NULL;
  if (seed && vdk_client_write_secrets(client, bench_job, TEAM, MAP, NULL, &error) != VDK_STATUS_OK)
    die("vdk_client_write_secrets", error);
  read_once(client);
  printf("%lld\n", now_ns());
  fflush(stdout);
  vdk_client_free(client);
  return 0;
}

static int mode_spawn(int runs, char **argv) {
  double *ms = calloc(runs, sizeof *ms);
  for (int r = 0; r < runs; r++) {
    int fds[2];
    if (pipe(fds)) die("pipe", NULL);
    long long t0 = now_ns();
    pid_t pid = fork();
    if (pid == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      execvp(argv[0], argv);
      _exit(127);
    }
    close(fds[1]);
    char buf[256] = {0};
    ssize_t n = 0, got;
    while ((got = read(fds[0], buf + n, sizeof buf - 1 - n)) > 0) n += got;
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("child failed", NULL);
    ms[r] = (atoll(buf) - t0) / 1e6;
  }
  printf("RESULT median_ms=%.1f runs=%d\n", median(ms, runs), runs);
  return 0;
}

static void proc_status(const char *label) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256], rss[64] = "?", thr[64] = "?";
  while (f && fgets(line, sizeof line, f)) {
    if (!strncmp(line, "VmRSS:", 6)) sscanf(line + 6, "%63s", rss);
    if (!strncmp(line, "Threads:", 8)) sscanf(line + 8, "%63s", thr);
  }
  if (f) fclose(f);
  printf("RSS %s rss_kib=%s threads=%s\n", label, rss, thr);
}

static int mode_rss(const char *url, long gets, long reads, double seconds) {
  char config[1024];
  snprintf(config, sizeof config, "{\"control_service_rest_api_url\": \"%s\"}", url);
  VdkClient *client = new_client(config);
  VdkJobSecrets *job = NULL;
  VdkError *error = NULL;
  if (vdk_job_secrets_new(JOB, TEAM, config, &job, &error) != VDK_STATUS_OK) die("vdk_job_secrets_new", error);
  read_once(client);
  char *value = NULL;
  if (vdk_job_secrets_get(job, "api-key", &value, &error) != VDK_STATUS_OK) die("get", error); /* fills the cache */
  vdk_string_free(value);
  proc_status("init");
  size_t checksum = 0;
  long done_reads = 0, done_gets = 0;
  long long stop = now_ns() + (long long)(seconds * 1e9);
  long per_read = reads > 0 ? gets / reads : gets;
  if (per_read < 1) per_read = 1;
  for (long i = 0; i < gets; i++) {
    if (vdk_job_secrets_get(job, "api-key", &value, &error) != VDK_STATUS_OK) die("get", error);
    checksum += strlen(value);
    vdk_string_free(value);
    done_gets++;
    if (i == gets / 10) proc_status("warm"); /* after 10% of the calls */
    if (i % per_read == 0 && done_reads < reads && now_ns() < stop) { read_once(client); done_reads++; }
  }
  while (done_reads < reads && now_ns() < stop) { read_once(client); done_reads++; }
  proc_status("end");
  printf("RSS calls gets=%ld reads=%ld checksum=%zu\n", done_gets, done_reads, checksum);
  vdk_job_secrets_free(job);
  vdk_client_free(client);
  return 0;
}

int main(int argc, char **argv) {
  const char *job = getenv("VDK_BENCH_JOB");
  if (job && *job) bench_job = job;
  if (argc >= 6 && !strcmp(argv[1], "read"))
    return mode_concurrent(argv[2], atoi(argv[3]), atof(argv[4]), atoi(argv[5]), 0);
  if (argc >= 6 && !strcmp(argv[1], "writes"))
    return mode_concurrent(argv[2], atoi(argv[3]), atof(argv[4]), atoi(argv[5]), 1);
  if (argc >= 6 && !strcmp(argv[1], "async")) return mode_async(argv[2], atoi(argv[3]), atof(argv[4]), atoi(argv[5]));
  if (argc >= 4 && !strcmp(argv[1], "cancel")) return mode_cancel(argv[2], atoi(argv[3]));
  if (argc >= 3 && !strcmp(argv[1], "cold")) return mode_cold(argv[2], argc >= 4 && !strcmp(argv[3], "seed"));
  if (argc >= 4 && !strcmp(argv[1], "spawn")) return mode_spawn(atoi(argv[2]), argv + 3);
  if (argc >= 6 && !strcmp(argv[1], "rss")) return mode_rss(argv[2], atol(argv[3]), atol(argv[4]), atof(argv[5]));
  fprintf(stderr, "usage: see the comment at the top of read_bench.c\n");
  return 2;
}
