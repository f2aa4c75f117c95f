package io.vdk.secrets;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The frozen map of a decoded object whose names came in strictly ascending order (the
 * library's canonical JSON sorts them): two arrays, looked up by binary search. Building it
 * costs no hashing and no entry object per secret, which a {@code LinkedHashMap} did (the
 * names' hash codes, a node each, the table; issue 15: a read may cost no more above the C ABI
 * than Jackson's decode of the same bytes). Iterates in the names' order, as that map did.
 * Immutable: every mutator throws {@link UnsupportedOperationException}.
 */
final class SortedNames extends AbstractMap<String, Object> {
    private final String[] names;
    private final Object[] values;

    /** {@code names} strictly ascending by {@link String#compareTo}; both arrays are kept, not copied. */
    SortedNames(String[] names, Object[] values) {
        this.names = names;
        this.values = values;
    }

    private int indexOf(Object key) {
        return key instanceof String ? Arrays.binarySearch(names, key) : -1;
    }

    @Override
    public int size() {
        return names.length;
    }

    @Override
    public boolean containsKey(Object key) {
        return indexOf(key) >= 0;
    }

    @Override
    public Object get(Object key) {
        int i = indexOf(key);
        return i >= 0 ? values[i] : null;
    }

    @Override
    public Set<String> keySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<String> iterator() {
                return new Cursor<>() {
                    @Override
                    String at(int i) {
                        return names[i];
                    }
                };
            }

            @Override
            public int size() {
                return names.length;
            }

            @Override
            public boolean contains(Object o) {
                return containsKey(o);
            }
        };
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Entry<String, Object>> iterator() {
                return new Cursor<>() {
                    @Override
                    Entry<String, Object> at(int i) {
                        return new SimpleImmutableEntry<>(names[i], values[i]);
                    }
                };
            }

            @Override
            public int size() {
                return names.length;
            }
        };
    }

    /** Walks the indexes in order; no removal. */
    private abstract class Cursor<T> implements Iterator<T> {
        private int next;

        abstract T at(int i);

        @Override
        public boolean hasNext() {
            return next < names.length;
        }

        @Override
        public T next() {
            if (next >= names.length) {
                throw new NoSuchElementException();
            }
            return at(next++);
        }
    }
}
