package io.vdk.secrets;

import java.time.Duration;

/** Argument checks shared by the public classes: refused in Java, before any native call. */
final class Checks {
    /** The native "use the configured deadline". */
    static final long CONFIGURED_DEADLINE = -1;

    private Checks() {
    }

    static String notNull(String value, String name) {
        if (value == null) {
            throw VdkSecretsException.invalidArgument(name + " must not be null");
        }
        return value;
    }

    static <T> T notNull(T value, String name) {
        if (value == null) {
            throw VdkSecretsException.invalidArgument(name + " must not be null");
        }
        return value;
    }

    /** A sentinel for "a timeout was passed, but it was null", refused later with the call's other arguments. */
    private static final Duration NULL_TIMEOUT = Duration.ofNanos(-1);

    /**
     * An asynchronous call's explicit timeout, kept for {@link #timeoutNanosOrConfigured}: a null
     * one is refused there (through the future), not confused with "no timeout given".
     */
    static Duration notNullLater(Duration timeout) {
        return timeout == null ? NULL_TIMEOUT : timeout;
    }

    /** {@link #timeoutNanos} of an explicit timeout, or the configured deadline when none was given (null). */
    static long timeoutNanosOrConfigured(Duration timeout) {
        if (timeout == null) {
            return CONFIGURED_DEADLINE;
        }
        return timeoutNanos(timeout == NULL_TIMEOUT ? null : timeout);
    }

    /** A per-call timeout in nanoseconds: positive; absurdly long ones are capped (about 292 years). */
    static long timeoutNanos(Duration timeout) {
        if (timeout == null) {
            throw VdkSecretsException.invalidArgument("timeout must not be null");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw VdkSecretsException.invalidArgument("timeout must be positive");
        }
        try {
            return timeout.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }
}
