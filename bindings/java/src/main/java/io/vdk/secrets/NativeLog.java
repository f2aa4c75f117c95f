package io.vdk.secrets;

/**
 * The library's log records (retries, token refreshes, trust-store and proxy choices) into
 * {@code System.Logger} "io.vdk.secrets", so that whatever the application routes
 * {@code System.Logger} to (java.util.logging by default; SLF4J and Log4j through their
 * {@code System.LoggerFinder} bridges) receives them. Records never hold a secret value, a
 * token or a proxy credential.
 *
 * <p>The native sink queues each record; the binding's dispatcher thread calls
 * {@link #record} (see {@link NativeCalls}), so a slow logger never holds up the library's I/O
 * threads, and a call's records are logged before its result is handed over.
 */
final class NativeLog {
    static final String LOGGER_NAME = "io.vdk.secrets";

    private static final System.Logger LOGGER = System.getLogger(LOGGER_NAME);

    private NativeLog() {
    }

    /** Called by the JNI glue on the dispatcher thread: level 1 error, 2 warn, 3 info, 4 debug, 5 trace. */
    static void record(int level, String message) {
        System.Logger.Level javaLevel = level(level);
        if (LOGGER.isLoggable(javaLevel)) {
            LOGGER.log(javaLevel, message);
        }
    }

    static System.Logger.Level level(int nativeLevel) {
        switch (nativeLevel) {
            case 1:
                return System.Logger.Level.ERROR;
            case 2:
                return System.Logger.Level.WARNING;
            case 3:
                return System.Logger.Level.INFO;
            case 4:
                return System.Logger.Level.DEBUG;
            default:
                return System.Logger.Level.TRACE;
        }
    }
}
