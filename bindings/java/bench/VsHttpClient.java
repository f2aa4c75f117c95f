import com.fasterxml.jackson.databind.ObjectMapper;
import io.vdk.secrets.Secrets;
import io.vdk.secrets.SecretsClient;
import io.vdk.secrets.SecretsConfig;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Issue 12, item 6 (Java): the binding against what a Java user would write instead, a plain
 * {@link HttpClient} doing the same exchange: the access token fetched once from the token
 * endpoint (refresh-token grant, as the library does), then per read a GET of the same path
 * with the headers the library sends (User-Agent, Accept, X-OPID, Authorization), a status
 * check and a JSON decode into a {@code Map} (Jackson databind; the JDK has no JSON parser).
 * Both are configured with the same API token and token endpoint.
 *
 *   java -cp <this>:<jackson jars>:bindings/java/target/classes VsHttpClient \
 *       URL API_TOKEN CLIENT WARMUP_SECONDS SECONDS MODE:IN_FLIGHT...
 *
 * CLIENT: binding | plain. MODE: blocking (IN_FLIGHT platform threads, each making blocking
 * calls one after the other) | async (one thread keeps IN_FLIGHT calls in flight: the binding's
 * readSecretsAsync, HttpClient's sendAsync; each completion lets the next call start). The
 * warm-up (JIT, connections, token) runs every listed cell in turn for WARMUP_SECONDS in all,
 * then each cell is measured for SECONDS in the order given.
 * {@code URL API_TOKEN binding seed} writes the 3-secret map the reads expect.
 *
 * Prints one {@code RESULT client=.. mode=.. n=.. reads=.. rps=.. cpu=..} per cell (cpu: µs
 * of process CPU per read over the measured seconds, from the OperatingSystemMXBean: JIT, GC
 * and every thread of the client included).
 */
public final class VsHttpClient {
    static final String JOB = "bench-job", TEAM = "bench-team";
    static final Map<String, Object> MAP = Map.of("api-key", "sk-abc123xyz789", "db-password", "secretpass", "port", 5432);

    /** One read, the way each client does it; returns the number of secrets read. */
    interface Reader {
        int read() throws Exception;

        CompletableFuture<Integer> readAsync();
    }

    public static void main(String[] args) throws Exception {
        String url = args[0], apiToken = args[1], client = args[2];
        SecretsConfig config = SecretsConfig.builder()
                .controlServiceRestApiUrl(url)
                .apiToken(apiToken)
                .apiTokenAuthorizationUrl(url + "/oauth/token")
                .build();
        if (args[3].equals("seed")) {
            try (SecretsClient binding = SecretsClient.create(config)) {
                binding.writeSecrets(JOB, TEAM, MAP);
            }
            return;
        }
        double warmup = Double.parseDouble(args[3]), seconds = Double.parseDouble(args[4]);
        String[] cells = Arrays.copyOfRange(args, 5, args.length);
        SecretsClient binding = client.equals("binding") ? SecretsClient.create(config) : null;
        Reader reader = binding != null ? new BindingReader(binding) : new PlainReader(url, apiToken);
        for (String cell : cells) {
            String[] modeAndCount = cell.split(":");
            run(reader, modeAndCount[0], Integer.parseInt(modeAndCount[1]), warmup / cells.length);
        }
        for (String cell : cells) {
            String mode = cell.split(":")[0];
            int inFlight = Integer.parseInt(cell.split(":")[1]);
            long c0 = cpuNanos(), w0 = System.nanoTime();
            long reads = run(reader, mode, inFlight, seconds);
            long wall = System.nanoTime() - w0, cpu = cpuNanos() - c0;
            System.out.printf("RESULT client=%s mode=%s n=%d reads=%d rps=%.0f cpu=%.1f%n", client, mode, inFlight, reads,
                    reads / (wall / 1e9), cpu / 1e3 / reads);
        }
        if (binding != null) {
            binding.close();
        }
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** Reads for `seconds`; returns how many completed. Any failure ends the benchmark. */
    private static long run(Reader reader, String mode, int inFlight, double seconds) throws Exception {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        AtomicLong done = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        if (mode.equals("blocking")) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < inFlight; t++) {
                Thread thread = new Thread(() -> {
                    try {
                        while (System.nanoTime() < deadline && failure.get() == null) {
                            check(reader.read());
                            done.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
                threads.add(thread);
                thread.start();
            }
            for (Thread thread : threads) {
                thread.join();
            }
        } else if (mode.equals("async")) {
            Semaphore slots = new Semaphore(inFlight);
            while (System.nanoTime() < deadline && failure.get() == null) {
                slots.acquire();
                reader.readAsync().whenComplete((n, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    } else {
                        check(n);
                        done.incrementAndGet();
                    }
                    slots.release();
                });
            }
            slots.acquire(inFlight); // the last ones in flight
        } else {
            throw new IllegalArgumentException("mode: blocking | async | seed");
        }
        if (failure.get() != null) {
            throw new IllegalStateException("a read failed", failure.get());
        }
        return done.get();
    }

    private static void check(int secrets) {
        if (secrets != MAP.size()) {
            throw new IllegalStateException("unexpected answer: " + secrets + " secrets");
        }
    }

    private static final class BindingReader implements Reader {
        private final SecretsClient client;

        BindingReader(SecretsClient client) {
            this.client = client;
        }

        @Override
        public int read() {
            return client.readSecrets(JOB, TEAM).size();
        }

        @Override
        public CompletableFuture<Integer> readAsync() {
            return client.readSecretsAsync(JOB, TEAM).thenApply(Secrets::size);
        }
    }

    /**
     * The plain client: one shared HttpClient (HTTP/1.1, as the library speaks to the service),
     * the token once, then GET + status check + Jackson decode per read.
     */
    private static final class PlainReader implements Reader {
        private static final ObjectMapper JSON = new ObjectMapper();
        private final HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(30))
                .build();
        private final HttpRequest request;

        PlainReader(String url, String apiToken) throws Exception {
            String opId = String.format("%016x", new SecureRandom().nextLong());
            HttpRequest tokenRequest = HttpRequest.newBuilder(URI.create(url + "/oauth/token"))
                    .header("User-Agent", "vdk-secrets/0.1.0")
                    .header("Accept", "application/json")
                    .header("X-OPID", opId)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("grant_type=refresh_token&refresh_token="
                            + URLEncoder.encode(apiToken, StandardCharsets.UTF_8)))
                    .build();
            HttpResponse<byte[]> answer = http.send(tokenRequest, HttpResponse.BodyHandlers.ofByteArray());
            if (answer.statusCode() != 200) {
                throw new IllegalStateException("token endpoint answered " + answer.statusCode());
            }
            Object accessToken = JSON.readValue(answer.body(), Map.class).get("access_token");
            if (!(accessToken instanceof String)) {
                throw new IllegalStateException("no access_token in the token endpoint's answer");
            }
            request = HttpRequest.newBuilder(URI.create(url + "/data-jobs/for-team/" + TEAM + "/jobs/" + JOB
                            + "/deployments/TODO/secrets"))
                    .header("User-Agent", "vdk-secrets/0.1.0")
                    .header("Accept", "application/json")
                    .header("X-OPID", opId)
                    .header("Authorization", "Bearer " + accessToken)
                    .GET()
                    .build();
        }

        private static int decode(HttpResponse<byte[]> answer) {
            if (answer.statusCode() != 200) {
                throw new IllegalStateException("the service answered " + answer.statusCode());
            }
            try {
                return JSON.readValue(answer.body(), Map.class).size();
            } catch (java.io.IOException e) {
                throw new IllegalStateException("the answer is not a JSON object", e);
            }
        }

        @Override
        public int read() throws Exception {
            return decode(http.send(request, HttpResponse.BodyHandlers.ofByteArray()));
        }

        @Override
        public CompletableFuture<Integer> readAsync() {
            return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).thenApply(PlainReader::decode);
        }
    }
}
