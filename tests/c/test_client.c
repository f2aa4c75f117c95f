/* C tests of the client part of the ABI, against a real local Control Service.
 *
 * The runner (tests/c/run.sh) starts the services and passes their addresses:
 *   VDK_TEST_URL, VDK_TEST_TOKEN_URL, VDK_TEST_API_TOKEN  service with auth and fault injection
 *   VDK_TEST_TLS_URL, VDK_TEST_CA                          HTTPS service and the CA that signed it
 *   VDK_TEST_ECHO_URL                                      a server quoting every request in its errors
 * Prints one line per failed check and closes with "N passed, M failed". */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "vdk_secrets.h"

static const char *url, *token_url, *api_token, *tls_url, *ca_path, *echo_url;


static char *fmt(const char *format, ...) {
  va_list args;
  va_start(args, format);
  char *out = NULL;
  if (vasprintf(&out, format, args) < 0) abort();
  va_end(args);
  return out;
}

/* Fast retries so fault tests end quickly; `extra` adds keys (starts with a comma or is ""). */
static VdkClient *make_client(const char *base, bool with_token, const char *extra) {
  char *config = with_token
      ? fmt("{\"control_service_rest_api_url\":\"%s\",\"api_token\":\"%s\","
            "\"api_token_authorization_url\":\"%s\",\"control_http_backoff_factor_seconds\":0.05,"
            "\"control_http_read_timeout_seconds\":5,\"control_http_deadline_seconds\":20%s}",
            base, api_token, token_url, extra)
      : fmt("{\"control_service_rest_api_url\":\"%s\",\"control_http_backoff_factor_seconds\":0.05,"
            "\"control_http_read_timeout_seconds\":5,\"control_http_deadline_seconds\":20%s}",
            base, extra);
  VdkClient *client = NULL;
  VdkError *error = NULL;
  VdkStatus status = vdk_client_new(config, &client, &error);
  if (status != VDK_STATUS_OK) {
    fprintf(stderr, "cannot create client: %s\n", vdk_error_message(error));
    vdk_error_free(error);
    exit(2);
  }
  free(config);
  return client;
}

/* Checks that an error object is complete and free of secrets, then frees it. */
static void check_error(VdkError *error, VdkStatus expected, uint16_t http, const char *label) {
  CHECK(error != NULL, "%s: error object", label);
  if (!error) return;
  VdkStatus got = vdk_error_status(error);
  CHECK(got == expected, "%s: status %u, expected %u (%s)", label, got, expected,
        vdk_error_message(error));
  if (http) CHECK(vdk_error_http_status(error) == http, "%s: http %u", label, vdk_error_http_status(error));
  const char *texts[] = {vdk_error_message(error), vdk_error_what(error), vdk_error_why(error),
                         vdk_error_consequences(error), vdk_error_countermeasures(error)};
  for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
    CHECK(texts[i] != NULL && texts[i][0] != '\0', "%s: text %zu empty", label, i);
    CHECK(strstr(texts[i], CANARY) == NULL, "%s: secret in error text", label);
    CHECK(strstr(texts[i], api_token) == NULL, "%s: API token in error text", label);
  }
  vdk_error_free(error);
}

static VdkStatus read_job(VdkClient *client, const char *job, char **out, VdkError **error) {
  return vdk_client_read_secrets(client, job, "c-team", out, error);
}

static VdkStatus write_job(VdkClient *client, const char *job, const char *json, VdkError **error) {
  return vdk_client_write_secrets(client, job, "c-team", json, NULL, error);
}

static void test_version(void) {
  const char *v = vdk_version();
  CHECK(v && strncmp(v, "vdk-secrets ", 12) == 0, "version %s", v ? v : "(null)");
}

static void test_bad_arguments(void) {
  VdkClient *client = (VdkClient *)0x1; /* must stay untouched on failure */
  VdkError *error = NULL;
  CHECK(vdk_client_new(NULL, &client, &error) == VDK_STATUS_INVALID_ARGUMENT, "NULL config");
  CHECK(client == (VdkClient *)0x1, "out_client written on failure");
  check_error(error, VDK_STATUS_INVALID_ARGUMENT, 0, "NULL config");
  error = NULL;
  CHECK(vdk_client_new("[1,2]", &client, &error) == VDK_STATUS_INVALID_ARGUMENT, "array config");
  check_error(error, VDK_STATUS_INVALID_ARGUMENT, 0, "array config");
  CHECK(vdk_client_new("{", &client, NULL) == VDK_STATUS_INVALID_ARGUMENT, "malformed config");
  CHECK(vdk_client_new("{\"control_service_rest_api_url\":\"http://x\\u0000\"}", &client, NULL) ==
            VDK_STATUS_CONFIGURATION, "URL with NUL");
  error = NULL;
  CHECK(vdk_client_new("{\"api_tokn\":\"" CANARY "\"}", &client, &error) == VDK_STATUS_INVALID_ARGUMENT,
        "unknown key");
  CHECK(strstr(vdk_error_message(error), "api_tokn") != NULL, "unknown key named: %s", vdk_error_message(error));
  check_error(error, VDK_STATUS_INVALID_ARGUMENT, 0, "unknown key");
  error = NULL;
  CHECK(vdk_client_new("{\"api_token\":42}", &client, &error) == VDK_STATUS_INVALID_ARGUMENT, "ill-typed");
  check_error(error, VDK_STATUS_INVALID_ARGUMENT, 0, "ill-typed");
  CHECK(vdk_client_new("{\"control_service_rest_api_url\":\"\xff\xfe\"}", &client, NULL) ==
            VDK_STATUS_INVALID_ARGUMENT, "invalid UTF-8 config");
  CHECK(vdk_client_new("{}", NULL, NULL) == VDK_STATUS_INVALID_ARGUMENT, "NULL out_client");
  error = NULL;
  CHECK(vdk_client_new("{}", &client, &error) == VDK_STATUS_CONFIGURATION, "no URL");
  check_error(error, VDK_STATUS_CONFIGURATION, 0, "no URL");
  error = NULL;
  CHECK(vdk_client_new("{\"control_service_rest_api_url\":\"http://127.0.0.1:1\","
                       "\"control_http_ca_bundle\":\"/nonexistent/ca.pem\"}", &client, &error) ==
            VDK_STATUS_CONFIGURATION, "unreadable CA");
  check_error(error, VDK_STATUS_CONFIGURATION, 0, "unreadable CA");
  CHECK(client == (VdkClient *)0x1, "out_client written on failure");

  /* Error accessors and frees tolerate NULL. */
  CHECK(vdk_error_status(NULL) == VDK_STATUS_INVALID_ARGUMENT, "status(NULL)");
  CHECK(vdk_error_http_status(NULL) == 0, "http_status(NULL)");
  CHECK(!vdk_error_retryable(NULL), "retryable(NULL)");
  CHECK(strcmp(vdk_error_message(NULL), "") == 0, "message(NULL)");
  CHECK(strcmp(vdk_error_why(NULL), "") == 0, "why(NULL)");
  vdk_error_free(NULL);
  vdk_client_free(NULL);
  vdk_string_free(NULL);

  VdkClient *real = make_client(url, true, "");
  char *out = (char *)0x1;
  CHECK(vdk_client_read_secrets(NULL, "j", "t", &out, NULL) == VDK_STATUS_INVALID_ARGUMENT, "NULL client");
  CHECK(vdk_client_read_secrets(real, NULL, "t", &out, NULL) == VDK_STATUS_INVALID_ARGUMENT, "NULL job");
  CHECK(vdk_client_read_secrets(real, "j", NULL, &out, NULL) == VDK_STATUS_INVALID_ARGUMENT, "NULL team");
  CHECK(vdk_client_read_secrets(real, "j", "t", NULL, NULL) == VDK_STATUS_INVALID_ARGUMENT, "NULL out");
  CHECK(vdk_client_read_secrets(real, "\xc3\x28", "t", &out, NULL) == VDK_STATUS_INVALID_ARGUMENT, "bad UTF-8 job");
  CHECK(vdk_client_read_secrets(real, "", "t", &out, NULL) == VDK_STATUS_INVALID_ARGUMENT, "empty job");
  CHECK(vdk_client_read_secrets(real, "..", "t", &out, NULL) == VDK_STATUS_INVALID_ARGUMENT, "dot-dot job");
  CHECK(out == (char *)0x1, "out written on failure");
  CHECK(vdk_client_write_secrets(NULL, "j", "t", "{}", NULL, NULL) == VDK_STATUS_INVALID_ARGUMENT, "NULL client w");
  CHECK(write_job(real, "j", NULL, NULL) == VDK_STATUS_INVALID_ARGUMENT, "NULL secrets");
  error = NULL;
  CHECK(write_job(real, "j", "[\"" CANARY "\"]", &error) == VDK_STATUS_INVALID_ARGUMENT, "array secrets");
  check_error(error, VDK_STATUS_INVALID_ARGUMENT, 0, "array secrets");
  error = NULL;
  CHECK(write_job(real, "j", "{\"k\": \"" CANARY, &error) == VDK_STATUS_INVALID_ARGUMENT, "malformed secrets");
  check_error(error, VDK_STATUS_INVALID_ARGUMENT, 0, "malformed secrets");
  CHECK(write_job(real, "j", "{\"k\": \"\xff\"}", NULL) == VDK_STATUS_INVALID_ARGUMENT, "bad UTF-8 secrets");
  vdk_client_free(real);
}

static const char *ROUND_TRIP =
    "{\"api-key\":\"" CANARY "\",\"big\":1152921504606846976,\"empty\":\"\",\"float\":2.5,"
    "\"nested\":{\"list\":[1,true,null,\"x\"],\"map\":{\"deep\":\"y\"}},\"nul\":\"a\\u0000b\","
    "\"unicode\":\"Gr\xc3\xbc\xc3\x9f" "e \xf0\x9f\x9a\x80 \xe7\xa7\x98\xe5\xaf\x86\"}";

static void test_round_trip(void) {
  VdkClient *client = make_client(url, true, "");
  char *written = NULL, *read = NULL;
  VdkError *error = NULL;
  VdkStatus status = vdk_client_write_secrets(client, "round-trip", "c team/with spaces", ROUND_TRIP,
                                              &written, &error);
  CHECK(status == VDK_STATUS_OK, "write: %s", vdk_error_message(error));
  CHECK(written && strcmp(written, ROUND_TRIP) == 0, "written echo: %s", written ? written : "(null)");
  status = vdk_client_read_secrets(client, "round-trip", "c team/with spaces", &read, &error);
  CHECK(status == VDK_STATUS_OK, "read: %s", vdk_error_message(error));
  CHECK(read && strcmp(read, ROUND_TRIP) == 0, "read back: %s", read ? read : "(null)");
  vdk_string_free(written);
  vdk_string_free(read);

  /* An unknown job reads as an empty map. */
  read = NULL;
  CHECK(read_job(client, "never-written", &read, NULL) == VDK_STATUS_OK, "empty read");
  CHECK(read && strcmp(read, "{}") == 0, "empty map: %s", read ? read : "(null)");
  vdk_string_free(read);

  /* A large value: 600 KiB, under the service's 1 MiB limit. */
  size_t n = 600 * 1024;
  char *large = malloc(n + 32);
  memcpy(large, "{\"blob\":\"", 9);
  memset(large + 9, 'z', n);
  strcpy(large + 9 + n, "\"}");
  CHECK(write_job(client, "large", large, &error) == VDK_STATUS_OK, "large write");
  read = NULL;
  CHECK(read_job(client, "large", &read, NULL) == VDK_STATUS_OK, "large read");
  CHECK(read && strcmp(read, large) == 0, "large round trip");
  vdk_string_free(read);

  /* Above the limit: 413, a user error. */
  char *huge = malloc(2 * n + 64);
  memcpy(huge, "{\"blob\":\"", 9);
  memset(huge + 9, 'z', 2 * n);
  strcpy(huge + 9 + 2 * n, "\"}");
  error = NULL;
  CHECK(write_job(client, "too-large", huge, &error) == VDK_STATUS_USER_ERROR, "413");
  check_error(error, VDK_STATUS_USER_ERROR, 413, "413");
  free(large);
  free(huge);
  vdk_client_free(client);
}

struct fault_case {
  const char *job;
  VdkStatus status;
  uint16_t http;
};

static void test_failures(void) {
  /* A 1 MiB cap, so the oversized answers below are refused after 1 MiB rather than 8 (under
   * valgrind on a loaded machine, reading 8 MiB could outlast the read timeout). */
  VdkClient *client =
      make_client(url, true, ",\"control_http_total_retries\":3,\"control_http_max_response_bytes\":1048576");
  const struct fault_case cases[] = {
      {"fault-status-401", VDK_STATUS_AUTHENTICATION, 401},
      {"fault-status-403", VDK_STATUS_AUTHENTICATION, 403},
      {"fault-status-404", VDK_STATUS_NOT_FOUND, 404},
      {"fault-status-409", VDK_STATUS_USER_ERROR, 409},
      {"fault-messages-400", VDK_STATUS_USER_ERROR, 400},
      {"fault-status-500", VDK_STATUS_SERVICE_ERROR, 500},
      {"fault-status-501", VDK_STATUS_SERVICE_ERROR, 501},
      {"fault-plain-502", VDK_STATUS_SERVICE_ERROR, 502},
      {"fault-malformed", VDK_STATUS_PROTOCOL, 0},
      {"fault-notobject", VDK_STATUS_PROTOCOL, 0},
      {"fault-huge-4000000", VDK_STATUS_PROTOCOL, 0},
      {"fault-hugelen-4000000", VDK_STATUS_PROTOCOL, 0},
      {"fault-drop", VDK_STATUS_NETWORK, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *out = NULL;
    VdkError *error = NULL;
    VdkStatus status = read_job(client, cases[i].job, &out, &error);
    CHECK(status == cases[i].status, "%s: %u", cases[i].job, status);
    CHECK(out == NULL, "%s: out written on failure", cases[i].job);
    if (cases[i].http == 400)
      CHECK(strstr(vdk_error_why(error), "first message") != NULL, "messages body: %s", vdk_error_why(error));
    if (cases[i].status == VDK_STATUS_SERVICE_ERROR)
      CHECK(vdk_error_retryable(error) == (cases[i].http != 501), "%s retryable", cases[i].job);
    check_error(error, cases[i].status, cases[i].http, cases[i].job);
  }

  /* Transient failures are retried away. */
  const char *healing[] = {"fault-flaky-2-503-c", "fault-flaky-1-504-c", "fault-retryafter-1-1-c",
                           "fault-flakydrop-1-c", "fault-revoke-c"};
  for (size_t i = 0; i < sizeof healing / sizeof *healing; i++) {
    char *out = NULL;
    VdkError *error = NULL;
    VdkStatus status = read_job(client, healing[i], &out, &error);
    CHECK(status == VDK_STATUS_OK, "%s: %s", healing[i], vdk_error_message(error));
    CHECK(out && strcmp(out, "{}") == 0, "%s: body", healing[i]);
    vdk_string_free(out);
    vdk_error_free(error);
  }
  vdk_client_free(client);

  /* Persistent 503: ends in SERVICE_ERROR within the deadline, however many retries allowed. */
  client = make_client(url, true, ",\"control_http_total_retries\":1000,\"control_http_deadline_seconds\":1.5");
  double start = now_seconds();
  VdkError *error = NULL;
  char *out = NULL;
  CHECK(read_job(client, "fault-status-503", &out, &error) == VDK_STATUS_SERVICE_ERROR, "persistent 503");
  double took = now_seconds() - start;
  CHECK(took < 3.0, "persistent 503 took %.2f s", took);
  check_error(error, VDK_STATUS_SERVICE_ERROR, 503, "persistent 503");
  vdk_client_free(client);

  /* A slow server meets the read timeout. */
  client = make_client(url, true, ",\"control_http_read_timeout_seconds\":0.3,\"control_http_read_retries\":1");
  start = now_seconds();
  error = NULL;
  CHECK(read_job(client, "fault-slow-3000", &out, &error) == VDK_STATUS_NETWORK, "read timeout");
  took = now_seconds() - start;
  CHECK(took < 2.5, "read timeout took %.2f s", took);
  check_error(error, VDK_STATUS_NETWORK, 0, "read timeout");
  vdk_client_free(client);

  /* Nothing listens: a connection failure after the connect retries. */
  client = make_client("http://127.0.0.1:9", false, ",\"control_http_connect_retries\":1");
  error = NULL;
  CHECK(read_job(client, "any", &out, &error) == VDK_STATUS_NETWORK, "refused");
  check_error(error, VDK_STATUS_NETWORK, 0, "refused");
  vdk_client_free(client);

  /* No token at all against a service that wants one. */
  client = make_client(url, false, "");
  error = NULL;
  CHECK(read_job(client, "any", &out, &error) == VDK_STATUS_AUTHENTICATION, "no token");
  check_error(error, VDK_STATUS_AUTHENTICATION, 401, "no token");
  vdk_client_free(client);

  /* A rejected token exchange. */
  char *config = fmt("{\"control_service_rest_api_url\":\"%s\",\"api_token\":\"" CANARY "\","
                     "\"api_token_authorization_url\":\"%s\"}", url, token_url);
  VdkClient *wrong = NULL;
  CHECK(vdk_client_new(config, &wrong, NULL) == VDK_STATUS_OK, "client with wrong token");
  error = NULL;
  CHECK(read_job(wrong, "any", &out, &error) == VDK_STATUS_AUTHENTICATION, "rejected exchange");
  check_error(error, VDK_STATUS_AUTHENTICATION, 400, "rejected exchange");
  vdk_client_free(wrong);
  free(config);
}

static void test_token_refresh_over_time(void) {
  /* The runner gives access tokens a 2 s life: a refresh must happen between these reads. */
  VdkClient *client = make_client(url, true, "");
  for (int i = 0; i < 3; i++) {
    char *out = NULL;
    VdkError *error = NULL;
    CHECK(read_job(client, "expiry", &out, &error) == VDK_STATUS_OK, "read %d: %s", i, vdk_error_message(error));
    vdk_string_free(out);
    vdk_error_free(error);
    usleep(1500 * 1000);
  }
  vdk_client_free(client);
}

#define THREADS 16
#define ROUNDS 20

struct worker {
  VdkClient *client;
  int id;
  int failures;
};

static void *worker_main(void *arg) {
  struct worker *w = arg;
  char job[64];
  snprintf(job, sizeof job, "thread-%d", w->id);
  for (int i = 0; i < ROUNDS; i++) {
    char *json = fmt("{\"n\":%d,\"secret\":\"" CANARY "\"}", i);
    char *out = NULL;
    if (write_job(w->client, job, json, NULL) != VDK_STATUS_OK) w->failures++;
    if (read_job(w->client, job, &out, NULL) != VDK_STATUS_OK || strcmp(out, json) != 0) w->failures++;
    vdk_string_free(out);
    free(json);
  }
  return NULL;
}

static void test_threads(void) {
  VdkClient *client = make_client(url, true, "");
  pthread_t threads[THREADS];
  struct worker workers[THREADS];
  for (int i = 0; i < THREADS; i++) {
    workers[i] = (struct worker){client, i, 0};
    pthread_create(&threads[i], NULL, worker_main, &workers[i]);
  }
  int failures = 0;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(threads[i], NULL);
    failures += workers[i].failures;
  }
  CHECK(failures == 0, "%d failed calls across %d threads", failures, THREADS);
  vdk_client_free(client);
}

static void test_fork(void) {
  VdkClient *client = make_client(url, true, "");
  char *out = NULL;
  CHECK(write_job(client, "forked", "{\"from\":\"parent\"}", NULL) == VDK_STATUS_OK, "parent write");
  CHECK(read_job(client, "forked", &out, NULL) == VDK_STATUS_OK, "parent read");
  vdk_string_free(out);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    /* The child reuses the parent's client, then makes its own. */
    char *child_out = NULL;
    VdkError *child_error = NULL;
    int code = 0;
    if (read_job(client, "forked", &child_out, &child_error) != VDK_STATUS_OK ||
        strcmp(child_out, "{\"from\":\"parent\"}") != 0) code |= 1;
    vdk_string_free(child_out);
    if (write_job(client, "forked", "{\"from\":\"child\"}", &child_error) != VDK_STATUS_OK) code |= 2;
    if (code) fprintf(stderr, "child: %s\n", vdk_error_message(child_error));
    vdk_error_free(child_error);
    VdkClient *fresh = make_client(url, true, "");
    child_out = NULL;
    if (read_job(fresh, "forked", &child_out, NULL) != VDK_STATUS_OK) code |= 4;
    vdk_string_free(child_out);
    vdk_client_free(fresh);
    vdk_client_free(client);
    _exit(code);
  }
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  CHECK(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0, "child exit %d", WEXITSTATUS(wstatus));
  out = NULL;
  CHECK(read_job(client, "forked", &out, NULL) == VDK_STATUS_OK, "parent read after fork");
  CHECK(out && strcmp(out, "{\"from\":\"child\"}") == 0, "parent sees child's write: %s", out ? out : "(null)");
  vdk_string_free(out);
  vdk_client_free(client);
}

static void test_tls(void) {
  char *out = NULL;
  VdkError *error = NULL;
  VdkClient *client = make_client(tls_url, false, ",\"control_http_connect_retries\":0");
  CHECK(read_job(client, "tls", &out, &error) == VDK_STATUS_NETWORK, "untrusted certificate refused");
  CHECK(!vdk_error_retryable(error), "certificate failure is not retryable");
  check_error(error, VDK_STATUS_NETWORK, 0, "untrusted certificate");
  vdk_client_free(client);

  char *extra = fmt(",\"control_http_ca_bundle\":\"%s\"", ca_path);
  client = make_client(tls_url, false, extra);
  error = NULL;
  CHECK(read_job(client, "tls", &out, &error) == VDK_STATUS_OK, "with CA bundle: %s", vdk_error_message(error));
  vdk_string_free(out);
  vdk_client_free(client);
  free(extra);

  client = make_client(tls_url, false, ",\"control_http_verify_ssl\":false");
  out = NULL;
  CHECK(read_job(client, "tls", &out, NULL) == VDK_STATUS_OK, "verify off");
  vdk_string_free(out);
  vdk_client_free(client);
}

/* Whether `text` holds any 12-character stretch of `secret`: a secret shown in part is shown. */
static bool holds_piece_of(const char *text, const char *secret) {
  size_t length = strlen(secret);
  for (size_t at = 0; at + 12 <= length; at++) {
    char piece[13];
    memcpy(piece, secret + at, 12);
    piece[12] = '\0';
    if (strstr(text, piece)) return true;
  }
  return false;
}

/* A PEM key and the API token pushed through a server that quotes every request in its
 * errors (raw, JSON-escaped, \uXXXX, percent- and form-encoded, wrapped, cut): no error text
 * shows any of it, and (run.sh checks) no log line. */
static void test_echoing_server(void) {
  static const char *pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n"
                           "q83JxYz0/Pq+7wT1Ld2mUoXn4ReRr6cXzQ==\n-----END PRIVATE KEY-----\n";
  static const char *echo_token = "c-echo-token+/= \xc3\xbc-81f2a0";
  static const char *access_token = "echo-access-token-5d1c8e0b7a924f63";
  char *secrets = fmt("{\"pem\":\"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"
                      "\\nq83JxYz0/Pq+7wT1Ld2mUoXn4ReRr6cXzQ==\\n-----END PRIVATE KEY-----\\n\",\"canary\":\"" CANARY "\"}");
  const char *token_paths[] = {"/token/ok", "/token/status-400", "/token/status-404", "/token/status-503"};
  int quoted = 0;
  for (int t = 0; t < 4; t++) {
    char *config = fmt("{\"control_service_rest_api_url\":\"%s\",\"api_token\":\"%s\","
                       "\"api_token_authorization_url\":\"%s%s\",\"control_http_backoff_factor_seconds\":0.01,"
                       "\"control_http_total_retries\":2}",
                       echo_url, echo_token, echo_url, token_paths[t]);
    VdkClient *client = NULL;
    CHECK(vdk_client_new(config, &client, NULL) == VDK_STATUS_OK, "echo client");
    free(config);
    if (!client) continue;
    const int codes[] = {400, 401, 404, 413, 500, 302};
    for (int c = 0; c < 6; c++) {
      for (int round = 0; round < 8; round++) {
        char *job = fmt("status-%d-c%d-%d", codes[c], t, round);
        VdkError *error = NULL;
        char *out = NULL;
        VdkStatus status = round % 2 ? vdk_client_read_secrets(client, job, "team", &out, &error)
                                     : vdk_client_write_secrets(client, job, "team", secrets, &out, &error);
        CHECK(status != VDK_STATUS_OK && error, "%s fails", job);
        if (error) {
          const char *texts[] = {vdk_error_message(error), vdk_error_what(error), vdk_error_why(error),
                                 vdk_error_consequences(error), vdk_error_countermeasures(error)};
          for (int i = 0; i < 5; i++) {
            if (strstr(texts[i], "the service says")) quoted++;
            CHECK(!holds_piece_of(texts[i], pem) && !holds_piece_of(texts[i], CANARY) &&
                      !holds_piece_of(texts[i], echo_token) && !holds_piece_of(texts[i], access_token),
                  "%s: a secret in: %s", job, texts[i]);
          }
        }
        vdk_error_free(error);
        vdk_string_free(out);
        free(job);
      }
    }
    vdk_client_free(client);
  }
  CHECK(quoted > 0, "the server's texts are quoted at all");
  free(secrets);
}

int main(void) {
  url = need("VDK_TEST_URL");
  token_url = need("VDK_TEST_TOKEN_URL");
  api_token = need("VDK_TEST_API_TOKEN");
  tls_url = need("VDK_TEST_TLS_URL");
  ca_path = need("VDK_TEST_CA");
  echo_url = need("VDK_TEST_ECHO_URL");
  test_version();
  test_bad_arguments();
  test_round_trip();
  test_failures();
  test_token_refresh_over_time();
  test_threads();
  test_fork();
  test_tls();
  test_echoing_server();
  printf("c-abi: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
