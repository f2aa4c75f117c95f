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
