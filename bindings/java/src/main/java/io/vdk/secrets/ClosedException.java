package io.vdk.secrets;

/**
 * A call on a {@link SecretsClient} or {@link JobSecrets} after {@code close()}. A subclass of
 * {@link InvalidArgumentException} (status {@link Status#INVALID_ARGUMENT}): in C terms, the
 * handle is no longer valid. Nothing was sent.
 */
public class ClosedException extends InvalidArgumentException {
    private static final long serialVersionUID = 1L;

    public ClosedException(String objectName) {
        super(0, false, "Invalid argument", "the " + objectName + " is closed",
                "The call was refused before anything was sent; nothing was read or written.",
                "Do not use a " + objectName + " after close(); create a new one.");
    }
}
