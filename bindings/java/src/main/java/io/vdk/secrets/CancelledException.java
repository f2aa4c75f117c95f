package io.vdk.secrets;

/**
 * The call was cancelled by its caller: the blocking call's thread was interrupted (the
 * interrupt flag stays set). The request was dropped and no retry started. A cancelled write
 * may or may not have reached the Control Service: {@link #consequences()} says so; read the
 * secrets back to know. Status {@link Status#CANCELLED}.
 *
 * <p>(A {@code CompletableFuture} of an {@code ...Async} call that is cancelled completes with
 * the JDK's own {@link java.util.concurrent.CancellationException}, as every future does.)
 */
public class CancelledException extends VdkSecretsException {
    private static final long serialVersionUID = 1L;

    public CancelledException(int httpStatus, boolean retryable, String what, String why, String consequences,
            String countermeasures) {
        super(Status.CANCELLED, httpStatus, retryable, what, why, consequences, countermeasures);
    }
}
