package io.vdk.secrets;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Exceptions carry the X-OPID the call sent and how many requests it made. */
class ErrorDetailsTest extends ServiceTestBase {

    @Test
    void theOperationIdAndAttemptsOfAFailedCall() throws Exception {
        String opId = "java-opid-" + Long.toHexString(System.nanoTime());
        try (SecretsClient client = SecretsClient.create(service.config().opIdOverride(opId).build())) {
            client.readSecrets(job("token-first"), "t"); // the token exchange is not part of the calls below
            ServiceErrorException blocking = assertThrows(ServiceErrorException.class,
                    () -> client.readSecrets(job("fault-status-503"), "t"));
            assertEquals(opId, blocking.getOpId());
            assertEquals(3, blocking.getAttempts(), "one request and two retries (controlHttpTotalRetries 2)");

            ExecutionException async = assertThrows(ExecutionException.class,
                    () -> client.readSecretsAsync(job("fault-status-404"), "t").get(20, TimeUnit.SECONDS));
            NotFoundException notFound = (NotFoundException) async.getCause();
            assertEquals(opId, notFound.getOpId());
            assertEquals(1, notFound.getAttempts(), "a 404 is not retried");
        }
    }

    @Test
    void theOperationIdIsTheOneSent() throws Exception {
        try (SilentServer server = new SilentServer();
                SecretsClient client = SecretsClient.create(server.config().controlHttpTotalRetries(0).build())) {
            NetworkException e = assertThrows(NetworkException.class,
                    () -> client.readSecrets("never-answered", "t", Duration.ofMillis(300)));
            String request = server.awaitRequest(1_000).toLowerCase(Locale.ROOT);
            assertFalse(e.getOpId().isEmpty());
            assertTrue(request.contains("x-opid: " + e.getOpId().toLowerCase(Locale.ROOT)), request);
            assertEquals(1, e.getAttempts());
        }
    }

    @Test
    void aCallRefusedBeforeSendingHasNoOperationId() {
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> client.readSecrets("..", "t"));
            assertEquals("", e.getOpId());
            assertEquals(0, e.getAttempts());
        }
    }
}
