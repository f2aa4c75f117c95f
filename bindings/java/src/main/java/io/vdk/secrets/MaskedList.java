package io.vdk.secrets;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * A JSON array inside {@link Secrets}: an unmodifiable list whose {@link #toString()} masks
 * every element as {@code Secrets} does ({@code [***, {password=***}]}). Not serialisable,
 * for the same reason as {@code Secrets}. {@code equals} and {@code hashCode} follow the
 * {@link java.util.List} contract (elements in order), as any list's must.
 */
final class MaskedList extends AbstractList<Object> implements RandomAccess {
    /** Frozen elements; never exposed. */
    private final Object[] items;

    MaskedList(Object[] frozen) {
        this.items = frozen;
    }

    @Override
    public Object get(int index) {
        return items[index];
    }

    @Override
    public int size() {
        return items.length;
    }

    /** A masked list too (AbstractList's view would print its elements). */
    @Override
    public List<Object> subList(int fromIndex, int toIndex) {
        Objects.checkFromToIndex(fromIndex, toIndex, items.length);
        return new MaskedList(Arrays.copyOfRange(items, fromIndex, toIndex));
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        appendMasked(out);
        return out.toString();
    }

    void appendMasked(StringBuilder out) {
        out.append('[');
        for (int i = 0; i < items.length; i++) {
            if (i > 0) {
                out.append(", ");
            }
            Secrets.appendMasked(out, items[i]);
        }
        out.append(']');
    }
}
