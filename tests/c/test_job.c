/* C tests of the job secrets part of the ABI and of the per-call timeouts, against a real
 * local Control Service (see run.sh for the environment) and the in-process memory backend.
 * Closes with "N passed, M failed". */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "vdk_secrets.h"

static const char *url, *token_url, *api_token;

static char *service_config(void) {
  char *out = NULL;
  if (asprintf(&out,
               "{\"control_service_rest_api_url\":\"%s\",\"api_token\":\"%s\","
               "\"api_token_authorization_url\":\"%s\",\"control_http_backoff_factor_seconds\":0.02,"
               "\"control_http_total_retries\":2}",
               url, api_token, token_url) < 0)
    abort();
  return out;
}

static VdkJobSecrets *open_job(const char *job, const char *config) {
  VdkJobSecrets *secrets = NULL;
  VdkError *error = NULL;
  if (vdk_job_secrets_new(job, "c-team", config, &secrets, &error) != VDK_STATUS_OK) {
    fprintf(stderr, "cannot open job secrets: %s\n", vdk_error_message(error));
    exit(2);
  }
  return secrets;
}

static void expect_value(VdkJobSecrets *secrets, const char *name, const char *expected) {
  char *value = (char *)0x1;
  VdkError *error = NULL;
  VdkStatus status = vdk_job_secrets_get(secrets, name, &value, &error);
  CHECK(status == VDK_STATUS_OK, "get %s: %s", name, vdk_error_message(error));
  vdk_error_free(error);
  if (status != VDK_STATUS_OK) return;
  if (expected == NULL) {
    CHECK(value == NULL, "%s should be absent, got %s", name, value);
  } else {
    CHECK(value && strcmp(value, expected) == 0, "%s = %s, expected %s", name, value ? value : "(null)", expected);
  }
  vdk_string_free(value);
}

static void test_memory_backend(void) {
  const char *memory = "{\"secrets_default_type\":\"memory\"}";
  VdkJobSecrets *secrets = open_job("memory-job", memory);
  CHECK(strcmp(vdk_job_secrets_backend(secrets), "memory") == 0, "backend %s", vdk_job_secrets_backend(secrets));
  expect_value(secrets, "api-key", NULL);
  CHECK(vdk_job_secrets_set(secrets, "api-key", "\"" CANARY "\"", NULL) == VDK_STATUS_OK, "set string");
  CHECK(vdk_job_secrets_set(secrets, "port", "5432", NULL) == VDK_STATUS_OK, "set number");
  CHECK(vdk_job_secrets_set(secrets, "nested", "{\"a\":[1,2.5,null]}", NULL) == VDK_STATUS_OK, "set object");
  expect_value(secrets, "api-key", "\"" CANARY "\"");
  expect_value(secrets, "port", "5432");
  expect_value(secrets, "nested", "{\"a\":[1,2.5,null]}");
  CHECK(vdk_job_secrets_delete(secrets, "port", NULL) == VDK_STATUS_OK, "delete");
  CHECK(vdk_job_secrets_delete(secrets, "never-set", NULL) == VDK_STATUS_OK, "delete absent");
  expect_value(secrets, "port", NULL);

  /* A second handle in the same process sees the same store after a refresh. */
  VdkJobSecrets *other = open_job("memory-job", memory);
  char *all = NULL;
  CHECK(vdk_job_secrets_get_all(other, &all, NULL) == VDK_STATUS_OK, "get_all");
  CHECK(all && strcmp(all, "{\"api-key\":\"" CANARY "\",\"nested\":{\"a\":[1,2.5,null]}}") == 0, "all: %s", all);
  vdk_string_free(all);
  CHECK(vdk_job_secrets_set_all(other, "{\"only\":true}", NULL) == VDK_STATUS_OK, "set_all");
  CHECK(vdk_job_secrets_refresh(secrets, NULL) == VDK_STATUS_OK, "refresh");
  expect_value(secrets, "only", "true");
  expect_value(secrets, "api-key", NULL);
  vdk_job_secrets_free(other);

  /* Bad input: nothing is written. */
  VdkError *error = NULL;
  CHECK(vdk_job_secrets_set(secrets, "has space", "1", &error) == VDK_STATUS_INVALID_ARGUMENT, "name with space");
  vdk_error_free(error);
  CHECK(vdk_job_secrets_set(secrets, "", "1", NULL) == VDK_STATUS_INVALID_ARGUMENT, "empty name");
  CHECK(vdk_job_secrets_set(secrets, "k", "{bad", NULL) == VDK_STATUS_INVALID_ARGUMENT, "bad value JSON");
  CHECK(vdk_job_secrets_set(secrets, "k", NULL, NULL) == VDK_STATUS_INVALID_ARGUMENT, "NULL value");
  CHECK(vdk_job_secrets_set(secrets, NULL, "1", NULL) == VDK_STATUS_INVALID_ARGUMENT, "NULL name");
  CHECK(vdk_job_secrets_set(NULL, "k", "1", NULL) == VDK_STATUS_INVALID_ARGUMENT, "NULL handle");
  CHECK(vdk_job_secrets_set_all(secrets, "[1]", NULL) == VDK_STATUS_INVALID_ARGUMENT, "set_all array");
  CHECK(vdk_job_secrets_set_all(secrets, "{\"bad name\":1}", NULL) == VDK_STATUS_INVALID_ARGUMENT, "set_all bad name");
  CHECK(vdk_job_secrets_get(secrets, "k", NULL, NULL) == VDK_STATUS_INVALID_ARGUMENT, "NULL out");
  CHECK(vdk_job_secrets_get_all(NULL, &all, NULL) == VDK_STATUS_INVALID_ARGUMENT, "NULL handle get_all");
  CHECK(vdk_job_secrets_refresh(NULL, NULL) == VDK_STATUS_INVALID_ARGUMENT, "NULL handle refresh");
  CHECK(vdk_job_secrets_delete(secrets, "\xff", NULL) == VDK_STATUS_INVALID_ARGUMENT, "bad UTF-8 name");
  size_t n = 1100 * 1024;
  char *huge = malloc(n + 3);
  huge[0] = '"';
  memset(huge + 1, 'z', n);
  strcpy(huge + 1 + n, "\"");
  error = NULL;
  CHECK(vdk_job_secrets_set(secrets, "huge", huge, &error) == VDK_STATUS_USER_ERROR, "over 1 MiB refused");
  CHECK(strstr(vdk_error_why(error), "1048576") != NULL, "size named: %s", vdk_error_why(error));
  vdk_error_free(error);
  free(huge);
  expect_value(secrets, "huge", NULL);
  expect_value(secrets, "only", "true");
  CHECK(strcmp(vdk_job_secrets_backend(NULL), "") == 0, "backend(NULL)");
  vdk_job_secrets_free(secrets);
  vdk_job_secrets_free(NULL);

  VdkJobSecrets *none = NULL;
  CHECK(vdk_job_secrets_new(NULL, "t", "{}", &none, NULL) == VDK_STATUS_INVALID_ARGUMENT, "NULL job");
  CHECK(vdk_job_secrets_new("j", "t", "{}", NULL, NULL) == VDK_STATUS_INVALID_ARGUMENT, "NULL out");
  CHECK(vdk_job_secrets_new("j", "t", "{\"nope\":1}", &none, NULL) == VDK_STATUS_INVALID_ARGUMENT, "bad config");
  CHECK(none == NULL, "out written on failure");
}

static void test_backend_choice_errors(void) {
  VdkJobSecrets *secrets = open_job("j", "{}");
  char *value = NULL;
  VdkError *error = NULL;
  CHECK(vdk_job_secrets_get(secrets, "k", &value, &error) == VDK_STATUS_CONFIGURATION, "no backend configured");
  CHECK(strstr(vdk_error_why(error), "memory") != NULL, "lists registered: %s", vdk_error_why(error));
  vdk_error_free(error);
  vdk_job_secrets_free(secrets);
  secrets = open_job("j", "{\"secrets_default_type\":\"vault\"}");
  CHECK(strcmp(vdk_job_secrets_backend(secrets), "unavailable") == 0, "unknown backend");
  CHECK(vdk_job_secrets_set(secrets, "k", "1", NULL) == VDK_STATUS_CONFIGURATION, "unknown backend");
  vdk_job_secrets_free(secrets);
}

struct worker {
  VdkJobSecrets *secrets;
  int id;
  int failures;
};

static void *worker_main(void *arg) {
  struct worker *w = arg;
  for (int i = 0; i < 5; i++) {
    char name[32], value[32];
    snprintf(name, sizeof name, "k-%d-%d", w->id, i);
    snprintf(value, sizeof value, "%d", i);
    if (vdk_job_secrets_set(w->secrets, name, value, NULL) != VDK_STATUS_OK) w->failures++;
  }
  return NULL;
}

static void test_control_service_backend(void) {
  char *config = service_config();
  VdkJobSecrets *secrets = open_job("c-job-layer", config);
  CHECK(strcmp(vdk_job_secrets_backend(secrets), "default") == 0, "backend %s", vdk_job_secrets_backend(secrets));
  CHECK(vdk_job_secrets_set_all(secrets, "{}", NULL) == VDK_STATUS_OK, "clear");
  pthread_t threads[8];
  struct worker workers[8];
  for (int i = 0; i < 8; i++) {
    workers[i] = (struct worker){secrets, i, 0};
    pthread_create(&threads[i], NULL, worker_main, &workers[i]);
  }
  int failures = 0;
  for (int i = 0; i < 8; i++) {
    pthread_join(threads[i], NULL);
    failures += workers[i].failures;
  }
  CHECK(failures == 0, "%d failed sets", failures);
  /* A fresh handle fetches from the service: no update was lost. */
  VdkJobSecrets *fresh = open_job("c-job-layer", config);
  char *all = NULL;
  CHECK(vdk_job_secrets_get_all(fresh, &all, NULL) == VDK_STATUS_OK, "get_all");
  int keys = 0;
  for (const char *p = all; p && (p = strstr(p, "\"k-")) != NULL; p++) keys++;
  CHECK(keys == 40, "%d of 40 keys stored", keys);
  vdk_string_free(all);
  vdk_job_secrets_free(fresh);
  vdk_job_secrets_free(secrets);

  /* Per-call timeouts bound a slow service. */
  secrets = open_job("fault-slow-3000", config);
  VdkError *error = NULL;
  char *value = NULL;
  double start = now_seconds();
  CHECK(vdk_job_secrets_get_with_timeout(secrets, "k", 300, &value, &error) == VDK_STATUS_NETWORK, "get timeout");
  CHECK(now_seconds() - start < 1.5, "get timeout took %.2f s", now_seconds() - start);
  vdk_error_free(error);
  CHECK(vdk_job_secrets_set_with_timeout(secrets, "k", "1", 300, NULL) == VDK_STATUS_NETWORK, "set timeout");
  CHECK(vdk_job_secrets_refresh_with_timeout(secrets, 300, NULL) == VDK_STATUS_NETWORK, "refresh timeout");
  CHECK(vdk_job_secrets_get_all_with_timeout(secrets, 300, &value, NULL) == VDK_STATUS_NETWORK, "get_all timeout");
  CHECK(vdk_job_secrets_delete_with_timeout(secrets, "k", 300, NULL) == VDK_STATUS_NETWORK, "delete timeout");
  CHECK(vdk_job_secrets_set_all_with_timeout(secrets, "{}", 300, NULL) == VDK_STATUS_NETWORK, "set_all timeout");
  vdk_job_secrets_free(secrets);

  VdkClient *client = NULL;
  CHECK(vdk_client_new(config, &client, NULL) == VDK_STATUS_OK, "client");
  start = now_seconds();
  CHECK(vdk_client_read_secrets_with_timeout(client, "fault-slow-3000", "t", 300, &value, NULL) == VDK_STATUS_NETWORK,
        "client read timeout");
  CHECK(vdk_client_write_secrets_with_timeout(client, "fault-slow-3000", "t", "{}", 300, NULL, NULL) ==
            VDK_STATUS_NETWORK, "client write timeout");
  CHECK(now_seconds() - start < 2.0, "client timeouts took %.2f s", now_seconds() - start);
  CHECK(vdk_client_read_secrets_with_timeout(client, "c-job-layer", "c-team", 0, &value, NULL) == VDK_STATUS_OK,
        "timeout 0 means the configured deadline");
  vdk_string_free(value);
  vdk_client_free(client);
  free(config);
}

/* C code tokenizes returned strings in place: strtok writes NULs inside them. vdk_string_free
 * must still wipe and free the whole allocation (valgrind and ASan see any access past it or a
 * mismatched free). */
static void test_string_free_after_strtok(void) {
  VdkJobSecrets *secrets = open_job("strtok-job", "{\"secrets_default_type\":\"memory\"}");
  CHECK(vdk_job_secrets_set_all(secrets, "{\"a\":\"x y\",\"b\":\"" CANARY "\",\"c\":\"-----BEGIN KEY-----\\nabc\\n\"}",
                                NULL) == VDK_STATUS_OK,
        "set_all");
  char *all = NULL;
  CHECK(vdk_job_secrets_get_all(secrets, &all, NULL) == VDK_STATUS_OK && all, "get_all");
  if (all) {
    int tokens = 0;
    for (char *token = strtok(all, "{\":,}"); token; token = strtok(NULL, "{\":,}")) tokens++;
    CHECK(tokens >= 6, "strtok found %d tokens", tokens);
    CHECK(strlen(all) <= 3, "strtok cut the string short (%zu)", strlen(all));
    vdk_string_free(all);
  }
  char *value = NULL;
  CHECK(vdk_job_secrets_get(secrets, "b", &value, NULL) == VDK_STATUS_OK && value, "get");
  if (value) {
    memset(value, 0, strlen(value)); /* all of it NUL */
    vdk_string_free(value);
  }
  vdk_job_secrets_free(secrets);
}

int main(void) {
  url = need("VDK_TEST_URL");
  token_url = need("VDK_TEST_TOKEN_URL");
  api_token = need("VDK_TEST_API_TOKEN");
  test_memory_backend();
  test_string_free_after_strtok();
  test_backend_choice_errors();
  test_control_service_backend();
  printf("c-job-secrets: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
