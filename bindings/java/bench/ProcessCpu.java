package io.vdk.secrets.bench;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The process's CPU time over a measured window, to the nanosecond, for the Java benches.
 *
 * <p>Why not {@code OperatingSystemMXBean.getProcessCpuTime()}: on Linux, JDK 17 computes it
 * from {@code times(2)}, in clock ticks of 10 ms here, so a window of 140 ms of CPU was only
 * known to within 7% and a 300 B read (~50 µs) could not be told from nothing. Why not
 * {@code ThreadMXBean}: it sees only threads attached to the JVM, and the library's runtime
 * workers (tokio, where the HTTP and the JSON check run) never are.
 *
 * <p>Instead: the first field of {@code /proc/self/task/TID/schedstat}, each thread's time on
 * a CPU in nanoseconds (the scheduler's {@code sum_exec_runtime}, the same counter
 * {@code CLOCK_PROCESS_CPUTIME_ID} and perf's task-clock add up), for every thread, JVM and
 * native alike. A window's CPU is, per thread, its end figure minus its start figure, or its
 * end figure alone for a thread born in the window. <b>What is lost:</b> a thread that exits
 * inside the window takes its CPU since the start with it (the kernel folds a dead thread's
 * time into the process total, which is only readable in ticks); {@link Window#exited()} says
 * how many did, so a bench can print it and a reader can distrust that figure. In these benches
 * none is expected to: the JVM's GC and compiler threads, the binding's dispatcher and the
 * library's runtime workers live as long as the process, and the measured calls are sequential,
 * so the binding's cached async pool (60 s idle) and tokio's blocking pool (10 s idle) keep
 * their threads.
 */
public final class ProcessCpu {
    private ProcessCpu() {
    }

    /** A started window; {@link #nanos()} ends it. */
    public static final class Window {
        private final Map<String, Long> start;
        private int exited;

        private Window(Map<String, Long> start) {
            this.start = start;
        }

        /** The process's CPU time since {@link ProcessCpu#start()}, in ns (threads that exited meanwhile excluded). */
        public long nanos() {
            Map<String, Long> end = sample(true);
            long total = 0;
            for (Map.Entry<String, Long> thread : end.entrySet()) {
                total += thread.getValue() - start.getOrDefault(thread.getKey(), 0L);
            }
            exited = 0;
            for (String tid : start.keySet()) {
                if (!end.containsKey(tid)) {
                    exited++;
                }
            }
            return total;
        }

        /** Threads alive at the start that were gone at the end (their CPU in the window is missing). */
        public int exited() {
            return exited;
        }
    }

    /**
     * Starts a window. A sample reads a file per thread (0.5 ms for 20 threads here, 15 ms
     * the first time): so that this cost stays out of the window, the calling thread's own
     * figure is read last here and first at the end (the other threads are idle meanwhile in a
     * sequential bench), and 300 samples taken beforehand (0.2 s) load the code that takes them
     * and get it compiled by C1 and C2, with a pause for the compiler threads to finish (otherwise they compiled it,
     * 10-30 ms of CPU, inside the window). Later windows of the process start at once.
     */
    public static Window start() {
        if (!warmed) { // the first window of the process only
            for (int i = 0; i < 300; i++) {
                sample(i % 2 == 0);
            }
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            warmed = true;
        }
        return new Window(sample(false));
    }

    private static boolean warmed;

    /** Thread id to ns on CPU, for every thread of the process now; the caller's own first or last. */
    private static Map<String, Long> sample(boolean ownFirst) {
        Map<String, Long> cpu = new HashMap<>();
        try {
            Path own = Path.of("/proc/self/task").resolve(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName());
            if (ownFirst) {
                readOwn(own, cpu);
            }
            try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
                for (Path task : tasks) {
                    if (!task.getFileName().equals(own.getFileName())) {
                        read(task, cpu);
                    }
                }
            }
            if (!ownFirst) {
                readOwn(own, cpu);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/task/*/schedstat (Linux only)", e);
        }
        return cpu;
    }

    /**
     * The calling thread's own figure. A running thread's figure is brought up to date only at
     * a scheduler tick (4 ms here) or a switch, so a window that ends, or begins, in pure
     * computation (a decode loop) was off by up to a tick at each end: sched_yield (which
     * updates the caller's runtime before yielding) brings it up to date first.
     */
    private static void readOwn(Path own, Map<String, Long> cpu) {
        Thread.yield();
        read(own, cpu);
    }

    private static final byte[] BUFFER = new byte[64];

    /** Parses the first field by hand into a reused buffer: no String per file (see start()). */
    private static void read(Path task, Map<String, Long> cpu) {
        int n;
        try (FileInputStream in = new FileInputStream(task.resolve("schedstat").toFile())) {
            n = in.read(BUFFER);
        } catch (IOException gone) {
            return; // exited between the listing and the read: counted as exited
        }
        long nanos = 0;
        for (int i = 0; i < n && BUFFER[i] >= '0' && BUFFER[i] <= '9'; i++) {
            nanos = nanos * 10 + (BUFFER[i] - '0');
        }
        cpu.put(task.getFileName().toString(), nanos);
    }
}
