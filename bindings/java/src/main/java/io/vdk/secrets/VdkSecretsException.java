package io.vdk.secrets;

/**
 * Base of every exception the binding throws (unchecked). Carries the {@link Status}, the HTTP
 * status of the answer that caused it (0 when there was none), whether repeating the call later
 * may help, and VDK's what / why / consequences / countermeasures texts. No text contains a
 * secret value or a token.
 *
 * <p>Subclasses, one per status: {@link InvalidArgumentException}, {@link ConfigurationException},
 * {@link AuthenticationException}, {@link NotFoundException}, {@link UserErrorException},
 * {@link ServiceErrorException}, {@link NetworkException}, {@link ProtocolException},
 * {@link CancelledException}, {@link InternalErrorException}; and {@link ClosedException} (a subclass of
 * {@code InvalidArgumentException}) for use after {@code close()}.
 *
 * <p>{@link #getOpId()} and {@link #getAttempts()} match a failure with the Control Service's
 * logs: the {@code X-OPID} the call sent and how many requests it made.
 *
 * <p>{@link #getMessage()} is "what: why", without the closing punctuation of {@code what} (so
 * never "found.: the").
 */
public class VdkSecretsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Status status;
    private final int httpStatus;
    private final boolean retryable;
    private final String what;
    private final String why;
    private final String consequences;
    private final String countermeasures;
    // Set once by fromNative, right after construction and before the exception is published
    // (so that the public constructors of every subclass stay as they are).
    private String opId = "";
    private int attempts;

    public VdkSecretsException(Status status, int httpStatus, boolean retryable, String what, String why,
            String consequences, String countermeasures) {
        super(message(nonNull(what), nonNull(why)));
        this.status = status == null ? Status.INTERNAL_ERROR : status;
        this.httpStatus = httpStatus;
        this.retryable = retryable;
        this.what = nonNull(what);
        this.why = nonNull(why);
        this.consequences = nonNull(consequences);
        this.countermeasures = nonNull(countermeasures);
    }

    private static String nonNull(String text) {
        return text == null ? "" : text;
    }

    /**
     * "what: why" as one sentence. The library's and the server's texts are sentences of their
     * own, and {@code what} may end with a full stop (a server's "Resource not found."): its
     * closing punctuation is dropped before the colon, as the library's own one-line message
     * does, so that no message reads "found.: the". An empty {@code why} leaves {@code what}
     * alone rather than a dangling colon.
     */
    static String message(String what, String why) {
        String head = stripClosingPunctuation(what);
        String tail = why.strip();
        if (tail.isEmpty()) {
            return head;
        }
        if (head.isEmpty()) {
            return tail;
        }
        return head + ": " + tail;
    }

    private static String stripClosingPunctuation(String text) {
        int end = text.length();
        while (end > 0 && (".:;,".indexOf(text.charAt(end - 1)) >= 0 || Character.isWhitespace(text.charAt(end - 1)))) {
            end--;
        }
        return text.substring(0, end);
    }

    /** The outcome class; never {@link Status#OK}. */
    public Status status() {
        return status;
    }

    /** The HTTP status of the answer that caused the error; 0 when there was no HTTP answer. */
    public int httpStatus() {
        return httpStatus;
    }

    /** Whether the same call may succeed later unchanged (service or network trouble, after the library's own retries). */
    public boolean isRetryable() {
        return retryable;
    }

    /** What failed. */
    public String what() {
        return what;
    }

    /** Why it failed. */
    public String why() {
        return why;
    }

    /** What the failure means for the caller (was anything written?). */
    public String consequences() {
        return consequences;
    }

    /** What to do about it. */
    public String countermeasures() {
        return countermeasures;
    }

    /**
     * The operation id the call sent as {@code X-OPID} (the Control Service logs it with each
     * request), or "" when the call failed before sending anything.
     */
    public String getOpId() {
        return opId;
    }

    /** How many requests the call sent (token exchanges and retries included); 0 if none. */
    public int getAttempts() {
        return attempts;
    }

    @Override
    public String toString() {
        String http = httpStatus == 0 ? "" : " (HTTP " + httpStatus + ")";
        return getClass().getName() + ": [" + status + "]" + http + " " + getMessage();
    }

    /** Called by the JNI glue: the exception of the right subclass for a native error. */
    static VdkSecretsException fromNative(int status, int httpStatus, boolean retryable, String what, String why,
            String consequences, String countermeasures, String opId, int attempts) {
        VdkSecretsException e = ofStatus(status, httpStatus, retryable, what, why, consequences, countermeasures);
        e.opId = opId == null ? "" : opId;
        e.attempts = Math.max(0, attempts);
        return e;
    }

    private static VdkSecretsException ofStatus(int status, int httpStatus, boolean retryable, String what, String why,
            String consequences, String countermeasures) {
        Status s = Status.fromCode(status);
        switch (s) {
            case INVALID_ARGUMENT:
                return new InvalidArgumentException(httpStatus, retryable, what, why, consequences, countermeasures);
            case CONFIGURATION:
                return new ConfigurationException(httpStatus, retryable, what, why, consequences, countermeasures);
            case AUTHENTICATION:
                return new AuthenticationException(httpStatus, retryable, what, why, consequences, countermeasures);
            case NOT_FOUND:
                return new NotFoundException(httpStatus, retryable, what, why, consequences, countermeasures);
            case USER_ERROR:
                return new UserErrorException(httpStatus, retryable, what, why, consequences, countermeasures);
            case SERVICE_ERROR:
                return new ServiceErrorException(httpStatus, retryable, what, why, consequences, countermeasures);
            case NETWORK:
                return new NetworkException(httpStatus, retryable, what, why, consequences, countermeasures);
            case PROTOCOL:
                return new ProtocolException(httpStatus, retryable, what, why, consequences, countermeasures);
            case CANCELLED:
                return new CancelledException(httpStatus, retryable, what, why, consequences, countermeasures);
            default:
                return new InternalErrorException(httpStatus, retryable, what, why, consequences, countermeasures);
        }
    }

    /** An argument refused on the Java side, worded as the library words its own. */
    static InvalidArgumentException invalidArgument(String why) {
        return new InvalidArgumentException(0, false, "Invalid argument", why,
                "The call was refused before anything was sent; nothing was read or written.",
                "Fix the argument named in the message.");
    }
}
