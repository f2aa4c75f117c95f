package io.vdk.secrets;

import static org.junit.jupiter.api.Assertions.*;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class RoundTripTest extends ServiceTestBase {

    @Test
    void everyValueTypeSurvivesTheRoundTrip() {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("host", "db.example.com");
        nested.put("port", 5432L);
        nested.put("tags", Arrays.asList("a", 1L, null, Map.of("deep", List.of(true))));
        Map<String, Object> secrets = new HashMap<>();
        secrets.put("string", "sk-abc123");
        secrets.put("empty", "");
        secrets.put("long", 42L);
        secrets.put("negative", -7L);
        secrets.put("two-to-the-60", 1L << 60);
        secrets.put("long-min", Long.MIN_VALUE);
        secrets.put("long-max", Long.MAX_VALUE);
        secrets.put("u64-max", new BigInteger("18446744073709551615"));
        secrets.put("double", 3.25);
        secrets.put("double-whole", 1.0);
        secrets.put("true", true);
        secrets.put("false", false);
        secrets.put("null", null);
        secrets.put("nested", nested);
        secrets.put("list", List.of("x", 2L, 2.5));
        secrets.put("unicode", "héllo wörld — 日本語 🔑 \u0000 nul and \"quotes\" \\ \n");
        secrets.put("ключ-🔑", "non-ASCII name");

        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            String job = job("roundtrip");
            client.writeSecrets(job, "team-a", secrets);
            Secrets read = client.readSecrets(job, "team-a");
            assertEquals(secrets, read.toMap());
            assertEquals(Long.class, read.getObject("two-to-the-60").getClass());
            assertEquals(1L << 60, read.getLong("two-to-the-60"));
            assertEquals(BigInteger.class, read.getObject("u64-max").getClass());
            assertEquals(Double.class, read.getObject("double-whole").getClass());
            assertTrue(read.contains("null"));
            assertNull(read.getObject("null"));
            assertEquals(Secrets.class, read.getObject("nested").getClass());
            assertTrue(read.getObject("list") instanceof List);
            // toMap: plain, mutable Java collections at every depth.
            Map<String, Object> plain = read.toMap();
            assertEquals(LinkedHashMap.class, plain.getClass());
            assertEquals(LinkedHashMap.class, plain.get("nested").getClass());
            assertEquals(ArrayList.class, plain.get("list").getClass());
            assertEquals(LinkedHashMap.class, ((List<?>) ((Map<?, ?>) plain.get("nested")).get("tags")).get(3).getClass());
        }
    }

    /**
     * Large maps through the service: every name finds its value, and names come in the
     * library's order, by UTF-8 bytes, which is not Java's String order for a name with a
     * character beyond U+FFFF (a surrogate pair in Java) next to one in U+E000-U+FFFF.
     */
    @Test
    void largeMapsFindEveryNameWhateverTheirOrder() {
        Map<String, Object> ascii = new TreeMap<>();
        for (int i = 0; i < 1000; i++) {
            ascii.put(String.format("secret-%05d", i), i % 2 == 0 ? "line one\nline two " + i : (Object) (long) i);
        }
        ascii.put("é-accent", "x");
        Map<String, Object> mixed = new TreeMap<>(ascii);
        mixed.put("\uFFFD-replacement", "before the key in UTF-8 order");
        mixed.put("\uD83D\uDD11-key", "after the replacement in UTF-8 order");
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            for (Map<String, Object> secrets : List.of(ascii, mixed)) {
                String job = job("large-" + secrets.size());
                client.writeSecrets(job, "team-a", secrets);
                Secrets read = client.readSecrets(job, "team-a");
                assertEquals(Secrets.copyOf(secrets), read);
                for (Map.Entry<String, Object> entry : secrets.entrySet()) {
                    assertEquals(entry.getValue(), read.getObject(entry.getKey()), entry.getKey());
                }
                assertFalse(read.contains("secret-01000"));
                List<String> byUtf8 = new ArrayList<>(secrets.keySet());
                byUtf8.sort((a, b) -> Arrays.compareUnsigned(a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        b.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                assertEquals(byUtf8, List.copyOf(read.names()));
            }
        }
    }

    @Test
    void narrowerJavaTypesAreWidened() {
        Map<String, Object> secrets = new TreeMap<>();
        secrets.put("int", 7);
        secrets.put("short", (short) 8);
        secrets.put("byte", (byte) 9);
        secrets.put("float", 1.5f);
        secrets.put("small-big-integer", BigInteger.valueOf(-12));
        secrets.put("set", Set.of("only"));
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            String job = job("widen");
            client.writeSecrets(job, "team-a", secrets);
            Secrets read = client.readSecrets(job, "team-a");
            assertEquals(7L, read.getObject("int"));
            assertEquals(8L, read.getObject("short"));
            assertEquals(9L, read.getObject("byte"));
            assertEquals(1.5, read.getObject("float"));
            assertEquals(-12L, read.getObject("small-big-integer"));
            assertEquals(List.of("only"), read.getObject("set"));
        }
    }

    @Test
    void emptyJobReadsAsEmptyMap() {
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            Secrets read = client.readSecrets(job("empty"), "team-a");
            assertTrue(read.isEmpty());
        }
    }

    @Test
    void unsupportedValuesAreRefusedBeforeSending() {
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            String job = job("refused");
            client.writeSecrets(job, "team-a", Map.of("keep", "me"));
            Object[] bad = {new Object(), Double.NaN, Double.POSITIVE_INFINITY,
                new BigInteger("18446744073709551616"), new BigInteger("-9223372036854775809"), new int[] {1}};
            for (Object value : bad) {
                Map<String, Object> secrets = new HashMap<>();
                secrets.put("bad", value);
                InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                        () -> client.writeSecrets(job, "team-a", secrets), String.valueOf(value));
                assertEquals(Status.INVALID_ARGUMENT, e.status());
                assertEquals(0, e.httpStatus());
            }
            Map<Object, Object> nonStringKey = new HashMap<>();
            nonStringKey.put(1, "x");
            @SuppressWarnings("unchecked")
            Map<String, ?> cast = (Map<String, ?>) (Map<?, ?>) nonStringKey;
            assertThrows(InvalidArgumentException.class, () -> client.writeSecrets(job, "team-a", cast));
            Map<String, Object> nullKey = new HashMap<>();
            nullKey.put(null, "x");
            assertThrows(InvalidArgumentException.class, () -> client.writeSecrets(job, "team-a", nullKey));
            Map<String, Object> cyclic = new HashMap<>();
            cyclic.put("self", cyclic);
            InvalidArgumentException deep = assertThrows(InvalidArgumentException.class,
                    () -> client.writeSecrets(job, "team-a", cyclic));
            assertTrue(deep.getMessage().contains("nested"), deep.getMessage());
            assertEquals(Map.of("keep", "me"), client.readSecrets(job, "team-a").toMap(), "nothing was written");
        }
    }

    @Test
    void unsupportedClassIsNamedButTheValueIsNot() {
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> client.writeSecrets(job("named"), "team-a", Map.of("k", new StringBuilder("hunter2"))));
            assertTrue(e.getMessage().contains("java.lang.StringBuilder"), e.getMessage());
            assertFalse(e.getMessage().contains("hunter2"));
        }
    }

    @Test
    void toStringMasksSecretsAndToken() {
        Secrets secrets = Secrets.copyOf(Map.of("api-key", "sk-abc123"));
        assertEquals("{api-key=***}", secrets.toString());
        SecretsConfig config = service.config().build();
        assertFalse(config.toString().contains(service.apiToken), config.toString());
        assertTrue(config.toString().contains("api_token=***"));
        assertNull(config.get("api_token"));
        assertTrue(config.hasApiToken());
        try (SecretsClient client = SecretsClient.create(config)) {
            String job = job("mask");
            client.writeSecrets(job, "team-a", Map.of("api-key", "sk-abc123"));
            assertFalse(client.readSecrets(job, "team-a").toString().contains("sk-abc123"));
        }
    }
}
