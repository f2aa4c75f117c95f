import io.vdk.secrets.Secrets;
import io.vdk.secrets.SecretsClient;
import io.vdk.secrets.SecretsConfig;
import io.vdk.secrets.bench.ProcessCpu;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;

/**
 * The Java binding's part of benches/scaling.sh (issue 15): sequential reads and writes of the
 * maps benches/c/scaling_bench.c seeds (jobs scale-SIZE). Prints
 * {@code RESULT client=java op=.. size=.. calls=.. cpu=.. wall=.. jit=.. exited=..} (µs per call;
 * process CPU of all threads to the ns, JIT, GC and the library's runtime workers included, see
 * ProcessCpu; exited: threads gone during the window, whose CPU is missing), after as many
 * warm-up calls and then more until the JIT is idle (see warmUp).
 *
 *   javac -cp bindings/java/target/classes:JACKSON -d OUT ScalingBench.java ProcessCpu.java
 *   java -cp OUT:bindings/java/target/classes:JACKSON ScalingBench URL read|read-json|write SIZE CALLS
 *
 * read: readSecrets (a Secrets map); read-json: readSecretsJson (the text); write: writeSecrets
 * of the map as read, to scale-write-java-SIZE; decode: no call at all, Jackson databind's
 * decode of the same bytes (the UTF-8 of readSecretsJson's text) into a Map, what the Java
 * decode of the answer costs with the usual JSON library (issue 15: the binding's map read may
 * cost no more above the C ABI's read than this). Needs the Jackson jars on the classpath
 * (bench/deps.sh) for that op only.
 */
public final class ScalingBench {
    public static void main(String[] args) throws Exception {
        String url = args[0], op = args[1], size = args[2];
        int calls = Integer.parseInt(args[3]);
        String job = "scale-" + size, team = "bench-team";
        try (SecretsClient client = SecretsClient.create(
                SecretsConfig.builder().controlServiceRestApiUrl(url).build())) {
            Secrets secrets = client.readSecrets(job, team);
            java.util.Map<String, Object> plain = secrets.toMap();
            int length = client.readSecretsJson(job, team).length();
            Runnable call;
            switch (op) {
                case "read":
                    call = () -> {
                        if (client.readSecrets(job, team).size() != secrets.size()) throw new AssertionError("short read");
                    };
                    break;
                case "read-json":
                    call = () -> {
                        if (client.readSecretsJson(job, team).length() != length) throw new AssertionError("short read");
                    };
                    break;
                case "write":
                    call = () -> client.writeSecrets("scale-write-java-" + size, team, plain);
                    break;
                case "decode":
                    call = jacksonDecode(client.readSecretsJson(job, team).getBytes(StandardCharsets.UTF_8), secrets.size());
                    break;
                default:
                    throw new IllegalArgumentException("unknown op " + op);
            }
            // A decode alone is cheap: 20 times as many calls (from when the CPU clock ticked in 10 ms).
            int n = op.equals("decode") ? calls * 20 : calls;
            warmUp(call, n);
            ProcessCpu.Window window = ProcessCpu.start();
            long jit0 = jitMillis(), w0 = System.nanoTime();
            repeat(call, n);
            double wall = (System.nanoTime() - w0) / 1e3 / n;
            long jit = jitMillis() - jit0;
            double cpu = window.nanos() / 1e3 / n;
            // jit: the JIT's compilation time (ms, elapsed) during the measured calls, 0 when warm.
            System.out.printf("RESULT client=java op=%s size=%s calls=%d cpu=%.1f wall=%.1f jit=%d exited=%d%n", op, size, n, cpu,
                    wall, jit, window.exited());
        }
    }

    /**
     * As many calls as will be measured, then more until the JIT is done with them: until calls
     * ran for half a second (wall) with no compilation time accrued, for at most 10 s. With a
     * fixed count alone (400 reads of 100 KB), C1/C2 were still compiling in the measured
     * window: 70-90 ms of compilation time in a window of about 220 ms of CPU, which the
     * process CPU counts (the compiler threads are the JVM's), while the decode alone, with 20x
     * the calls, was warm: an unfair comparison. (A quiet batch of a tenth of the calls was not
     * enough: a compilation's time is counted when it ends, and a 300 B run still compiled for
     * 300 ms while measured.)
     */
    private static void warmUp(Runnable call, int calls) {
        repeat(call, calls);
        long start = System.nanoTime(), quietSince = start, compiled = jitMillis();
        while (System.nanoTime() - start < 10_000_000_000L) {
            repeat(call, 1);
            long now = System.nanoTime(), jit = jitMillis();
            if (jit != compiled) {
                compiled = jit;
                quietSince = now;
            } else if (now - quietSince >= 500_000_000L) {
                return;
            }
        }
    }

    /**
     * The one loop both the warm-up and the measurement run: a loop of its own in main was
     * compiled anew (on-stack replacement, with the call inlined) inside the measured window,
     * up to 650 ms of compilation time for the 100 KB decode.
     */
    private static void repeat(Runnable call, int n) {
        for (int i = 0; i < n; i++) {
            call.run();
        }
    }

    private static long jitMillis() {
        return ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
    }

    /** Jackson's decode of {@code json} into a Map (in a method of its own: only this op loads Jackson). */
    private static Runnable jacksonDecode(byte[] json, int expected) {
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        return () -> {
            try {
                if (mapper.readValue(json, java.util.Map.class).size() != expected) throw new AssertionError("short decode");
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        };
    }
}
