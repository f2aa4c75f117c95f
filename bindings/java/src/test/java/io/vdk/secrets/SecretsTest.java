package io.vdk.secrets;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.math.BigInteger;
import java.text.MessageFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The Secrets type: masked printing at every depth, immutability, typed getters, toMap. */
class SecretsTest extends ServiceTestBase {

    /** Secrets with a canary at every depth and in every container kind, written and read back. */
    private static Map<String, Object> sample(String canary) {
        Map<String, Object> db = new LinkedHashMap<>();
        db.put("user", canary + "-user");
        db.put("password", canary + "-password");
        db.put("deeper", Map.of("token", canary + "-deeper"));
        List<Object> list = Arrays.asList(canary + "-list", Map.of("key", canary + "-in-list"),
                List.of(canary + "-inner"), null);
        Map<String, Object> secrets = new LinkedHashMap<>();
        secrets.put("api-key", canary + "-top");
        secrets.put("db", db);
        secrets.put("hosts", list);
        secrets.put("port", 987654321123L);
        secrets.put("ratio", 31415.9265358);
        secrets.put("enabled", true);
        secrets.put("pem", "-----BEGIN KEY-----\n" + canary + "-pem\n-----END KEY-----\n");
        return secrets;
    }

    private static String canary() {
        return "canary-" + Long.toHexString(System.nanoTime());
    }

    /** Every way a program could turn a value into text without asking for the value. */
    private static List<String> printed(Object value) {
        List<String> texts = new ArrayList<>();
        texts.add(value.toString());
        texts.add("secrets: " + value);
        texts.add(String.valueOf(value));
        texts.add(Objects.toString(value));
        texts.add(String.format("%s|%20s|%-5s", value, value, value));
        texts.add(new StringBuilder().append(value).toString());
        texts.add(MessageFormat.format("read {0}", value));
        texts.add(List.of(value).toString());
        texts.add(Map.of("secrets", value).toString());
        texts.add(Optional.of(value).toString());
        texts.add(Arrays.toString(new Object[] {value}));
        texts.add(Arrays.deepToString(new Object[] {new Object[] {value}}));
        // A logger's formatting: java.util.logging with its SimpleFormatter, parameters and
        // concatenation, and System.Logger (backed by java.util.logging here).
        Logger logger = Logger.getLogger("io.vdk.secrets.test." + System.nanoTime());
        logger.setUseParentHandlers(false);
        SimpleFormatter formatter = new SimpleFormatter();
        List<String> lines = new ArrayList<>();
        logger.addHandler(new Handler() {
            @Override
            public void publish(LogRecord record) {
                lines.add(formatter.format(record));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        logger.log(Level.INFO, "read {0}", value);
        logger.log(Level.INFO, "read {0} and {1}", new Object[] {value, List.of(value)});
        logger.info("read " + value);
        logger.info(() -> "supplied " + value);
        texts.addAll(lines);
        return texts;
    }

    private static void assertNoValue(String canary, Collection<String> texts) {
        List<Executable> checks = new ArrayList<>();
        for (String text : texts) {
            for (String forbidden : List.of(canary, "987654321123", "31415.9265358", "3.14159265358E4", "true")) {
                checks.add(() -> assertFalse(text.contains(forbidden), "shows a value (" + forbidden + "): " + text));
            }
        }
        assertAll(checks);
    }

    @Test
    void noValueIsEverPrintedAtAnyDepth() {
        String canary = canary();
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            String job = job("masked");
            client.writeSecrets(job, "t", sample(canary));
            Secrets secrets = client.readSecrets(job, "t");
            List<String> texts = new ArrayList<>(printed(secrets));
            // Values taken out that are containers print masked too, at every depth.
            texts.addAll(printed(secrets.getObject("db")));
            texts.addAll(printed(secrets.getSecrets("db").getSecrets("deeper")));
            texts.addAll(printed(secrets.getObject("hosts")));
            texts.addAll(printed(secrets.getList("hosts").get(1)));
            texts.addAll(printed(secrets.getList("hosts").get(2)));
            texts.addAll(printed(secrets.getList("hosts").subList(0, 2)));
            texts.addAll(printed(secrets.findSecrets("db")));
            texts.addAll(printed(secrets.findList("hosts")));
            texts.addAll(printed(secrets.names()));
            try (JobSecrets job1 = JobSecrets.create(job, "t", service.config().build())) {
                texts.addAll(printed(job1.getAll()));
                texts.addAll(printed(job1.get("db")));
                texts.addAll(printed(job1.get("hosts")));
            }
            assertNoValue(canary, texts);
            assertEquals("{api-key=***, db={deeper={token=***}, password=***, user=***}, enabled=***, "
                    + "hosts=[***, {key=***}, [***], ***], pem=***, port=***, ratio=***}", secrets.toString());
        }
    }

    @Test
    void isNeitherAMapNorSerializable() throws Exception {
        String canary = canary();
        Secrets secrets = Secrets.copyOf(sample(canary));
        Object asObject = secrets;
        assertFalse(asObject instanceof Map, "a Map's entrySet(), values() and copies print values");
        assertFalse(asObject instanceof Collection);
        assertFalse(asObject instanceof Serializable);
        assertEquals(Object.class, Secrets.class.getSuperclass(), "no superclass to inherit Serializable from");
        assertFalse(Serializable.class.isAssignableFrom(MaskedList.class));
        for (Object value : List.of(secrets, secrets.getObject("db"), secrets.getObject("hosts"), List.of(secrets))) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                assertThrows(NotSerializableException.class, () -> out.writeObject(value));
            }
            assertFalse(bytes.toString(java.nio.charset.StandardCharsets.ISO_8859_1).contains(canary));
        }
    }

    @Test
    void isImmutable() {
        Secrets secrets = Secrets.copyOf(sample(canary()));
        assertThrows(UnsupportedOperationException.class, () -> secrets.names().remove("api-key"));
        assertThrows(UnsupportedOperationException.class, () -> secrets.names().clear());
        List<Object> hosts = secrets.getList("hosts");
        assertThrows(UnsupportedOperationException.class, () -> hosts.add("x"));
        assertThrows(UnsupportedOperationException.class, () -> hosts.set(0, "x"));
        assertThrows(UnsupportedOperationException.class, () -> hosts.remove(0));
        assertThrows(UnsupportedOperationException.class, () -> hosts.subList(0, 1).clear());
        assertThrows(IndexOutOfBoundsException.class, () -> hosts.subList(0, 99));
        // toMap is a copy: changing it at any depth changes nothing.
        Map<String, Object> plain = secrets.toMap();
        plain.put("api-key", "changed");
        ((Map<String, Object>) plain.get("db")).put("user", "changed");
        ((List<Object>) plain.get("hosts")).clear();
        assertEquals(Secrets.copyOf(sample(secrets.getString("api-key").replace("-top", ""))), secrets);
        // copyOf copies: the caller's map can change afterwards.
        Map<String, Object> source = new LinkedHashMap<>(Map.of("k", "v"));
        Secrets copy = Secrets.copyOf(source);
        source.put("k", "changed");
        assertEquals("v", copy.getString("k"));
    }

    @Test
    void toMapIsUnmaskedAndPlain() {
        String canary = canary();
        Map<String, Object> values = sample(canary);
        Map<String, Object> plain = Secrets.copyOf(values).toMap();
        assertEquals(values, plain);
        assertTrue(plain.toString().contains(canary), "toMap's purpose is the values");
        assertEquals(LinkedHashMap.class, plain.get("db").getClass());
        assertEquals(ArrayList.class, plain.get("hosts").getClass());
    }

    @Test
    void equalityIsByValueAndTheHashNeverDependsOnAValue() {
        Secrets a = Secrets.copyOf(Map.of("k", "value-a", "n", 1));
        Secrets b = Secrets.copyOf(Map.of("n", 1L, "k", "value-a"));
        Secrets c = Secrets.copyOf(Map.of("k", "value-c", "n", 1));
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, c);
        assertEquals(a.hashCode(), c.hashCode(), "the hash comes from the names only");
        assertNotEquals(a, Secrets.copyOf(Map.of("k", "value-a")));
        assertNotEquals(a, Map.of("k", "value-a", "n", 1L), "a Secrets is not a Map");
        assertEquals(Secrets.empty(), Secrets.copyOf(Map.of()));
    }

    @Test
    void typedGetters() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("str", "sk-abc123");
        values.put("long", 1L << 60);
        values.put("int", 7);
        values.put("big", new BigInteger("18446744073709551615"));
        values.put("double", 2.5);
        values.put("bool", false);
        values.put("null", null);
        values.put("obj", Map.of("user", "u"));
        values.put("list", List.of("a", 1L));
        Secrets s = Secrets.copyOf(values);

        assertEquals("sk-abc123", s.getString("str"));
        assertEquals(1L << 60, s.getLong("long"));
        assertEquals(7L, s.getLong("int"));
        assertEquals(2.5, s.getDouble("double"));
        assertEquals(7.0, s.getDouble("int"), "integers are numbers too");
        assertEquals(1.8446744073709552E19, s.getDouble("big"));
        assertFalse(s.getBoolean("bool"));
        assertEquals("u", s.getSecrets("obj").getString("user"));
        assertEquals(List.of("a", 1L), s.getList("list"));
        assertEquals(new BigInteger("18446744073709551615"), s.getObject("big"));
        assertNull(s.getObject("null"));
        assertEquals(9, s.size());
        assertFalse(s.isEmpty());
        assertTrue(s.contains("null"));
        assertFalse(s.contains("missing"));
        assertEquals(List.of("str", "long", "int", "big", "double", "bool", "null", "obj", "list"),
                new ArrayList<>(s.names()));

        assertEquals(Optional.of("sk-abc123"), s.findString("str"));
        assertEquals(1L << 60, s.findLong("long").getAsLong());
        assertEquals(2.5, s.findDouble("double").getAsDouble());
        assertEquals(Optional.of(false), s.findBoolean("bool"));
        assertEquals("u", s.findSecrets("obj").orElseThrow().getString("user"));
        assertEquals(2, s.findList("list").orElseThrow().size());
        assertEquals(Optional.of("sk-abc123"), s.findObject("str"));
        for (String absent : List.of("missing", "null")) {
            assertTrue(s.findString(absent).isEmpty(), absent);
            assertTrue(s.findLong(absent).isEmpty(), absent);
            assertTrue(s.findDouble(absent).isEmpty(), absent);
            assertTrue(s.findBoolean(absent).isEmpty(), absent);
            assertTrue(s.findSecrets(absent).isEmpty(), absent);
            assertTrue(s.findList(absent).isEmpty(), absent);
            assertTrue(s.findObject(absent).isEmpty(), absent);
        }

        // Not set.
        for (Executable call : List.<Executable>of(() -> s.getString("missing"), () -> s.getLong("missing"),
                () -> s.getDouble("missing"), () -> s.getBoolean("missing"), () -> s.getSecrets("missing"),
                () -> s.getList("missing"), () -> s.getObject("missing"))) {
            NoSuchElementException e = assertThrows(NoSuchElementException.class, call);
            assertEquals("secret \"missing\" is not set", e.getMessage());
        }
        // Wrong types: the secret and the types are named, the value never.
        Map<String, Executable> wrong = new LinkedHashMap<>();
        wrong.put("secret \"long\" is an integer, not a String", () -> s.getString("long"));
        wrong.put("secret \"str\" is a String, not an integer (Long)", () -> s.getLong("str"));
        wrong.put("secret \"double\" is a Double, not an integer (Long)", () -> s.getLong("double"));
        wrong.put("secret \"str\" is a String, not a number", () -> s.getDouble("str"));
        wrong.put("secret \"str\" is a String, not a Boolean", () -> s.getBoolean("str"));
        wrong.put("secret \"null\" is null, not a String", () -> s.getString("null"));
        wrong.put("secret \"null\" is null, not an integer (Long)", () -> s.getLong("null"));
        wrong.put("secret \"list\" is an array, not an object", () -> s.getSecrets("list"));
        wrong.put("secret \"obj\" is an object, not an array", () -> s.getList("obj"));
        wrong.put("secret \"str\" is a String, not an object", () -> s.findSecrets("str"));
        wrong.put("secret \"bool\" is a Boolean, not an integer (Long)", () -> s.findLong("bool"));
        for (Map.Entry<String, Executable> entry : wrong.entrySet()) {
            ClassCastException e = assertThrows(ClassCastException.class, entry.getValue(), entry.getKey());
            assertEquals(entry.getKey(), e.getMessage());
        }
        ArithmeticException big = assertThrows(ArithmeticException.class, () -> s.getLong("big"));
        assertFalse(big.getMessage().contains("18446744073709551615"), big.getMessage());
        assertThrows(InvalidArgumentException.class, () -> s.getString(null));
        assertThrows(InvalidArgumentException.class, () -> s.contains(null));
        assertThrows(InvalidArgumentException.class, () -> s.findString(null));
    }

    @Test
    void copyOfAcceptsWhatWritesAccept() {
        Map<String, Object> widened = new LinkedHashMap<>();
        widened.put("short", (short) 1);
        widened.put("byte", (byte) 2);
        widened.put("float", 1.5f);
        widened.put("small-big", BigInteger.TEN);
        widened.put("set", java.util.Set.of("x"));
        Secrets s = Secrets.copyOf(widened);
        assertEquals(1L, s.getObject("short"));
        assertEquals(2L, s.getObject("byte"));
        assertEquals(1.5, s.getObject("float"));
        assertEquals(10L, s.getObject("small-big"));
        assertEquals(List.of("x"), s.getObject("set"));
        for (Object bad : List.of(new Object(), Double.NaN, new BigInteger("18446744073709551616"), new StringBuilder("hunter2"))) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("bad", bad);
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> Secrets.copyOf(m));
            assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        }
        Map<String, Object> cyclic = new LinkedHashMap<>();
        cyclic.put("self", cyclic);
        assertThrows(InvalidArgumentException.class, () -> Secrets.copyOf(cyclic));
        assertThrows(InvalidArgumentException.class, () -> Secrets.copyOf(null));
    }

    /** Masking is for printing only: a Secrets handed back to a write stores its values. */
    @Test
    void writingSecretsBackStoresValuesNotMasks() {
        String canary = canary();
        try (SecretsClient client = SecretsClient.create(service.config().build())) {
            String job = job("source");
            client.writeSecrets(job, "t", sample(canary));
            Secrets secrets = client.readSecrets(job, "t");
            String copy = job("copy");
            client.writeSecrets(copy, "t", secrets.toMap());
            assertEquals(secrets, client.readSecrets(copy, "t"));
            try (JobSecrets js = JobSecrets.create(copy, "t", service.config().build())) {
                js.set("db-copy", secrets.getSecrets("db"));
                js.set("hosts-copy", secrets.getList("hosts"));
                js.set("all", Map.of("whole", secrets));
                js.refresh();
                Secrets read = js.getAll();
                assertEquals(secrets.getObject("db"), read.getObject("db-copy"));
                assertEquals(secrets.getObject("hosts"), read.getObject("hosts-copy"));
                assertEquals(secrets, read.getSecrets("all").getSecrets("whole"));
                assertEquals(canary + "-password", read.getSecrets("db-copy").getString("password"));
                assertFalse(read.toMap().toString().contains(Secrets.MASK), "a write stored a mask");
            }
        }
    }
}
