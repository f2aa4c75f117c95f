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

    static native Map<String, Object> clientRead(long client, String jobName, String teamName, long timeoutNanos);

    static native String clientReadJson(long client, String jobName, String teamName, long timeoutNanos);

    static native void clientWrite(long client, String jobName, String teamName, Map<String, ?> secrets,
            long timeoutNanos);

    static native long jobNew(String jobName, String teamName, Map<String, Object> configOrNullForEnvironment);

    static native void jobFree(long job);

    static native String jobBackend(long job);

    static native Object jobGet(long job, String name, long timeoutNanos, Object defaultValue);

    static native Map<String, Object> jobGetAll(long job, long timeoutNanos);

    static native void jobSet(long job, String name, Object value, long timeoutNanos);

    static native void jobSetAll(long job, Map<String, ?> secrets, long timeoutNanos);

    static native void jobDelete(long job, String name, long timeoutNanos);

    static native void jobRefresh(long job, long timeoutNanos);

    static native String version();

    /** Panics in Rust on purpose (tests of the panic boundary). */
    static native void selfTestPanic(int mode);
}
