package io.vdk.secrets;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The CompletableFuture variants against the local Control Service and a server that never answers. */
class AsyncTest extends ServiceTestBase {
    private static final ExecutorService OWN = Executors.newFixedThreadPool(2, task -> {
        Thread thread = new Thread(task, "test-own-executor");
        thread.setDaemon(true);
        return thread;
    });

    @AfterAll
    static void stopExecutor() {
        OWN.shutdownNow();
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(20, TimeUnit.SECONDS);
    }

    private static Throwable failure(CompletableFuture<?> future) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(20, TimeUnit.SECONDS));
        return e.getCause();
    }

    @Test
    void clientCallsCompleteOnTheBindingsExecutorByDefault() throws Exception {
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            // A slow job, so that the callbacks below are attached before the future completes.
            String job = job("fault-slow-150");
            AtomicReference<String> writeThread = new AtomicReference<>();
            await(client.writeSecretsAsync(job, "team-a", Map.of("api-key", "sk-async-1", "n", 7L))
                    .whenComplete((v, e) -> writeThread.set(Thread.currentThread().getName())));
            assertTrue(writeThread.get().startsWith("vdk-secrets-async-"), writeThread.get());

            AtomicReference<String> readThread = new AtomicReference<>();
            Secrets read = await(client.readSecretsAsync(job, "team-a")
                    .whenComplete((v, e) -> readThread.set(Thread.currentThread().getName())));
            assertEquals("sk-async-1", read.getString("api-key"));
            assertEquals(7L, read.getLong("n"));
            assertTrue(readThread.get().startsWith("vdk-secrets-async-"), readThread.get());
        }
    }

    @Test
    void aGivenExecutorCompletesTheFuture() throws Exception {
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            String job = job("fault-slow-150");
            await(client.writeSecretsAsync(job, "t", Map.of("k", "v"), Duration.ofSeconds(10), OWN));
            AtomicReference<String> thread = new AtomicReference<>();
            Secrets read = await(client.readSecretsAsync(job, "t", OWN)
                    .thenApply(s -> {
                        thread.set(Thread.currentThread().getName());
                        return s;
                    }));
            assertEquals("v", read.getString("k"));
            assertEquals("test-own-executor", thread.get());
        }
    }

    @Test
    void aBlockingCallChainedInThenApplyWorks() throws Exception {
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            String first = job("chain-first");
            String second = job("chain-second");
            client.writeSecrets(first, "t", Map.of("next", second));
            client.writeSecrets(second, "t", Map.of("value", "found"));
            // On the binding's executor.
            String viaDefault = await(client.readSecretsAsync(first, "t")
                    .thenApply(s -> client.readSecrets(s.getString("next"), "t").getString("value")));
            assertEquals("found", viaDefault);
            // On a direct executor the chained code runs on the dispatcher thread itself: the
            // blocking call must still work there (not wait for the thread it runs on).
            String viaDirect = await(client.readSecretsAsync(first, "t", Runnable::run)
                    .thenApply(s -> client.readSecrets(s.getString("next"), "t").getString("value")));
            assertEquals("found", viaDirect);
        }
    }

    @Test
    void everyJobSecretsCallHasAnAsyncVariant() throws Exception {
        String job = job("async-job");
        try (JobSecrets secrets = JobSecrets.create(job, "team-j", service.config().build())) {
            await(secrets.setAllAsync(Map.of("a", "1", "b", 2L)));
            await(secrets.setAsync("c", Map.of("nested", true)));
            assertEquals("1", await(secrets.getAsync("a")));
            assertEquals(2L, await(secrets.getAsync("b", OWN)));
            assertNull(await(secrets.getAsync("missing")));
            assertEquals("fallback", await(secrets.getAsync("missing", "fallback", Duration.ofSeconds(5), OWN)));
            Object nested = await(secrets.getAsync("c"));
            assertTrue(nested instanceof Secrets, "objects come back as Secrets: " + nested.getClass());
            assertEquals(Secrets.MASK, ((Secrets) nested).toString().replaceAll(".*=", "").replace("}", ""));
            await(secrets.deleteAsync("a"));
            assertEquals(java.util.Set.of("b", "c"), await(secrets.getAllAsync()).names());
            // Another writer; refresh sees it.
            try (SecretsClient client = SecretsClient.create(service.config().build())) {
                client.writeSecrets(job, "team-j", Map.of("z", "from-elsewhere"));
            }
            assertFalse(await(secrets.getAllAsync(OWN)).contains("z"), "served from the cache");
            await(secrets.refreshAsync());
            assertEquals("from-elsewhere", await(secrets.getAllAsync(Duration.ofSeconds(5), OWN)).getString("z"));
        }
    }

    @Test
    void failuresComeThroughTheFuture() throws Exception {
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            Throwable notFound = failure(client.readSecretsAsync(job("fault-status-404"), "t"));
            assertEquals(NotFoundException.class, notFound.getClass());
            Throwable nullName = failure(client.readSecretsAsync(null, "t"));
            assertEquals(InvalidArgumentException.class, nullName.getClass());
            Throwable nullTimeout = failure(client.readSecretsAsync("j", "t", null, OWN));
            assertEquals(InvalidArgumentException.class, nullTimeout.getClass());
            Throwable nullExecutor = failure(client.readSecretsAsync("j", "t", (java.util.concurrent.Executor) null));
            assertEquals(InvalidArgumentException.class, nullExecutor.getClass());
            Throwable badValue = failure(client.writeSecretsAsync("j", "t", Map.of("k", new Object())));
            assertEquals(InvalidArgumentException.class, badValue.getClass());
        }
        SecretsClient closed = SecretsClient.create(service.config().build());
        closed.close();
        assertEquals(ClosedException.class, failure(closed.readSecretsAsync("j", "t")).getClass());
    }

    @Test
    void aJobHandleMayBeClosedWhileCallsAreInFlight() throws Exception {
        String job = job("fault-slow-300");
        JobSecrets secrets = JobSecrets.create(job, "t", service.config().build());
        CompletableFuture<Secrets> inFlight = secrets.getAllAsync();
        secrets.close();
        assertEquals(0, await(inFlight).size());
    }

    @Test
    void cancellingTheFutureDropsTheRequest() throws Exception {
        try (SilentServer server = new SilentServer();
                SecretsClient client = SecretsClient.create(server.config().build())) {
            CompletableFuture<Secrets> future = client.readSecretsAsync("never-answered", "t");
            assertNotNull(server.awaitRequest(10_000), "the request reached the server");
            assertTrue(future.cancel(true));
            assertNotNull(server.awaitClosed(2_000), "the cancelled call closed its connection");
            assertThrows(CancellationException.class, future::join);
            Thread.sleep(200);
            assertEquals(1, server.connectionCount(), "no retry after cancelling");
        }
    }

    @Test
    void aFutureCompletedFromOutsideCancelsTheCallToo() throws Exception {
        try (SilentServer server = new SilentServer();
                JobSecrets secrets = JobSecrets.create("never-answered", "t", server.config().build())) {
            CompletableFuture<Void> future = secrets.setAsync("k", "v").orTimeout(300, TimeUnit.MILLISECONDS);
            assertNotNull(server.awaitRequest(10_000));
            assertTrue(failure(future) instanceof java.util.concurrent.TimeoutException);
            // orTimeout completes the future the binding returned, which cancels the native call.
            assertNotNull(server.awaitClosed(2_000), "the abandoned call closed its connection");
        }
    }

    @Test
    void callsInFlightShareTheCappedConnections() throws Exception {
        try (SilentServer server = new SilentServer();
                SecretsClient client = SecretsClient.create(server.config().controlHttpMaxConnections(2).build())) {
            List<CompletableFuture<Secrets>> futures = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                futures.add(client.readSecretsAsync("never-answered", "t"));
            }
            assertNotNull(server.awaitRequest(10_000));
            assertNotNull(server.awaitRequest(10_000));
            assertNull(server.awaitRequest(300), "a third request while two are in flight");
            assertEquals(2, server.connectionCount());
            futures.forEach(f -> f.cancel(true));
            assertNotNull(server.awaitClosed(2_000));
            assertNotNull(server.awaitClosed(2_000));
        }
    }

    /** Every started call ended natively (take or cancel) and left the dispatcher's table. */
    private static void assertNoCallLeft() throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while ((NativeBridge.callsInFlight() != 0 || NativeCalls.pendingCount() != 0) && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        assertEquals(0, NativeBridge.callsInFlight(), "native calls left over");
        assertEquals(0, NativeCalls.pendingCount(), "Java calls left over");
    }

    @Test
    void cancelRacingCompletionFromManyThreadsEndsEveryCallOnce() throws Exception {
        ExecutorService cancellers = Executors.newFixedThreadPool(4);
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            String job = job("race");
            client.writeSecrets(job, "t", Map.of("k", "v"));
            List<CompletableFuture<Secrets>> futures = new ArrayList<>();
            java.util.concurrent.atomic.AtomicInteger callbacks = new java.util.concurrent.atomic.AtomicInteger();
            List<CompletableFuture<?>> observed = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                CompletableFuture<Secrets> future = client.readSecretsAsync(job, "t", i % 2 == 0 ? OWN : NativeCalls.DEFAULT_EXECUTOR);
                futures.add(future);
                observed.add(future.handle((v, e) -> callbacks.incrementAndGet()));
                int delayMicros = (i * 37) % 2000;
                cancellers.execute(() -> {
                    java.util.concurrent.locks.LockSupport.parkNanos(delayMicros * 1000L);
                    future.cancel(true);
                });
            }
            CompletableFuture.allOf(observed.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
            assertEquals(futures.size(), callbacks.get(), "each future completed exactly once");
            for (CompletableFuture<Secrets> future : futures) {
                if (!future.isCancelled()) {
                    assertEquals("v", future.join().getString("k"));
                }
            }
        } finally {
            cancellers.shutdownNow();
        }
        assertNoCallLeft();
    }

    @Test
    void cancelledCallsInFlightLeaveNothingBehind() throws Exception {
        try (SilentServer server = new SilentServer();
                SecretsClient client = SecretsClient.create(server.config().build())) {
            List<CompletableFuture<Secrets>> futures = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                futures.add(client.readSecretsAsync("never-answered", "t"));
            }
            assertNotNull(server.awaitRequest(10_000));
            futures.forEach(f -> f.cancel(true));
        }
        assertNoCallLeft();
    }

    @Test
    void manyCallsInFlightFromOneThread() throws Exception {
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            String job = job("async-many");
            client.writeSecrets(job, "t", Map.of("k", "v"));
            CompletableFuture<?>[] futures = new CompletableFuture<?>[500];
            for (int i = 0; i < futures.length; i++) {
                futures[i] = client.readSecretsAsync(job, "t", OWN);
            }
            CompletableFuture.allOf(futures).get(60, TimeUnit.SECONDS);
            for (CompletableFuture<?> f : futures) {
                assertEquals("v", ((Secrets) f.join()).getString("k"));
            }
        }
    }
}
