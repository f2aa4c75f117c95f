package io.vdk.secrets;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The library's log records reach {@code System.Logger} "io.vdk.secrets", which by default is
 * java.util.logging's logger of that name: a handler there sees them.
 */
class LogTest extends ServiceTestBase {
    // Held strongly: java.util.logging keeps loggers only weakly.
    private static final Logger JUL = Logger.getLogger("io.vdk.secrets");

    @Test
    void retriesAreLoggedWithoutSecrets() {
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        capture.setLevel(Level.ALL);
        Level previous = JUL.getLevel();
        JUL.setLevel(Level.ALL);
        JUL.addHandler(capture);
        String secret = "sk-log-test-" + Long.toHexString(System.nanoTime());
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            String job = job("fault-flaky-2-503");
            // The first two requests answer 503: two retries, each logged, then the write succeeds.
            client.writeSecrets(job, "team-log", Map.of("api-key", secret));
            assertEquals(secret, client.readSecrets(job, "team-log").getString("api-key"));
        } finally {
            JUL.removeHandler(capture);
            JUL.setLevel(previous);
        }
        List<String> messages = records.stream().map(LogRecord::getMessage).collect(Collectors.toList());
        List<LogRecord> retries = records.stream()
                .filter(r -> r.getMessage().contains("retrying"))
                .collect(Collectors.toList());
        assertEquals(2, retries.size(), "one record per retry: " + messages);
        for (LogRecord retry : retries) {
            assertEquals(Level.FINE, retry.getLevel(), "DEBUG records map to FINE");
            assertTrue(retry.getMessage().contains("503"), retry.getMessage());
        }
        for (LogRecord record : records) {
            assertEquals("io.vdk.secrets", record.getLoggerName());
            assertFalse(record.getMessage().contains(secret), "a secret in a log record: " + record.getMessage());
            assertFalse(record.getMessage().contains(service.apiToken), "the token in a log record");
        }
    }
}
