import io.vdk.secrets.SecretsClient;
import io.vdk.secrets.SecretsConfig;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;

/**
 * The Java binding's part of benches/matrix.sh: N platform threads reading through one shared
 * SecretsClient (readSecrets, decoded into a Secrets) for a fixed time per round, every
 * call's latency recorded. Prints {@code RESULT rps=.. p50=.. p99=.. cpu=..} (medians over
 * rounds; µs; process CPU per read from the OperatingSystemMXBean, JIT and GC included).
 *
 *   java -cp <classes of this>:bindings/java/target/classes ReadMatrix URL THREADS SECONDS ROUNDS [writes]
 *
 * With {@code writes}, each thread writes the 3-secret map to a job of its own (bench-write-N)
 * instead of reading.
 */
public final class ReadMatrix {
    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        int threads = Integer.parseInt(args[1]);
        double seconds = Double.parseDouble(args[2]);
        int rounds = Integer.parseInt(args[3]);
        boolean writes = args.length > 4 && args[4].equals("writes");
        try (SecretsClient client = SecretsClient.create(
                SecretsConfig.builder().controlServiceRestApiUrl(url).build())) {
            for (int i = 0; i < 3000; i++) { // warm-up: JIT, connections
                call(client, writes, 0);
            }
            double[] rps = new double[rounds], p50 = new double[rounds], p99 = new double[rounds],
                    cpu = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                long[][] lat = new long[threads][];
                int[] count = new int[threads];
                CyclicBarrier barrier = new CyclicBarrier(threads + 1);
                long deadline = System.nanoTime() + (long) (seconds * 1e9) + 1_000_000;
                List<Thread> ts = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    final int id = t;
                    Thread th = new Thread(() -> {
                        long[] mine = new long[1 << 16];
                        int n = 0;
                        try {
                            barrier.await();
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                        while (System.nanoTime() < deadline) {
                            long t0 = System.nanoTime();
                            call(client, writes, id);
                            if (n == mine.length) {
                                mine = Arrays.copyOf(mine, n * 2);
                            }
                            mine[n++] = System.nanoTime() - t0;
                        }
                        lat[id] = mine;
                        count[id] = n;
                    });
                    ts.add(th);
                    th.start();
                }
                barrier.await();
                long w0 = System.nanoTime(), c0 = cpuNanos();
                for (Thread th : ts) {
                    th.join();
                }
                long wall = System.nanoTime() - w0, used = cpuNanos() - c0;
                int total = 0;
                for (int c : count) {
                    total += c;
                }
                long[] all = new long[total];
                int k = 0;
                for (int t = 0; t < threads; t++) {
                    System.arraycopy(lat[t], 0, all, k, count[t]);
                    k += count[t];
                }
                Arrays.sort(all);
                rps[r] = total / (wall / 1e9);
                p50[r] = all[total / 2] / 1e3;
                p99[r] = all[(int) (total * 99L / 100)] / 1e3;
                cpu[r] = used / 1e3 / total;
            }
            System.out.printf("RESULT rps=%.0f p50=%.1f p99=%.1f cpu=%.1f%n",
                    median(rps), median(p50), median(p99), median(cpu));
        }
    }

    private static final java.util.Map<String, Object> MAP =
            java.util.Map.of("api-key", "sk-abc123xyz789", "db-password", "secretpass", "port", 5432);

    private static void call(SecretsClient client, boolean writes, int thread) {
        if (writes) {
            client.writeSecrets("bench-write-" + thread, "bench-team", MAP);
        } else if (client.readSecrets("bench-job", "bench-team").size() != 3) {
            throw new IllegalStateException("unexpected answer");
        }
    }
}
