package io.vdk.secrets;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class ConcurrencyTest extends ServiceTestBase {
    private static final int THREADS = 32;

    @Test
    void thirtyTwoThreadsShareOneClient() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                final int thread = t;
                results.add(pool.submit((Callable<Integer>) () -> {
                    go.await();
                    String job = job("concurrent-" + thread);
                    int done = 0;
                    for (int i = 0; i < 10; i++) {
                        Map<String, Object> secrets = Map.of("thread", (long) thread, "round", (long) i, "text", "v-" + i);
                        client.writeSecrets(job, "team-c", secrets);
                        assertEquals(secrets, client.readSecrets(job, "team-c").toMap());
                        done++;
                    }
                    return done;
                }));
            }
            go.countDown();
            int total = 0;
            for (Future<Integer> result : results) {
                total += result.get();
            }
            assertEquals(THREADS * 10, total);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void thirtyTwoThreadsShareOneJobSecretsWhileItCloses() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        JobSecrets secrets = JobSecrets.create(job("shared"), "team-c",
                service.config().secretsDefaultType("control-service").build());
        try {
            secrets.set("shared", "value");
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                final int thread = t;
                results.add(pool.submit(() -> {
                    go.await();
                    int ok = 0;
                    for (int i = 0; i < 2_000; i++) {
                        try {
                            assertEquals("value", secrets.get("shared"));
                            if (i % 500 == 0) {
                                secrets.set("t" + thread, (long) i);
                            }
                            ok++;
                        } catch (ClosedException closed) {
                            break; // the main thread closed it: fine, and no crash
                        }
                    }
                    return ok;
                }));
            }
            go.countDown();
            Thread.sleep(300);
            secrets.close();
            int ok = 0;
            for (Future<Integer> result : results) {
                ok += result.get();
            }
            assertTrue(ok > 0);
            assertThrows(ClosedException.class, () -> secrets.get("shared"));
        } finally {
            secrets.close();
            pool.shutdownNow();
        }
    }
}
