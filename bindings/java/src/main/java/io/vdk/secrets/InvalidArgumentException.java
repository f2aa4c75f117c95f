package io.vdk.secrets;

/** Null or malformed argument, bad name, unsupported value type, unknown or ill-typed configuration key; nothing was sent. Status {@link Status#INVALID_ARGUMENT}. */
public class InvalidArgumentException extends VdkSecretsException {
    private static final long serialVersionUID = 1L;

    public InvalidArgumentException(int httpStatus, boolean retryable, String what, String why, String consequences,
            String countermeasures) {
        super(Status.INVALID_ARGUMENT, httpStatus, retryable, what, why, consequences, countermeasures);
    }
}
