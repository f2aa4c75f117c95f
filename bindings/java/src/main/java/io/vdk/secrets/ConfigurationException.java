package io.vdk.secrets;

/** Missing REST API URL, unreadable CA bundle, or no usable secrets backend; nothing was sent. Status {@link Status#CONFIGURATION}. */
public class ConfigurationException extends VdkSecretsException {
    private static final long serialVersionUID = 1L;

    public ConfigurationException(int httpStatus, boolean retryable, String what, String why, String consequences,
            String countermeasures) {
        super(Status.CONFIGURATION, httpStatus, retryable, what, why, consequences, countermeasures);
    }
}
