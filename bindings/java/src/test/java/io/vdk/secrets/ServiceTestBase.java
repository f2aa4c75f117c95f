package io.vdk.secrets;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** One local Control Service per test class. */
abstract class ServiceTestBase {
    static LocalControlService service;
    private static final AtomicInteger JOBS = new AtomicInteger();

    @BeforeAll
    static void startService() throws Exception {
        service = LocalControlService.start();
    }

    @AfterAll
    static void stopService() throws Exception {
        if (service != null) {
            service.close();
            service = null;
        }
    }

    /** A job name no other test uses (fault names take a unique suffix too). */
    static String job(String prefix) {
        return prefix + "-j" + JOBS.incrementAndGet() + "-" + Long.toHexString(System.nanoTime() & 0xffffff);
    }
}
