package io.vdk.secrets;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** 100,000 cached gets must not grow the Java heap or the process (native leaks show in RSS). */
class MemoryTest {
    private static final int CALLS = Integer.getInteger("vdk.memory.calls", 100_000);

    static long heapUsed() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20);
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    static long rssKiB() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return -1;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static long loop(JobSecrets secrets, int n) {
        long chars = 0;
        for (int i = 0; i < n; i++) {
            chars += ((String) secrets.get("api-key")).length();
            if (secrets.get("absent", null) != null) {
                chars++;
            }
        }
        return chars;
    }

    @Test
    void hundredThousandCachedGetsKeepHeapAndRssFlat() throws Exception {
        SecretsConfig config = SecretsConfig.builder().secretsDefaultType("memory").build();
        try (JobSecrets secrets = JobSecrets.create("memory-loop", "t", config)) {
            secrets.setAll(Map.of("api-key", "sk-" + "x".repeat(61), "nested", Map.of("a", 1L)));
            loop(secrets, CALLS); // warm up: JIT, glue caches, allocator pools
            heapUsed();
            long heapBefore = heapUsed();
            long rssBefore = rssKiB();
            long start = System.nanoTime();
            loop(secrets, CALLS);
            long elapsed = System.nanoTime() - start;
            long heapAfter = heapUsed();
            long rssAfter = rssKiB();
            System.out.printf("[memory] %d cached gets (x2 calls each) in %.1f ms (%.0f ns/call): heap %d -> %d KiB (%+d), "
                    + "RSS %d -> %d KiB (%+d)%n", CALLS, elapsed / 1e6, elapsed / (2.0 * CALLS), heapBefore / 1024,
                    heapAfter / 1024, (heapAfter - heapBefore) / 1024, rssBefore, rssAfter, rssAfter - rssBefore);
            assertTrue(heapAfter - heapBefore < 4L * 1024 * 1024, "heap grew by less than 4 MiB");
            if (rssBefore > 0) {
                assertTrue(rssAfter - rssBefore < 8 * 1024, "RSS grew by less than 8 MiB");
            }
        }
    }
}
