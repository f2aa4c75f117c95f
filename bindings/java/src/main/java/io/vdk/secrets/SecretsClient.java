package io.vdk.secrets;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.LongConsumer;

/**
 * A client of one VDK Control Service: reads and writes a data job's whole secrets map.
 *
 * <p>Thread-safe: any number of threads may share one client (one connection pool, one access
 * token). Calls block the calling thread until the answer, an error, or the deadline
 * ({@code control_http_deadline_seconds}, or the per-call timeout). Failures are unchecked
 * {@link VdkSecretsException}s of the subclass of their {@link Status}.
 *
 * <p>Blocking calls are interruptible: {@link Thread#interrupt()} ends the call at once with
 * {@link CancelledException} (the interrupt flag stays set) and drops its request; a thread
 * already interrupted sends nothing. A virtual thread waiting for a call unmounts from its
 * carrier. The {@code ...Async} variants return a {@link CompletableFuture} completed on the
 * binding's executor (a cached pool of daemon threads) or on the given {@link Executor};
 * cancelling the future (or completing it from outside) cancels the call. Every failure of an
 * {@code ...Async} call, a refused argument included, comes through its future.
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

    private static final NativeCalls.Op<Secrets> READ = new NativeCalls.Op<>("read secrets", false, null,
            SecretsClient::secrets);
    private static final NativeCalls.Op<Void> WRITE = new NativeCalls.Op<>("write secrets", true, null, none -> null);

    /** The secrets of a read, which the JNI glue hands over as canonical JSON text (wiped here). */
    static Secrets secrets(Object nativeJson) {
        return CanonicalJson.decodeSecrets((byte[]) nativeJson);
    }

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
        NativeCalls.ensureStarted();
        return new SecretsClient(NativeBridge.clientNew(config.asMap()));
    }

    /** A client configured from {@code VDK_*} environment variables (names case-insensitive), read now. */
    public static SecretsClient fromEnvironment() {
        NativeLoader.ensureLoaded();
        NativeCalls.ensureStarted();
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

    /** {@link #readSecrets(String, String)} without blocking; see the class comment for executors and cancellation. */
    public CompletableFuture<Secrets> readSecretsAsync(String jobName, String teamName) {
        return readAsync(jobName, teamName, null, NativeCalls.DEFAULT_EXECUTOR);
    }

    /** {@link #readSecretsAsync(String, String)}, its future completed on {@code executor}. */
    public CompletableFuture<Secrets> readSecretsAsync(String jobName, String teamName, Executor executor) {
        return readAsync(jobName, teamName, null, executor);
    }

    /** {@link #readSecretsAsync(String, String, Executor)} bounded by {@code timeout} instead of the configured deadline. */
    public CompletableFuture<Secrets> readSecretsAsync(String jobName, String teamName, Duration timeout,
            Executor executor) {
        return readAsync(jobName, teamName, Checks.notNullLater(timeout), executor);
    }

    /** {@link #writeSecrets(String, String, Map)} without blocking; nothing is sent when an argument is refused. */
    public CompletableFuture<Void> writeSecretsAsync(String jobName, String teamName, Map<String, ?> secrets) {
        return writeAsync(jobName, teamName, secrets, null, NativeCalls.DEFAULT_EXECUTOR);
    }

    /** {@link #writeSecretsAsync(String, String, Map)}, its future completed on {@code executor}. */
    public CompletableFuture<Void> writeSecretsAsync(String jobName, String teamName, Map<String, ?> secrets,
            Executor executor) {
        return writeAsync(jobName, teamName, secrets, null, executor);
    }

    /** {@link #writeSecretsAsync(String, String, Map, Executor)} bounded by {@code timeout}. */
    public CompletableFuture<Void> writeSecretsAsync(String jobName, String teamName, Map<String, ?> secrets,
            Duration timeout, Executor executor) {
        return writeAsync(jobName, teamName, secrets, Checks.notNullLater(timeout), executor);
    }

    private Secrets read(String jobName, String teamName, long timeoutNanos) {
        Checks.notNull(jobName, "jobName");
        Checks.notNull(teamName, "teamName");
        return NativeCalls.await(READ,
                id -> withPointer(p -> NativeBridge.clientReadStart(p, id, jobName, teamName, timeoutNanos)),
                () -> {
                    long pointer = handle.acquire();
                    try {
                        return secrets(NativeBridge.clientRead(pointer, jobName, teamName, timeoutNanos));
                    } finally {
                        handle.release();
                        Reference.reachabilityFence(this);
                    }
                });
    }

    private String readJson(String jobName, String teamName, long timeoutNanos) {
        Checks.notNull(jobName, "jobName");
        Checks.notNull(teamName, "teamName");
        long pointer = handle.acquire();
        try {
            byte[] utf8 = NativeBridge.clientReadJson(pointer, jobName, teamName, timeoutNanos);
            try {
                return new String(utf8, StandardCharsets.UTF_8);
            } finally {
                Arrays.fill(utf8, (byte) 0);
            }
        } finally {
            handle.release();
            Reference.reachabilityFence(this);
        }
    }

    private void write(String jobName, String teamName, Map<String, ?> secrets, long timeoutNanos) {
        Checks.notNull(jobName, "jobName");
        Checks.notNull(teamName, "teamName");
        Checks.notNull(secrets, "secrets");
        NativeCalls.await(WRITE,
                id -> withPointer(p -> NativeBridge.clientWriteStart(p, id, jobName, teamName, secrets, timeoutNanos)),
                () -> {
                    withPointer(p -> NativeBridge.clientWrite(p, jobName, teamName, secrets, timeoutNanos));
                    return null;
                });
    }

    private CompletableFuture<Secrets> readAsync(String jobName, String teamName, Duration timeout,
            Executor executor) {
        return NativeCalls.async(READ, executor, id -> {
            Checks.notNull(jobName, "jobName");
            Checks.notNull(teamName, "teamName");
            long timeoutNanos = Checks.timeoutNanosOrConfigured(timeout);
            withPointer(p -> NativeBridge.clientReadStart(p, id, jobName, teamName, timeoutNanos));
        });
    }

    private CompletableFuture<Void> writeAsync(String jobName, String teamName, Map<String, ?> secrets,
            Duration timeout, Executor executor) {
        return NativeCalls.async(WRITE, executor, id -> {
            Checks.notNull(jobName, "jobName");
            Checks.notNull(teamName, "teamName");
            Checks.notNull(secrets, "secrets");
            long timeoutNanos = Checks.timeoutNanosOrConfigured(timeout);
            withPointer(p -> NativeBridge.clientWriteStart(p, id, jobName, teamName, secrets, timeoutNanos));
        });
    }

    /** Runs {@code call} with the native pointer, live for its duration. */
    private void withPointer(LongConsumer call) {
        long pointer = handle.acquire();
        try {
            call.accept(pointer);
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
