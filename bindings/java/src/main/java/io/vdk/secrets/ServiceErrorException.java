package io.vdk.secrets;

/** The Control Service failed (HTTP 5xx) after the library's retries; retrying later may help. Status {@link Status#SERVICE_ERROR}. */
public class ServiceErrorException extends VdkSecretsException {
    private static final long serialVersionUID = 1L;

    public ServiceErrorException(int httpStatus, boolean retryable, String what, String why, String consequences,
            String countermeasures) {
        super(Status.SERVICE_ERROR, httpStatus, retryable, what, why, consequences, countermeasures);
    }
}
