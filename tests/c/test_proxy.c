/* Behind an HTTPS CONNECT proxy, as enterprise hosts run us: run.sh starts tinyproxy with Basic
 * credentials and sets HTTPS_PROXY (credentials in the URL) and SSL_CERT_FILE (the local
 * service's test CA) in this program's environment. The configuration names nothing but the
 * service's URL: proxy and trust come from the environment alone. run.sh then checks that
 * tinyproxy logged the CONNECT. */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "check.h"
#include "vdk_secrets.h"

int main(void) {
  const char *tls_url = need("VDK_TEST_TLS_URL");
  need("HTTPS_PROXY");
  need("SSL_CERT_FILE");
  char config[512];
  snprintf(config, sizeof config,
           "{\"control_service_rest_api_url\": \"%s\", \"control_http_connect_retries\": 1}", tls_url);
  VdkClient *client = NULL;
  VdkError *error = NULL;
  VdkStatus status = vdk_client_new(config, &client, &error);
  CHECK(status == VDK_STATUS_OK, "vdk_client_new: %s", error ? vdk_error_message(error) : "");
  if (status != VDK_STATUS_OK) {
    vdk_error_free(error);
    return 1;
  }
  status = vdk_client_write_secrets(client, "proxied-job", "team", "{\"key\": \"" CANARY "\"}", NULL, &error);
  CHECK(status == VDK_STATUS_OK, "write through the proxy: %s", error ? vdk_error_message(error) : "");
  vdk_error_free(error);
  error = NULL;
  char *json = NULL;
  status = vdk_client_read_secrets(client, "proxied-job", "team", &json, &error);
  CHECK(status == VDK_STATUS_OK, "read through the proxy: %s", error ? vdk_error_message(error) : "");
  CHECK(json && strcmp(json, "{\"key\":\"" CANARY "\"}") == 0, "read back: %s", json ? json : "(null)");
  vdk_string_free(json);
  vdk_error_free(error);
  vdk_client_free(client);
  printf("c-proxy: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
