package io.vdk.secrets;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The configuration of a {@link SecretsClient} or {@link JobSecrets}: the keys of the README's
 * configuration table, one builder method per key (named after the key in camel case).
 * Immutable; build it with {@link #builder()}. Keys not set take the library's defaults;
 * the library validates the values when a client is created (an invalid one is an
 * {@link InvalidArgumentException} naming the key, never echoing the value).
 *
 * <p>{@link #toString()} masks the API token.
 */
public final class SecretsConfig {
    private final Map<String, Object> values;

    private SecretsConfig(Map<String, Object> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values, to derive another. */
    public Builder toBuilder() {
        Builder builder = new Builder();
        builder.values.putAll(values);
        return builder;
    }

    /** The configured keys and values (for the JNI glue). Holds the API token. */
    Map<String, Object> asMap() {
        return values;
    }

    /** The value of a configuration key ({@code "control_http_total_retries"}), or null when not set. */
    public Object get(String key) {
        return "api_token".equals(key) ? null : values.get(key);
    }

    /** Whether an API token is configured (its value is never exposed). */
    public boolean hasApiToken() {
        return values.containsKey("api_token");
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder("SecretsConfig{");
        boolean first = true;
        for (Map.Entry<String, Object> entry : values.entrySet()) {
            if (!first) {
                out.append(", ");
            }
            first = false;
            out.append(entry.getKey()).append('=');
            out.append("api_token".equals(entry.getKey()) ? "***" : String.valueOf(entry.getValue()));
        }
        return out.append('}').toString();
    }

    /** Builds a {@link SecretsConfig}. Passing null to a method removes the key. Not thread-safe. */
    public static final class Builder {
        private final Map<String, Object> values = new LinkedHashMap<>();

        private Builder() {
        }

        private Builder put(String key, Object value) {
            if (value == null) {
                values.remove(key);
            } else {
                values.put(key, value);
            }
            return this;
        }

        private Builder seconds(String key, double seconds) {
            if (Double.isNaN(seconds) || Double.isInfinite(seconds) || seconds < 0) {
                throw VdkSecretsException.invalidArgument(
                        "configuration key '" + key + "' must be a finite number of seconds, not negative");
            }
            return put(key, seconds);
        }

        private Builder count(String key, long count) {
            if (count < 0) {
                throw VdkSecretsException.invalidArgument("configuration key '" + key + "' must not be negative");
            }
            return put(key, count);
        }

        /** {@code control_service_rest_api_url}: base URL of the Control Service REST API (required for the Control Service). */
        public Builder controlServiceRestApiUrl(String url) {
            return put("control_service_rest_api_url", url);
        }

        /** {@code api_token}: OAuth2 refresh token; without it, calls go out unauthenticated. */
        public Builder apiToken(String token) {
            return put("api_token", token);
        }

        /** {@code api_token_authorization_url}: token endpoint of the refresh-token grant; required with an API token. */
        public Builder apiTokenAuthorizationUrl(String url) {
            return put("api_token_authorization_url", url);
        }

        /** {@code control_http_verify_ssl}: verify the server's certificate (default true). */
        public Builder controlHttpVerifySsl(boolean verify) {
            return put("control_http_verify_ssl", verify);
        }

        /** {@code control_http_ca_bundle}: PEM file of extra CA certificates to trust. */
        public Builder controlHttpCaBundle(String pemFile) {
            return put("control_http_ca_bundle", pemFile);
        }

        /** {@code control_http_total_retries}: retries of any kind per call (default 10). */
        public Builder controlHttpTotalRetries(long retries) {
            return count("control_http_total_retries", retries);
        }

        /** {@code control_http_connect_retries}: retries of failures before the request reached the server (default 6). */
        public Builder controlHttpConnectRetries(long retries) {
            return count("control_http_connect_retries", retries);
        }

        /** {@code control_http_read_retries}: retries of failures while waiting for or reading the answer (default 6). */
        public Builder controlHttpReadRetries(long retries) {
            return count("control_http_read_retries", retries);
        }

        /**
         * {@code control_http_max_connections}: requests in flight at once per client (default
         * 64); more calls wait for a connection within their own deadline.
         */
        public Builder controlHttpMaxConnections(long connections) {
            return count("control_http_max_connections", connections);
        }

        /** {@code control_http_connect_timeout_seconds}: connect timeout, TCP and TLS (default 30). */
        public Builder controlHttpConnectTimeoutSeconds(double seconds) {
            return seconds("control_http_connect_timeout_seconds", seconds);
        }

        /** {@code control_http_read_timeout_seconds}: longest wait for any read (default 900). */
        public Builder controlHttpReadTimeoutSeconds(double seconds) {
            return seconds("control_http_read_timeout_seconds", seconds);
        }

        /** {@code control_http_backoff_factor_seconds}: retry n waits factor * 2^(n-1), with jitter (default 2). */
        public Builder controlHttpBackoffFactorSeconds(double seconds) {
            return seconds("control_http_backoff_factor_seconds", seconds);
        }

        /** {@code control_http_backoff_max_seconds}: cap on one wait (default 120). */
        public Builder controlHttpBackoffMaxSeconds(double seconds) {
            return seconds("control_http_backoff_max_seconds", seconds);
        }

        /** {@code control_http_deadline_seconds}: bound on a whole call, retries and token exchange included (default 600). */
        public Builder controlHttpDeadlineSeconds(double seconds) {
            return seconds("control_http_deadline_seconds", seconds);
        }

        /** {@code control_http_max_response_bytes}: larger answers are refused with PROTOCOL (default 8 MiB). */
        public Builder controlHttpMaxResponseBytes(long bytes) {
            return count("control_http_max_response_bytes", bytes);
        }

        /** {@code control_service_user_agent}: the User-Agent header (default vdk-secrets/VERSION). */
        public Builder controlServiceUserAgent(String userAgent) {
            return put("control_service_user_agent", userAgent);
        }

        /** {@code op_id_override}: the X-OPID header (default: random per process). */
        public Builder opIdOverride(String opId) {
            return put("op_id_override", opId);
        }

        /** {@code deployment_id}: the deployment path segment (default TODO, as upstream). */
        public Builder deploymentId(String deploymentId) {
            return put("deployment_id", deploymentId);
        }

        /** {@code secrets_default_type}: backend of the job secrets layer ({@code default}, {@code control-service}, {@code memory}). */
        public Builder secretsDefaultType(String type) {
            return put("secrets_default_type", type);
        }

        /** {@code secrets_cache_ttl_seconds}: time-to-live of the job layer's read cache (default: until a write or refresh). */
        public Builder secretsCacheTtlSeconds(double seconds) {
            return seconds("secrets_cache_ttl_seconds", seconds);
        }

        public SecretsConfig build() {
            return new SecretsConfig(values);
        }

        @Override
        public String toString() {
            return "SecretsConfig.Builder" + new SecretsConfig(values).toString().substring("SecretsConfig".length());
        }
    }
}
