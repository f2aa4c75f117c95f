package io.vdk.secrets;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The project's local Control Service ({@code vdk-control-service}) as a real child process on
 * 127.0.0.1, with authentication and fault injection on. Binary: system property
 * {@code vdk.control.service.bin}, else env {@code VDK_CONTROL_SERVICE_BIN}, else
 * {@code <cargo target dir>/release/vdk-control-service} (the pom passes the target dir;
 * otherwise {@code ../../target} from bindings/java).
 */
final class LocalControlService implements AutoCloseable {
    final String baseUrl;
    final String apiToken;
    private final Process process;
    private final Path dir;

    private LocalControlService(Process process, String baseUrl, String apiToken, Path dir) {
        this.process = process;
        this.baseUrl = baseUrl;
        this.apiToken = apiToken;
        this.dir = dir;
    }

    static Path binary() {
        String bin = System.getProperty("vdk.control.service.bin");
        if (bin == null || bin.isBlank()) {
            bin = System.getenv("VDK_CONTROL_SERVICE_BIN");
        }
        if (bin == null || bin.isBlank()) {
            String targetDir = System.getProperty("vdk.cargo.target.dir", "../../target");
            bin = Paths.get(targetDir, "release", "vdk-control-service").toString();
        }
        return Paths.get(bin).toAbsolutePath().normalize();
    }

    static LocalControlService start() throws IOException, InterruptedException {
        Path bin = binary();
        if (!Files.isExecutable(bin)) {
            throw new IllegalStateException("vdk-control-service not found at " + bin
                    + " (build it with cargo build --release -p vdk-control-service, or set VDK_CONTROL_SERVICE_BIN)");
        }
        Path dir = Files.createTempDirectory("vdk-java-test-");
        String token = "java-test-token-" + Long.toHexString(System.nanoTime());
        Path tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, token + "\n");
        List<String> command = new ArrayList<>(List.of(bin.toString(), "--listen", "127.0.0.1:0",
                "--api-token-file", tokenFile.toString(), "--enable-faults"));
        Process process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        // Stop it even if this JVM dies without running @AfterAll (destroy() of an ended process is a no-op).
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroy));
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                return null;
            }
        });
        String first;
        try {
            first = line.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new IllegalStateException("vdk-control-service did not start in time", e);
        }
        if (first == null || !first.startsWith("listening on ")) {
            process.destroyForcibly();
            throw new IllegalStateException("unexpected first line from vdk-control-service: " + first);
        }
        return new LocalControlService(process, first.substring("listening on ".length()).trim(), token, dir);
    }

    /** Authenticated, fast retries (tests of 5xx must not wait for the default backoff). */
    SecretsConfig.Builder config() {
        return SecretsConfig.builder()
                .controlServiceRestApiUrl(baseUrl)
                .apiToken(apiToken)
                .apiTokenAuthorizationUrl(baseUrl + "/oauth/token")
                .controlHttpBackoffFactorSeconds(0.02)
                .controlHttpTotalRetries(2)
                .controlHttpDeadlineSeconds(20);
    }

    @Override
    public void close() throws Exception {
        process.destroy(); // SIGTERM
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
