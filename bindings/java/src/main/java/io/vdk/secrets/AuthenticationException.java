package io.vdk.secrets;

/** The Control Service refused the credentials (HTTP 401/403 after a token refresh) or the token exchange failed. Status {@link Status#AUTHENTICATION}. */
public class AuthenticationException extends VdkSecretsException {
    private static final long serialVersionUID = 1L;

    public AuthenticationException(int httpStatus, boolean retryable, String what, String why, String consequences,
            String countermeasures) {
        super(Status.AUTHENTICATION, httpStatus, retryable, what, why, consequences, countermeasures);
    }
}
