package io.vdk.secrets;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.LongConsumer;

/**
 * One data job's secrets as job code sees them: get, get-all, set, set-all, delete, refresh,
 * through the backend that {@code secrets_default_type} picks ({@code default} and
 * {@code control-service}, registered when {@code control_service_rest_api_url} is set, or
 * {@code memory}, an in-process store shared by the process).
 *
 * <p>Reads are served from a cache filled by the first read and kept until a write through this
 * object, {@link #refresh()}, or {@code secrets_cache_ttl_seconds}. Writes read the current map
 * (from the cache when warm), change it and write the whole map back, serialized with other
 * writes of this object. Thread-safe; {@code AutoCloseable} with the same rules as
 * {@link SecretsClient} (idempotent close, {@link Cleaner} fallback, {@link ClosedException}
 * after close).
 *
 * <p>A missing or unknown backend is reported by the first call, with
 * {@link ConfigurationException}.
 *
 * <p>Blocking calls are interruptible and every call has an {@code ...Async} variant, as for
 * {@link SecretsClient}. A read answered from a warm cache does not wait at all. The handle may
 * be closed while {@code ...Async} calls on it are in flight: they finish normally.
 */
public final class JobSecrets implements AutoCloseable {
    private final NativeHandle handle;
    private final Cleaner.Cleanable cleanable;
    private final String jobName;
    private final String teamName;

    /** Returned by the native cache lookup when the cache is cold. */
    private static final Object NOT_CACHED = new Object();

    private static final NativeCalls.Op<Secrets> GET_ALL = new NativeCalls.Op<>("read secrets", false, null,
            SecretsClient::secrets);
    private static final NativeCalls.Op<Void> SET = nothing("set a secret", true);
    private static final NativeCalls.Op<Void> SET_ALL = nothing("write secrets", true);
    private static final NativeCalls.Op<Void> DELETE = nothing("delete a secret", true);
    private static final NativeCalls.Op<Void> REFRESH = nothing("refresh secrets", false);

    private static NativeCalls.Op<Void> nothing(String operation, boolean writes) {
        return new NativeCalls.Op<>(operation, writes, null, none -> null);
    }

    /** The caller's default comes back as given; values from the library are frozen (masked when printed). */
    private static NativeCalls.Op<Object> getOp(Object defaultValue) {
        return new NativeCalls.Op<>("read a secret", false, defaultValue, value -> freeze(value, defaultValue));
    }

    private static Object freeze(Object value, Object defaultValue) {
        return value == defaultValue ? value : Secrets.fromNativeValue(value);
    }

    private JobSecrets(long pointer, String jobName, String teamName) {
        NativeHandle h = new NativeHandle(pointer, NativeBridge::jobFree, "JobSecrets");
        this.handle = h;
        this.cleanable = NativeHandle.CLEANER.register(this, h::close);
        this.jobName = jobName;
        this.teamName = teamName;
    }

    /** The secrets of {@code jobName} in {@code teamName}, with this configuration. No I/O here. */
    public static JobSecrets create(String jobName, String teamName, SecretsConfig config) {
        Checks.notNull(jobName, "jobName");
        Checks.notNull(teamName, "teamName");
        Checks.notNull(config, "config");
        NativeLoader.ensureLoaded();
        NativeCalls.ensureStarted();
        return new JobSecrets(NativeBridge.jobNew(jobName, teamName, config.asMap()), jobName, teamName);
    }

    /** As {@link #create}, configured from {@code VDK_*} environment variables, read now. */
    public static JobSecrets fromEnvironment(String jobName, String teamName) {
        Checks.notNull(jobName, "jobName");
        Checks.notNull(teamName, "teamName");
        NativeLoader.ensureLoaded();
        NativeCalls.ensureStarted();
        return new JobSecrets(NativeBridge.jobNew(jobName, teamName, null), jobName, teamName);
    }

    public String jobName() {
        return jobName;
    }

    public String teamName() {
        return teamName;
    }

    /** The backend in use: "default", "control-service", "memory", or "unavailable". */
    public String backend() {
        long pointer = handle.acquire();
        try {
            return NativeBridge.jobBackend(pointer);
        } finally {
            handle.release();
            Reference.reachabilityFence(this);
        }
    }

    /**
     * The value of secret {@code name}, or null when it is not set (or set to null). Types as in
     * {@link Secrets}: {@code String}, {@code Long}, {@code BigInteger}, {@code Double},
     * {@code Boolean}, and for JSON objects and arrays a {@code Secrets} and an unmodifiable
     * {@code List} that print masked.
     */
    public Object get(String name) {
        return get0(name, null, Checks.CONFIGURED_DEADLINE);
    }

    /** The value of secret {@code name}, or {@code defaultValue} when it is not set. A secret set to null gives null. */
    public Object get(String name, Object defaultValue) {
        return get0(name, defaultValue, Checks.CONFIGURED_DEADLINE);
    }

    /**
     * {@link #get(String, Object)} with a fetch (on a cold cache) bounded by {@code timeout}.
     * (There is no {@code get(name, timeout)}: it would make {@code get(name, null)} ambiguous.)
     */
    public Object get(String name, Object defaultValue, Duration timeout) {
        return get0(name, defaultValue, Checks.timeoutNanos(timeout));
    }

    /** All secrets of the job: immutable, and never printing a value (see {@link Secrets}). */
    public Secrets getAll() {
        return getAll0(Checks.CONFIGURED_DEADLINE);
    }

    public Secrets getAll(Duration timeout) {
        return getAll0(Checks.timeoutNanos(timeout));
    }

    /**
     * Sets secret {@code name} (non-empty, no whitespace) to {@code value}, of the types
     * {@link SecretsClient#writeSecrets} accepts. On any error nothing is written.
     */
    public void set(String name, Object value) {
        set0(name, value, Checks.CONFIGURED_DEADLINE);
    }

    public void set(String name, Object value, Duration timeout) {
        set0(name, value, Checks.timeoutNanos(timeout));
    }

    /** Replaces all secrets of the job. On any error nothing is written. */
    public void setAll(Map<String, ?> secrets) {
        setAll0(secrets, Checks.CONFIGURED_DEADLINE);
    }

    public void setAll(Map<String, ?> secrets, Duration timeout) {
        setAll0(secrets, Checks.timeoutNanos(timeout));
    }

    /** Removes secret {@code name}; removing one that is not set writes nothing and succeeds. */
    public void delete(String name) {
        delete0(name, Checks.CONFIGURED_DEADLINE);
    }

    public void delete(String name, Duration timeout) {
        delete0(name, Checks.timeoutNanos(timeout));
    }

    /** Drops the cache and fetches the secrets again, so later reads see other writers. */
    public void refresh() {
        refresh0(Checks.CONFIGURED_DEADLINE);
    }

    public void refresh(Duration timeout) {
        refresh0(Checks.timeoutNanos(timeout));
    }

    // ---- asynchronous variants (see SecretsClient for executors, cancellation, failures) ----

    /** {@link #get(String)} without blocking: the value, or null when it is not set. */
    public CompletableFuture<Object> getAsync(String name) {
        return getAsync(name, null, null, NativeCalls.DEFAULT_EXECUTOR);
    }

    public CompletableFuture<Object> getAsync(String name, Executor executor) {
        return getAsync(name, null, null, executor);
    }

    /**
     * {@link #get(String, Object, Duration)} without blocking, completed on {@code executor}. A
     * null {@code timeout} here means the configured deadline.
     */
    public CompletableFuture<Object> getAsync(String name, Object defaultValue, Duration timeout, Executor executor) {
        return NativeCalls.async(getOp(defaultValue), executor, id -> {
            Checks.notNull(name, "name");
            long timeoutNanos = Checks.timeoutNanosOrConfigured(timeout);
            withPointer(p -> NativeBridge.jobGetStart(p, id, name, timeoutNanos));
        });
    }

    public CompletableFuture<Secrets> getAllAsync() {
        return getAllAsync(null, NativeCalls.DEFAULT_EXECUTOR);
    }

    public CompletableFuture<Secrets> getAllAsync(Executor executor) {
        return getAllAsync(null, executor);
    }

    /** A null {@code timeout} means the configured deadline. */
    public CompletableFuture<Secrets> getAllAsync(Duration timeout, Executor executor) {
        return NativeCalls.async(GET_ALL, executor, id -> {
            long timeoutNanos = Checks.timeoutNanosOrConfigured(timeout);
            withPointer(p -> NativeBridge.jobGetAllStart(p, id, timeoutNanos));
        });
    }

    public CompletableFuture<Void> setAsync(String name, Object value) {
        return setAsync(name, value, null, NativeCalls.DEFAULT_EXECUTOR);
    }

    public CompletableFuture<Void> setAsync(String name, Object value, Executor executor) {
        return setAsync(name, value, null, executor);
    }

    /** A null {@code timeout} means the configured deadline. */
    public CompletableFuture<Void> setAsync(String name, Object value, Duration timeout, Executor executor) {
        return NativeCalls.async(SET, executor, id -> {
            Checks.notNull(name, "name");
            long timeoutNanos = Checks.timeoutNanosOrConfigured(timeout);
            withPointer(p -> NativeBridge.jobSetStart(p, id, name, value, timeoutNanos));
        });
    }

    public CompletableFuture<Void> setAllAsync(Map<String, ?> secrets) {
        return setAllAsync(secrets, null, NativeCalls.DEFAULT_EXECUTOR);
    }

    public CompletableFuture<Void> setAllAsync(Map<String, ?> secrets, Executor executor) {
        return setAllAsync(secrets, null, executor);
    }

    /** A null {@code timeout} means the configured deadline. */
    public CompletableFuture<Void> setAllAsync(Map<String, ?> secrets, Duration timeout, Executor executor) {
        return NativeCalls.async(SET_ALL, executor, id -> {
            Checks.notNull(secrets, "secrets");
            long timeoutNanos = Checks.timeoutNanosOrConfigured(timeout);
            withPointer(p -> NativeBridge.jobSetAllStart(p, id, secrets, timeoutNanos));
        });
    }

    public CompletableFuture<Void> deleteAsync(String name) {
        return deleteAsync(name, null, NativeCalls.DEFAULT_EXECUTOR);
    }

    public CompletableFuture<Void> deleteAsync(String name, Executor executor) {
        return deleteAsync(name, null, executor);
    }

    /** A null {@code timeout} means the configured deadline. */
    public CompletableFuture<Void> deleteAsync(String name, Duration timeout, Executor executor) {
        return NativeCalls.async(DELETE, executor, id -> {
            Checks.notNull(name, "name");
            long timeoutNanos = Checks.timeoutNanosOrConfigured(timeout);
            withPointer(p -> NativeBridge.jobDeleteStart(p, id, name, timeoutNanos));
        });
    }

    public CompletableFuture<Void> refreshAsync() {
        return refreshAsync(null, NativeCalls.DEFAULT_EXECUTOR);
    }

    public CompletableFuture<Void> refreshAsync(Executor executor) {
        return refreshAsync(null, executor);
    }

    /** A null {@code timeout} means the configured deadline. */
    public CompletableFuture<Void> refreshAsync(Duration timeout, Executor executor) {
        return NativeCalls.async(REFRESH, executor, id -> {
            long timeoutNanos = Checks.timeoutNanosOrConfigured(timeout);
            withPointer(p -> NativeBridge.jobRefreshStart(p, id, timeoutNanos));
        });
    }

    // ---- blocking calls: a warm cache answers at once, anything else waits interruptibly ----

    private Object get0(String name, Object defaultValue, long timeoutNanos) {
        Checks.notNull(name, "name");
        Object cached = withPointerGet(p -> NativeBridge.jobGetCached(p, name, defaultValue, NOT_CACHED));
        if (cached != NOT_CACHED) {
            return freeze(cached, defaultValue);
        }
        return NativeCalls.await(getOp(defaultValue),
                id -> withPointer(p -> NativeBridge.jobGetStart(p, id, name, timeoutNanos)),
                () -> freeze(withPointerGet(p -> NativeBridge.jobGet(p, name, timeoutNanos, defaultValue)), defaultValue));
    }

    private Secrets getAll0(long timeoutNanos) {
        Object cached = withPointerGet(NativeBridge::jobGetAllCached);
        if (cached != null) {
            return SecretsClient.secrets(cached);
        }
        return NativeCalls.await(GET_ALL,
                id -> withPointer(p -> NativeBridge.jobGetAllStart(p, id, timeoutNanos)),
                () -> SecretsClient.secrets(withPointerGet(p -> NativeBridge.jobGetAll(p, timeoutNanos))));
    }

    private void set0(String name, Object value, long timeoutNanos) {
        Checks.notNull(name, "name");
        NativeCalls.await(SET,
                id -> withPointer(p -> NativeBridge.jobSetStart(p, id, name, value, timeoutNanos)),
                () -> withPointerGet(p -> {
                    NativeBridge.jobSet(p, name, value, timeoutNanos);
                    return null;
                }));
    }

    private void setAll0(Map<String, ?> secrets, long timeoutNanos) {
        Checks.notNull(secrets, "secrets");
        NativeCalls.await(SET_ALL,
                id -> withPointer(p -> NativeBridge.jobSetAllStart(p, id, secrets, timeoutNanos)),
                () -> withPointerGet(p -> {
                    NativeBridge.jobSetAll(p, secrets, timeoutNanos);
                    return null;
                }));
    }

    private void delete0(String name, long timeoutNanos) {
        Checks.notNull(name, "name");
        NativeCalls.await(DELETE,
                id -> withPointer(p -> NativeBridge.jobDeleteStart(p, id, name, timeoutNanos)),
                () -> withPointerGet(p -> {
                    NativeBridge.jobDelete(p, name, timeoutNanos);
                    return null;
                }));
    }

    private void refresh0(long timeoutNanos) {
        NativeCalls.await(REFRESH,
                id -> withPointer(p -> NativeBridge.jobRefreshStart(p, id, timeoutNanos)),
                () -> withPointerGet(p -> {
                    NativeBridge.jobRefresh(p, timeoutNanos);
                    return null;
                }));
    }

    @FunctionalInterface
    private interface PointerCall<T> {
        T call(long pointer);
    }

    /** Runs {@code call} with the native pointer, live for its duration. */
    private <T> T withPointerGet(PointerCall<T> call) {
        long pointer = handle.acquire();
        try {
            return call.call(pointer);
        } finally {
            handle.release();
            Reference.reachabilityFence(this);
        }
    }

    private void withPointer(LongConsumer call) {
        withPointerGet(p -> {
            call.accept(p);
            return null;
        });
    }

    public boolean isClosed() {
        return handle.isClosed();
    }

    /** Releases the native handle and wipes its cache (at once, or when calls in flight end). Idempotent. */
    @Override
    public void close() {
        cleanable.clean();
    }

    @Override
    public String toString() {
        return "JobSecrets{job=" + jobName + ", team=" + teamName + (isClosed() ? ", closed" : "") + "}";
    }
}
