package io.vdk.secrets;

import java.util.Map;

/**
 * The native methods implemented by the JNI glue ({@code bindings/java/native}). Handles are
 * native pointers; {@link NativeHandle} guarantees they are live during each call. A
 * {@code timeoutNanos} below 0 means the configured deadline.
 */
final class NativeBridge {
    private NativeBridge() {
    }

    static native long clientNew(Map<String, Object> configOrNullForEnvironment);

    static native void clientFree(long client);

    static native byte[] clientRead(long client, String jobName, String teamName, long timeoutNanos);

    /** UTF-8 of the canonical JSON text (valid: the library checked it). */
    static native byte[] clientReadJson(long client, String jobName, String teamName, long timeoutNanos);

    static native void clientWrite(long client, String jobName, String teamName, Map<String, ?> secrets,
            long timeoutNanos);

    static native long jobNew(String jobName, String teamName, Map<String, Object> configOrNullForEnvironment);

    static native void jobFree(long job);

    static native String jobBackend(long job);

    static native Object jobGet(long job, String name, long timeoutNanos, Object defaultValue);

    static native byte[] jobGetAll(long job, long timeoutNanos);

    static native void jobSet(long job, String name, Object value, long timeoutNanos);

    static native void jobSetAll(long job, Map<String, ?> secrets, long timeoutNanos);

    static native void jobDelete(long job, String name, long timeoutNanos);

    static native void jobRefresh(long job, long timeoutNanos);

    // Asynchronous calls (see NativeCalls): each ...Start starts the call with the given id and
    // returns; its outcome is announced by callsAwaitEvents and read by callTake (or dropped by
    // callCancel, which also aborts a running call).

    static native void clientReadStart(long client, long callId, String jobName, String teamName, long timeoutNanos);

    static native void clientWriteStart(long client, long callId, String jobName, String teamName,
            Map<String, ?> secrets, long timeoutNanos);

    static native void jobGetStart(long job, long callId, String name, long timeoutNanos);

    static native void jobGetAllStart(long job, long callId, long timeoutNanos);

    static native void jobSetStart(long job, long callId, String name, Object value, long timeoutNanos);

    static native void jobSetAllStart(long job, long callId, Map<String, ?> secrets, long timeoutNanos);

    static native void jobDeleteStart(long job, long callId, String name, long timeoutNanos);

    static native void jobRefreshStart(long job, long callId, long timeoutNanos);

    /** The warm cache's value (or defaultValue), or notCached when the cache is cold. */
    static native Object jobGetCached(long job, String name, Object defaultValue, Object notCached);

    /** The warm cache's map, or null when the cache is cold. */
    static native byte[] jobGetAllCached(long job);

    /**
     * The finished call's result (defaultValue for an absent secret), or its exception thrown.
     * Maps of secrets (reads, getAll) come as their canonical JSON in a {@code byte[]}, and
     * every map-returning method here likewise: see {@link CanonicalJson}.
     */
    static native Object callTake(long callId, Object defaultValue);

    static native void callCancel(long callId);

    /**
     * Waits on the calling thread, at most sliceNanos, for the call to finish: 0 still running,
     * 1 finished (take it now), 2 finished and handed to the dispatcher (wait for that instead).
     */
    static native int callAwait(long callId, long sliceNanos);

    /** Native calls not yet ended by callTake or callCancel (tests: none may leak). */
    static native int callsInFlight();

    /** Blocks until events arrive; fills ids with ready calls and returns how many. */
    static native int callsAwaitEvents(long[] ids);

    /** The library's cancellation exception for this operation (not thrown). */
    static native Object cancelledException(String operation, boolean writing);

    static native void logInstall();

    static native String version();

    /** Panics in Rust on purpose (tests of the panic boundary). */
    static native void selfTestPanic(int mode);
}
