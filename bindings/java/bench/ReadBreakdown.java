package io.vdk.secrets;

import io.vdk.secrets.bench.ProcessCpu;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a readSecrets goes above the C ABI's read, in one JVM (issue 15), for when process
 * against process is too noisy to tell (on a busy machine the C ABI's own read moved from 36
 * to 184 µs between runs of one round). In the package, so it can call the glue's blocking
 * read directly: {@code NativeBridge.clientRead} is the C ABI's read (the library's
 * {@code block_on} on the calling thread) plus the copy into a {@code byte[]}.
 *
 *   bindings/java/bench/read_breakdown.sh [SIZE] [CALLS] [ROUNDS]
 *
 * Variants, in batches of CALLS calls, in rotating order, ROUNDS rounds; printed: process CPU
 * per call (bench/ProcessCpu) and, per round, each variant minus {@code nativeRead} (median and
 * quartiles):
 * <ul>
 * <li>nativeRead: the blocking native read alone (the C ABI's work, through JNI);
 * <li>readSecrets, readSecretsJson: the binding's calls (native async call, wait, decode);
 * <li>nativeRead+decode, nativeRead+jackson: the native read, then the binding's decoder or
 * Jackson's {@code readValue(bytes, Map.class)} on the bytes just read (the decode as it runs
 * in a read, caches cold after the I/O);
 * <li>decode, jackson: the same decodes of one copy of the bytes again and again (hot, as
 * ScalingBench's "decode" op measures Jackson).
 * </ul>
 * Jackson (bench/deps.sh) is found on the class path by name, so this compiles without it.
 */
final class ReadBreakdown {
    private ReadBreakdown() {
    }

    @FunctionalInterface
    interface Call {
        void run() throws Throwable;
    }

    public static void main(String[] args) throws Throwable {
        String url = args[0], size = args.length > 1 ? args[1] : "10KB";
        int calls = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 60;
        String job = "scale-" + size, team = "bench-team";
        try (SecretsClient client = SecretsClient.create(SecretsConfig.builder().controlServiceRestApiUrl(url).build())) {
            long pointer = pointer(client);
            byte[] json = NativeBridge.clientRead(pointer, job, team, -1);
            MethodHandle jackson = jacksonReadValue();
            Map<String, Call> variants = new LinkedHashMap<>();
            variants.put("nativeRead", () -> Arrays.fill(NativeBridge.clientRead(pointer, job, team, -1), (byte) 0));
            variants.put("readSecrets", () -> client.readSecrets(job, team));
            variants.put("readSecretsJson", () -> client.readSecretsJson(job, team));
            variants.put("nativeRead+decode", () -> CanonicalJson.decodeSecrets(NativeBridge.clientRead(pointer, job, team, -1)));
            variants.put("decode", () -> CanonicalJson.decodeSecrets(json.clone()));
            if (jackson != null) {
                variants.put("nativeRead+jackson", () -> {
                    byte[] bytes = NativeBridge.clientRead(pointer, job, team, -1);
                    Object unused = jackson.invoke(bytes, Map.class);
                    Arrays.fill(bytes, (byte) 0);
                });
                variants.put("jackson", () -> {
                    Object unused = jackson.invoke(json.clone(), Map.class);
                });
            }
            String[] names = variants.keySet().toArray(new String[0]);
            Call[] call = variants.values().toArray(new Call[0]);
            for (int warm = 0; warm < 20; warm++) {
                for (Call c : call) {
                    for (int i = 0; i < calls; i++) {
                        c.run();
                    }
                }
            }
            ProcessCpu.start().nanos(); // its one-time warm-up, outside the rounds
            double[][] cpu = new double[call.length][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < call.length; k++) {
                    int v = (k + r) % call.length; // rotating order: no variant always follows the same one
                    ProcessCpu.Window window = ProcessCpu.start();
                    for (int i = 0; i < calls; i++) {
                        call[v].run();
                    }
                    cpu[v][r] = window.nanos() / 1e3 / calls;
                }
            }
            for (int v = 0; v < call.length; v++) {
                double[] above = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    above[r] = cpu[v][r] - cpu[0][r];
                }
                System.out.printf("RESULT size=%s variant=%s cpu=%.1f above_native_read=%.1f q1=%.1f q3=%.1f rounds=%d calls=%d%n",
                        size, names[v], quantile(cpu[v], 0.5), quantile(above, 0.5), quantile(above, 0.25),
                        quantile(above, 0.75), rounds, calls);
            }
        }
    }

    private static double quantile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[(int) Math.round(q * (sorted.length - 1))];
    }

    /** The client's native pointer (the handle stays acquired by nobody: the bench never closes it meanwhile). */
    private static long pointer(SecretsClient client) throws ReflectiveOperationException {
        Field handle = SecretsClient.class.getDeclaredField("handle");
        handle.setAccessible(true);
        Field pointer = NativeHandle.class.getDeclaredField("pointer");
        pointer.setAccessible(true);
        return pointer.getLong(handle.get(client));
    }

    /** {@code new ObjectMapper()::readValue(byte[], Class)}, or null without Jackson on the class path. */
    private static MethodHandle jacksonReadValue() throws ReflectiveOperationException {
        Class<?> mapperClass;
        try {
            mapperClass = Class.forName("com.fasterxml.jackson.databind.ObjectMapper");
        } catch (ClassNotFoundException absent) {
            return null;
        }
        Object mapper = mapperClass.getConstructor().newInstance();
        return MethodHandles.publicLookup()
                .findVirtual(mapperClass, "readValue", MethodType.methodType(Object.class, byte[].class, Class.class))
                .bindTo(mapper);
    }
}
