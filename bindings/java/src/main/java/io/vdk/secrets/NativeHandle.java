package io.vdk.secrets;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Owns one native pointer and frees it exactly once, never while a call is using it.
 *
 * <p>One atomic word: the high bit says "closed", the rest counts calls in flight. A call
 * {@link #acquire()}s (refused once closed) and {@link #release()}s; {@link #close()} sets the
 * bit, and whoever brings the word to "closed, no call in flight" frees the pointer: close()
 * itself when idle, otherwise the last call to finish. So close() racing with calls on other
 * threads never frees memory under them, and never blocks.
 *
 * <p>Kept apart from the public object so that the {@link Cleaner} action (this object's
 * {@code close}) does not reach the public object and the latter can become unreachable.
 */
final class NativeHandle {
    /** One cleaner thread for the whole binding. */
    static final Cleaner CLEANER = Cleaner.create();

    private static final long CLOSED = Long.MIN_VALUE;

    /** Native objects freed so far, by close() or the cleaner (tests observe the cleaner through it). */
    static final AtomicLong FREED = new AtomicLong();

    private final long pointer;
    private final LongConsumer free;
    private final String objectName;
    private final AtomicLong state = new AtomicLong();

    NativeHandle(long pointer, LongConsumer free, String objectName) {
        if (pointer == 0) {
            throw new InternalErrorException(0, false, "Internal error in the vdk-secrets Java binding",
                    "the native library returned no " + objectName,
                    "The call was abandoned; the process keeps running.",
                    "This is a bug in vdk-secrets; please report it with the message.");
        }
        this.pointer = pointer;
        this.free = free;
        this.objectName = objectName;
    }

    /** The pointer, live until the matching {@link #release()}; {@link ClosedException} once closed. */
    long acquire() {
        while (true) {
            long s = state.get();
            if ((s & CLOSED) != 0) {
                throw new ClosedException(objectName);
            }
            if (state.compareAndSet(s, s + 1)) {
                return pointer;
            }
        }
    }

    void release() {
        if (state.decrementAndGet() == CLOSED) {
            free();
        }
    }

    /** Idempotent. Frees now if no call is in flight, else when the last one ends. */
    void close() {
        while (true) {
            long s = state.get();
            if ((s & CLOSED) != 0) {
                return;
            }
            if (state.compareAndSet(s, s | CLOSED)) {
                if (s == 0) {
                    free();
                }
                return;
            }
        }
    }

    private void free() {
        free.accept(pointer);
        FREED.incrementAndGet();
    }

    boolean isClosed() {
        return (state.get() & CLOSED) != 0;
    }
}
