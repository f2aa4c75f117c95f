package io.vdk.secrets;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/** Interrupting a thread blocked in a call to a {@link SilentServer}: shared by the platform- and virtual-thread tests. */
final class Interrupts {
    static final long LIMIT_NANOS = 50_000_000L;

    private Interrupts() {
    }

    /** The result of one interrupted call. */
    static final class Outcome {
        Throwable thrown;
        boolean interruptFlagKept;
        long latencyNanos;
    }

    /**
     * Starts {@code call} on a thread made by {@code starter}, waits until its request reached
     * {@code server}, interrupts the thread, and checks that the call ended with
     * {@link CancelledException}, the flag still set, and the connection closed.
     */
    static Outcome interruptOnce(SilentServer server, Function<Runnable, Thread> starter, Runnable call)
            throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicBoolean flagKept = new AtomicBoolean();
        AtomicLong endedAt = new AtomicLong();
        Thread thread = starter.apply(() -> {
            try {
                call.run();
            } catch (Throwable e) {
                endedAt.set(System.nanoTime());
                flagKept.set(Thread.currentThread().isInterrupted());
                thrown.set(e);
            }
        });
        assertNotNull(server.awaitRequest(10_000), "the request reached the server");
        long interruptedAt = System.nanoTime();
        thread.interrupt();
        thread.join(5_000);
        assertFalse(thread.isAlive(), "the interrupted call ended");
        Outcome outcome = new Outcome();
        outcome.thrown = thrown.get();
        outcome.interruptFlagKept = flagKept.get();
        outcome.latencyNanos = endedAt.get() - interruptedAt;
        assertTrue(outcome.thrown instanceof CancelledException, "thrown: " + outcome.thrown);
        assertEquals(Status.CANCELLED, ((CancelledException) outcome.thrown).status());
        assertTrue(outcome.interruptFlagKept, "the interrupt flag stays set");
        assertNotNull(server.awaitClosed(2_000), "the interrupted call closed its connection");
        return outcome;
    }

    /** Interrupts five calls; the median time from interrupt to exception must be under 50 ms (and none above 1 s). */
    static void assertPromptlyInterruptible(Function<Runnable, Thread> starter) throws Exception {
        try (SilentServer server = new SilentServer();
                SecretsClient client = SecretsClient.create(server.config().build())) {
            long[] latencies = new long[5];
            for (int i = 0; i < latencies.length; i++) {
                latencies[i] = interruptOnce(server, starter, () -> client.readSecrets("never-answered", "t")).latencyNanos;
                assertTrue(latencies[i] < 1_000_000_000L, "interrupt to exception: " + latencies[i] / 1e6 + " ms");
            }
            Arrays.sort(latencies);
            assertTrue(latencies[2] < LIMIT_NANOS, "median interrupt to exception: " + latencies[2] / 1e6 + " ms");
            Thread.sleep(100);
            assertEquals(latencies.length, server.connectionCount(), "no retry after an interrupt");
        }
    }
}
