//! JNI glue of the vdk-secrets Java binding: the native methods of
//! `io.vdk.secrets.NativeBridge`, over the `vdk-secrets` Rust API.
//!
//! A separate library (`libvdk_secrets_jni.so`) so that the C library carries no JNI code.
//!
//! Conventions of every entry point:
//! - the body runs inside `EnvUnowned::with_env`, which catches panics (`catch_unwind`); a
//!   panic becomes `InternalErrorException`, a library error the exception of its status
//!   ([`failure`]); a Java exception raised by Java code we call (a caller's `Map`) propagates
//!   unchanged;
//! - a null Java argument is refused with INVALID_ARGUMENT, never dereferenced;
//! - handles are `Box` pointers passed as `long`; the Java side guarantees a handle is freed
//!   once and never while a call on it is in flight (see `NativeHandle.java`), and passes 0
//!   for none, which we refuse;
//! - `timeoutNanos < 0` means "the configured deadline"; otherwise the call (retries
//!   included) must end within that many nanoseconds from now.

mod cache;
mod calls;
mod convert;
mod failure;
mod log_sink;
mod strings;

use std::sync::Arc;
use std::time::{Duration, Instant};

use jni::objects::{JClass, JLongArray, JObject, JString};
use jni::sys::{jboolean, jint, jlong};
use jni::{Env, EnvUnowned};
use vdk_secrets::{Config, Error, JobSecrets, SecretMap, SecretsClient};

use crate::cache::cache;
use crate::calls::{Outcome, Payload};
use crate::convert::{java_to_secret_map, java_to_value, secrets_to_java, value_to_java};
use crate::failure::{entry, exception_for, Failure, Res};
use crate::strings::{new_string, read_string};

fn deadline(timeout_nanos: jlong) -> Res<Option<Instant>> {
    let Ok(nanos) = u64::try_from(timeout_nanos) else {
        return Ok(None);
    };
    Instant::now()
        .checked_add(Duration::from_nanos(nanos))
        .map(Some)
        .ok_or_else(|| Error::invalid_argument("the timeout is too large").into())
}

fn closed(what: &str) -> Failure {
    Error::invalid_argument(format!("the {what} is closed")).into()
}

/// # Safety
/// `handle` is 0 or a pointer from `clientNew` that has not been freed.
unsafe fn client_ref<'a>(handle: jlong) -> Res<&'a SecretsClient> {
    // SAFETY: per the contract above.
    unsafe { (handle as usize as *const SecretsClient).as_ref() }.ok_or_else(|| closed("SecretsClient"))
}

/// A job handle is a `Box<Arc<JobSecrets>>`: asynchronous calls hold their own `Arc`, so the
/// handle may be freed (Java's `close()`) while they are in flight.
///
/// # Safety
/// `handle` is 0 or a pointer from `jobNew` that has not been freed.
unsafe fn job_ref<'a>(handle: jlong) -> Res<&'a Arc<JobSecrets>> {
    // SAFETY: per the contract above.
    unsafe { (handle as usize as *const Arc<JobSecrets>).as_ref() }.ok_or_else(|| closed("JobSecrets"))
}

/// A Java `Map` of configuration keys, or null for the `VDK_*` environment variables. The map
/// is converted into a wiping container (it may hold the API token).
fn config_from(env: &mut Env<'_>, config: &JObject<'_>) -> Res<Config> {
    if config.is_null() {
        return Ok(Config::from_env()?);
    }
    let cache = cache(env)?;
    let map = java_to_secret_map(env, cache, config, "the configuration", 1)?;
    Ok(Config::from_map(map.as_map())?)
}

fn name_arg(env: &Env<'_>, name: &JString<'_>, what: &str) -> Res<String> {
    read_string(env, name, what)
}

// ---- SecretsClient ------------------------------------------------------------------------

#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_clientNew<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    config: JObject<'l>,
) -> jlong {
    entry(&mut env, |env| {
        let client = SecretsClient::new(config_from(env, &config)?)?;
        Ok(Box::into_raw(Box::new(client)) as jlong)
    })
}

#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_clientFree<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    entry(&mut env, |_| {
        if handle != 0 {
            // SAFETY: the Java side frees each handle once, after its last call ended.
            drop(unsafe { Box::from_raw(handle as usize as *mut SecretsClient) });
        }
        Ok(())
    })
}

#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_clientRead<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    job: JString<'l>,
    team: JString<'l>,
    timeout_nanos: jlong,
) -> JObject<'l> {
    entry(&mut env, |env| {
        // SAFETY: the handle is live for the duration of the call (see NativeHandle.java).
        let client = unsafe { client_ref(handle) }?;
        let job = name_arg(env, &job, "jobName")?;
        let team = name_arg(env, &team, "teamName")?;
        let secrets = client.read_secrets_json_blocking(&job, &team, deadline(timeout_nanos)?)?;
        Ok(env.byte_array_from_slice(secrets.as_bytes())?.into())
    })
}

/// The job's secrets as canonical compact JSON text (UTF-8 in a `byte[]`, which Java turns into
/// a `String` and wipes: cheaper than `NewString`'s UTF-16): no map is built on either side.
#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_clientReadJson<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    job: JString<'l>,
    team: JString<'l>,
    timeout_nanos: jlong,
) -> JObject<'l> {
    entry(&mut env, |env| {
        // SAFETY: the handle is live for the duration of the call (see NativeHandle.java).
        let client = unsafe { client_ref(handle) }?;
        let job = name_arg(env, &job, "jobName")?;
        let team = name_arg(env, &team, "teamName")?;
        let secrets = client.read_secrets_json_blocking(&job, &team, deadline(timeout_nanos)?)?;
        Ok(env.byte_array_from_slice(secrets.as_bytes())?.into())
    })
}

#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_clientWrite<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    job: JString<'l>,
    team: JString<'l>,
    secrets: JObject<'l>,
    timeout_nanos: jlong,
) {
    entry(&mut env, |env| {
        // SAFETY: the handle is live for the duration of the call (see NativeHandle.java).
        let client = unsafe { client_ref(handle) }?;
        let job = name_arg(env, &job, "jobName")?;
        let team = name_arg(env, &team, "teamName")?;
        let cache = cache(env)?;
        let secrets = java_to_secret_map(env, cache, &secrets, "secrets", 1)?;
        client.write_secrets_blocking(&job, &team, &secrets, deadline(timeout_nanos)?)?;
        Ok(())
    })
}

// ---- JobSecrets ---------------------------------------------------------------------------

#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_jobNew<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    job: JString<'l>,
    team: JString<'l>,
    config: JObject<'l>,
) -> jlong {
    entry(&mut env, |env| {
        let job = name_arg(env, &job, "jobName")?;
        let team = name_arg(env, &team, "teamName")?;
        let config = config_from(env, &config)?;
        let secrets = Arc::new(JobSecrets::new(&job, &team, &config)?);
        Ok(Box::into_raw(Box::new(secrets)) as jlong)
    })
}

#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_jobFree<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    entry(&mut env, |_| {
        if handle != 0 {
            // SAFETY: the Java side frees each handle once, after its last call ended.
            drop(unsafe { Box::from_raw(handle as usize as *mut Arc<JobSecrets>) });
        }
        Ok(())
    })
}

#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_jobBackend<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JString<'l> {
    entry(&mut env, |env| {
        // SAFETY: the handle is live for the duration of the call.
        let secrets = unsafe { job_ref(handle) }?;
        Ok(new_string(env, secrets.backend_name())?)
    })
}

/// The secret `name`, or `defaultValue` (returned as is) when it is not set. A secret set to
/// JSON null is returned as null, not as the default.
#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_jobGet<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    timeout_nanos: jlong,
    default_value: JObject<'l>,
) -> JObject<'l> {
    entry(&mut env, |env| {
        // SAFETY: the handle is live for the duration of the call.
        let secrets = unsafe { job_ref(handle) }?;
        let name = name_arg(env, &name, "name")?;
        let all = secrets.get_all(deadline(timeout_nanos)?)?;
        match all.get(&name) {
            Some(value) => {
                let cache = cache(env)?;
                value_to_java(env, cache, value)
            }
            None => Ok(default_value),
        }
    })
}

#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_jobGetAll<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    timeout_nanos: jlong,
) -> JObject<'l> {
    entry(&mut env, |env| {
        // SAFETY: the handle is live for the duration of the call.
        let secrets = unsafe { job_ref(handle) }?;
        let all = secrets.get_all(deadline(timeout_nanos)?)?;
        secrets_to_java(env, &all)
    })
}

#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_jobSet<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    value: JObject<'l>,
    timeout_nanos: jlong,
) {
    entry(&mut env, |env| {
        // SAFETY: the handle is live for the duration of the call.
        let secrets = unsafe { job_ref(handle) }?;
        let name = name_arg(env, &name, "name")?;
        let cache = cache(env)?;
        let mut value = java_to_value(env, cache, &value, "value", 2)?;
        let result = secrets.set(&name, value.take(), deadline(timeout_nanos)?);
        vdk_secrets::secret::scrub_value(&mut value);
        Ok(result?)
    })
}

#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_jobSetAll<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    all: JObject<'l>,
    timeout_nanos: jlong,
) {
    entry(&mut env, |env| {
        // SAFETY: the handle is live for the duration of the call.
        let secrets = unsafe { job_ref(handle) }?;
        let cache = cache(env)?;
        let map: SecretMap = java_to_secret_map(env, cache, &all, "secrets", 1)?;
        Ok(secrets.set_all(map, deadline(timeout_nanos)?)?)
    })
}

#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_jobDelete<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    timeout_nanos: jlong,
) {
    entry(&mut env, |env| {
        // SAFETY: the handle is live for the duration of the call.
        let secrets = unsafe { job_ref(handle) }?;
        let name = name_arg(env, &name, "name")?;
        Ok(secrets.delete(&name, deadline(timeout_nanos)?)?)
    })
}

#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_jobRefresh<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    timeout_nanos: jlong,
) {
    entry(&mut env, |_| {
        // SAFETY: the handle is live for the duration of the call.
        let secrets = unsafe { job_ref(handle) }?;
        Ok(secrets.refresh(deadline(timeout_nanos)?)?)
    })
}

// ---- asynchronous calls ------------------------------------------------------------------
//
// Each `...Start` converts its arguments on the calling thread, starts the call with the id
// the Java side registered (`NativeCalls`) and returns; a failure here started nothing and is
// thrown. The outcome comes back through `callsAwaitEvents` and `callTake` (see `calls`).

#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_clientReadStart<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    call: jlong,
    job: JString<'l>,
    team: JString<'l>,
    timeout_nanos: jlong,
) {
    entry(&mut env, |env| {
        // SAFETY: the handle is live for the duration of this (starting) call.
        let client = unsafe { client_ref(handle) }?.clone();
        let job = name_arg(env, &job, "jobName")?;
        let team = name_arg(env, &team, "teamName")?;
        let deadline = deadline(timeout_nanos)?.unwrap_or_else(|| client.default_deadline());
        calls::start(call, async move {
            let secrets = client.read_secrets_json_until(&job, &team, deadline).await?;
            Ok(Payload::Json(secrets))
        })
    })
}

#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_clientWriteStart<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    call: jlong,
    job: JString<'l>,
    team: JString<'l>,
    secrets: JObject<'l>,
    timeout_nanos: jlong,
) {
    entry(&mut env, |env| {
        // SAFETY: the handle is live for the duration of this (starting) call.
        let client = unsafe { client_ref(handle) }?.clone();
        let job = name_arg(env, &job, "jobName")?;
        let team = name_arg(env, &team, "teamName")?;
        let cache = cache(env)?;
        let secrets = java_to_secret_map(env, cache, &secrets, "secrets", 1)?;
        let deadline = deadline(timeout_nanos)?.unwrap_or_else(|| client.default_deadline());
        calls::start(call, async move {
            client.write_secrets_until(&job, &team, &secrets, deadline).await?;
            Ok(Payload::Nothing)
        })
    })
}

/// Starts a job-layer call: the handle's `Arc` goes into the future, which `make` builds.
fn start_job_call<F, Fut>(handle: jlong, call: jlong, timeout_nanos: jlong, make: F) -> Res<()>
where
    F: FnOnce(Arc<JobSecrets>, Option<Instant>) -> Fut,
    Fut: std::future::Future<Output = Outcome> + Send + 'static,
{
    // SAFETY: the handle is live for the duration of this (starting) call.
    let job = unsafe { job_ref(handle) }?.clone();
    let deadline = deadline(timeout_nanos)?;
    calls::start(call, make(job, deadline))
}

#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_jobGetStart<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    call: jlong,
    name: JString<'l>,
    timeout_nanos: jlong,
) {
    entry(&mut env, |env| {
        let name = name_arg(env, &name, "name")?;
        start_job_call(handle, call, timeout_nanos, |job, deadline| async move {
            Ok(Payload::Value(job.get_async(&name, deadline).await?))
        })
    })
}

#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_jobGetAllStart<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    call: jlong,
    timeout_nanos: jlong,
) {
    entry(&mut env, |_| {
        start_job_call(handle, call, timeout_nanos, |job, deadline| async move {
            Ok(Payload::Map(job.get_all_async(deadline).await?))
        })
    })
}

#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_jobSetStart<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    call: jlong,
    name: JString<'l>,
    value: JObject<'l>,
    timeout_nanos: jlong,
) {
    entry(&mut env, |env| {
        let name = name_arg(env, &name, "name")?;
        let cache = cache(env)?;
        let value = java_to_value(env, cache, &value, "value", 2)?;
        start_job_call(handle, call, timeout_nanos, |job, deadline| async move {
            // The map the job layer writes keeps its own copy; `set_async` consumes this one.
            job.set_async(&name, value, deadline).await?;
            Ok(Payload::Nothing)
        })
    })
}

#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_jobSetAllStart<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    call: jlong,
    all: JObject<'l>,
    timeout_nanos: jlong,
) {
    entry(&mut env, |env| {
        let cache = cache(env)?;
        let map: SecretMap = java_to_secret_map(env, cache, &all, "secrets", 1)?;
        start_job_call(handle, call, timeout_nanos, |job, deadline| async move {
            job.set_all_async(map, deadline).await?;
            Ok(Payload::Nothing)
        })
    })
}

#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_jobDeleteStart<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    call: jlong,
    name: JString<'l>,
    timeout_nanos: jlong,
) {
    entry(&mut env, |env| {
        let name = name_arg(env, &name, "name")?;
        start_job_call(handle, call, timeout_nanos, |job, deadline| async move {
            job.delete_async(&name, deadline).await?;
            Ok(Payload::Nothing)
        })
    })
}

#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_jobRefreshStart<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    call: jlong,
    timeout_nanos: jlong,
) {
    entry(&mut env, |_| {
        start_job_call(handle, call, timeout_nanos, |job, deadline| async move {
            job.refresh_async(deadline).await?;
            Ok(Payload::Nothing)
        })
    })
}

/// A warm cache's answer for `get`, without starting a call: the value, `defaultValue` when it
/// is not set, or `notCached` when the cache is cold (Java then starts `jobGetStart`).
#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_jobGetCached<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    default_value: JObject<'l>,
    not_cached: JObject<'l>,
) -> JObject<'l> {
    entry(&mut env, |env| {
        // SAFETY: the handle is live for the duration of the call.
        let secrets = unsafe { job_ref(handle) }?;
        let name = name_arg(env, &name, "name")?;
        let Some(all) = secrets.get_all_cached() else {
            return Ok(not_cached);
        };
        match all.get(&name) {
            Some(value) => {
                let cache = cache(env)?;
                value_to_java(env, cache, value)
            }
            None => Ok(default_value),
        }
    })
}

/// A warm cache's map, or null when the cache is cold.
#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_jobGetAllCached<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JObject<'l> {
    entry(&mut env, |env| {
        // SAFETY: the handle is live for the duration of the call.
        let secrets = unsafe { job_ref(handle) }?;
        match secrets.get_all_cached() {
            Some(all) => secrets_to_java(env, &all),
            None => Ok(JObject::null()),
        }
    })
}

/// The outcome of a finished call: its result (`defaultValue` for an absent secret, null for
/// writes), or its error thrown. Ends the call.
#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_callTake<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
    default_value: JObject<'l>,
) -> JObject<'l> {
    entry(&mut env, |env| calls::take(env, call, default_value))
}

/// Ends a call whatever its state: a running one is aborted (its request dropped), a finished
/// one's outcome dropped. Idempotent.
#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_callCancel<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
) {
    entry(&mut env, |_| {
        calls::cancel(call);
        Ok(())
    })
}

/// Waits up to `sliceNanos` for the call to finish, on the calling thread (a blocking call on
/// a platform thread): 0 still running, 1 finished (take it), 2 finished and handed to the
/// dispatcher (wait for it there).
#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_callAwait<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    call: jlong,
    slice_nanos: jlong,
) -> jint {
    entry(&mut env, |_| {
        let slice = Duration::from_nanos(u64::try_from(slice_nanos).unwrap_or(0));
        Ok(match calls::await_done(call, slice) {
            calls::Waited::Running => 0,
            calls::Waited::Done => 1,
            calls::Waited::Queued => 2,
        })
    })
}

/// Blocks the dispatcher thread until events arrive; fills `ids` with ready calls and returns
/// how many (log records are logged on the way).
#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_callsAwaitEvents<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    ids: JLongArray<'l>,
) -> jint {
    entry(&mut env, |env| {
        if ids.is_null() {
            return Err(Error::invalid_argument("ids must not be null").into());
        }
        calls::await_events(env, &ids)
    })
}

/// Native calls not yet ended by `callTake` or `callCancel` (for tests: none may leak).
#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_callsInFlight<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
) -> jint {
    entry(&mut env, |_| Ok(i32::try_from(calls::in_flight()).unwrap_or(i32::MAX)))
}

/// The library's exception for a call its caller cancelled (not thrown), worded by the core.
#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_cancelledException<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    operation: JString<'l>,
    writing: jboolean,
) -> JObject<'l> {
    entry(&mut env, |env| {
        let operation = name_arg(env, &operation, "operation")?;
        Ok(exception_for(env, &Error::cancelled(&operation, writing))?)
    })
}

/// Routes the library's log records to `System.Logger` "io.vdk.secrets" (through the
/// dispatcher thread, which Java starts first). Idempotent.
#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_logInstall<'l>(mut env: EnvUnowned<'l>, _class: JClass<'l>) {
    entry(&mut env, |_| {
        log_sink::install();
        Ok(())
    })
}

// ---- misc -------------------------------------------------------------------------------

/// "vdk-secrets X.Y.Z" of the Rust library linked into the glue.
#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_version<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
) -> JString<'l> {
    entry(&mut env, |env| Ok(new_string(env, vdk_secrets::VERSION)?))
}

/// Panics on purpose, so tests can check that a panic becomes `InternalErrorException` and
/// that the JVM goes on. `mode` 1 panics with a `String` payload, 2 with an empty `String`,
/// anything else with a `&str`.
#[no_mangle]
pub extern "system" fn Java_io_vdk_secrets_NativeBridge_selfTestPanic<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    mode: jni::sys::jint,
) {
    entry(&mut env, |_| -> Res<()> {
        match mode {
            1 => panic!("{}", format!("self-test panic, mode {mode}")),
            // A panic whose message is empty: the exception text must still read as a sentence.
            2 => std::panic::panic_any(String::new()),
            _ => panic!("self-test panic"),
        }
    })
}
