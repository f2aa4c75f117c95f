package io.vdk.secrets;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Every call that goes to the network, blocking or not, runs as an asynchronous native call:
 * the native side starts it on the library's runtime and returns at once; its outcome comes
 * back through one queue that the dispatcher thread drains.
 *
 * <ul>
 * <li>An {@code ...Async} call's future is completed on its executor (the binding's own by
 * default), never on the dispatcher or a native I/O thread: the result is converted to Java
 * objects there too, so callers' executors do that work in parallel.
 * <li>A blocking call on a virtual thread waits in Java ({@link CompletableFuture#get()}), so
 * it unmounts from its carrier while it waits instead of pinning it in a native frame, and
 * {@link Thread#interrupt()} ends it at once. On a platform thread it waits natively in slices
 * of 10 ms, woken directly by the runtime worker that finishes the call (one wake-up per call,
 * as in the C ABI, instead of a second one through the dispatcher), and looks at its interrupt
 * flag between slices.
 * <li>Ending a call early (a cancelled future, an interrupted thread) cancels the native call:
 * its request is dropped, its connection closed, no retry starts.
 * </ul>
 *
 * <p>Each started call ends natively with exactly one {@code callTake} or {@code callCancel}.
 */
final class NativeCalls {
    private NativeCalls() {
    }

    /** Starts the native call with this id (acquiring the handle for the duration); throws if nothing started. */
    @FunctionalInterface
    interface Starter {
        void start(long callId);
    }

    /** What a call is, for its cancellation error and for turning its native result into Java. */
    static final class Op<T> {
        final String operation;
        final boolean writes;
        final Object defaultValue;
        final Function<Object, T> decode;

        Op(String operation, boolean writes, Object defaultValue, Function<Object, T> decode) {
            this.operation = operation;
            this.writes = writes;
            this.defaultValue = defaultValue;
            this.decode = decode;
        }
    }

    private static final AtomicLong NEXT_ID = new AtomicLong();
    private static final ConcurrentHashMap<Long, Call> PENDING = new ConcurrentHashMap<>();
    private static final AtomicInteger ASYNC_THREADS = new AtomicInteger();

    /**
     * The default executor of {@code ...Async} calls: a cached pool of daemon threads (as
     * {@code java.net.http.HttpClient} uses by default), so that code chained on a future may
     * block, even in another blocking call of this binding.
     */
    static final ExecutorService DEFAULT_EXECUTOR = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "vdk-secrets-async-" + ASYNC_THREADS.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    });

    /** Starts the dispatcher (and routes the library's logs to it). Idempotent and cheap. */
    static void ensureStarted() {
        Dispatcher.THREAD.getClass();
    }

    /** Calls started and not yet handed on by the dispatcher or abandoned (tests: none may leak). */
    static int pendingCount() {
        return PENDING.size();
    }

    /** Whether the caller is the dispatcher thread (which must not wait for its own queue). */
    static boolean onDispatcher() {
        return Thread.currentThread() == Dispatcher.THREAD;
    }

    /** A started call, until the dispatcher hands its outcome on. */
    private abstract static class Call {
        final long id;

        Call(long id) {
            this.id = id;
        }

        /** The native outcome is ready: hand it on (must not block, must not throw). */
        abstract void ready();
    }

    private static final class AsyncCall<T> extends Call {
        final Op<T> op;
        final Executor executor;
        final CompletableFuture<T> future;
        volatile boolean delivering;

        AsyncCall(long id, Op<T> op, Executor executor, CompletableFuture<T> future) {
            super(id);
            this.op = op;
            this.executor = executor;
            this.future = future;
        }

        @Override
        void ready() {
            try {
                executor.execute(this::deliver);
            } catch (RuntimeException rejected) { // RejectedExecutionException, mostly
                delivering = true;
                NativeBridge.callCancel(id);
                future.completeExceptionally(rejected);
            }
        }

        private void deliver() {
            delivering = true;
            if (future.isDone()) {
                NativeBridge.callCancel(id); // cancelled meanwhile: drop the outcome
                return;
            }
            try {
                future.complete(op.decode.apply(NativeBridge.callTake(id, op.defaultValue)));
            } catch (Throwable failure) {
                future.completeExceptionally(failure);
            }
        }
    }

    private static final class BlockingCall extends Call {
        final CompletableFuture<Void> done = new CompletableFuture<>();

        BlockingCall(long id) {
            super(id);
        }

        @Override
        void ready() {
            done.complete(null);
        }
    }

    /** Removes the call and ends it natively (its request dropped, or its outcome). */
    private static void abandon(long id) {
        PENDING.remove(id);
        NativeBridge.callCancel(id);
    }

    /**
     * Starts an asynchronous call; every failure, a refused start included, comes through the
     * returned future. Completing the future from outside ({@code cancel}, {@code complete},
     * {@code orTimeout}) cancels the native call.
     */
    static <T> CompletableFuture<T> async(Op<T> op, Executor executor, Starter starter) {
        CompletableFuture<T> future = new CompletableFuture<>();
        if (executor == null) {
            future.completeExceptionally(VdkSecretsException.invalidArgument("executor must not be null"));
            return future;
        }
        ensureStarted();
        long id = NEXT_ID.incrementAndGet();
        AsyncCall<T> call = new AsyncCall<>(id, op, executor, future);
        PENDING.put(id, call);
        future.whenComplete((value, failure) -> {
            if (!call.delivering) {
                abandon(id);
            }
        });
        try {
            starter.start(id);
        } catch (Throwable refused) {
            PENDING.remove(id);
            call.delivering = true; // nothing started natively: nothing to cancel
            future.completeExceptionally(refused);
            return future;
        }
        if (future.isDone() && !call.delivering) {
            abandon(id); // completed from outside before the native call existed
        }
        return future;
    }

    /**
     * Runs a call and waits for it on the calling thread. An interrupt (before or during the
     * wait) cancels the call and throws {@link CancelledException} with the interrupt flag set.
     * On the dispatcher thread (a future completed with a direct executor whose code makes a
     * blocking call) {@code onDispatcher} runs instead: waiting there for the dispatcher would
     * never end.
     */
    static <T> T await(Op<T> op, Starter starter, Supplier<T> onDispatcher) {
        if (onDispatcher()) {
            return onDispatcher.get();
        }
        if (Thread.currentThread().isInterrupted()) {
            throw cancelled(op);
        }
        ensureStarted();
        long id = NEXT_ID.incrementAndGet();
        BlockingCall call = new BlockingCall(id);
        PENDING.put(id, call);
        try {
            starter.start(id);
        } catch (RuntimeException | Error refused) {
            PENDING.remove(id);
            throw refused;
        }
        if (!onVirtualThread()) {
            // Wait natively: the worker that finishes the call wakes this thread directly.
            int state;
            while ((state = NativeBridge.callAwait(id, NATIVE_WAIT_SLICE_NANOS)) == STILL_RUNNING) {
                if (Thread.currentThread().isInterrupted()) {
                    abandon(id);
                    throw cancelled(op); // the interrupt flag stays set
                }
            }
            if (state == DONE) {
                PENDING.remove(id);
                return op.decode.apply(NativeBridge.callTake(id, op.defaultValue));
            }
            // QUEUED: the dispatcher hands it on (after logging the records queued before it).
        }
        try {
            call.done.get();
        } catch (InterruptedException interrupted) {
            abandon(id);
            Thread.currentThread().interrupt();
            throw cancelled(op);
        } catch (ExecutionException impossible) {
            abandon(id);
            throw new IllegalStateException(impossible);
        }
        return op.decode.apply(NativeBridge.callTake(id, op.defaultValue));
    }

    /**
     * How long a blocking call on a platform thread waits natively before it looks at its
     * interrupt flag again: Thread.interrupt() cannot wake a native wait, so this bounds the
     * time from an interrupt to the cancellation (the contract is 50 ms).
     */
    private static final long NATIVE_WAIT_SLICE_NANOS = 10_000_000L;
    private static final int STILL_RUNNING = 0, DONE = 1;
    /** {@code Thread.isVirtual()} on Java 21+, null on 17 (compiled for 17, so looked up). */
    private static final MethodHandle IS_VIRTUAL = isVirtualHandle();

    private static MethodHandle isVirtualHandle() {
        try {
            return MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual",
                    MethodType.methodType(boolean.class));
        } catch (ReflectiveOperationException noVirtualThreads) {
            return null;
        }
    }

    /**
     * A virtual thread waits for its call in Java ({@link CompletableFuture#get()}), which
     * unmounts it from its carrier; waiting natively would pin the carrier.
     */
    private static boolean onVirtualThread() {
        if (IS_VIRTUAL == null) {
            return false;
        }
        try {
            return (boolean) IS_VIRTUAL.invokeExact(Thread.currentThread());
        } catch (Throwable unexpected) {
            return true; // when unsure, the wait that works on every thread
        }
    }

    private static CancelledException cancelled(Op<?> op) {
        Object made = NativeBridge.cancelledException(op.operation, op.writes);
        if (made instanceof CancelledException) {
            return (CancelledException) made;
        }
        return new CancelledException(0, false, "Failed to " + op.operation, "the call was cancelled",
                op.writes ? "The call was cancelled while writing: the Control Service may or may not have applied the write."
                        : "The call was cancelled; nothing was changed.",
                "");
    }

    /** The daemon thread that drains the native queue: ready calls, and log records. */
    private static final class Dispatcher implements Runnable {
        static final Thread THREAD = start();

        private static Thread start() {
            Thread thread = new Thread(new Dispatcher(), "vdk-secrets-dispatcher");
            thread.setDaemon(true);
            thread.start();
            NativeBridge.logInstall();
            return thread;
        }

        @Override
        public void run() {
            long[] ids = new long[256];
            while (true) {
                int count;
                try {
                    count = NativeBridge.callsAwaitEvents(ids);
                } catch (Throwable bug) {
                    report(bug);
                    continue;
                }
                for (int i = 0; i < count; i++) {
                    Call call = PENDING.remove(ids[i]);
                    try {
                        if (call == null) {
                            NativeBridge.callCancel(ids[i]); // abandoned meanwhile
                        } else {
                            call.ready();
                        }
                    } catch (Throwable bug) {
                        report(bug);
                    }
                }
            }
        }

        private static void report(Throwable bug) {
            System.getLogger(NativeLog.LOGGER_NAME).log(System.Logger.Level.ERROR,
                    "vdk-secrets dispatcher: unexpected failure (a bug in vdk-secrets)", bug);
        }
    }
}
