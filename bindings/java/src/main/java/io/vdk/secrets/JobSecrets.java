package io.vdk.secrets;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.Map;

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
 */
public final class JobSecrets implements AutoCloseable {
    private final NativeHandle handle;
    private final Cleaner.Cleanable cleanable;
    private final String jobName;
    private final String teamName;

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
        return new JobSecrets(NativeBridge.jobNew(jobName, teamName, config.asMap()), jobName, teamName);
    }

    /** As {@link #create}, configured from {@code VDK_*} environment variables, read now. */
    public static JobSecrets fromEnvironment(String jobName, String teamName) {
        Checks.notNull(jobName, "jobName");
        Checks.notNull(teamName, "teamName");
        NativeLoader.ensureLoaded();
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

    private Object get0(String name, Object defaultValue, long timeoutNanos) {
        Checks.notNull(name, "name");
        long pointer = handle.acquire();
        try {
            Object value = NativeBridge.jobGet(pointer, name, timeoutNanos, defaultValue);
            // The caller's default comes back as given; values from the library are frozen so
            // that objects and arrays print masked, as in Secrets.
            return value == defaultValue ? value : Secrets.fromNativeValue(value);
        } finally {
            handle.release();
            Reference.reachabilityFence(this);
        }
    }

    private Secrets getAll0(long timeoutNanos) {
        long pointer = handle.acquire();
        try {
            return Secrets.fromNative(NativeBridge.jobGetAll(pointer, timeoutNanos));
        } finally {
            handle.release();
            Reference.reachabilityFence(this);
        }
    }

    private void set0(String name, Object value, long timeoutNanos) {
        Checks.notNull(name, "name");
        long pointer = handle.acquire();
        try {
            NativeBridge.jobSet(pointer, name, value, timeoutNanos);
        } finally {
            handle.release();
            Reference.reachabilityFence(this);
        }
    }

    private void setAll0(Map<String, ?> secrets, long timeoutNanos) {
        Checks.notNull(secrets, "secrets");
        long pointer = handle.acquire();
        try {
            NativeBridge.jobSetAll(pointer, secrets, timeoutNanos);
        } finally {
            handle.release();
            Reference.reachabilityFence(this);
        }
    }

    private void delete0(String name, long timeoutNanos) {
        Checks.notNull(name, "name");
        long pointer = handle.acquire();
        try {
            NativeBridge.jobDelete(pointer, name, timeoutNanos);
        } finally {
            handle.release();
            Reference.reachabilityFence(this);
        }
    }

    private void refresh0(long timeoutNanos) {
        long pointer = handle.acquire();
        try {
            NativeBridge.jobRefresh(pointer, timeoutNanos);
        } finally {
            handle.release();
            Reference.reachabilityFence(this);
        }
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
