//! `VdkCall`: one asynchronous call, its cancellation, and the thread that runs completions.
//!
//! A starting function spawns the call's future on the global runtime and returns. When the
//! future ends, its outcome is queued for the completion thread (woken once per batch, see
//! `CompletionQueue`), which runs the caller's callback:
//! never inside the starting function, never on a runtime worker, so a slow callback delays
//! other callbacks but no I/O, timer or deadline. The one exception is opt-in: a completion
//! marked with `vdk_completion_set_immediate` (a callback that only signals, such as the Go
//! binding's) runs on the worker that finished its call, which saves the hand-over to the
//! completion thread. `vdk_call_cancel` races the future for the
//! outcome through one atomic: the winner decides what the callback reports, exactly once.
//!
//! Handles are `Arc<VdkCall>` behind a raw pointer: the caller holds one reference (until
//! `vdk_call_free`), the library another (until the callback has returned), so either may go
//! first.

use std::ffi::{c_char, c_void};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::{boundary, guard, into_c_string, VdkError, VdkStatus};
use crate::error::{Error, Result};
use crate::runtime;
use crate::secret::SecretBuffer;

/// Receives the outcome of one started call, exactly once, on the library's completion
/// thread (or, for a completion marked with `vdk_completion_set_immediate`, on the runtime
/// worker that finished the call).
///
/// - `user_data`: as given to the starting function.
/// - `call`: the call's handle, borrowed for the duration of the callback (the pointer stored
///   in `*out_call`, if one was asked for); it may be cancelled or freed from here.
/// - On success `status` is `VDK_STATUS_OK`, `error` is NULL and `result_json` is the call's
///   result or NULL (see each starting function). On failure `result_json` is NULL and `error`
///   is set; a cancelled call reports `VDK_STATUS_CANCELLED`.
/// - `result_json` (free with `vdk_string_free`) and `error` (free with `vdk_error_free`) are
///   owned by the callback.
///
/// It must return normally (no C++ exception, no `longjmp` out of it). It may call blocking
/// `vdk_` functions; they hold up later completions while they run.
pub type VdkCompletion = Option<
    extern "C" fn(
        user_data: *mut c_void,
        call: *mut VdkCall,
        status: VdkStatus,
        result_json: *mut c_char,
        error: *mut VdkError,
    ),
>;

/// A completion known not to be NULL.
type CompletionFn = extern "C" fn(*mut c_void, *mut VdkCall, VdkStatus, *mut c_char, *mut VdkError);

const RUNNING: u8 = 0;
const FINISHED: u8 = 1;
const CANCELLED: u8 = 2;

/// One started asynchronous call. Reference-counted and internally synchronised: cancel and
/// free are safe from any thread at any time before the caller's own `vdk_call_free`,
/// including from inside the completion.
pub struct VdkCall {
    outcome: AtomicU8,
    /// Set right after spawning; `None` until then (a cancel in that window is caught by the
    /// starting function, which checks `outcome` after storing the handle).
    abort: Mutex<Option<tokio::task::AbortHandle>>,
    completion: CompletionFn,
    user_data: UserData,
    /// Names the operation in the error of a cancelled call.
    operation: &'static str,
    writes: bool,
    generation: u64,
    /// What the call has sent so far, for the error of a cancelled call.
    progress: Arc<runtime::CallProgress>,
    /// Where its completion goes (the queue of the generation that started it).
    queue: Arc<CompletionQueue>,
    /// The completion was marked immediate when the call started: when the call's own task
    /// finishes it, it runs right there, on the worker.
    immediate: bool,
}

/// The caller's pointer, handed back untouched on the completion thread.
#[derive(Clone, Copy)]
struct UserData(*mut c_void);
// SAFETY: the library never dereferences it; the caller chose to hand it to another thread
// by starting an asynchronous call (documented on every starting function).
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

/// What a completion reports, as C sees it.
struct Outcome {
    status: VdkStatus,
    result_json: *mut c_char,
    error: *mut VdkError,
}
// SAFETY: both pointers are fresh allocations owned by this value until the callback takes
// them; nothing else refers to them.
unsafe impl Send for Outcome {}

struct Completion {
    call: Arc<VdkCall>,
    outcome: Outcome,
}

/// What the call's future produces: the JSON to hand over (or none), or an error.
pub(crate) type CallResult = Result<Option<SecretBuffer>>;

/// Completions waiting for the completion thread.
///
/// Handing a completion to another thread costs a wake-up of that thread (a futex call, a
/// context switch on a busy machine: about a third of an asynchronous read's client CPU when
/// each completion was sent on its own). So a runtime worker queues completions without waking
/// the thread and wakes it once, just before it goes idle (`runtime::on_worker_park`); or at
/// once when the queue holds `WAKE_AT_COUNT` completions or its oldest has waited `WAKE_AFTER`,
/// so that a worker that never idles still hands them over. Any other thread (a cancel from a
/// caller's thread) wakes it at once.
struct CompletionQueue {
    pending: Mutex<Pending>,
    ready: Condvar,
}

#[derive(Default)]
struct Pending {
    items: Vec<Completion>,
    /// The completion thread is waiting on `ready` (a notify is needed, and only then).
    waiting: bool,
    /// When the oldest item not yet announced to a waiting thread was queued.
    since: Option<Instant>,
}

const WAKE_AT_COUNT: usize = 32;
const WAKE_AFTER: Duration = Duration::from_millis(1);

/// Set when a worker queued a completion without waking the completion thread.
static DEFERRED: AtomicBool = AtomicBool::new(false);

impl CompletionQueue {
    fn push(&self, completion: Completion) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.items.push(completion);
        if !pending.waiting {
            return; // the thread is running: it takes the queue when it is done
        }
        let oldest = *pending.since.get_or_insert_with(Instant::now);
        let wake_now =
            !runtime::on_runtime_thread() || pending.items.len() >= WAKE_AT_COUNT || oldest.elapsed() >= WAKE_AFTER;
        if wake_now {
            self.wake(pending);
        } else {
            drop(pending);
            DEFERRED.store(true, Ordering::Release);
        }
    }

    /// Wakes the thread if completions wait for it (a worker is about to go idle).
    fn announce(&self) {
        let pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        if pending.waiting && !pending.items.is_empty() {
            self.wake(pending);
        }
    }

    /// Wakes the waiting thread, which takes everything queued.
    fn wake(&self, mut pending: std::sync::MutexGuard<'_, Pending>) {
        pending.waiting = false;
        pending.since = None;
        drop(pending);
        self.ready.notify_one();
    }

    /// The completion thread: runs callbacks, in order, for as long as the process lives.
    fn run(&self) {
        loop {
            let batch = {
                let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
                while pending.items.is_empty() {
                    pending.waiting = true;
                    pending = self.ready.wait(pending).unwrap_or_else(|p| p.into_inner());
                }
                pending.waiting = false;
                pending.since = None;
                std::mem::take(&mut pending.items)
            };
            for Completion { call, outcome } in batch {
                call.run_completion(outcome);
            }
        }
    }
}

/// The runtime's park hook: hands deferred completions over before a worker goes idle.
fn worker_parking() {
    if DEFERRED.swap(false, Ordering::AcqRel) {
        if let Some(queue) = current_queue() {
            queue.announce();
        }
    }
}

static CURRENT_QUEUE: Mutex<Option<(u64, Arc<CompletionQueue>)>> = Mutex::new(None);

fn current_queue() -> Option<Arc<CompletionQueue>> {
    let current = CURRENT_QUEUE.lock().unwrap_or_else(|p| p.into_inner());
    match current.as_ref() {
        Some((generation, queue)) if *generation == runtime::fork_generation() => Some(queue.clone()),
        _ => None,
    }
}

/// The completion queue and thread of the current fork generation, started on first use. A
/// forked child gets its own; the parent's calls never complete there.
fn completions() -> Option<Arc<CompletionQueue>> {
    let generation = runtime::fork_generation();
    let mut current = CURRENT_QUEUE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((g, queue)) = current.as_ref() {
        if *g == generation {
            return Some(queue.clone());
        }
    }
    runtime::on_worker_park(worker_parking);
    let queue = Arc::new(CompletionQueue {
        pending: Mutex::new(Pending::default()),
        ready: Condvar::new(),
    });
    let for_thread = queue.clone();
    let spawned = std::thread::Builder::new()
        .name("vdk-secrets-completion".into())
        .spawn(move || for_thread.run());
    if spawned.is_err() {
        return None;
    }
    if let Some((_, stale)) = current.replace((generation, queue.clone())) {
        // The parent's queue, in a forked child: kept, never used.
        runtime::retire(Box::new(stale));
    }
    Some(queue)
}

impl VdkCall {
    /// Claims the outcome for `claim` (FINISHED or CANCELLED); false if it was already taken.
    fn claim(&self, claim: u8) -> bool {
        self.outcome
            .compare_exchange(RUNNING, claim, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Hands the outcome to the completion: queued for the completion thread, or run right
    /// here when the call's own task finished it (`by_task`) and its completion is immediate.
    /// A cancel never runs it (`vdk_call_cancel` promises not to).
    fn deliver(self: &Arc<Self>, result: CallResult, by_task: bool) {
        if self.generation != runtime::fork_generation() {
            return; // a forked child never sees the parent's completions
        }
        let outcome = to_outcome(result);
        if by_task && self.immediate {
            self.clone().run_completion(outcome);
            return;
        }
        self.queue.push(Completion {
            call: self.clone(),
            outcome,
        });
    }

    /// Runs the caller's callback with the outcome; the library's reference (`self`) ends once
    /// it has returned.
    fn run_completion(self: Arc<Self>, outcome: Outcome) {
        let handle = Arc::as_ptr(&self) as *mut VdkCall;
        (self.completion)(
            self.user_data.0,
            handle,
            outcome.status,
            outcome.result_json,
            outcome.error,
        );
    }
}

/// How many completion functions may be marked immediate: a process has a few callers of the
/// library (a binding, the host's own code), each with a function or two.
const MAX_IMMEDIATE: usize = 16;

/// The completion functions marked immediate, as addresses; 0 is a free entry. Entries are
/// only ever added, under `IMMEDIATE_LOCK`; starting functions read them without a lock.
static IMMEDIATE: [AtomicUsize; MAX_IMMEDIATE] = [const { AtomicUsize::new(0) }; MAX_IMMEDIATE];
static IMMEDIATE_LOCK: Mutex<()> = Mutex::new(());

fn is_immediate(completion: CompletionFn) -> bool {
    let address = completion as usize;
    IMMEDIATE
        .iter()
        .map(|entry| entry.load(Ordering::Acquire))
        .take_while(|&entry| entry != 0)
        .any(|entry| entry == address)
}

/// Marks `completion` as immediate: calls started afterwards with it as their completion run
/// it on the runtime worker that finished the call, as soon as the call ends, instead of
/// handing it to the library's completion thread. That hand-over is a thread wake-up per call
/// (or per batch): on an idle machine it adds tens of microseconds to a lone call's latency.
/// For completions that only signal someone else (set a flag, push on a queue, write to an
/// eventfd or a pipe) and return.
///
/// This is the one exception to "completions run on the completion thread": while an
/// immediate completion runs, the worker moves no bytes, fires no timer and enforces no
/// deadline for any call. So an immediate completion must return within microseconds and
/// never wait: it may free the result and the error, and cancel, free or start calls; a
/// blocking `vdk_` call made from it fails at once with `VDK_STATUS_INVALID_ARGUMENT`
/// (blocking a runtime worker would stall every call). Unchanged for these calls: the
/// completion runs exactly once, never inside the starting function; an outcome decided by
/// `vdk_call_cancel` is still delivered on the completion thread (`vdk_call_cancel` never runs
/// a completion).
///
/// - `completion`: not NULL. Marking one twice is fine. Marks are process-wide and permanent;
///   up to 16 functions can be marked.
/// - `out_error`: NULL, or receives a new error on failure.
///
/// Errors: `VDK_STATUS_INVALID_ARGUMENT` (NULL `completion`, or 16 other functions already
/// marked). Thread-safe; calls already started keep the mode they started with.
#[no_mangle]
pub extern "C" fn vdk_completion_set_immediate(completion: VdkCompletion, out_error: *mut *mut VdkError) -> VdkStatus {
    boundary(out_error, || {
        let completion = completion.ok_or_else(|| Error::invalid_argument("completion is NULL"))?;
        let address = completion as usize;
        let _guard = IMMEDIATE_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        for entry in &IMMEDIATE {
            match entry.load(Ordering::Acquire) {
                0 => {
                    entry.store(address, Ordering::Release);
                    return Ok(());
                }
                existing if existing == address => return Ok(()),
                _ => {}
            }
        }
        Err(Error::invalid_argument(format!(
            "{MAX_IMMEDIATE} completion functions are already marked immediate"
        ))
        .with_consequences("The function was not marked: its calls complete on the completion thread."))
    })
}

fn to_outcome(result: CallResult) -> Outcome {
    let error_outcome = |error: Error| Outcome {
        status: VdkStatus::from(error.status()),
        result_json: std::ptr::null_mut(),
        error: super::into_handle(VdkError::new(error)),
    };
    match result {
        Ok(None) => Outcome {
            status: VdkStatus::VDK_STATUS_OK,
            result_json: std::ptr::null_mut(),
            error: std::ptr::null_mut(),
        },
        Ok(Some(json)) => match into_c_string(&json) {
            Ok(text) => Outcome {
                status: VdkStatus::VDK_STATUS_OK,
                result_json: text,
                error: std::ptr::null_mut(),
            },
            Err(error) => error_outcome(error),
        },
        Err(error) => error_outcome(error),
    }
}

/// The arguments every starting function ends with, as C passed them.
pub(crate) struct Receiver {
    pub completion: VdkCompletion,
    pub user_data: *mut c_void,
    pub out_call: *mut *mut VdkCall,
}

/// Starts `future` as an asynchronous call: validates the completion, writes `*out_call`,
/// spawns, and returns. Nothing is started when this fails.
pub(crate) fn start<F>(operation: &'static str, writes: bool, receiver: Receiver, future: F) -> Result<()>
where
    F: Future<Output = CallResult> + Send + 'static,
{
    let Receiver {
        completion,
        user_data,
        out_call,
    } = receiver;
    let completion = completion.ok_or_else(|| Error::invalid_argument("completion is NULL"))?;
    let handle = runtime::handle()?;
    // The completion thread is started here, so that a failure to start it fails the start.
    let queue = completions().ok_or_else(|| {
        Error::configuration("cannot start the completion thread").with_consequences("No call was started.")
    })?;
    let call = Arc::new(VdkCall {
        outcome: AtomicU8::new(RUNNING),
        abort: Mutex::new(None),
        completion,
        user_data: UserData(user_data),
        operation,
        writes,
        generation: runtime::fork_generation(),
        progress: Arc::default(),
        queue,
        immediate: is_immediate(completion),
    });
    if !out_call.is_null() {
        // SAFETY: the caller provides writable storage; written before the call can complete.
        unsafe { *out_call = Arc::into_raw(call.clone()) as *mut VdkCall };
    }
    let task_call = call.clone();
    let progress = call.progress.clone();
    let task = handle.spawn(runtime::CALL_PROGRESS.scope(progress, async move {
        let result = future.await;
        if task_call.claim(FINISHED) {
            task_call.deliver(result, true);
        }
        // Otherwise it was cancelled first, and that was reported; the result is dropped (and
        // with it any secret, wiped).
    }));
    *call.abort.lock().unwrap_or_else(|p| p.into_inner()) = Some(task.abort_handle());
    if call.outcome.load(Ordering::Acquire) == CANCELLED {
        task.abort(); // cancelled before the abort handle was stored
    }
    Ok(())
}

/// Cancels a call in flight: its request is dropped (the connection closed if a request was
/// under way), no retry starts, and the completion reports `VDK_STATUS_CANCELLED` (for a
/// write, its error says the service may or may not have applied it). Never runs or waits for
/// the completion.
///
/// Returns true when the completion will report `VDK_STATUS_CANCELLED`; false when the outcome
/// was already known (the call had finished), or `call` is NULL.
///
/// - `call`: a handle from a starting function's `out_call`, not yet freed with
///   `vdk_call_free`, or the `call` a completion receives (during the callback). Safe from any
///   thread, any number of times.
///
/// Cancelling a call that leads a token exchange or a cache fill shared with other calls does
/// not fail those calls: one of them takes over.
#[no_mangle]
pub extern "C" fn vdk_call_cancel(call: *const VdkCall) -> bool {
    guard(false, || {
        // SAFETY: NULL or a live handle per the contract: the caller's reference or, inside the
        // completion, the library's.
        let Some(call) = (unsafe { call.as_ref() }) else {
            return false;
        };
        if !call.claim(CANCELLED) {
            return false;
        }
        if let Some(abort) = call.abort.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            abort.abort();
        }
        // Report at once: the aborted task may be mid-poll on a worker; its result, if any,
        // loses the race above and is dropped.
        // SAFETY: `call` came from `Arc::into_raw` (or is the library's own pointer, which
        // stays alive while the callback runs): taking another reference is sound.
        let shared = unsafe {
            let ptr = call as *const VdkCall;
            Arc::increment_strong_count(ptr);
            Arc::from_raw(ptr)
        };
        let progress = &call.progress;
        let error = Error::cancelled(call.operation, call.writes).with_call_details(
            progress.op_id.get().map_or("", |id| id),
            progress.attempts.load(Ordering::Relaxed),
        );
        shared.deliver(Err(error), false);
        true
    })
}

/// Releases the caller's reference to a call. Does not cancel it: the completion still runs
/// (the library keeps its own reference until then). NULL is fine. The pointer must not be
/// used by the caller afterwards (the `call` argument of a running completion stays valid
/// until that completion returns).
#[no_mangle]
pub extern "C" fn vdk_call_free(call: *mut VdkCall) {
    guard((), || {
        if !call.is_null() {
            // SAFETY: `call` was written to `*out_call` by `Arc::into_raw` and is freed once.
            drop(unsafe { Arc::from_raw(call as *const VdkCall) });
        }
    })
}
