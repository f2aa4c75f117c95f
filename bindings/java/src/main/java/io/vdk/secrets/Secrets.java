package io.vdk.secrets;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A job's secrets: secret name to value, as read from the library. A plain
 * {@link LinkedHashMap} (mutable, owned by the caller) whose {@link #toString()} masks every
 * value, so that logging the map does not leak secrets.
 *
 * <p>Values are {@code String}, {@code Long}, {@code BigInteger} (integers above
 * {@code Long.MAX_VALUE}), {@code Double}, {@code Boolean}, {@code null}, nested
 * {@code LinkedHashMap<String, Object>} and {@code ArrayList<Object>}. Nested maps are plain
 * maps: their {@code toString()} is not masked.
 *
 * <p>Java strings cannot be wiped: the values live on the Java heap until garbage collected.
 */
public class Secrets extends LinkedHashMap<String, Object> {
    private static final long serialVersionUID = 1L;

    public Secrets() {
        super();
    }

    public Secrets(int initialCapacity) {
        super(initialCapacity);
    }

    public Secrets(Map<String, ?> secrets) {
        super(secrets);
    }

    /** The names with every value masked: {@code {api-key=***, db-password=***}}. */
    @Override
    public String toString() {
        StringBuilder out = new StringBuilder("{");
        boolean first = true;
        for (String name : keySet()) {
            if (!first) {
                out.append(", ");
            }
            first = false;
            out.append(name).append("=***");
        }
        return out.append('}').toString();
    }
}
