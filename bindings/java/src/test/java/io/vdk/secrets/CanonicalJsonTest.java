package io.vdk.secrets;

import static org.junit.jupiter.api.Assertions.*;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The decoder of the canonical JSON the JNI glue hands over for reads (no service needed; the
 * round trips through the service are RoundTripTest's): every value type as the native
 * conversion returned it, escapes, and the wiping of the bytes.
 */
class CanonicalJsonTest {
    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static Secrets decode(String json) {
        return CanonicalJson.decodeSecrets(utf8(json));
    }

    @Test
    void numbersBecomeLongBigIntegerOrDoubleAsBefore() {
        Secrets s = decode("{\"a\":0,\"b\":-0,\"c\":9223372036854775807,\"d\":-9223372036854775808,"
                + "\"e\":9223372036854775808,\"f\":18446744073709551615,\"g\":18446744073709551616,"
                + "\"h\":-9223372036854775809,\"i\":1.5,\"j\":1e+5,\"k\":-2.5E-3,\"l\":123456789012345678,"
                + "\"m\":-42}");
        assertEquals(0L, s.getObject("a"));
        assertEquals(0L, s.getObject("b"));
        assertEquals(Long.MAX_VALUE, s.getObject("c"));
        assertEquals(Long.MIN_VALUE, s.getObject("d"));
        assertEquals(new BigInteger("9223372036854775808"), s.getObject("e"));
        assertEquals(new BigInteger("18446744073709551615"), s.getObject("f"));
        assertEquals(18446744073709551616.0, s.getObject("g"));
        assertEquals(-9223372036854775809.0, s.getObject("h"));
        assertEquals(1.5, s.getObject("i"));
        assertEquals(1e5, s.getObject("j"));
        assertEquals(-2.5e-3, s.getObject("k"));
        assertEquals(123456789012345678L, s.getObject("l"));
        assertEquals(-42L, s.getObject("m"));
    }

    @Test
    void stringsWithEveryEscapeAndRawUnicode() {
        Secrets s = decode("{\"esc\":\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u0000\\u001f end\","
                + "\"pair\":\"key \\ud83d\\udd11!\",\"raw\":\"héllo — 日本語 🔑\",\"u\":\"\\u00e9\\u20ac\","
                + "\"ke\\ny\":\"v\",\"\":\"\"}");
        assertEquals("q\" b\\ s/ \b\f\n\r\t \u0000\u001f end", s.getString("esc"));
        assertEquals("key \ud83d\udd11!", s.getString("pair"));
        assertEquals("héllo — 日本語 🔑", s.getString("raw"));
        assertEquals("é€", s.getString("u"));
        assertEquals("v", s.getString("ke\ny"));
        assertEquals("", s.getString(""));
    }

    @Test
    void longEscapedStringsGrowTheScratchBuffer() {
        String line = "MIIB".repeat(100);
        String value = String.join("\n", line, line, line, line, line, line);
        Secrets s = decode("{\"pem\":\"" + value.replace("\n", "\\n") + "\",\"next\":\"x\\ty\"}");
        assertEquals(value, s.getString("pem"));
        assertEquals("x\ty", s.getString("next"));
    }


    /**
     * The scan to a string's end reads eight bytes at a time: a quote or escape at every offset
     * within and across those words, after multi-byte UTF-8, and strings ending the text's last
     * (partial) word, must all be found where they are.
     */
    @Test
    void quotesAndEscapesAtEveryOffsetOfTheWordScan() {
        for (int before = 0; before < 20; before++) {
            for (int after = 0; after < 20; after++) {
                for (String escape : List.of("\\\"", "\\\\", "\\n", "\\u00e9")) {
                    String plainBefore = "é".repeat(before % 3) + "a".repeat(before);
                    String raw = plainBefore + escape + "b".repeat(after);
                    String expected = plainBefore + escape.replace("\\\"", "\"").replace("\\\\", "\\")
                            .replace("\\n", "\n").replace("\\u00e9", "é") + "b".repeat(after);
                    Secrets s = decode("{\"k" + "x".repeat(after) + "\":\"" + raw + "\",\"z\":\"" + "c".repeat(before) + "\"}");
                    assertEquals(expected, s.getString("k" + "x".repeat(after)), "before " + before + ", after " + after);
                    assertEquals("c".repeat(before), s.getString("z"));
                }
            }
        }
    }

    /**
     * One non-ASCII character anywhere in a string (in an earlier word of the 8-byte scan, in
     * the word with the closing quote or escape, in the byte-wise tail, from a \\u escape, in a
     * name) is decoded as UTF-8: U+00FF's UTF-8 read as Latin-1 would be two characters, "Ã¿"
     * (a shortcut that makes ASCII strings as Latin-1 was tried and must keep passing this).
     */
    @Test
    void oneNonAsciiCharacterAnywhereIsDecodedAsUtf8() {
        for (int length = 1; length < 24; length++) {
            for (int at = 0; at < length; at++) {
                for (String odd : List.of("ÿ", "é", "日", "🔑")) {
                    String plain = "a".repeat(at) + odd + "b".repeat(length - at - 1);
                    String withEscape = "a".repeat(at) + odd + "\\n" + "b".repeat(length - at - 1);
                    String escapedFirst = "\\t" + "a".repeat(at) + odd + "b".repeat(length - at - 1);
                    String uEscape = "a".repeat(at) + "\\u00ff" + "b".repeat(length - at - 1);
                    for (String tail : List.of("", "\"zz\":1")) { // the string in the last word, or not
                        Secrets s = decode("{\"p\":\"" + plain + "\",\"q\":\"" + withEscape + "\",\"r\":\"" + escapedFirst
                                + "\",\"s\":\"" + uEscape + "\"" + (tail.isEmpty() ? "" : "," + tail) + "}");
                        String where = "length " + length + ", at " + at + ", " + odd;
                        assertEquals(plain, s.getString("p"), where);
                        assertEquals(plain.replace(odd, odd + "\n"), s.getString("q"), where);
                        assertEquals("\t" + plain, s.getString("r"), where);
                        assertEquals("a".repeat(at) + "ÿ" + "b".repeat(length - at - 1), s.getString("s"), where);
                    }
                    Secrets named = decode("{\"" + plain + "\":1}"); // names too
                    assertEquals(List.of(plain), List.copyOf(named.names()));
                }
            }
        }
    }

    /**
     * Objects whose names come sorted (the library's canonical text) and others, with names out
     * of order or repeated, behave alike: lookups, order as in the text (the last of repeated
     * names wins, in the first one's place), equality with copyOf, immutability.
     */
    @Test
    void sortedAndUnsortedObjectsBehaveTheSame() {
        Secrets sorted = decode("{\"a\":1,\"b\":\"x\",\"c\":null,\"d\":{\"e\":[1]},\"é\":2}");
        Map<String, Object> inner = Map.of("e", List.of(1L));
        Map<String, Object> plain = new java.util.LinkedHashMap<>();
        plain.put("a", 1L);
        plain.put("b", "x");
        plain.put("c", null);
        plain.put("d", inner);
        plain.put("é", 2L);
        Secrets expected = Secrets.copyOf(plain);
        assertEquals(expected, sorted);
        assertEquals(sorted, expected);
        assertEquals(expected.hashCode(), sorted.hashCode());
        assertEquals(plain.toString(), sorted.toMap().toString());
        assertEquals(List.of("a", "b", "c", "d", "é"), List.copyOf(sorted.names()));
        assertEquals(5, sorted.size());
        assertTrue(sorted.contains("c"));
        assertNull(sorted.getObject("c"));
        assertFalse(sorted.contains("bb"));
        assertFalse(sorted.contains(""));
        assertFalse(sorted.contains("zzz"));
        assertEquals(java.util.Optional.empty(), sorted.findObject("0"));
        assertEquals("x", sorted.getString("b"));
        assertEquals(1L, sorted.getSecrets("d").getList("e").get(0));
        assertTrue(sorted.names().contains("é"));
        assertFalse(sorted.names().contains("f"));
        assertThrows(UnsupportedOperationException.class, () -> sorted.names().clear());
        assertThrows(UnsupportedOperationException.class, () -> sorted.names().remove("a"));
        assertThrows(UnsupportedOperationException.class, () -> sorted.names().iterator().remove());
        assertThrows(java.util.NoSuchElementException.class, () -> {
            java.util.Iterator<String> it = decode("{\"a\":1}").names().iterator();
            it.next();
            it.next();
        });

        Secrets unsorted = decode("{\"b\":1,\"a\":2,\"b\":3}");
        assertEquals(List.of("b", "a"), List.copyOf(unsorted.names()));
        assertEquals(3L, unsorted.getLong("b"));
        assertEquals(Secrets.copyOf(Map.of("a", 2L, "b", 3L)), unsorted);
        assertEquals(decode("{\"a\":2,\"b\":3}"), unsorted);
        assertEquals(decode("{\"a\":2,\"b\":3}").hashCode(), unsorted.hashCode());
        assertThrows(UnsupportedOperationException.class, () -> unsorted.names().clear());
        assertEquals(1, decode("{\"a\":1,\"a\":2}").size());
        assertEquals(2L, decode("{\"a\":1,\"a\":2}").getLong("a"));
    }

    @Test
    void aStringThatNeverEndsIsMalformedAtAnyLength() {
        for (int length = 0; length < 20; length++) {
            String json = "{\"k\":\"" + "a".repeat(length);
            assertThrows(InternalErrorException.class, () -> decode(json), "length " + length);
            String escaped = json + "\\n" + "b".repeat(length);
            assertThrows(InternalErrorException.class, () -> decode(escaped), "escaped, length " + length);
        }
    }
    @Test
    void nestingArraysLiteralsAndOrder() {
        Secrets s = decode("{\"arr\":[1,\"two\",[],{},[null,true,false]],\"db\":{\"password\":\"p\",\"port\":5432},"
                + "\"empty\":{},\"f\":false,\"n\":null,\"t\":true}");
        assertEquals(List.of("arr", "db", "empty", "f", "n", "t"), List.copyOf(s.names()));
        List<Object> arr = s.getList("arr");
        assertEquals(5, arr.size());
        assertEquals(1L, arr.get(0));
        assertEquals("two", arr.get(1));
        assertEquals(List.of(), arr.get(2));
        assertEquals(Secrets.empty(), arr.get(3));
        assertEquals(Arrays.asList(null, true, false), arr.get(4));
        assertEquals("[***, ***, [], {}, [***, ***, ***]]", arr.toString());
        assertEquals("p", s.getSecrets("db").getString("password"));
        assertEquals(5432L, s.getSecrets("db").getLong("port"));
        assertTrue(s.getSecrets("empty").isEmpty());
        assertFalse(s.getBoolean("f"));
        assertTrue(s.getBoolean("t"));
        assertNull(s.getObject("n"));
        assertTrue(s.contains("n"));
        assertEquals("{arr=[***, ***, [], {}, [***, ***, ***]], db={password=***, port=***}, empty={}, f=***, n=***, t=***}",
                s.toString());
        assertThrows(UnsupportedOperationException.class, () -> s.names().clear());
        assertThrows(UnsupportedOperationException.class, () -> arr.add("x"));
    }

    @Test
    void sameAsCopyOfTheSameValues() {
        Secrets s = decode("{\"a\":\"x\",\"b\":[1,2.5,{\"c\":null}],\"d\":{\"e\":18446744073709551615}}");
        Map<String, Object> nested = new java.util.LinkedHashMap<>();
        nested.put("c", null);
        Secrets expected = Secrets.copyOf(Map.of("a", "x", "b", Arrays.asList(1L, 2.5, nested),
                "d", Map.of("e", new BigInteger("18446744073709551615"))));
        assertEquals(expected, s);
        assertEquals(expected.toMap(), s.toMap());
    }

    @Test
    void theBytesAreWipedAfterDecoding() {
        byte[] json = utf8("{\"api-key\":\"sk-abc123\",\"pem\":\"a\\nb\"}");
        Secrets s = CanonicalJson.decodeSecrets(json);
        assertEquals("sk-abc123", s.getString("api-key"));
        assertArrayEquals(new byte[json.length], json);
    }

    @Test
    void malformedTextIsAnInternalErrorThatQuotesNothingAndStillWipes() {
        for (String bad : List.of("", "[]", "{\"a\":\"sk-abc123\"", "{\"a\":\"sk-abc123\"}x", "{\"a\" \"sk-abc123\"}",
                "{\"a\":sk-abc123}", "{\"a\":\"sk-abc123\\q\"}", "{\"a\":\"\\ud800\"}", "{\"a\":-}", "{\"a\":[1 2]}")) {
            byte[] json = utf8(bad);
            InternalErrorException e = assertThrows(InternalErrorException.class, () -> CanonicalJson.decodeSecrets(json),
                    bad);
            assertFalse(e.getMessage().contains("sk-abc123"), e.getMessage());
            assertTrue(e.getMessage().contains("malformed at byte"), e.getMessage());
            assertArrayEquals(new byte[json.length], json, bad);
        }
    }
}
