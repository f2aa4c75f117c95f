package io.vdk.secrets;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Exception messages read as one sentence: no doubled punctuation ("found.: the", "..", ": ."),
 * whatever the texts the library and the server supply. Every case is a real error path against
 * the local Control Service.
 */
class MessageTextTest extends ServiceTestBase {
    /** Two punctuation marks in a row, with or without a space between them. */
    private static final Pattern DOUBLED = Pattern.compile("[.:;,]\\s*[.:;,]");
    /** A quoted name, such as '..' in "other than '.' and '..'": its dots are not punctuation. */
    private static final Pattern QUOTED = Pattern.compile("'[^']*'");

    private static boolean doubled(String text) {
        return DOUBLED.matcher(QUOTED.matcher(text).replaceAll("'x'")).find();
    }

    private static VdkSecretsException failure(Executable call) {
        return assertThrows(VdkSecretsException.class, call);
    }

    @Test
    void composition() {
        assertEquals("Resource not found: the why.", VdkSecretsException.message("Resource not found.", "the why."));
        assertEquals("What: why", VdkSecretsException.message("What:  ", "why"));
        assertEquals("What", VdkSecretsException.message("What.", " "), "no dangling colon");
        assertEquals("why", VdkSecretsException.message("", "why"));
        assertEquals("Not an ellipsis: x", VdkSecretsException.message("Not an ellipsis...", "x"));
        InvalidArgumentException e = new InvalidArgumentException(0, false, "Refused.", "", "c", "m");
        assertEquals("Refused", e.getMessage());
        assertEquals("Refused.", e.what(), "what() keeps the text as given");
    }

    @Test
    void messagesHaveNoDoubledPunctuation() {
        List<VdkSecretsException> errors = new ArrayList<>();
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            for (String fault : List.of("fault-status-401", "fault-status-403", "fault-status-404", "fault-status-413",
                    "fault-status-503", "fault-status-501", "fault-messages-422", "fault-plain-500", "fault-drop",
                    "fault-malformed", "fault-notobject")) {
                errors.add(failure(() -> client.readSecrets(job(fault), "t")));
            }
            errors.add(failure(() -> client.writeSecrets(job("fault-status-400"), "t", Map.of("k", "v"))));
            errors.add(failure(() -> client.readSecrets("", "t")));
            errors.add(failure(() -> client.readSecrets(null, "t")));
            errors.add(failure(() -> client.writeSecrets("j", "t", Map.of("k", new StringBuilder("x")))));
        }
        String url = service.baseUrl;
        // The service's own "Resource not found." and "Method not allowed." answers, texts that end
        // with a full stop, from the token endpoint (the secrets API answers under any prefix).
        try (SecretsClient wrongTokenUrl = SecretsClient.create(
                service.config().apiTokenAuthorizationUrl(url + "/no/such/token/endpoint").build())) {
            errors.add(failure(() -> wrongTokenUrl.readSecrets(job("wrong-token-url"), "t")));
        }
        try (SecretsClient tokenAtSecrets = SecretsClient.create(service.config()
                .apiTokenAuthorizationUrl(url + "/data-jobs/for-team/t/jobs/j/deployments/d/secrets").build())) {
            errors.add(failure(() -> tokenAtSecrets.readSecrets(job("method"), "t")));
        }
        errors.add(failure(() -> SecretsClient.create(SecretsConfig.builder().build())));
        errors.add(failure(() -> SecretsConfig.builder().controlHttpTotalRetries(-1)));
        JobSecrets closed = JobSecrets.create("j", "t", SecretsConfig.builder().secretsDefaultType("memory").build());
        closed.close();
        errors.add(failure(() -> closed.get("k")));
        NativeLoader.ensureLoaded();
        errors.add(failure(() -> NativeBridge.selfTestPanic(0)));
        errors.add(failure(() -> NativeBridge.selfTestPanic(2))); // a panic with an empty message

        assertAll(errors.stream().map(e -> () -> {
            String message = e.getMessage();
            assertFalse(doubled(message), "doubled punctuation in: " + message);
            assertFalse(doubled(e.toString()), "doubled punctuation in: " + e);
            assertFalse(message.endsWith(":") || message.endsWith(": "), "dangling colon: " + message);
            assertTrue(message.startsWith(e.what().replaceAll("[.:;,\\s]+$", "")), message);
        }));
    }
}
