package io.vdk.secrets;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.Map;

/**
 * A client of one VDK Control Service: reads and writes a data job's whole secrets map.
 *
 * <p>Thread-safe: any number of threads may share one client (one connection pool, one access
 * token). Calls block the calling thread until the answer, an error, or the deadline
 * ({@code control_http_deadline_seconds}, or the per-call timeout). Failures are unchecked
 * {@link VdkSecretsException}s of the subclass of their {@link Status}.
 *
 * <p>Close it when done ({@code try}-with-resources); {@link #close()} is idempotent and may
 * race with calls on other threads (the native client is freed when the last one ends). A
 * client dropped without {@code close()} is freed by a {@link Cleaner} after garbage
 * collection. Calls after {@code close()} throw {@link ClosedException}.
 *
 * <pre>{@code
 * SecretsConfig config = SecretsConfig.builder()
 *         .controlServiceRestApiUrl("http://localhost:8092")
 *         .build();
 * try (SecretsClient client = SecretsClient.create(config)) {
 *     client.writeSecrets("my-job", "my-team", Map.of("api-key", "sk-abc123"));
 *     Secrets secrets = client.readSecrets("my-job", "my-team");
 * }
 * }</pre>
 */
public final class SecretsClient implements AutoCloseable {
    private final NativeHandle handle;
    private final Cleaner.Cleanable cleanable;

    private SecretsClient(long pointer) {
        NativeHandle h = new NativeHandle(pointer, NativeBridge::clientFree, "SecretsClient");
        this.handle = h;
        // The action reaches only the handle, never this object.
        this.cleanable = NativeHandle.CLEANER.register(this, h::close);
    }

    /** A client with this configuration. No network I/O: the first call connects. */
    public static SecretsClient create(SecretsConfig config) {
        Checks.notNull(config, "config");
        NativeLoader.ensureLoaded();
        return new SecretsClient(NativeBridge.clientNew(config.asMap()));
    }

    /** A client configured from {@code VDK_*} environment variables (names case-insensitive), read now. */
    public static SecretsClient fromEnvironment() {
        NativeLoader.ensureLoaded();
        return new SecretsClient(NativeBridge.clientNew(null));
    }

    /** "vdk-secrets X.Y.Z" of the native library. */
    public static String nativeVersion() {
        NativeLoader.ensureLoaded();
        return NativeBridge.version();
    }

    /**
     * The job's secrets (empty when none are stored), within the configured deadline. The result
     * never prints a value; read values with its typed getters.
     */
    public Secrets readSecrets(String jobName, String teamName) {
        return read(jobName, teamName, Checks.CONFIGURED_DEADLINE);
    }

    /** {@link #readSecrets(String, String)} bounded by {@code timeout} (retries included) instead of the configured deadline. */
    public Secrets readSecrets(String jobName, String teamName, Duration timeout) {
        return read(jobName, teamName, Checks.timeoutNanos(timeout));
    }

    /**
     * The job's secrets as JSON text ({@code {}} when none are stored), within the configured
     * deadline: compact, keys sorted at every level, numbers with their exact digits. No map is
     * built, in Java or in the native library: for callers that hand the JSON on or decode it
     * with their own JSON library. The text is an immutable {@code String} the JVM keeps until
     * it is collected; prefer {@link #readSecrets(String, String)} when that matters.
     */
    public String readSecretsJson(String jobName, String teamName) {
        return readJson(jobName, teamName, Checks.CONFIGURED_DEADLINE);
    }

    /** {@link #readSecretsJson(String, String)} bounded by {@code timeout} (retries included) instead of the configured deadline. */
    public String readSecretsJson(String jobName, String teamName, Duration timeout) {
        return readJson(jobName, teamName, Checks.timeoutNanos(timeout));
    }

    /**
     * Replaces the job's whole secrets map. Values: {@code String}, {@code Long}/{@code Integer}/
     * {@code Short}/{@code Byte}, {@code BigInteger} (up to 2^64-1), {@code Double}/{@code Float}
     * (finite), {@code Boolean}, {@code null}, nested {@code Map<String, ?>} and
     * {@code Collection}, and {@link Secrets} values (written in full, not masked; to write a
     * whole {@code Secrets}, pass {@link Secrets#toMap()}). Anything else is an
     * {@link InvalidArgumentException}, and nothing is sent.
     */
    public void writeSecrets(String jobName, String teamName, Map<String, ?> secrets) {
        write(jobName, teamName, secrets, Checks.CONFIGURED_DEADLINE);
    }

    /** {@link #writeSecrets(String, String, Map)} bounded by {@code timeout} instead of the configured deadline. */
    public void writeSecrets(String jobName, String teamName, Map<String, ?> secrets, Duration timeout) {
        write(jobName, teamName, secrets, Checks.timeoutNanos(timeout));
    }

    private Secrets read(String jobName, String teamName, long timeoutNanos) {
        Checks.notNull(jobName, "jobName");
        Checks.notNull(teamName, "teamName");
        long pointer = handle.acquire();
        try {
            return Secrets.fromNative(NativeBridge.clientRead(pointer, jobName, teamName, timeoutNanos));
        } finally {
            handle.release();
            Reference.reachabilityFence(this);
        }
    }

    private String readJson(String jobName, String teamName, long timeoutNanos) {
        Checks.notNull(jobName, "jobName");
        Checks.notNull(teamName, "teamName");
        long pointer = handle.acquire();
        try {
            return NativeBridge.clientReadJson(pointer, jobName, teamName, timeoutNanos);
        } finally {
            handle.release();
            Reference.reachabilityFence(this);
        }
    }

    private void write(String jobName, String teamName, Map<String, ?> secrets, long timeoutNanos) {
        Checks.notNull(jobName, "jobName");
        Checks.notNull(teamName, "teamName");
        Checks.notNull(secrets, "secrets");
        long pointer = handle.acquire();
        try {
            NativeBridge.clientWrite(pointer, jobName, teamName, secrets, timeoutNanos);
        } finally {
            handle.release();
            Reference.reachabilityFence(this);
        }
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return handle.isClosed();
    }

    /** Releases the native client (at once, or when the calls in flight end). Idempotent. */
    @Override
    public void close() {
        cleanable.clean();
    }

    @Override
    public String toString() {
        return "SecretsClient{" + (isClosed() ? "closed" : "open") + "}";
    }
}
