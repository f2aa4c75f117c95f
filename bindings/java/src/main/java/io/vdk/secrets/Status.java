package io.vdk.secrets;

/**
 * Outcome classes of a call, with the numbers of the C ABI ({@code VdkStatus}). Every
 * {@link VdkSecretsException} carries one; each has its own exception subclass.
 */
public enum Status {
    /** Success; never carried by an exception. */
    OK(0),
    /** Null or malformed argument, bad name, unsupported value type, unknown or ill-typed configuration key. */
    INVALID_ARGUMENT(1),
    /** Missing REST API URL, unreadable CA bundle, no or unknown secrets backend. */
    CONFIGURATION(2),
    /** HTTP 401/403 after one forced token refresh; token exchange rejected. */
    AUTHENTICATION(3),
    /** HTTP 404: job or team unknown. */
    NOT_FOUND(4),
    /** Any other HTTP 4xx, including 413 (too large). */
    USER_ERROR(5),
    /** HTTP 5xx after retries. */
    SERVICE_ERROR(6),
    /** DNS, connect, TLS, timeout, dropped connection, after retries. */
    NETWORK(7),
    /** Malformed or oversized response body. */
    PROTOCOL(8),
    /** The caller cancelled the call (an interrupted thread); see {@link CancelledException}. */
    CANCELLED(9),
    /** A bug caught at the boundary (a Rust panic); the JVM goes on. */
    INTERNAL_ERROR(99);

    private final int code;

    Status(int code) {
        this.code = code;
    }

    /** The number of this status in the C ABI. */
    public int code() {
        return code;
    }

    /** The status with this C ABI number; {@link #INTERNAL_ERROR} for numbers we do not know. */
    public static Status fromCode(int code) {
        for (Status status : values()) {
            if (status.code == code) {
                return status;
            }
        }
        return INTERNAL_ERROR;
    }
}
