package io.vdk.secrets;

import static org.junit.jupiter.api.Assertions.*;

import java.math.BigInteger;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** readSecretsJson: the map as canonical JSON text, against a real local Control Service. */
class ReadJsonTest extends ServiceTestBase {

    @Test
    void theTextIsCanonicalAndHoldsWhatWasWritten() {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("z", 1L);
        nested.put("a", List.of("x", 2.5, true));
        Map<String, Object> secrets = new LinkedHashMap<>();
        secrets.put("zeta", "line\nbreak \"quoted\" é🔑");
        secrets.put("alpha", nested);
        secrets.put("big", new BigInteger("18446744073709551615"));
        secrets.put("none", null);
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            String job = job("readjson");
            assertEquals("{}", client.readSecretsJson(job, "team-a"));
            client.writeSecrets(job, "team-a", secrets);
            String json = client.readSecretsJson(job, "team-a", Duration.ofSeconds(30));
            assertEquals(
                    "{\"alpha\":{\"a\":[\"x\",2.5,true],\"z\":1},\"big\":18446744073709551615,"
                            + "\"none\":null,\"zeta\":\"line\\nbreak \\\"quoted\\\" é🔑\"}",
                    json);
        }
    }

    @Test
    void errorsAreTheReadsErrors() {
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            assertThrows(InvalidArgumentException.class, () -> client.readSecretsJson("", "team-a"));
            assertThrows(InvalidArgumentException.class, () -> client.readSecretsJson(null, "team-a"));
        }
        SecretsClient closed = SecretsClient.create(service.config().build());
        closed.close();
        assertThrows(ClosedException.class, () -> closed.readSecretsJson("job", "team-a"));
    }
}
