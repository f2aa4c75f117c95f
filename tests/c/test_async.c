/* C tests of the asynchronous calls, cancellation, error details and the log sink, against a
 * real local Control Service (tests/c/run.sh starts it and passes):
 *   VDK_TEST_URL, VDK_TEST_TOKEN_URL, VDK_TEST_API_TOKEN  service with auth and fault injection
 *   VDK_TEST_CAP_URL                                      a service of its own for the connection
 *                                                         cap (run.sh counts its connections)
 *   VDK_TEST_CANCEL_MS                                    bound on cancel-to-callback latency
 * Every completion counts its runs: each must run exactly once. Closes with "N passed, M failed". */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "check.h"
#include "vdk_secrets.h"

static const char *url, *token_url, *api_token;
static double cancel_bound;


static VdkClient *make_client(const char *base, bool with_token, const char *extra) {
  char *config = with_token
      ? fmt("{\"control_service_rest_api_url\":\"%s\",\"api_token\":\"%s\","
            "\"api_token_authorization_url\":\"%s\",\"control_http_backoff_factor_seconds\":0.05,"
            "\"control_http_deadline_seconds\":30%s}",
            base, api_token, token_url, extra)
      : fmt("{\"control_service_rest_api_url\":\"%s\",\"control_http_backoff_factor_seconds\":0.05,"
            "\"control_http_deadline_seconds\":30%s}",
            base, extra);
  VdkClient *client = NULL;
  VdkError *error = NULL;
  if (vdk_client_new(config, &client, &error) != VDK_STATUS_OK) {
    fprintf(stderr, "cannot create client: %s\n", vdk_error_message(error));
    exit(2);
  }
  free(config);
  return client;
}

/* A job handle of team "team" on the authenticating service. */
static VdkJobSecrets *make_job(const char *job_name) {
  char *config = fmt("{\"control_service_rest_api_url\":\"%s\",\"api_token\":\"%s\","
                     "\"api_token_authorization_url\":\"%s\"}",
                     url, api_token, token_url);
  VdkJobSecrets *job = NULL;
  CHECK(vdk_job_secrets_new(job_name, "team", config, &job, NULL) == VDK_STATUS_OK, "job handle %s", job_name);
  free(config);
  return job;
}

/* What a completion does besides recording its outcome. */
enum action { RECORD, CANCEL_AND_FREE_INSIDE, BLOCKING_CALL_INSIDE, BLOCKING_CALL_REFUSED_INSIDE, START_INSIDE };

typedef struct Slot {
  atomic_int runs;
  VdkStatus status;
  char *result;
  VdkError *error;
  VdkCall *call;          /* from out_call, or NULL */
  VdkCall *seen;          /* the `call` the completion received */
  double done_at;
  enum action action;
  bool freed_inside;
  bool inside_ok;
  VdkClient *client;      /* for BLOCKING_CALL_INSIDE */
  char thread[16];        /* the name of the thread that ran the completion (on_immediate) */
  struct Slot *next;      /* for START_INSIDE: the slot of the call started from the completion */
} Slot;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static int outstanding;
static atomic_int completion_on_starting_thread;
static pthread_t starting_thread;

static void on_immediate(void *user_data, VdkCall *call, VdkStatus status, char *result, VdkError *error);
static void expect(int n);

static void on_complete(void *user_data, VdkCall *call, VdkStatus status, char *result, VdkError *error) {
  Slot *slot = user_data;
  if (pthread_equal(pthread_self(), starting_thread)) atomic_fetch_add(&completion_on_starting_thread, 1);
  int previous = atomic_fetch_add(&slot->runs, 1);
  if (previous == 0) {
    slot->status = status;
    slot->result = result;
    slot->error = error;
    slot->seen = call;
    slot->done_at = now_seconds();
  } else {
    vdk_string_free(result);
    vdk_error_free(error);
  }
  if (slot->action == CANCEL_AND_FREE_INSIDE) {
    /* The outcome is known: cancelling now is a no-op. Then the caller's reference goes. */
    slot->inside_ok = !vdk_call_cancel(call);
    vdk_call_free(slot->call);
    slot->freed_inside = true;
  } else if (slot->action == BLOCKING_CALL_INSIDE) {
    char *json = NULL;
    slot->inside_ok = vdk_client_read_secrets(slot->client, "async-job", "team", &json, NULL) == VDK_STATUS_OK &&
                      json && strstr(json, CANARY);
    vdk_string_free(json);
  } else if (slot->action == BLOCKING_CALL_REFUSED_INSIDE) {
    /* On a runtime worker (an immediate completion) a blocking call must fail, not stall. */
    char *json = NULL;
    VdkError *inside = NULL;
    slot->inside_ok = vdk_client_read_secrets(slot->client, "async-job", "team", &json, &inside) ==
                          VDK_STATUS_INVALID_ARGUMENT &&
                      json == NULL && strstr(vdk_error_message(inside), "async runtime") != NULL;
    vdk_error_free(inside);
  } else if (slot->action == START_INSIDE) {
    /* Counted before this completion is, so wait_all cannot see zero in between. */
    expect(1);
    slot->inside_ok = vdk_client_read_secrets_async(slot->client, "async-job", "team", 0, on_immediate,
                                                    slot->next, NULL, NULL) == VDK_STATUS_OK;
    if (!slot->inside_ok) expect(-1);
  }
  pthread_mutex_lock(&lock);
  outstanding--;
  pthread_cond_signal(&done);
  pthread_mutex_unlock(&lock);
}

static void expect(int n) {
  pthread_mutex_lock(&lock);
  outstanding += n;
  pthread_mutex_unlock(&lock);
}

/* Waits until every expected completion ran; false after 60 s. */
static bool wait_all(void) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 60;
  pthread_mutex_lock(&lock);
  int rc = 0;
  while (outstanding > 0 && rc == 0) rc = pthread_cond_timedwait(&done, &lock, &until);
  bool ok = outstanding == 0;
  pthread_mutex_unlock(&lock);
  return ok;
}

static void release(Slot *slots, int n) {
  for (int i = 0; i < n; i++) {
    vdk_string_free(slots[i].result);
    vdk_error_free(slots[i].error);
    if (!slots[i].freed_inside) vdk_call_free(slots[i].call);
  }
  free(slots);
}

static Slot *new_slots(int n) {
  Slot *slots = calloc((size_t)n, sizeof *slots);
  if (!slots) abort();
  return slots;
}

static VdkStatus start_read(VdkClient *client, const char *job, Slot *slot, bool keep_handle) {
  expect(1);
  VdkStatus status = vdk_client_read_secrets_async(client, job, "team", 0, on_complete, slot,
                                                   keep_handle ? &slot->call : NULL, NULL);
  if (status != VDK_STATUS_OK) expect(-1);
  return status;
}

static void test_thousands_in_flight_from_one_thread(VdkClient *client) {
  enum { N = 2000 };
  Slot *slots = new_slots(N);
  double started = now_seconds();
  int failed_starts = 0;
  for (int i = 0; i < N; i++) failed_starts += start_read(client, "async-job", &slots[i], false) != VDK_STATUS_OK;
  double start_time = now_seconds() - started;
  CHECK(failed_starts == 0, "%d starts failed", failed_starts);
  CHECK(wait_all(), "all %d completions ran", N);
  int once = 0, ok = 0;
  for (int i = 0; i < N; i++) {
    once += atomic_load(&slots[i].runs) == 1;
    ok += slots[i].status == VDK_STATUS_OK && slots[i].result && strstr(slots[i].result, CANARY);
  }
  CHECK(once == N, "%d of %d completions ran exactly once", once, N);
  CHECK(ok == N, "%d of %d reads returned the map", ok, N);
  for (int i = 0, shown = 0; i < N && shown < 3; i++)
    if (slots[i].status != VDK_STATUS_OK && ++shown)
      fprintf(stderr, "  call %d: status %u: %s\n", i, slots[i].status, vdk_error_message(slots[i].error));
  CHECK(start_time < 5.0, "starting %d calls took %.3f s: starting must not wait for I/O", N, start_time);
  CHECK(atomic_load(&completion_on_starting_thread) == 0, "no completion ran on the starting thread");
  release(slots, N);
}

static void test_write_then_read(VdkClient *client) {
  Slot *slots = new_slots(2);
  expect(1);
  VdkStatus status = vdk_client_write_secrets_async(client, "async-written", "team",
                                                    "{\"b\": 2, \"a\": \"" CANARY "\"}", 0, on_complete,
                                                    &slots[0], &slots[0].call, NULL);
  CHECK(status == VDK_STATUS_OK, "write started");
  CHECK(wait_all(), "write completed");
  CHECK(slots[0].status == VDK_STATUS_OK && slots[0].result &&
            strcmp(slots[0].result, "{\"a\":\"" CANARY "\",\"b\":2}") == 0,
        "the map as written: %s", slots[0].result ? slots[0].result : "(null)");
  CHECK(slots[0].seen == slots[0].call, "the completion receives the handle stored in out_call");
  start_read(client, "async-written", &slots[1], true);
  CHECK(wait_all(), "read completed");
  CHECK(slots[1].result && strcmp(slots[1].result, slots[0].result) == 0, "read back what was written");
  release(slots, 2);
}

static double cancel_one(VdkClient *client, const char *job, bool write, const char *label) {
  Slot *slot = new_slots(1);
  expect(1);
  VdkStatus status = write ? vdk_client_write_secrets_async(client, job, "team", "{\"k\": \"" CANARY "\"}", 0,
                                                            on_complete, slot, &slot->call, NULL)
                           : vdk_client_read_secrets_async(client, job, "team", 0, on_complete, slot, &slot->call, NULL);
  CHECK(status == VDK_STATUS_OK, "%s: started", label);
  usleep(100 * 1000); /* the request is now waiting on the slow server */
  double asked = now_seconds();
  CHECK(vdk_call_cancel(slot->call), "%s: cancel of a call in flight returns true", label);
  CHECK(!vdk_call_cancel(slot->call), "%s: a second cancel returns false", label);
  CHECK(wait_all(), "%s: completed", label);
  double latency = slot->done_at - asked;
  CHECK(slot->status == VDK_STATUS_CANCELLED && slot->result == NULL, "%s: status %u", label, slot->status);
  CHECK(slot->error && vdk_error_status(slot->error) == VDK_STATUS_CANCELLED, "%s: error status", label);
  /* The request was out when the call was cancelled: the error says which, and how many. */
  CHECK(slot->error && strlen(vdk_error_op_id(slot->error)) == 16 && vdk_error_attempts(slot->error) >= 1,
        "%s: op id '%s', %u attempts", label, slot->error ? vdk_error_op_id(slot->error) : "",
        slot->error ? vdk_error_attempts(slot->error) : 0);
  if (write && slot->error)
    CHECK(strstr(vdk_error_consequences(slot->error), "may or may not") != NULL,
          "%s: a cancelled write says it may or may not have been applied: %s", label,
          vdk_error_consequences(slot->error));
  release(slot, 1);
  return latency;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void test_cancel_during(VdkClient *client) {
  enum { N = 20 };
  double latencies[N];
  for (int i = 0; i < N; i++) {
    char *job = fmt("fault-slow-5000-cancel-%d", i);
    latencies[i] = cancel_one(client, job, i % 2 == 1, i % 2 ? "cancel a write" : "cancel a read");
    free(job);
  }
  qsort(latencies, N, sizeof latencies[0], compare_doubles);
  printf("cancel to callback: median %.2f ms, max %.2f ms over %d calls\n", latencies[N / 2] * 1e3,
         latencies[N - 1] * 1e3, N);
  CHECK(latencies[N - 1] < cancel_bound, "slowest cancel %.1f ms, bound %.0f ms", latencies[N - 1] * 1e3,
        cancel_bound * 1e3);
}

static void test_cancel_before_and_after(VdkClient *client) {
  Slot *slots = new_slots(2);
  start_read(client, "fault-slow-5000-before", &slots[0], true);
  CHECK(vdk_call_cancel(slots[0].call), "cancel right after starting returns true");
  start_read(client, "async-job", &slots[1], true);
  CHECK(wait_all(), "both completed");
  CHECK(slots[0].status == VDK_STATUS_CANCELLED, "cancelled before it got anywhere: %u", slots[0].status);
  CHECK(!vdk_call_cancel(slots[1].call), "cancel after completion returns false");
  CHECK(slots[1].status == VDK_STATUS_OK, "the finished call kept its outcome");
  CHECK(!vdk_call_cancel(NULL), "cancel(NULL) is false");
  vdk_call_free(NULL);
  release(slots, 2);
}

typedef struct {
  Slot *slots;
  int n;
  atomic_int *won;
} Racer;

static void *cancel_all(void *arg) {
  Racer *racer = arg;
  for (int i = 0; i < racer->n; i++)
    if (vdk_call_cancel(racer->slots[i].call)) atomic_fetch_add(&racer->won[i], 1);
  return NULL;
}

static void test_cancel_racing_completion(VdkClient *client) {
  enum { N = 300, THREADS = 8 };
  Slot *slots = new_slots(N);
  atomic_int *won = calloc(N, sizeof *won);
  if (!won) abort();
  for (int i = 0; i < N; i++) start_read(client, "async-job", &slots[i], true);
  /* Race once about half have completed, so cancels meet calls finished, finishing and queued. */
  for (int spins = 0; spins < 100000; spins++) {
    pthread_mutex_lock(&lock);
    int left = outstanding;
    pthread_mutex_unlock(&lock);
    if (left <= N / 2) break;
    usleep(50);
  }
  pthread_t threads[THREADS];
  Racer racer = {slots, N, won};
  for (int t = 0; t < THREADS; t++) pthread_create(&threads[t], NULL, cancel_all, &racer);
  for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);
  CHECK(wait_all(), "all raced calls completed");
  int consistent = 0, cancelled = 0;
  for (int i = 0; i < N; i++) {
    int w = atomic_load(&won[i]);
    bool ok = atomic_load(&slots[i].runs) == 1 && w <= 1 &&
              (w == 1 ? slots[i].status == VDK_STATUS_CANCELLED : slots[i].status == VDK_STATUS_OK);
    consistent += ok;
    cancelled += w;
  }
  CHECK(consistent == N, "%d of %d: one completion, at most one winning cancel, matching status", consistent, N);
  printf("cancel racing completion: %d of %d cancelled first\n", cancelled, N);
  free(won);
  release(slots, N);
}

static void test_work_inside_completions(VdkClient *client) {
  Slot *slots = new_slots(6);
  for (int i = 0; i < 6; i++) {
    slots[i].action = i % 2 ? BLOCKING_CALL_INSIDE : CANCEL_AND_FREE_INSIDE;
    slots[i].client = client;
    start_read(client, "async-job", &slots[i], true);
  }
  CHECK(wait_all(), "completions that cancel, free and call back in finished");
  for (int i = 0; i < 6; i++)
    CHECK(slots[i].inside_ok && slots[i].status == VDK_STATUS_OK, "completion %d (%s) did its work", i,
          i % 2 ? "blocking call" : "cancel and free");
  release(slots, 6);
}

/* The completion that test_immediate_completions marks immediate: notes its thread's name. */
static void on_immediate(void *user_data, VdkCall *call, VdkStatus status, char *result, VdkError *error) {
  Slot *slot = user_data;
  if (atomic_load(&slot->runs) == 0) prctl(PR_GET_NAME, slot->thread, 0, 0, 0);
  on_complete(user_data, call, status, result, error);
}

/* Functions that fill the table of immediate completions (16 entries). */
#define FILLER(n) \
  static void filler_##n(void *u, VdkCall *c, VdkStatus s, char *r, VdkError *e) { \
    (void)u; (void)c; (void)s; vdk_string_free(r); vdk_error_free(e); \
  }
FILLER(0) FILLER(1) FILLER(2) FILLER(3) FILLER(4) FILLER(5) FILLER(6) FILLER(7)
FILLER(8) FILLER(9) FILLER(10) FILLER(11) FILLER(12) FILLER(13) FILLER(14) FILLER(15)
static const VdkCompletion fillers[16] = {filler_0, filler_1, filler_2,  filler_3,  filler_4,  filler_5,
                                          filler_6, filler_7, filler_8,  filler_9,  filler_10, filler_11,
                                          filler_12, filler_13, filler_14, filler_15};

static void test_immediate_completions(VdkClient *client) {
  enum { N = 400 };
  VdkError *error = NULL;
  CHECK(vdk_completion_set_immediate(NULL, &error) == VDK_STATUS_INVALID_ARGUMENT && error,
        "NULL completion refused");
  vdk_error_free(error);
  /* Before marking: on_immediate runs on the completion thread like any completion. */
  Slot *before = new_slots(1);
  expect(1);
  CHECK(vdk_client_read_secrets_async(client, "async-job", "team", 0, on_immediate, before, NULL, NULL) ==
            VDK_STATUS_OK, "started before marking");
  CHECK(wait_all() && strcmp(before->thread, "vdk-secrets-com") == 0, "unmarked: on the completion thread (%s)",
        before->thread);
  release(before, 1);

  CHECK(vdk_completion_set_immediate(on_immediate, NULL) == VDK_STATUS_OK, "marked");
  CHECK(vdk_completion_set_immediate(on_immediate, NULL) == VDK_STATUS_OK, "marked twice");
  Slot *slots = new_slots(N);
  for (int i = 0; i < N; i++) {
    if (i % 100 == 1) slots[i].action = CANCEL_AND_FREE_INSIDE;
    if (i % 100 == 2) slots[i].action = BLOCKING_CALL_REFUSED_INSIDE;
    slots[i].client = client;
    expect(1);
    VdkStatus status = vdk_client_read_secrets_async(client, "async-job", "team", 0, on_immediate, &slots[i],
                                                     i % 2 ? &slots[i].call : NULL, NULL);
    if (status != VDK_STATUS_OK) expect(-1);
  }
  CHECK(wait_all(), "immediate completions all ran");
  int on_worker = 0, right = 0, inside = 0, actions = 0;
  for (int i = 0; i < N; i++) {
    on_worker += strcmp(slots[i].thread, "vdk-secrets-wor") == 0;
    right += atomic_load(&slots[i].runs) == 1 && slots[i].status == VDK_STATUS_OK && slots[i].result &&
             strstr(slots[i].result, CANARY);
    if (slots[i].action != RECORD) {
      actions++;
      inside += slots[i].inside_ok;
    }
  }
  CHECK(on_worker == N, "%d of %d immediate completions ran on a runtime worker", on_worker, N);
  CHECK(right == N, "%d of %d ran once with the secrets", right, N);
  CHECK(inside == actions, "%d of %d cancelled and freed their call, or had a blocking call refused", inside,
        actions);
  CHECK(atomic_load(&completion_on_starting_thread) == 0, "never inside the starting function");
  release(slots, N);

  /* A cancelled call's outcome still comes from the completion thread: vdk_call_cancel never runs
   * a completion. */
  Slot *cancelled = new_slots(1);
  expect(1);
  vdk_client_read_secrets_async(client, "fault-slow-5000-immediate", "team", 0, on_immediate, cancelled,
                                &cancelled->call, NULL);
  usleep(50 * 1000);
  CHECK(vdk_call_cancel(cancelled->call), "cancel in flight");
  CHECK(wait_all() && cancelled->status == VDK_STATUS_CANCELLED && strcmp(cancelled->thread, "vdk-secrets-com") == 0,
        "cancelled: status %u on %s", cancelled->status, cancelled->thread);
  release(cancelled, 1);

  /* A call started from an immediate completion runs and completes like any other. */
  Slot *chain = new_slots(2);
  chain[0].action = START_INSIDE;
  chain[0].client = client;
  chain[0].next = &chain[1];
  expect(1);
  vdk_client_read_secrets_async(client, "async-job", "team", 0, on_immediate, &chain[0], NULL, NULL);
  CHECK(wait_all() && chain[0].inside_ok && atomic_load(&chain[1].runs) == 1 && chain[1].status == VDK_STATUS_OK &&
            chain[1].result && strstr(chain[1].result, CANARY) && strcmp(chain[1].thread, "vdk-secrets-wor") == 0,
        "a call started inside an immediate completion completed (on %s)", chain[1].thread);
  release(chain, 2);

  /* The job layer's warm cache too. */
  VdkJobSecrets *job = make_job("async-job");
  Slot *gets = new_slots(2);
  for (int i = 0; i < 2; i++) {
    expect(1);
    vdk_job_secrets_get_async(job, "key", 0, on_immediate, &gets[i], NULL, NULL);
    CHECK(wait_all() && gets[i].result && strstr(gets[i].result, CANARY) &&
              strcmp(gets[i].thread, "vdk-secrets-wor") == 0,
          "job layer get %d (%s): immediate on %s", i, i ? "cached" : "fetch", gets[i].thread);
  }
  release(gets, 2);
  vdk_job_secrets_free(job);

  /* The table holds 16 functions: on_immediate and 15 fillers; the 16th filler is refused. */
  for (int i = 0; i < 15; i++) CHECK(vdk_completion_set_immediate(fillers[i], NULL) == VDK_STATUS_OK, "filler %d", i);
  error = NULL;
  CHECK(vdk_completion_set_immediate(fillers[15], &error) == VDK_STATUS_INVALID_ARGUMENT && error &&
            strstr(vdk_error_message(error), "16"),
        "a 17th function refused: %s", error ? vdk_error_message(error) : "(no error)");
  vdk_error_free(error);
  CHECK(vdk_completion_set_immediate(fillers[3], NULL) == VDK_STATUS_OK, "a marked one, marked again when full");
}

static void test_free_client_with_calls_in_flight(void) {
  enum { N = 50 };
  VdkClient *client = make_client(url, true, "");
  Slot *slots = new_slots(N);
  for (int i = 0; i < N; i++) start_read(client, i % 2 ? "fault-slow-200-freed" : "async-job", &slots[i], i % 3 == 0);
  vdk_client_free(client);
  CHECK(wait_all(), "calls on a freed client completed");
  int ok = 0;
  for (int i = 0; i < N; i++) ok += atomic_load(&slots[i].runs) == 1 && slots[i].status == VDK_STATUS_OK;
  CHECK(ok == N, "%d of %d calls on a freed client succeeded", ok, N);
  release(slots, N);
}

static void test_connection_cap(void) {
  enum { N = 300 };
  VdkClient *client = make_client(need("VDK_TEST_CAP_URL"), false, ",\"control_http_max_connections\":4");
  Slot *slots = new_slots(N);
  for (int i = 0; i < N; i++) start_read(client, "fault-slow-10-capped", &slots[i], false);
  CHECK(wait_all(), "capped calls completed");
  int ok = 0;
  for (int i = 0; i < N; i++) ok += slots[i].status == VDK_STATUS_OK;
  CHECK(ok == N, "%d of %d capped calls succeeded (they wait for a connection)", ok, N);
  release(slots, N);
  vdk_client_free(client);
}

static void test_job_layer(void) {
  VdkJobSecrets *job = make_job("async-job-layer");
  Slot *slots = new_slots(8);
  expect(1);
  CHECK(vdk_job_secrets_set_all_async(job, "{\"a\": \"" CANARY "\", \"n\": 1}", 0, on_complete, &slots[0], NULL,
                                      NULL) == VDK_STATUS_OK, "set_all started");
  CHECK(wait_all() && slots[0].status == VDK_STATUS_OK && !slots[0].result, "set_all done");
  expect(1);
  vdk_job_secrets_set_async(job, "b", "[1,2]", 0, on_complete, &slots[1], NULL, NULL);
  CHECK(wait_all() && slots[1].status == VDK_STATUS_OK, "set done");
  expect(1);
  vdk_job_secrets_get_async(job, "a", 0, on_complete, &slots[2], NULL, NULL);
  CHECK(wait_all() && slots[2].result && strcmp(slots[2].result, "\"" CANARY "\"") == 0, "get: %s",
        slots[2].result ? slots[2].result : "(null)");
  expect(1);
  vdk_job_secrets_get_async(job, "absent", 0, on_complete, &slots[3], NULL, NULL);
  CHECK(wait_all() && slots[3].status == VDK_STATUS_OK && !slots[3].result, "get of an absent secret: NULL");
  expect(1);
  vdk_job_secrets_delete_async(job, "n", 0, on_complete, &slots[4], NULL, NULL);
  CHECK(wait_all() && slots[4].status == VDK_STATUS_OK, "delete done");
  expect(1);
  vdk_job_secrets_refresh_async(job, 0, on_complete, &slots[5], NULL, NULL);
  CHECK(wait_all() && slots[5].status == VDK_STATUS_OK, "refresh done");
  expect(1);
  vdk_job_secrets_get_all_async(job, 0, on_complete, &slots[6], NULL, NULL);
  vdk_job_secrets_free(job); /* the call in flight keeps what it needs */
  CHECK(wait_all() && slots[6].result && strcmp(slots[6].result, "{\"a\":\"" CANARY "\",\"b\":[1,2]}") == 0,
        "get_all after free of the handle: %s", slots[6].result ? slots[6].result : "(null)");
  release(slots, 8);
}

static void test_refused_starts(VdkClient *client) {
  Slot *slot = new_slots(1);
  VdkCall *untouched = (VdkCall *)slot;
  VdkError *error = NULL;
  CHECK(vdk_client_read_secrets_async(client, "j", "t", 0, NULL, slot, &untouched, &error) ==
            VDK_STATUS_INVALID_ARGUMENT, "NULL completion refused");
  CHECK(untouched == (VdkCall *)slot, "out_call untouched when nothing started");
  vdk_error_free(error);
  CHECK(vdk_client_write_secrets_async(client, "j", "t", "{not json", 0, on_complete, slot, NULL, NULL) ==
            VDK_STATUS_INVALID_ARGUMENT, "malformed JSON refused");
  CHECK(vdk_client_read_secrets_async(NULL, "j", "t", 0, on_complete, slot, NULL, NULL) ==
            VDK_STATUS_INVALID_ARGUMENT, "NULL client refused");
  CHECK(vdk_job_secrets_set_async(NULL, "a", "1", 0, on_complete, slot, NULL, NULL) == VDK_STATUS_INVALID_ARGUMENT,
        "NULL job handle refused");
  usleep(200 * 1000);
  CHECK(atomic_load(&slot->runs) == 0, "no completion for a call that did not start");
  free(slot);
}

static void test_error_details(void) {
  VdkClient *client = make_client(url, true, ",\"control_http_total_retries\":2");
  VdkError *error = NULL;
  char *json = NULL;
  VdkStatus status = vdk_client_read_secrets(client, "fault-status-503-details", "team", &json, &error);
  CHECK(status == VDK_STATUS_SERVICE_ERROR, "a 503 ends as SERVICE_ERROR");
  CHECK(strlen(vdk_error_op_id(error)) == 16, "op id: '%s'", vdk_error_op_id(error));
  CHECK(vdk_error_attempts(error) >= 2, "attempts: %u (token exchange, first try and retries)",
        vdk_error_attempts(error));
  vdk_error_free(error);
  error = NULL;
  CHECK(vdk_client_read_secrets(client, "", "team", &json, &error) == VDK_STATUS_INVALID_ARGUMENT, "bad name");
  CHECK(vdk_error_attempts(error) == 0 && strcmp(vdk_error_op_id(error), "") == 0,
        "refused before any request: no attempts, no op id");
  vdk_error_free(error);
  CHECK(vdk_error_attempts(NULL) == 0 && strcmp(vdk_error_op_id(NULL), "") == 0, "NULL error");
  vdk_client_free(client);
}

static atomic_int sink_records, sink_bad_records;
static void sink(void *user_data, VdkLogLevel level, const char *target, const char *message) {
  (void)user_data;
  atomic_fetch_add(&sink_records, 1);
  if (level < VDK_LOG_ERROR || level > VDK_LOG_TRACE || strncmp(target, "vdk_secrets", 11) != 0 ||
      strstr(message, CANARY) || strstr(message, api_token))
    atomic_fetch_add(&sink_bad_records, 1);
}

static void test_log_sink(VdkClient *client) {
  vdk_set_log_sink(sink, NULL, VDK_LOG_DEBUG);
  char *json = NULL;
  /* Two 503s then normal: the retries are logged at debug level. */
  CHECK(vdk_client_read_secrets(client, "fault-flaky-2-503-logged", "team", &json, NULL) == VDK_STATUS_OK,
        "flaky read succeeded");
  vdk_string_free(json);
  vdk_set_log_sink(NULL, NULL, 0);
  int seen = atomic_load(&sink_records);
  CHECK(seen >= 2, "the sink received %d records", seen);
  CHECK(atomic_load(&sink_bad_records) == 0, "records are the library's own, well-formed, without secrets");
  json = NULL;
  vdk_client_read_secrets(client, "fault-flaky-1-503-unlogged", "team", &json, NULL);
  vdk_string_free(json);
  CHECK(atomic_load(&sink_records) == seen, "a removed sink receives nothing");
}

int main(void) {
  url = need("VDK_TEST_URL");
  token_url = need("VDK_TEST_TOKEN_URL");
  api_token = need("VDK_TEST_API_TOKEN");
  cancel_bound = atof(need("VDK_TEST_CANCEL_MS")) / 1e3;
  starting_thread = pthread_self();
  /* A generous deadline: under valgrind, 2,000 calls through 64 connections take a while. */
  VdkClient *client = make_client(url, true, ",\"control_http_deadline_seconds\":300");
  CHECK(vdk_client_write_secrets(client, "async-job", "team", "{\"key\": \"" CANARY "\"}", NULL, NULL) ==
            VDK_STATUS_OK, "seed");
  test_thousands_in_flight_from_one_thread(client);
  test_write_then_read(client);
  test_cancel_during(client);
  test_cancel_before_and_after(client);
  test_cancel_racing_completion(client);
  test_work_inside_completions(client);
  test_free_client_with_calls_in_flight();
  test_connection_cap();
  test_job_layer();
  test_refused_starts(client);
  test_error_details();
  test_log_sink(client);
  test_immediate_completions(client); /* last: it marks functions for good */
  vdk_client_free(client);
  printf("c-async: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
