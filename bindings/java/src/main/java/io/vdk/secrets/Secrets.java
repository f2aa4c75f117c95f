package io.vdk.secrets;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A job's secrets as reads return them ({@link SecretsClient#readSecrets}, {@link JobSecrets#getAll}):
 * secret names and their values. Immutable and thread-safe.
 *
 * <p><b>It never shows a value when printed.</b> {@link #toString()} (and so string
 * concatenation, {@code String.valueOf}, {@code Objects.toString}, {@code String.format} and
 * loggers) gives the names with every value masked, down into nested objects and arrays:
 * {@code {api-key=***, db={password=***, user=***}, hosts=[***, ***]}}. Names, the keys of
 * nested objects and the length of arrays are shown (they are not secret, and they make logs
 * useful); every string, number, boolean and null is {@code ***}. A nested object is itself a
 * {@code Secrets} and a nested array a {@code List} with the same masking, so a value taken out
 * with {@link #getObject} does not print either when it is a container.
 *
 * <p>It is not a {@link Map} (a map's {@code entrySet()}, {@code values()}, copy constructors
 * and {@code Map.copyOf} would all print values) and not {@link java.io.Serializable} (a
 * serialised copy would carry the values to wherever the bytes go). {@link #toMap()} gives a
 * plain, unmasked copy when code needs one.
 *
 * <p>Values are read with typed getters. {@code getString}, {@code getLong}, {@code getDouble},
 * {@code getBoolean}, {@code getSecrets}, {@code getList} and {@code getObject} throw
 * {@link NoSuchElementException} when the name is not set; the typed ones throw
 * {@link ClassCastException} when the value has another type (JSON null included). The
 * {@code find...} variants return an empty {@code Optional} when the name is not set or is
 * null, and throw {@code ClassCastException} for another type. Exception texts name the secret
 * and the types, never the value. A null name is an {@link InvalidArgumentException}.
 *
 * <p>Value types: {@code String}, {@code Long}, {@code BigInteger} (integers above
 * {@code Long.MAX_VALUE}), {@code Double}, {@code Boolean}, {@code null}, {@code Secrets}
 * (objects) and unmodifiable {@code List<Object>} (arrays).
 *
 * <p>{@link #equals} compares names and values (two reads of unchanged secrets are equal);
 * {@link #hashCode} is computed from the names only, so that no function of a value is ever
 * exposed through a hash code that ends up in a log or a heap dump's index.
 *
 * <p>Java strings cannot be wiped: the values live on the Java heap until garbage collected.
 */
public final class Secrets {
    static final String MASK = "***";

    /** Deepest nesting accepted by {@link #copyOf}, as the native glue accepts for writes. */
    private static final int MAX_DEPTH = 128;

    private static final Secrets EMPTY = new Secrets(Collections.emptyMap());

    /** Unmodifiable; values are already frozen (see {@link #freeze}). */
    private final Map<String, Object> values;

    private Secrets(Map<String, Object> frozen) {
        this.values = frozen;
    }

    /** No secrets. */
    public static Secrets empty() {
        return EMPTY;
    }

    /**
     * An immutable copy of {@code secrets}, for code that builds secrets in Java (tests, defaults).
     * Accepts what writes accept: {@code String}, {@code Long}, {@code Integer}, {@code Short},
     * {@code Byte}, {@code BigInteger} (-2^63 to 2^64-1), finite {@code Double} and
     * {@code Float}, {@code Boolean}, {@code null}, {@code Map<String, ?>}, {@code Collection}
     * and {@code Secrets}; integers become {@code Long} (or {@code BigInteger} above
     * {@code Long.MAX_VALUE}), floats {@code Double}, maps {@code Secrets}, collections lists.
     *
     * @throws InvalidArgumentException for anything else (naming the class, never the value)
     */
    public static Secrets copyOf(Map<String, ?> secrets) {
        Checks.notNull(secrets, "secrets");
        return freezeMap(secrets, 1);
    }

    /** Wraps a map whose values are frozen already ({@link CanonicalJson} builds them so). */
    static Secrets ofFrozen(Map<String, Object> frozen) {
        return frozen.isEmpty() ? EMPTY : new Secrets(frozen);
    }

    /** A single value the JNI glue returned ({@link JobSecrets#get}), frozen like the values of a map. */
    static Object fromNativeValue(Object value) {
        return freeze(value, 1);
    }

    // ---- the map ---------------------------------------------------------------------------

    /** The number of secrets. */
    public int size() {
        return values.size();
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    /** The names of the secrets, unmodifiable, in the order the library returned them (sorted). */
    public Set<String> names() {
        return values.keySet();
    }

    /** Whether secret {@code name} is set (to any value, null included). */
    public boolean contains(String name) {
        return values.containsKey(Checks.notNull(name, "name"));
    }

    // ---- typed getters ---------------------------------------------------------------------

    /** The value of secret {@code name}, a JSON string. */
    public String getString(String name) {
        return typed(name, String.class, "a String");
    }

    /** The value of secret {@code name}, a JSON integer in the {@code long} range. */
    public long getLong(String name) {
        return asLong(name, get(name));
    }

    /** The value of secret {@code name}, any JSON number; integers are converted as {@code doubleValue()} does. */
    public double getDouble(String name) {
        return asDouble(name, get(name));
    }

    /** The value of secret {@code name}, a JSON boolean. */
    public boolean getBoolean(String name) {
        return typed(name, Boolean.class, "a Boolean");
    }

    /** The value of secret {@code name}, a JSON object, as a {@code Secrets}. */
    public Secrets getSecrets(String name) {
        return typed(name, Secrets.class, "an object");
    }

    /** The value of secret {@code name}, a JSON array, as an unmodifiable list that prints masked. */
    public List<Object> getList(String name) {
        return typed(name, MaskedList.class, "an array");
    }

    /**
     * The value of secret {@code name}, whatever its type (see the class documentation); null
     * for a secret set to JSON null.
     *
     * @throws NoSuchElementException when it is not set
     */
    public Object getObject(String name) {
        return get(name);
    }

    public Optional<String> findString(String name) {
        return find(name, String.class, "a String");
    }

    public OptionalLong findLong(String name) {
        Object value = values.get(Checks.notNull(name, "name"));
        return value == null ? OptionalLong.empty() : OptionalLong.of(asLong(name, value));
    }

    public OptionalDouble findDouble(String name) {
        Object value = values.get(Checks.notNull(name, "name"));
        return value == null ? OptionalDouble.empty() : OptionalDouble.of(asDouble(name, value));
    }

    public Optional<Boolean> findBoolean(String name) {
        return find(name, Boolean.class, "a Boolean");
    }

    public Optional<Secrets> findSecrets(String name) {
        return find(name, Secrets.class, "an object");
    }

    public Optional<List<Object>> findList(String name) {
        return find(name, MaskedList.class, "an array").map(list -> list);
    }

    /** The value of secret {@code name} of any type; empty when it is not set or is null. */
    public Optional<Object> findObject(String name) {
        return Optional.ofNullable(values.get(Checks.notNull(name, "name")));
    }

    /**
     * <b>Unmasked</b>: a plain, mutable copy of all secrets ({@code LinkedHashMap}, nested
     * objects as {@code LinkedHashMap}, arrays as {@code ArrayList}) whose {@code toString()},
     * like any map's, prints every value. For code that needs a {@code Map}; never log it.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> out = new LinkedHashMap<>(values.size() * 4 / 3 + 1);
        for (Map.Entry<String, Object> entry : values.entrySet()) {
            out.put(entry.getKey(), plain(entry.getValue()));
        }
        return out;
    }

    // ---- Object ----------------------------------------------------------------------------

    /** The names with every value masked: {@code {api-key=***, db={password=***}, hosts=[***, ***]}}. */
    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        appendMasked(out);
        return out.toString();
    }

    /** Equal when both hold the same names with equal values. */
    @Override
    public boolean equals(Object other) {
        return other instanceof Secrets && values.equals(((Secrets) other).values);
    }

    /** From the names only: consistent with {@link #equals}, and never a function of a value. */
    @Override
    public int hashCode() {
        return values.keySet().hashCode();
    }

    void appendMasked(StringBuilder out) {
        out.append('{');
        boolean first = true;
        for (Map.Entry<String, Object> entry : values.entrySet()) {
            if (!first) {
                out.append(", ");
            }
            first = false;
            out.append(entry.getKey()).append('=');
            appendMasked(out, entry.getValue());
        }
        out.append('}');
    }

    static void appendMasked(StringBuilder out, Object value) {
        if (value instanceof Secrets) {
            ((Secrets) value).appendMasked(out);
        } else if (value instanceof MaskedList) {
            ((MaskedList) value).appendMasked(out);
        } else {
            out.append(MASK);
        }
    }

    // ---- internals -------------------------------------------------------------------------

    private Object get(String name) {
        Object value = values.get(Checks.notNull(name, "name"));
        if (value == null && !values.containsKey(name)) {
            throw new NoSuchElementException("secret \"" + name + "\" is not set");
        }
        return value;
    }

    private <T> T typed(String name, Class<T> type, String typeName) {
        Object value = get(name);
        if (!type.isInstance(value)) {
            throw wrongType(name, value, typeName);
        }
        return type.cast(value);
    }

    private <T> Optional<T> find(String name, Class<T> type, String typeName) {
        Object value = values.get(Checks.notNull(name, "name"));
        if (value == null) {
            return Optional.empty();
        }
        if (!type.isInstance(value)) {
            throw wrongType(name, value, typeName);
        }
        return Optional.of(type.cast(value));
    }

    private static long asLong(String name, Object value) {
        if (value instanceof Long) {
            return (Long) value;
        }
        if (value instanceof BigInteger) {
            throw new ArithmeticException("secret \"" + name + "\" is an integer above Long.MAX_VALUE; use getObject");
        }
        throw wrongType(name, value, "an integer (Long)");
    }

    private static double asDouble(String name, Object value) {
        if (value instanceof Number) {
            return ((Number) value).doubleValue();
        }
        throw wrongType(name, value, "a number");
    }

    private static ClassCastException wrongType(String name, Object value, String wanted) {
        return new ClassCastException("secret \"" + name + "\" is " + kind(value) + ", not " + wanted);
    }

    /** The JSON kind of a value, for exception texts (never the value). */
    private static String kind(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String) {
            return "a String";
        }
        if (value instanceof Boolean) {
            return "a Boolean";
        }
        if (value instanceof Long || value instanceof BigInteger) {
            return "an integer";
        }
        if (value instanceof Double) {
            return "a Double";
        }
        if (value instanceof Secrets) {
            return "an object";
        }
        if (value instanceof MaskedList) {
            return "an array";
        }
        return "a " + value.getClass().getName();
    }

    /** A plain, mutable, unmasked copy of a frozen value. */
    private static Object plain(Object value) {
        if (value instanceof Secrets) {
            return ((Secrets) value).toMap();
        }
        if (value instanceof MaskedList) {
            List<Object> items = (MaskedList) value;
            List<Object> out = new ArrayList<>(items.size());
            for (Object item : items) {
                out.add(plain(item));
            }
            return out;
        }
        return value;
    }

    private static Secrets freezeMap(Map<?, ?> map, int depth) {
        if (depth > MAX_DEPTH) {
            throw tooDeep();
        }
        if (map.isEmpty()) {
            return EMPTY;
        }
        Map<String, Object> out = new LinkedHashMap<>(map.size() * 4 / 3 + 1);
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            if (!(entry.getKey() instanceof String)) {
                throw VdkSecretsException.invalidArgument("every secret name (map key) must be a non-null String, got "
                        + (entry.getKey() == null ? "null" : entry.getKey().getClass().getName()));
            }
            out.put((String) entry.getKey(), freeze(entry.getValue(), depth + 1));
        }
        return new Secrets(Collections.unmodifiableMap(out));
    }

    /** A value in the immutable, masked form: maps become Secrets, collections MaskedLists. */
    private static Object freeze(Object value, int depth) {
        if (value == null || value instanceof String || value instanceof Boolean || value instanceof Long
                || value instanceof Secrets || value instanceof MaskedList) {
            return value;
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw VdkSecretsException.invalidArgument("NaN and infinite numbers cannot be stored as JSON");
            }
            return d;
        }
        if (value instanceof BigInteger) {
            BigInteger big = (BigInteger) value;
            if (big.bitLength() <= 63) {
                return big.longValueExact();
            }
            if (big.signum() > 0 && big.bitLength() == 64) {
                return big;
            }
            throw VdkSecretsException.invalidArgument(
                    "integers must lie between -2^63 and 2^64-1 to be stored as JSON numbers; store larger ones as strings");
        }
        if (value instanceof Map) {
            return freezeMap((Map<?, ?>) value, depth);
        }
        if (value instanceof Collection) {
            if (depth > MAX_DEPTH) {
                throw tooDeep();
            }
            List<Object> out = new ArrayList<>(((Collection<?>) value).size());
            for (Object item : (Collection<?>) value) {
                out.add(freeze(item, depth + 1));
            }
            return new MaskedList(out.toArray());
        }
        throw VdkSecretsException.invalidArgument("a value of class " + value.getClass().getName()
                + " cannot be stored; use String, Long, Integer, Short, Byte, BigInteger, Double, Float, Boolean, "
                + "null, Map<String, ?>, a Collection of these, or Secrets");
    }

    private static InvalidArgumentException tooDeep() {
        return VdkSecretsException.invalidArgument(
                "maps and lists are nested more than " + MAX_DEPTH + " levels deep (or contain themselves)");
    }
}
