package io.vdk.secrets;

import static org.junit.jupiter.api.Assertions.*;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class ErrorStatusTest extends ServiceTestBase {

    private static <T extends VdkSecretsException> T expect(Class<T> type, Status status, Executable call) {
        T e = assertThrows(type, call);
        assertEquals(status, e.status());
        assertFalse(e.what().isEmpty(), "what");
        assertFalse(e.why().isEmpty(), "why");
        assertFalse(e.consequences().isEmpty(), "consequences");
        assertFalse(e.countermeasures().isEmpty(), "countermeasures");
        // "what: why", what without its closing full stop (MessageTextTest has the details).
        assertEquals(e.what().replaceAll("[.:;,\\s]+$", "") + ": " + e.why(), e.getMessage());
        return e;
    }

    @Test
    void httpStatusesMapToTheirExceptions() {
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            AuthenticationException auth = expect(AuthenticationException.class, Status.AUTHENTICATION,
                    () -> client.readSecrets(job("fault-status-401"), "t"));
            assertEquals(401, auth.httpStatus());
            assertFalse(auth.isRetryable());
            assertEquals(403, expect(AuthenticationException.class, Status.AUTHENTICATION,
                    () -> client.readSecrets(job("fault-status-403"), "t")).httpStatus());
            assertEquals(404, expect(NotFoundException.class, Status.NOT_FOUND,
                    () -> client.readSecrets(job("fault-status-404"), "t")).httpStatus());
            assertEquals(400, expect(UserErrorException.class, Status.USER_ERROR,
                    () -> client.writeSecrets(job("fault-status-400"), "t", Map.of("k", "v"))).httpStatus());
            assertEquals(413, expect(UserErrorException.class, Status.USER_ERROR,
                    () -> client.readSecrets(job("fault-status-413"), "t")).httpStatus());
            ServiceErrorException service503 = expect(ServiceErrorException.class, Status.SERVICE_ERROR,
                    () -> client.readSecrets(job("fault-status-503"), "t"));
            assertEquals(503, service503.httpStatus());
            assertTrue(service503.isRetryable());
            assertEquals(501, expect(ServiceErrorException.class, Status.SERVICE_ERROR,
                    () -> client.readSecrets(job("fault-status-501"), "t")).httpStatus());
        }
    }

    @Test
    void serviceTextsAreCarried() {
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            UserErrorException e = expect(UserErrorException.class, Status.USER_ERROR,
                    () -> client.readSecrets(job("fault-messages-422"), "t"));
            assertEquals(422, e.httpStatus());
            assertTrue(e.why().contains("the service says"), e.why());
        }
    }

    @Test
    void flakyServiceSucceedsWithinRetries() {
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            assertTrue(client.readSecrets(job("fault-flaky-1-503"), "t").isEmpty());
        }
    }

    @Test
    void networkFailures() throws Exception {
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            NetworkException dropped = expect(NetworkException.class, Status.NETWORK,
                    () -> client.readSecrets(job("fault-drop"), "t"));
            assertEquals(0, dropped.httpStatus());
            assertTrue(dropped.isRetryable());
            long start = System.nanoTime();
            expect(NetworkException.class, Status.NETWORK,
                    () -> client.readSecrets(job("fault-slow-5000"), "t", Duration.ofMillis(300)));
            assertTrue(System.nanoTime() - start < 4_000_000_000L, "the per-call timeout bounds the call");
        }
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        SecretsConfig refused = SecretsConfig.builder()
                .controlServiceRestApiUrl("http://127.0.0.1:" + closedPort)
                .controlHttpBackoffFactorSeconds(0.02).controlHttpTotalRetries(1).build();
        try (SecretsClient client = SecretsClient.create(refused)) {
            expect(NetworkException.class, Status.NETWORK, () -> client.readSecrets("job", "team"));
        }
    }

    @Test
    void protocolFailures() {
        try (SecretsClient client = SecretsClient.create(service.config().controlHttpMaxResponseBytes(4096).build())) {
            expect(ProtocolException.class, Status.PROTOCOL, () -> client.readSecrets(job("fault-malformed"), "t"));
            expect(ProtocolException.class, Status.PROTOCOL, () -> client.readSecrets(job("fault-notobject"), "t"));
            expect(ProtocolException.class, Status.PROTOCOL, () -> client.readSecrets(job("fault-huge-100000"), "t"));
        }
    }

    @Test
    void wrongTokenIsAnAuthenticationError() {
        SecretsConfig config = service.config().apiToken("not-the-token").build();
        try (SecretsClient client = SecretsClient.create(config)) {
            VdkSecretsException e = expect(AuthenticationException.class, Status.AUTHENTICATION,
                    () -> client.readSecrets(job("badtoken"), "t"));
            assertFalse(e.toString().contains("not-the-token"));
        }
    }

    @Test
    void configurationErrors() {
        expect(ConfigurationException.class, Status.CONFIGURATION,
                () -> SecretsClient.create(SecretsConfig.builder().build()));
        expect(ConfigurationException.class, Status.CONFIGURATION,
                () -> SecretsClient.create(SecretsConfig.builder().controlServiceRestApiUrl("http://x")
                        .apiToken("secret-token-value").build()));
        InvalidArgumentException bad = expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT,
                () -> SecretsClient.create(SecretsConfig.builder().controlServiceRestApiUrl("http://x")
                        .deploymentId("").build()));
        assertTrue(bad.getMessage().contains("deployment_id"), bad.getMessage());
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT,
                () -> SecretsConfig.builder().controlHttpTotalRetries(-1));
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT,
                () -> SecretsConfig.builder().controlHttpDeadlineSeconds(Double.NaN));
    }

    @Test
    void nullAndBadArgumentsAreInvalidArgumentsNotNullPointers() {
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, () -> client.readSecrets(null, "t"));
            expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, () -> client.readSecrets("j", null));
            expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, () -> client.writeSecrets("j", "t", null));
            expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, () -> client.readSecrets("", "t"));
            expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, () -> client.readSecrets("..", "t"));
            expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT,
                    () -> client.readSecrets("j", "t", Duration.ZERO));
            expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT,
                    () -> client.readSecrets("j", "t", null));
            expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT,
                    () -> client.readSecrets("bad\ud800surrogate", "t"));
        }
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, () -> SecretsClient.create(null));
        // Straight to the glue, past the Java checks: the native side refuses nulls too.
        NativeLoader.ensureLoaded();
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, () -> NativeBridge.jobNew(null, "t", null));
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT,
                () -> NativeBridge.clientRead(0, "j", "t", -1));
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT,
                () -> NativeBridge.clientWrite(0, "j", "t", null, -1));
    }

    @Test
    void panicsBecomeInternalErrorsAndTheJvmGoesOn() {
        NativeLoader.ensureLoaded();
        for (int mode = 0; mode < 2; mode++) {
            final int m = mode;
            InternalErrorException e = expect(InternalErrorException.class, Status.INTERNAL_ERROR,
                    () -> NativeBridge.selfTestPanic(m));
            assertTrue(e.why().contains("self-test panic"), e.why());
        }
        assertTrue(SecretsClient.nativeVersion().startsWith("vdk-secrets "));
    }

    @Test
    void javaExceptionsFromTheCallersMapPropagate() {
        Map<String, Object> hostile = new java.util.AbstractMap<>() {
            @Override
            public java.util.Set<Entry<String, Object>> entrySet() {
                throw new UnsupportedOperationException("thrown by the caller's map");
            }
        };
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> client.writeSecrets(job("hostile"), "t", hostile));
            assertEquals("thrown by the caller's map", e.getMessage());
            // The client is still fine.
            assertTrue(client.readSecrets(job("after"), "t").isEmpty());
        }
    }
}
