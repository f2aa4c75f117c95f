package io.vdk.secrets;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Blocking calls from virtual threads (Java 21+): interruptible, and waiting without pinning
 * the carrier. Compiled for Java 17 (virtual threads are reached through reflection) and run
 * by the pom's {@code virtual-threads} surefire execution on a JDK 21+ (bindings/java/test.sh
 * finds one); that execution sets {@code vdk.requireVirtualThreads}, so there a JVM without
 * virtual threads fails instead of skipping.
 */
@Tag("virtual-threads")
class VirtualThreadTest extends ServiceTestBase {
    private static Method startVirtualThread;
    private static Method newVirtualThreadPerTaskExecutor;

    @BeforeAll
    static void virtualThreadsAvailable() {
        try {
            startVirtualThread = Thread.class.getMethod("startVirtualThread", Runnable.class);
            newVirtualThreadPerTaskExecutor = Executors.class.getMethod("newVirtualThreadPerTaskExecutor");
        } catch (NoSuchMethodException e) {
            if (Boolean.getBoolean("vdk.requireVirtualThreads")) {
                fail("virtual threads are required here but Java " + Runtime.version() + " has none");
            }
            Assumptions.abort("virtual threads need Java 21+; this is " + Runtime.version());
        }
    }

    private static final Function<Runnable, Thread> VIRTUAL = task -> {
        try {
            return (Thread) startVirtualThread.invoke(null, task);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    };

    @Test
    void interruptEndsABlockingCallOnAVirtualThread() throws Exception {
        Interrupts.assertPromptlyInterruptible(VIRTUAL);
    }

    @Test
    void waitingCallsDoNotPinTheirCarriers() throws Exception {
        // Each call takes 400 ms at the service. A call that held its carrier for the whole wait
        // would let only `carriers` calls proceed at a time: at least threads / carriers * 0.4 s.
        int carriers = Integer.getInteger("jdk.virtualThreadScheduler.parallelism",
                Runtime.getRuntime().availableProcessors());
        int threads = Math.max(32, carriers * 8);
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            client.readSecrets(job("warm-up"), "t"); // token exchange out of the way
            ExecutorService pool = (ExecutorService) newVirtualThreadPerTaskExecutor.invoke(null);
            long started = System.nanoTime();
            List<Future<Secrets>> calls = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                calls.add(pool.submit(() -> client.readSecrets(job("fault-slow-400"), "t")));
            }
            for (Future<Secrets> call : calls) {
                assertEquals(0, call.get(60, TimeUnit.SECONDS).size());
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            pool.shutdown();
            double pinnedAtLeast = (double) threads / carriers * 0.4;
            assertTrue(seconds < Math.min(3.0, pinnedAtLeast / 2),
                    threads + " calls on " + carriers + " carriers took " + seconds + " s (pinned: >= " + pinnedAtLeast + " s)");
        }
    }
}
