import io.vdk.secrets.JobSecrets;
import io.vdk.secrets.NotFoundException;
import io.vdk.secrets.Secrets;
import io.vdk.secrets.SecretsClient;
import io.vdk.secrets.VdkSecretsException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;

/**
 * Sets and reads a data job's secrets against a running Control Service.
 *
 * <p>Configuration comes from VDK_* environment variables, as in a data job:
 * VDK_CONTROL_SERVICE_REST_API_URL (required), and VDK_API_TOKEN with
 * VDK_API_TOKEN_AUTHORIZATION_URL when the service wants authentication.
 *
 * <pre>
 *   java -cp bindings/java/target/vdk-secrets-0.1.0.jar examples/java/SecretsExample.java [job] [team]
 * </pre>
 */
public class SecretsExample {
    public static void main(String[] args) {
        String job = args.length > 0 ? args[0] : "example-job";
        String team = args.length > 1 ? args[1] : "example-team";
        if (System.getenv("VDK_CONTROL_SERVICE_REST_API_URL") == null) {
            System.err.println("Set VDK_CONTROL_SERVICE_REST_API_URL to the Control Service's REST API URL.");
            System.exit(2);
        }
        System.out.println("native library: " + SecretsClient.nativeVersion());

        // The whole map at once, through the client.
        try (SecretsClient client = SecretsClient.fromEnvironment()) {
            client.writeSecrets(job, team, Map.of(
                    "api-key", "sk-abc123",
                    "db", Map.of("host", "db.example.com", "port", 5432, "replicas", List.of("r1", "r2")),
                    "debug", false));
            Secrets secrets = client.readSecrets(job, team, Duration.ofSeconds(10));
            // Printing or logging Secrets shows names only, also inside nested objects and arrays:
            // {api-key=***, db={host=***, port=***, replicas=[***, ***]}, debug=***}
            System.out.println("read " + secrets.size() + " secrets: " + secrets);
            Secrets db = secrets.getSecrets("db");                       // a nested object
            System.out.println("db.port = " + db.getLong("port") + ", db = " + db);
            System.out.println("api-key is " + secrets.getString("api-key").length() + " characters long");
            System.out.println("timeout set: " + secrets.findLong("timeout").isPresent());
        } catch (NotFoundException e) {
            System.err.println("no such job or team: " + e.getMessage());
            System.exit(1);
        } catch (VdkSecretsException e) {
            // The op id is the X-OPID the call sent: the Control Service's logs have it too.
            System.err.println(e + "\nwhat to do: " + e.countermeasures() + "\nop id: " + e.getOpId()
                    + ", requests sent: " + e.getAttempts());
            System.exit(1);
        }

        // Without blocking: a CompletableFuture, completed on the binding's executor (cancel(true)
        // would drop the request; a blocking call is ended the same way by Thread.interrupt()).
        try (SecretsClient client = SecretsClient.fromEnvironment()) {
            int count = client.readSecretsAsync(job, team).thenApply(Secrets::size).join();
            System.out.println("read " + count + " secrets asynchronously");
        } catch (CompletionException e) {
            System.err.println("asynchronous read failed: " + e.getCause());
            System.exit(1);
        }

        // One secret at a time, as data-job code does (cached reads).
        try (JobSecrets secrets = JobSecrets.fromEnvironment(job, team)) {
            secrets.set("rotated-at", System.currentTimeMillis());
            secrets.delete("debug");
            System.out.println("backend: " + secrets.backend());
            System.out.println("api-key is " + ((String) secrets.get("api-key")).length() + " characters long");
            System.out.println("timeout, default 30: " + secrets.get("timeout", 30L));
            System.out.println("names now: " + secrets.getAll().names());
        } catch (VdkSecretsException e) {
            System.err.println(e + "\nwhat to do: " + e.countermeasures());
            System.exit(1);
        }
    }
}
