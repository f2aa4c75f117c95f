//! Asynchronous calls for Java, and the one queue through which their outcomes (and the
//! library's log records) reach the JVM.
//!
//! A call is started with an id the Java side chose (`NativeCalls`): its future is spawned on
//! the library's runtime and tracked here as a [`Slot`]. When the future ends, its outcome is
//! parked in the slot and the id is queued as an [`Event`]. The binding's dispatcher thread (a
//! Java daemon thread, `NativeCalls.Dispatcher`) drains the queue with `awaitEvents` and hands
//! each call to its executor, where `take` turns the outcome into Java objects. So no runtime
//! worker ever calls into the JVM (none is attached to it), conversions run on the caller's
//! executor in parallel, and a slow executor delays no I/O.
//!
//! Every started call ends with exactly one `take` or `cancel` (both remove the slot);
//! cancelling a running call aborts its task, which drops the request (closing its connection)
//! and starts no retry.
//!
//! A blocking call on a platform thread skips the dispatcher: its thread waits here
//! ([`await_done`], in slices so that Java can check for an interrupt between them) and the
//! runtime worker that finishes the call unparks it directly, one thread wake-up per call as
//! in the C ABI's blocking calls instead of two (worker to dispatcher to caller). When log
//! records are still queued at that moment, the call goes through the dispatcher after all, so
//! that its records are logged before its result is handed over.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::thread::Thread;
use std::time::{Duration, Instant};

use jni::objects::{JLongArray, JObject};
use jni::signature::{Primitive, ReturnType};
use jni::sys::{jlong, jvalue};
use jni::Env;
use serde_json::Value;
use vdk_secrets::secret::scrub_value;
use vdk_secrets::{Error, SecretJson, SecretMap};

use crate::cache::cache;
use crate::convert::{secrets_to_java, value_to_java};
use crate::failure::{internal_error, Res};
use crate::strings::new_string;

/// What a finished call hands to Java.
pub enum Payload {
    /// A secrets map (the job layer's `getAll`): handed over as canonical JSON, which Java
    /// decodes into `Secrets`.
    Map(Arc<SecretMap>),
    /// A client read: the service's answer as canonical text (no map built), handed over as is.
    Json(SecretJson),
    /// One secret (`get`): its value, or `None` when it is not set (Java's default then).
    Value(Option<Value>),
    /// Writes and refresh.
    Nothing,
}

impl Drop for Payload {
    fn drop(&mut self) {
        // A map wipes itself; a lone value is a plain serde_json value.
        if let Payload::Value(Some(value)) = self {
            scrub_value(value);
        }
    }
}

pub type Outcome = Result<Payload, Error>;

enum Slot {
    /// In flight; `waiter` is the thread parked in [`await_done`] for it, if any.
    Running {
        abort: tokio::task::AbortHandle,
        waiter: Option<Thread>,
    },
    /// Finished; `queued` when its `Ready` event went to the dispatcher.
    Done { outcome: Outcome, queued: bool },
}

/// Log records queued, and logged by the dispatcher: a finishing call whose thread waits in
/// [`await_done`] goes through the dispatcher while the two differ.
static LOGS_QUEUED: AtomicU64 = AtomicU64::new(0);
static LOGS_LOGGED: AtomicU64 = AtomicU64::new(0);

pub enum Event {
    /// The call with this id has an outcome waiting for `take`.
    Ready(jlong),
    /// A log record of the library (level 1 error .. 5 trace).
    Log { level: u32, message: String },
}

static CALLS: LazyLock<Mutex<HashMap<jlong, Slot>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

struct Queue {
    sender: Sender<Event>,
    /// Only the dispatcher thread receives; the lock just makes the receiver shareable.
    receiver: Mutex<Receiver<Event>>,
}

static QUEUE: LazyLock<Queue> = LazyLock::new(|| {
    let (sender, receiver) = channel();
    Queue {
        sender,
        receiver: Mutex::new(receiver),
    }
});

fn calls() -> MutexGuard<'static, HashMap<jlong, Slot>> {
    // A poisoned lock only means a panic elsewhere; the map itself is always consistent.
    CALLS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Queues an event for the dispatcher thread. Never blocks (the queue is unbounded: its
/// entries are one per call in flight, plus the library's rare log records).
pub fn post(event: Event) {
    if matches!(event, Event::Log { .. }) {
        LOGS_QUEUED.fetch_add(1, Ordering::SeqCst);
    }
    let _ = QUEUE.sender.send(event);
}

/// Ends the call `id` with `outcome` unless it was cancelled, and wakes its waiting thread or
/// tells the dispatcher.
fn finish(id: jlong, outcome: Outcome) {
    let mut calls = calls();
    let waiter = match calls.get_mut(&id) {
        Some(Slot::Running { waiter, .. }) => waiter.take(),
        // Cancelled (the slot is gone): nobody wants the outcome; dropping it wipes secrets.
        _ => {
            drop(calls);
            drop(outcome);
            return;
        }
    };
    let logs_pending = LOGS_QUEUED.load(Ordering::SeqCst) != LOGS_LOGGED.load(Ordering::SeqCst);
    let queued = waiter.is_none() || logs_pending;
    calls.insert(id, Slot::Done { outcome, queued });
    drop(calls);
    if queued {
        post(Event::Ready(id));
    }
    if let Some(thread) = waiter {
        thread.unpark();
    }
}

/// What [`await_done`] saw.
pub enum Waited {
    /// Not finished within the slice.
    Running,
    /// Finished: take the outcome now.
    Done,
    /// Finished and handed to the dispatcher (log records to write first, or it finished
    /// before the thread waited): wait for the dispatcher as an asynchronous call does.
    Queued,
}

/// Parks the calling thread until the call `id` finishes or `slice` passes. An unknown id
/// (cancelled, taken) counts as done: `take` then reports it.
pub fn await_done(id: jlong, slice: Duration) -> Waited {
    let deadline = Instant::now() + slice;
    loop {
        {
            let mut calls = calls();
            match calls.get_mut(&id) {
                Some(Slot::Running { waiter, .. }) => *waiter = Some(std::thread::current()),
                Some(Slot::Done { queued: true, .. }) => return Waited::Queued,
                Some(Slot::Done { queued: false, .. }) | None => return Waited::Done,
            }
        }
        let now = Instant::now();
        if now >= deadline {
            return Waited::Running;
        }
        // Unparked by `finish`; a spurious wake-up just looks again.
        std::thread::park_timeout(deadline - now);
    }
}

/// Reports a call whose future panicked (tokio catches the panic and drops the future), so
/// that Java gets an `InternalErrorException` instead of waiting for ever. An aborted
/// (cancelled) task drops this too, but its slot is already gone and nothing is reported.
struct FinishOnDrop {
    id: jlong,
    finished: bool,
}

impl Drop for FinishOnDrop {
    fn drop(&mut self) {
        if !self.finished {
            finish(
                self.id,
                Err(internal_error("the call panicked; the process keeps running".into())),
            );
        }
    }
}

/// Starts `future` as the call `id` on the library's runtime. Nothing is started when this
/// fails (the Java side then fails the call itself).
pub fn start<F>(id: jlong, future: F) -> Res<()>
where
    F: Future<Output = Outcome> + Send + 'static,
{
    let runtime = vdk_secrets::runtime::handle()?;
    LazyLock::force(&QUEUE);
    // Held across the spawn, so the task cannot finish before its slot exists.
    let mut calls = calls();
    if calls.contains_key(&id) {
        return Err(internal_error(format!("call id {id} is already in use")).into());
    }
    let task = runtime.spawn(async move {
        let mut guard = FinishOnDrop { id, finished: false };
        let outcome = future.await;
        guard.finished = true;
        finish(id, outcome);
    });
    calls.insert(
        id,
        Slot::Running {
            abort: task.abort_handle(),
            waiter: None,
        },
    );
    Ok(())
}

/// Cancels the call `id`: a running call's task is aborted (its request dropped), a finished
/// call's outcome is dropped. Idempotent; an unknown id is ignored.
pub fn cancel(id: jlong) {
    let slot = calls().remove(&id);
    if let Some(Slot::Running { abort, .. }) = &slot {
        abort.abort();
    }
    drop(slot);
}

/// Calls started and not yet ended by `take` or `cancel` (tests check that none is left over).
pub fn in_flight() -> usize {
    calls().len()
}

/// The outcome of the finished call `id` as Java sees it: the result object (`default_value`
/// for an absent secret, null for writes), or the library's error (thrown by the caller).
pub fn take<'l>(env: &mut Env<'l>, id: jlong, default_value: JObject<'l>) -> Res<JObject<'l>> {
    // Bound first: the map's lock must be released before the arms below (one locks again).
    let slot = calls().remove(&id);
    let outcome = match slot {
        Some(Slot::Done { outcome, .. }) => outcome,
        Some(running @ Slot::Running { .. }) => {
            calls().insert(id, running);
            return Err(internal_error(format!("call {id} was taken before it finished")).into());
        }
        None => return Err(internal_error(format!("call {id} is unknown or was already taken")).into()),
    };
    match &outcome? {
        Payload::Map(map) => secrets_to_java(env, map),
        Payload::Json(json) => Ok(env.byte_array_from_slice(json.as_bytes())?.into()),
        Payload::Value(Some(value)) => {
            let cache = cache(env)?;
            value_to_java(env, cache, value)
        }
        Payload::Value(None) => Ok(default_value),
        Payload::Nothing => Ok(JObject::null()),
    }
}

/// Blocks until at least one event is queued, then drains up to `ids.len()` ready calls into
/// `ids` and returns how many. Log records met on the way are handed to Java's logger here, in
/// queue order, so a call's records are logged before its completion is dispatched.
pub fn await_events(env: &mut Env<'_>, ids: &JLongArray<'_>) -> Res<i32> {
    let capacity = ids.len(env)?.max(1);
    let mut ready: Vec<jlong> = Vec::with_capacity(capacity);
    let receiver = QUEUE.receiver.lock().unwrap_or_else(|p| p.into_inner());
    let mut next = receiver.recv().ok();
    while let Some(event) = next {
        match event {
            Event::Ready(id) => ready.push(id),
            Event::Log { level, message } => {
                let logged = log_to_java(env, level, &message);
                LOGS_LOGGED.fetch_add(1, Ordering::SeqCst);
                logged?
            }
        }
        if ready.len() >= capacity {
            break;
        }
        next = receiver.try_recv().ok();
    }
    drop(receiver);
    ids.set_region(env, 0, &ready)?;
    Ok(i32::try_from(ready.len()).unwrap_or(i32::MAX))
}

fn log_to_java(env: &mut Env<'_>, level: u32, message: &str) -> Res<()> {
    let cache = cache(env)?;
    env.with_local_frame(4, |env| -> Res<()> {
        let message = new_string(env, message)?;
        let args = [
            jvalue {
                i: i32::try_from(level).unwrap_or(i32::MAX),
            },
            jvalue { l: message.as_raw() },
        ];
        // SAFETY: the method ID was looked up on this class with the signature (ILjava/lang/String;)V.
        let result = unsafe {
            env.call_static_method_unchecked(
                &cache.native_log,
                cache.native_log_record,
                ReturnType::Primitive(Primitive::Void),
                &args,
            )
        };
        if result.is_err() && env.exception_check() {
            // A failing logger must not stop the dispatcher: the record is lost, the calls go on.
            env.exception_clear();
        }
        Ok(())
    })
}
