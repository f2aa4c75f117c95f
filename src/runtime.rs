//! The one global tokio runtime that blocking calls (the C ABI) run on.
//!
//! Created lazily on first use, with a small worker pool (`VDK_SECRETS_WORKER_THREADS`,
//! default 1): a library must not fill its host with threads. The workers drive every
//! connection (reqwest spawns one task per connection), timers, and the calls of the async
//! Rust API; a blocking call polls its own future on the calling thread (`block_on`).
//!
//! Fork safety: schedulers fork after using the library. The child inherits the runtime's
//! memory but not its threads, so the old runtime can never run again. A `pthread_atfork`
//! child handler bumps a generation counter; the next call in the child builds a fresh
//! runtime and leaks the dead one (dropping it would wait for threads that do not exist).
//! Everything bound to a runtime (connection pools, locks held across awaits) is keyed by
//! the same generation, see `fork_generation`.

use std::future::Future;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::{Mutex, Once};

use tokio::runtime::{Builder, Runtime};

use crate::error::{Error, Result};

struct Slot {
    generation: u64,
    runtime: Runtime,
    /// The parent's slot in a forked child: kept reachable, never dropped.
    _previous: *const Slot,
}

static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);
static CURRENT: AtomicPtr<Slot> = AtomicPtr::new(std::ptr::null_mut());
static CREATE_LOCK: Mutex<()> = Mutex::new(());
static REGISTER_ATFORK: Once = Once::new();

const DEFAULT_WORKER_THREADS: usize = 1;
const MAX_WORKER_THREADS: usize = 64;

extern "C" fn after_fork_in_child() {
    // Only an atomic add: async-signal-safe, as a fork handler must be.
    FORK_GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// Changes in a forked child; state bound to a runtime compares it to know it is stale.
pub fn fork_generation() -> u64 {
    FORK_GENERATION.load(Ordering::Acquire)
}

fn worker_threads() -> usize {
    std::env::var("VDK_SECRETS_WORKER_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n >= 1)
        .map_or(DEFAULT_WORKER_THREADS, |n| n.min(MAX_WORKER_THREADS))
}

fn current() -> Result<&'static Slot> {
    let generation = fork_generation();
    let slot = CURRENT.load(Ordering::Acquire);
    // SAFETY: slots are leaked boxes, never freed, so a non-null pointer stays valid.
    if let Some(slot) = unsafe { slot.as_ref() } {
        if slot.generation == generation {
            return Ok(slot);
        }
    }
    create(generation)
}

#[cold]
fn create(generation: u64) -> Result<&'static Slot> {
    REGISTER_ATFORK.call_once(|| {
        // SAFETY: registering a handler that only touches an atomic.
        unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) };
    });
    // A poisoned lock only means another creation panicked; the slot is still consistent.
    let _guard = CREATE_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let existing = CURRENT.load(Ordering::Acquire);
    // SAFETY: as in `current`.
    if let Some(slot) = unsafe { existing.as_ref() } {
        if slot.generation == generation {
            return Ok(slot);
        }
    }
    let runtime = Builder::new_multi_thread()
        .worker_threads(worker_threads())
        .thread_name("vdk-secrets-worker")
        .on_thread_start(|| ON_RUNTIME_THREAD.set(true))
        .on_thread_park(|| {
            if let Some(hook) = WORKER_PARK_HOOK.get() {
                hook();
            }
        })
        .enable_all()
        .build()
        .map_err(|e| {
            Error::configuration(format!("cannot start the I/O runtime: {e}")).with_consequences("No call can be made.")
        })?;
    let slot: &'static Slot = Box::leak(Box::new(Slot {
        generation,
        runtime,
        _previous: existing,
    }));
    // The previous slot, if any, belongs to the parent process: kept, never run or dropped.
    CURRENT.store(slot as *const Slot as *mut Slot, Ordering::Release);
    Ok(slot)
}

static WORKER_PARK_HOOK: std::sync::OnceLock<fn()> = std::sync::OnceLock::new();

thread_local! {
    static ON_RUNTIME_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Sets the function every runtime worker calls just before it goes idle (once per process;
/// later calls are ignored). Work handed from a worker to another thread can wait for it
/// instead of waking that thread once per item.
pub(crate) fn on_worker_park(hook: fn()) {
    let _ = WORKER_PARK_HOOK.set(hook);
}

/// True on the library's runtime threads (workers, and the blocking pool's threads).
pub(crate) fn on_runtime_thread() -> bool {
    ON_RUNTIME_THREAD.get()
}

/// Keeps state of a dead generation alive for good. In a forked child, dropping the parent's
/// connection pool would deregister its sockets from an epoll instance the child shares with
/// the parent, disturbing the parent; so that state is retired here instead (and stays
/// reachable, which keeps leak checkers quiet).
pub(crate) fn retire(state: Box<dyn std::any::Any + Send>) {
    static RETIRED: Mutex<Vec<Box<dyn std::any::Any + Send>>> = Mutex::new(Vec::new());
    RETIRED.lock().unwrap_or_else(|p| p.into_inner()).push(state);
}

/// Runs `future` to completion on the calling thread, inside the global runtime (whose
/// workers move the connection's bytes and fire its timers).
///
/// Refuses (instead of panicking) when called from inside an async runtime, where blocking
/// would stall or deadlock its executor.
pub fn block_on<F: Future>(future: F) -> Result<F::Output> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::invalid_argument(
            "a blocking vdk-secrets call was made from inside an async runtime thread",
        )
        .with_countermeasures("Use the async Rust API there, or call from an ordinary thread."));
    }
    Ok(current()?.runtime.block_on(future))
}

/// How far a call spawned for the C ABI got: the operation id it sent and how many requests.
/// The transport records into it (through a task-local) while the call runs, so that a call
/// cancelled midway can still say so in its error.
#[derive(Default)]
pub(crate) struct CallProgress {
    pub attempts: std::sync::atomic::AtomicU32,
    pub op_id: std::sync::OnceLock<Box<str>>,
}

tokio::task_local! {
    pub(crate) static CALL_PROGRESS: std::sync::Arc<CallProgress>;
}

/// Records one request sent with `op_id`, when the running task tracks its progress.
pub(crate) fn note_attempt(op_id: &str) {
    let _ = CALL_PROGRESS.try_with(|progress| {
        progress.attempts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        progress.op_id.get_or_init(|| Box::from(op_id));
    });
}

/// The global runtime, for spawning calls that complete by callback (the C ABI's `_async`,
/// and bindings such as the Java glue that run their own completion machinery). Futures of the
/// job layer's async twins must be spawned here: their requests expect this runtime's reactor.
pub fn handle() -> Result<&'static Runtime> {
    Ok(&current()?.runtime)
}

/// Runs `future` on the global runtime and awaits it from any executor. Connections live on
/// the global runtime whoever calls, so a host runtime that shuts down takes none of ours
/// with it, and blocking and async calls share one pool. Dropping the returned future (a
/// cancelled host task) aborts the call: its request is dropped, no retry starts.
pub(crate) async fn run<F>(future: F) -> Result<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);
    impl<T> Drop for AbortOnDrop<T> {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let mut task = AbortOnDrop(current()?.runtime.spawn(future));
    match (&mut task.0).await {
        Ok(output) => Ok(output),
        Err(e) if e.is_panic() => Err(Error::new(
            crate::error::Status::Panic,
            "vdk-secrets failed internally",
            "a call panicked; the process keeps running",
        )),
        Err(_) => Err(Error::new(
            crate::error::Status::Network,
            "The call was abandoned",
            "the I/O runtime shut down before the call ended",
        )),
    }
}
