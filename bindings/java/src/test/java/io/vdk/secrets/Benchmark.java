package io.vdk.secrets;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A plain main (not a test: timings need a quiet JVM, without -Xcheck:jni): a network read
 * against a local Control Service and a cached {@code JobSecrets.get}, in ns/op. With
 * {@code -Dvdk.bench.c=<cached_get binary>} it also runs the C ABI's cached get and reports the
 * binding's overhead per call; exits 1 when that exceeds {@code -Dvdk.bench.maxOverheadNs}
 * (default 3000). Run by {@code bindings/java/bench/run.sh}.
 */
public final class Benchmark {
    private static final String VALUE = "sk-" + "x".repeat(61);

    public static void main(String[] args) throws Exception {
        double network = networkRead(Integer.getInteger("vdk.bench.reads", 2_000));
        System.out.printf("java network read (readSecrets, 3 secrets, local service): %.0f ns/op (%.1f us)%n",
                network, network / 1000);
        double cached = cachedGet(Integer.getInteger("vdk.bench.gets", 1_000_000));
        System.out.printf("java cached get (JobSecrets.get, memory backend): %.1f ns/op%n", cached);
        String cBench = System.getProperty("vdk.bench.c");
        if (cBench != null) {
            double c = runC(cBench);
            double overhead = cached - c;
            long max = Long.getLong("vdk.bench.maxOverheadNs", 3_000);
            System.out.printf("c cached get (vdk_job_secrets_get + vdk_string_free): %.1f ns/op%n", c);
            System.out.printf("binding overhead over the C ABI: %.1f ns/op (target: under %d ns)%n", overhead, max);
            if (overhead > max) {
                System.out.println("FAILED: the binding adds more than the target per call");
                System.exit(1);
            }
        }
    }

    private static double networkRead(int reads) throws Exception {
        try (LocalControlService service = LocalControlService.start();
                SecretsClient client = SecretsClient.create(service.config().build())) {
            client.writeSecrets("bench-job", "bench-team", Map.of("api-key", VALUE, "port", 5432L, "debug", false));
            for (int i = 0; i < reads / 4; i++) {
                client.readSecrets("bench-job", "bench-team");
            }
            long start = System.nanoTime();
            for (int i = 0; i < reads; i++) {
                if (client.readSecrets("bench-job", "bench-team").size() != 3) {
                    throw new IllegalStateException("unexpected answer");
                }
            }
            return (System.nanoTime() - start) / (double) reads;
        }
    }

    private static double cachedGet(int calls) {
        try (JobSecrets secrets = JobSecrets.create("bench-job", "bench-team",
                SecretsConfig.builder().secretsDefaultType("memory").build())) {
            secrets.set("api-key", VALUE);
            double[] batches = new double[5];
            long checksum = 0;
            for (int batch = -1; batch < batches.length; batch++) { // batch -1 warms up
                long start = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    checksum += ((String) secrets.get("api-key")).length();
                }
                if (batch >= 0) {
                    batches[batch] = (System.nanoTime() - start) / (double) calls;
                }
            }
            if (checksum == 0) {
                throw new IllegalStateException();
            }
            Arrays.sort(batches);
            return batches[batches.length / 2];
        }
    }

    private static double runC(String binary) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(binary).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException("the C benchmark failed: " + output);
        }
        Matcher m = Pattern.compile("([0-9.]+) ns/op").matcher(output);
        if (!m.find()) {
            throw new IllegalStateException("no ns/op in the C benchmark's output: " + output);
        }
        return Double.parseDouble(m.group(1));
    }
}
