package io.vdk.secrets;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Decodes the library's canonical JSON (README, "Canonical JSON": compact, keys sorted, UTF-8
 * already validated by the library) straight into the frozen forms {@link Secrets} holds:
 * objects become {@code Secrets}, arrays {@link MaskedList}s, numbers {@code Long} /
 * {@code BigInteger} / {@code Double} as the native conversion did before. The JNI glue hands a
 * read's whole map over as one {@code byte[]} of this text instead of building it entry by entry
 * through JNI, which cost more than Jackson's decode of the same bytes (issue 15).
 *
 * <p>The text is trusted (the library wrote it), so this is a plain recursive descent without
 * a grammar check beyond what decoding needs; whitespace is tolerated anyway. Malformed input
 * (a bug) is an {@link InternalErrorException} that gives a byte offset, never content.
 */
final class CanonicalJson {
    /** Eight bytes of the text at a time, for the scan to a string's end (below). */
    private static final VarHandle WORDS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L, HIGHS = 0x8080808080808080L;
    private static final long QUOTES = 0x2222222222222222L, BACKSLASHES = 0x5C5C5C5C5C5C5C5CL;

    private final byte[] in;
    private int pos;
    /** Reused for strings with escapes; wiped (all of it) when the decode ends. */
    private byte[] scratch = new byte[256];
    /**
     * The names and values of the objects being decoded, shared by all levels (each object
     * works above the entries of the ones enclosing it), so that a large object's entries are
     * not copied again and again into ever larger arrays of their own before its map is built.
     */
    private Object[] entries = new Object[64];
    private int entriesTop;

    private CanonicalJson(byte[] in) {
        this.in = in;
    }

    /**
     * The secrets in {@code json} (a JSON object); the array, which the binding owns, is wiped
     * (filled with zeros) whatever happens.
     */
    static Secrets decodeSecrets(byte[] json) {
        CanonicalJson decoder = new CanonicalJson(json);
        try {
            decoder.skipSpace();
            Secrets secrets = decoder.object();
            decoder.skipSpace();
            if (decoder.pos != json.length) {
                throw decoder.malformed();
            }
            return secrets;
        } catch (ArrayIndexOutOfBoundsException | NumberFormatException truncatedOrBadNumber) {
            throw decoder.malformed();
        } finally {
            Arrays.fill(json, (byte) 0);
            Arrays.fill(decoder.scratch, (byte) 0);
        }
    }

    private InternalErrorException malformed() {
        return new InternalErrorException(0, false, "Failed to decode the secrets the native library returned",
                "its JSON text is malformed at byte " + pos + " (a bug in vdk-secrets)", "", "");
    }

    /** Consumes what follows a member or an element: true at {@code closer}, false after a comma. */
    private boolean closes(byte closer) {
        skipSpace();
        byte b = in[pos++];
        if (b == closer) {
            return true;
        }
        if (b != ',') {
            pos--;
            throw malformed();
        }
        return false;
    }

    private void skipSpace() {
        while (pos < in.length) {
            byte b = in[pos];
            if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
                return;
            }
            pos++;
        }
    }

    private void expect(char c) {
        skipSpace();
        if (in[pos] != c) {
            throw malformed();
        }
        pos++;
    }

    private Secrets object() {
        expect('{');
        skipSpace();
        if (in[pos] == '}') {
            pos++;
            return Secrets.empty();
        }
        // Names and values first, so the map is sized once (no rehashing of a large map).
        int base = entriesTop;
        while (true) {
            skipSpace();
            if (in[pos] != '"') {
                throw malformed();
            }
            pos++;
            String name = string();
            expect(':');
            Object value = value();
            if (entriesTop + 2 > entries.length) {
                entries = Arrays.copyOf(entries, entries.length * 2);
            }
            entries[entriesTop++] = name;
            entries[entriesTop++] = value;
            if (closes((byte) '}')) {
                break;
            }
        }
        int n = (entriesTop - base) / 2;
        Map<String, Object> map = new LinkedHashMap<>(n * 4 / 3 + 1);
        for (int i = base; i < entriesTop; i += 2) {
            map.put((String) entries[i], entries[i + 1]);
        }
        entriesTop = base; // no need to clear the slots: the decoder is dropped after one decode
        return Secrets.ofFrozen(Collections.unmodifiableMap(map));
    }

    private Object value() {
        skipSpace();
        byte b = in[pos];
        switch (b) {
            case '"':
                pos++;
                return string();
            case '{':
                return object();
            case '[':
                return array();
            case 't':
                literal("true");
                return Boolean.TRUE;
            case 'f':
                literal("false");
                return Boolean.FALSE;
            case 'n':
                literal("null");
                return null;
            default:
                return number();
        }
    }

    private void literal(String word) {
        for (int i = 0; i < word.length(); i++) {
            if (in[pos + i] != word.charAt(i)) {
                throw malformed();
            }
        }
        pos += word.length();
    }

    private MaskedList array() {
        pos++; // '['
        skipSpace();
        if (in[pos] == ']') {
            pos++;
            return new MaskedList(new Object[0]);
        }
        Object[] items = new Object[8];
        int n = 0;
        while (true) {
            Object item = value();
            if (n == items.length) {
                items = Arrays.copyOf(items, n * 2);
            }
            items[n++] = item;
            if (closes((byte) ']')) {
                break;
            }
        }
        return new MaskedList(n == items.length ? items : Arrays.copyOf(items, n));
    }

    /** A string whose opening quote was consumed; leaves {@code pos} after the closing one. */
    private String string() {
        int start = pos;
        int i = quoteOrBackslash(in, start);
        if (in[i] == '"') {
            pos = i + 1;
            return new String(in, start, i - start, StandardCharsets.UTF_8);
        }
        pos = i;
        return escapedString(start);
    }

    /**
     * The index of the first '"' or '\\' at or after {@code from}, or {@code in.length} when
     * there is none (the caller's next read then fails as truncated). Strings are most of a
     * map's bytes, and a byte-at-a-time loop was most of the decode's time (JFR), so this looks
     * at eight bytes per step: a byte of {@code w ^ QUOTES} is zero where {@code w} has a quote,
     * and {@code (x - ONES) & ~x & HIGHS} sets the high bit of the lowest zero byte of {@code x}
     * (and perhaps of bytes above it, which the trailing-zero count skips).
     */
    private static int quoteOrBackslash(byte[] in, int from) {
        int i = from;
        for (int last = in.length - 8; i <= last; i += 8) {
            long w = (long) WORDS.get(in, i);
            long q = w ^ QUOTES, b = w ^ BACKSLASHES;
            long found = ((q - ONES) & ~q | (b - ONES) & ~b) & HIGHS;
            if (found != 0) {
                return i + (Long.numberOfTrailingZeros(found) >>> 3);
            }
        }
        while (i < in.length && in[i] != '"' && in[i] != '\\') {
            i++;
        }
        return i;
    }

    /**
     * A string with escapes (in secrets: mostly the "\n" of PEM text, quotes, controls): its
     * bytes unescaped into the scratch buffer and decoded once (the buffer is wiped when the
     * whole decode ends). {@code pos} is at the first backslash.
     */
    private String escapedString(int start) {
        int length = pos - start;
        ensureScratch(length + 16);
        System.arraycopy(in, start, scratch, 0, length);
        while (true) {
            // pos is at a backslash: its escape first (4 bytes of UTF-8 at most)...
            ensureScratch(length + 4);
            byte e = in[pos + 1];
            pos += 2;
            switch (e) {
                case '"': scratch[length++] = '"'; break;
                case '\\': scratch[length++] = '\\'; break;
                case '/': scratch[length++] = '/'; break;
                case 'b': scratch[length++] = '\b'; break;
                case 'f': scratch[length++] = '\f'; break;
                case 'n': scratch[length++] = '\n'; break;
                case 'r': scratch[length++] = '\r'; break;
                case 't': scratch[length++] = '\t'; break;
                case 'u':
                    length = unicodeEscape(length);
                    break;
                default:
                    pos -= 2;
                    throw malformed();
            }
            // ...then the plain run up to the next backslash or the closing quote, in one copy.
            int end = quoteOrBackslash(in, pos);
            byte b = in[end];
            ensureScratch(length + end - pos);
            System.arraycopy(in, pos, scratch, length, end - pos);
            length += end - pos;
            pos = end;
            if (b == '"') {
                pos++;
                return new String(scratch, 0, length, StandardCharsets.UTF_8);
            }
        }
    }

    /** A unicode escape (pos after its "u"; a surrogate pair takes two) as UTF-8 into scratch. */
    private int unicodeEscape(int length) {
        int c = hex4(pos);
        pos += 4;
        if (c >= 0xD800 && c <= 0xDBFF && in[pos] == '\\' && in[pos + 1] == 'u') {
            int low = hex4(pos + 2);
            if (low >= 0xDC00 && low <= 0xDFFF) {
                pos += 6;
                c = Character.toCodePoint((char) c, (char) low);
            }
        }
        if (c >= 0xD800 && c <= 0xDFFF) {
            throw malformed(); // an unpaired surrogate: the library never writes one
        }
        if (c < 0x80) {
            scratch[length++] = (byte) c;
        } else if (c < 0x800) {
            scratch[length++] = (byte) (0xC0 | c >> 6);
            scratch[length++] = (byte) (0x80 | c & 0x3F);
        } else if (c < 0x10000) {
            scratch[length++] = (byte) (0xE0 | c >> 12);
            scratch[length++] = (byte) (0x80 | c >> 6 & 0x3F);
            scratch[length++] = (byte) (0x80 | c & 0x3F);
        } else {
            scratch[length++] = (byte) (0xF0 | c >> 18);
            scratch[length++] = (byte) (0x80 | c >> 12 & 0x3F);
            scratch[length++] = (byte) (0x80 | c >> 6 & 0x3F);
            scratch[length++] = (byte) (0x80 | c & 0x3F);
        }
        return length;
    }

    /** Grows the scratch buffer, wiping the one it replaces. */
    private void ensureScratch(int size) {
        if (size > scratch.length) {
            byte[] bigger = Arrays.copyOf(scratch, Math.max(size, scratch.length * 2));
            Arrays.fill(scratch, (byte) 0);
            scratch = bigger;
        }
    }

    private int hex4(int at) {
        int v = 0;
        for (int i = at; i < at + 4; i++) {
            int d = Character.digit(in[i], 16);
            if (d < 0) {
                pos = i;
                throw malformed();
            }
            v = v * 16 + d;
        }
        return v;
    }

    /** As the native conversion did: Long in its range, BigInteger to 2^64-1, else Double. */
    private Object number() {
        int start = pos;
        boolean integral = true;
        int i = pos;
        while (i < in.length) {
            byte b = in[i];
            if (b >= '0' && b <= '9' || b == '-' || b == '+') {
                i++;
            } else if (b == '.' || b == 'e' || b == 'E') {
                integral = false;
                i++;
            } else {
                break;
            }
        }
        if (i == start) {
            throw malformed();
        }
        pos = i;
        int length = i - start;
        if (integral && length <= 18) { // fits a long whatever the digits
            long v = 0;
            boolean negative = in[start] == '-';
            for (int k = negative ? start + 1 : start; k < i; k++) {
                int d = in[k] - '0';
                if (d < 0 || d > 9) {
                    pos = k;
                    throw malformed();
                }
                v = v * 10 + d;
            }
            if (negative && length == 1) {
                throw malformed();
            }
            return negative ? -v : v;
        }
        String text = new String(in, start, length, StandardCharsets.ISO_8859_1);
        if (integral) {
            BigInteger big = new BigInteger(text);
            if (big.bitLength() <= 63) {
                return big.longValue();
            }
            if (big.signum() > 0 && big.bitLength() == 64) {
                return big;
            }
        }
        return Double.parseDouble(text);
    }
}
