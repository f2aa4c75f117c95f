/* A job-style program: reads its configuration from VDK_* environment variables, like a data
 * job under VDK would, then uses one secret, records another and lists what the job has.
 *
 *   VDK_CONTROL_SERVICE_REST_API_URL=http://127.0.0.1:8092 ./job_secrets my-job my-team
 *
 * It never prints a secret value: only names, and whether the one it needs is there. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vdk_secrets.h"

static int fail(const char *doing, VdkError *error) {
  fprintf(stderr, "job_secrets: cannot %s: %s\n", doing, vdk_error_message(error));
  fprintf(stderr, "what to do: %s\n", vdk_error_countermeasures(error));
  int code = (int)vdk_error_status(error);
  vdk_error_free(error);
  return code == 0 ? 1 : code;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s JOB TEAM  (configuration from VDK_* environment variables)\n", argv[0]);
    return 2;
  }
  VdkJobSecrets *secrets = NULL;
  VdkError *error = NULL;
  if (vdk_job_secrets_new(argv[1], argv[2], NULL, &secrets, &error) != VDK_STATUS_OK)
    return fail("configure", error);

  /* Use a secret: its JSON value (a string keeps its quotes), or NULL when it is not set. */
  char *api_key = NULL;
  if (vdk_job_secrets_get(secrets, "api-key", &api_key, &error) != VDK_STATUS_OK) {
    vdk_job_secrets_free(secrets);
    return fail("read api-key", error);
  }
  printf("api-key: %s\n", api_key ? "present" : "not set");
  vdk_string_free(api_key); /* wipes the value before freeing it */

  /* Record something: a read-modify-write of the job's map, serialized within this process. */
  char stamp[64];
  snprintf(stamp, sizeof stamp, "%ld", (long)time(NULL));
  if (vdk_job_secrets_set(secrets, "last-run", stamp, &error) != VDK_STATUS_OK) {
    vdk_job_secrets_free(secrets);
    return fail("write last-run", error);
  }

  char *all = NULL;
  if (vdk_job_secrets_get_all(secrets, &all, &error) != VDK_STATUS_OK) {
    vdk_job_secrets_free(secrets);
    return fail("list secrets", error);
  }
  /* Count top-level entries without a JSON parser: the map is compact JSON from the library. */
  int depth = 0, entries = 0;
  bool in_string = false, escaped = false;
  for (const char *p = all; *p; p++) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (*p == '\\') escaped = true;
      else if (*p == '"') in_string = false;
      continue;
    }
    if (*p == '"') in_string = true;
    else if (*p == '{' || *p == '[') depth++;
    else if (*p == '}' || *p == ']') depth--;
    else if (*p == ':' && depth == 1) entries++;
  }
  printf("job %s of team %s has %d secrets (backend %s)\n", argv[1], argv[2], entries,
         vdk_job_secrets_backend(secrets));
  vdk_string_free(all);
  vdk_job_secrets_free(secrets);
  return 0;
}
