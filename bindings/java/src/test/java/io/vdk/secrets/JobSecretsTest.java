package io.vdk.secrets;

import static org.junit.jupiter.api.Assertions.*;

import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JobSecretsTest extends ServiceTestBase {

    private static void exerciseEveryMethod(JobSecrets secrets) {
        assertNull(secrets.get("missing"));
        assertEquals("fallback", secrets.get("missing", "fallback"));
        secrets.set("api-key", "sk-abc123");
        secrets.set("port", 5432);
        secrets.set("ratio", 0.5, Duration.ofSeconds(5));
        secrets.set("big", new BigInteger("18446744073709551615"));
        secrets.set("nothing", null);
        secrets.set("nested", Map.of("list", List.of(1L, "two")));
        assertEquals("sk-abc123", secrets.get("api-key"));
        assertEquals(5432L, secrets.get("port"));
        assertEquals(0.5, secrets.get("ratio", null, Duration.ofSeconds(5)));
        assertEquals(new BigInteger("18446744073709551615"), secrets.get("big"));
        assertNull(secrets.get("nothing", "fallback"), "a secret set to null is null, not the default");
        // Objects come back as Secrets, which print masked like the whole map.
        Object nested = secrets.get("nested");
        assertEquals(Secrets.copyOf(Map.of("list", List.of(1L, "two"))), nested);
        assertEquals("{list=[***, ***]}", nested.toString());
        Secrets all = secrets.getAll();
        assertEquals(6, all.size());
        assertFalse(all.toString().contains("sk-abc123"));
        assertThrows(UnsupportedOperationException.class, () -> all.names().remove("api-key"));
        all.toMap().put("changed", "locally"); // a copy: neither the Secrets nor the handle changes
        assertFalse(all.contains("changed"));
        assertNull(secrets.get("changed"));
        secrets.delete("port");
        secrets.delete("port"); // absent: no error
        assertEquals("none", secrets.get("port", "none"));
        secrets.setAll(Map.of("only", "one"));
        assertEquals(Secrets.copyOf(Map.of("only", "one")), secrets.getAll(Duration.ofSeconds(5)));
        secrets.refresh();
        secrets.refresh(Duration.ofSeconds(5));
        assertEquals("one", secrets.get("only"));
        assertThrows(InvalidArgumentException.class, () -> secrets.set("has space", "x"));
        assertThrows(InvalidArgumentException.class, () -> secrets.set("", "x"));
        assertThrows(InvalidArgumentException.class, () -> secrets.set(null, "x"));
        assertThrows(InvalidArgumentException.class, () -> secrets.get(null));
        assertThrows(InvalidArgumentException.class, () -> secrets.setAll(null));
        assertThrows(InvalidArgumentException.class, () -> secrets.set("k", new Object()));
        assertEquals("one", secrets.get("only"), "nothing changed by refused calls");
    }

    @Test
    void memoryBackend() {
        SecretsConfig config = SecretsConfig.builder().secretsDefaultType("memory").build();
        String job = job("memory");
        try (JobSecrets secrets = JobSecrets.create(job, "team-m", config)) {
            assertEquals("memory", secrets.backend());
            assertEquals(job, secrets.jobName());
            exerciseEveryMethod(secrets);
        }
        // The memory store is shared by the process: a new handle sees the same data.
        try (JobSecrets again = JobSecrets.create(job, "team-m", config)) {
            assertEquals(Map.of("only", "one"), again.getAll().toMap());
        }
    }

    @Test
    void controlServiceBackend() {
        SecretsConfig config = service.config().secretsDefaultType("control-service").build();
        String job = job("jobsecrets");
        try (JobSecrets secrets = JobSecrets.create(job, "team-j", config);
                JobSecrets other = JobSecrets.create(job, "team-j", config);
                SecretsClient client = SecretsClient.create(config)) {
            assertEquals("control-service", secrets.backend());
            exerciseEveryMethod(secrets);
            assertEquals(Map.of("only", "one"), client.readSecrets(job, "team-j").toMap(), "written to the service");
            assertEquals("one", other.get("only"));
            client.writeSecrets(job, "team-j", Map.of("only", "two"));
            assertEquals("one", other.get("only"), "cached");
            other.refresh();
            assertEquals("two", other.get("only"), "refreshed");
        }
    }

    @Test
    void defaultBackendIsTheControlService() {
        try (JobSecrets secrets = JobSecrets.create(job("default"), "t", service.config().build())) {
            assertEquals("default", secrets.backend());
            secrets.set("k", "v");
            assertEquals("v", secrets.get("k"));
        }
    }

    @Test
    void errorsOfTheJobLayer() {
        try (JobSecrets none = JobSecrets.create("j", "t", SecretsConfig.builder().build())) {
            assertEquals("unavailable", none.backend());
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> none.get("k"));
            assertEquals(Status.CONFIGURATION, e.status());
        }
        try (JobSecrets unknown = JobSecrets.create("j", "t", SecretsConfig.builder().secretsDefaultType("vault").build())) {
            assertThrows(ConfigurationException.class, unknown::getAll);
        }
        try (JobSecrets faulty = JobSecrets.create(job("fault-status-404"), "t", service.config().build())) {
            assertThrows(NotFoundException.class, () -> faulty.get("k"));
        }
        assertThrows(InvalidArgumentException.class, () -> JobSecrets.create("", "t", SecretsConfig.builder().build()));
        assertThrows(InvalidArgumentException.class, () -> JobSecrets.create("j", null, SecretsConfig.builder().build()));
    }
}
