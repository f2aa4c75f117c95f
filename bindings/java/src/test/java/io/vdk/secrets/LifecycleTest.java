package io.vdk.secrets;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class LifecycleTest extends ServiceTestBase {

    @Test
    void useAfterCloseThrowsAndCloseTwiceIsFine() {
        SecretsClient client = SecretsClient.create(service.config().build());
        client.readSecrets(job("before-close"), "t");
        client.close();
        client.close();
        assertTrue(client.isClosed());
        ClosedException e = assertThrows(ClosedException.class, () -> client.readSecrets("j", "t"));
        assertEquals(Status.INVALID_ARGUMENT, e.status());
        assertThrows(ClosedException.class, () -> client.writeSecrets("j", "t", Map.of()));
        assertEquals("SecretsClient{closed}", client.toString());

        JobSecrets secrets = JobSecrets.create("j", "t", SecretsConfig.builder().secretsDefaultType("memory").build());
        secrets.set("k", "v");
        secrets.close();
        secrets.close();
        assertThrows(ClosedException.class, () -> secrets.get("k"));
        assertThrows(ClosedException.class, () -> secrets.set("k", "v"));
        assertThrows(ClosedException.class, secrets::refresh);
        assertThrows(ClosedException.class, secrets::backend);
    }

    @Test
    void closeWhileCallsAreInFlightWaitsForThem() throws Exception {
        SecretsClient client = SecretsClient.create(service.config().build());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch started = new CountDownLatch(4);
            List<Future<Secrets>> calls = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                calls.add(pool.submit(() -> {
                    started.countDown();
                    return client.readSecrets(job("fault-slow-400"), "t");
                }));
            }
            started.await();
            Thread.sleep(100); // let them enter the native call
            long freedBefore = NativeHandle.FREED.get();
            client.close();
            for (Future<Secrets> call : calls) {
                assertTrue(call.get().isEmpty(), "calls in flight complete normally");
            }
            assertTrue(NativeHandle.FREED.get() > freedBefore, "freed after the last call");
            assertThrows(ClosedException.class, () -> client.readSecrets("j", "t"));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void cleanerFreesWhatWasNotClosed() throws Exception {
        long before = NativeHandle.FREED.get();
        List<WeakReference<Object>> refs = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            SecretsClient client = SecretsClient.create(service.config().build());
            JobSecrets secrets = JobSecrets.create("j" + i, "t", SecretsConfig.builder().secretsDefaultType("memory").build());
            secrets.set("k", "v" + i);
            refs.add(new WeakReference<>(client));
            refs.add(new WeakReference<>(secrets));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (NativeHandle.FREED.get() - before < 100 && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(50);
        }
        long freed = NativeHandle.FREED.get() - before;
        System.out.println("[cleaner] objects dropped without close: 100, freed by the cleaner: " + freed);
        // Best effort: the JVM does not promise to collect, but HotSpot does with System.gc().
        assertTrue(freed > 0, "the cleaner freed at least some native handles");
        assertTrue(refs.stream().anyMatch(r -> r.get() == null));
    }
}
