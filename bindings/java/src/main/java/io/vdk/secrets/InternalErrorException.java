package io.vdk.secrets;

/** A bug caught at the boundary (a Rust panic or an unexpected JNI failure); the JVM goes on. Please report it. Status {@link Status#INTERNAL_ERROR}. */
public class InternalErrorException extends VdkSecretsException {
    private static final long serialVersionUID = 1L;

    public InternalErrorException(int httpStatus, boolean retryable, String what, String why, String consequences,
            String countermeasures) {
        super(Status.INTERNAL_ERROR, httpStatus, retryable, what, why, consequences, countermeasures);
    }
}
