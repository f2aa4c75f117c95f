package io.vdk.secrets;

/** The Control Service does not know the job or team (HTTP 404). Status {@link Status#NOT_FOUND}. */
public class NotFoundException extends VdkSecretsException {
    private static final long serialVersionUID = 1L;

    public NotFoundException(int httpStatus, boolean retryable, String what, String why, String consequences,
            String countermeasures) {
        super(Status.NOT_FOUND, httpStatus, retryable, what, why, consequences, countermeasures);
    }
}
