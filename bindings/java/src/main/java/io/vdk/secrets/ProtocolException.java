package io.vdk.secrets;

/** The answer was malformed, not a secrets object, or larger than allowed. Status {@link Status#PROTOCOL}. */
public class ProtocolException extends VdkSecretsException {
    private static final long serialVersionUID = 1L;

    public ProtocolException(int httpStatus, boolean retryable, String what, String why, String consequences,
            String countermeasures) {
        super(Status.PROTOCOL, httpStatus, retryable, what, why, consequences, countermeasures);
    }
}
