package io.vdk.secrets;

/** The service could not be reached or did not answer in time (DNS, connect, TLS, timeout, dropped connection) after retries. Status {@link Status#NETWORK}. */
public class NetworkException extends VdkSecretsException {
    private static final long serialVersionUID = 1L;

    public NetworkException(int httpStatus, boolean retryable, String what, String why, String consequences,
            String countermeasures) {
        super(Status.NETWORK, httpStatus, retryable, what, why, consequences, countermeasures);
    }
}
