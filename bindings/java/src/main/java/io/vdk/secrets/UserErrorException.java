package io.vdk.secrets;

/** The Control Service refused the request (another HTTP 4xx, such as 413), or the secrets are too large to send. Status {@link Status#USER_ERROR}. */
public class UserErrorException extends VdkSecretsException {
    private static final long serialVersionUID = 1L;

    public UserErrorException(int httpStatus, boolean retryable, String what, String why, String consequences,
            String countermeasures) {
        super(Status.USER_ERROR, httpStatus, retryable, what, why, consequences, countermeasures);
    }
}
