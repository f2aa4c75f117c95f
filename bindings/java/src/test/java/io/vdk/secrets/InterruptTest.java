package io.vdk.secrets;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Thread.interrupt() ends a blocking call: platform threads (VirtualThreadTest has the virtual ones). */
class InterruptTest {
    static final Function<Runnable, Thread> PLATFORM = task -> {
        Thread thread = new Thread(task, "interrupted-caller");
        thread.start();
        return thread;
    };

    @Test
    void interruptEndsABlockingReadPromptly() throws Exception {
        Interrupts.assertPromptlyInterruptible(PLATFORM);
    }

    @Test
    void anInterruptedWriteSaysItMayHaveBeenApplied() throws Exception {
        try (SilentServer server = new SilentServer();
                SecretsClient client = SecretsClient.create(server.config().build())) {
            Interrupts.Outcome outcome = Interrupts.interruptOnce(server, PLATFORM,
                    () -> client.writeSecrets("never-answered", "t", Map.of("api-key", "sk-interrupted-write")));
            CancelledException e = (CancelledException) outcome.thrown;
            assertTrue(e.consequences().contains("may or may not"), e.consequences());
            assertFalse(e.toString().contains("sk-interrupted-write"));
        }
    }

    @Test
    void jobSecretsCallsAreInterruptibleToo() throws Exception {
        try (SilentServer server = new SilentServer();
                JobSecrets secrets = JobSecrets.create("never-answered", "t", server.config().build())) {
            Interrupts.interruptOnce(server, PLATFORM, () -> secrets.get("k"));
            Interrupts.interruptOnce(server, PLATFORM, secrets::refresh);
        }
    }

    @Test
    void anAlreadyInterruptedThreadSendsNothing() throws Exception {
        try (SilentServer server = new SilentServer();
                SecretsClient client = SecretsClient.create(server.config().build())) {
            Thread.currentThread().interrupt();
            try {
                assertThrows(CancelledException.class, () -> client.readSecrets("never-sent", "t"));
                assertTrue(Thread.currentThread().isInterrupted(), "the flag stays set");
            } finally {
                Thread.interrupted();
            }
            assertNull(server.awaitRequest(200), "nothing was sent");
        }
    }
}
