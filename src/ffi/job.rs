//! `VdkJobSecrets`: one job's secrets through the configured backend, with a read cache.

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use serde_json::Value;

use super::call::{start, CallResult, Receiver, VdkCall, VdkCompletion};
use super::{
    borrow_handle, boundary, deadline_from_timeout, free_handle, guard, into_c_string, into_handle, require_out,
    str_arg, VdkError, VdkStatus,
};
use crate::config::Config;
use crate::error::Error;
use crate::job::JobSecrets;
use crate::secret::{SecretBuffer, SecretMap};

/// One job's secrets as data-job code sees them: get, get-all, set, set-all, delete, refresh.
/// Thread-safe. Reads are cached until a write through this handle, `vdk_job_secrets_refresh`,
/// or `secrets_cache_ttl_seconds`; concurrent first reads cause one fetch; set/delete/set-all
/// on one handle are serialized. Created by `vdk_job_secrets_new`, released by
/// `vdk_job_secrets_free`.
/// Asynchronous calls hold a reference of their own, so the handle may be freed under them.
pub struct VdkJobSecrets(Arc<JobSecrets>, /* backend name for C */ std::ffi::CString);

/// One value as compact JSON in a wiping buffer.
fn value_buffer(value: &Value) -> Result<SecretBuffer, Error> {
    let mut json = SecretBuffer::with_capacity(64);
    serde_json::to_writer(&mut json, value).map_err(|_| Error::invalid_argument("value cannot be serialized"))?;
    Ok(json)
}

fn value_to_c(value: &Value) -> Result<*mut c_char, Error> {
    into_c_string(&value_buffer(value)?)
}

/// Creates the job's secrets handle. `config_json` is a JSON object of configuration keys, or
/// NULL to read `VDK_*` environment variables. The backend follows `secrets_default_type`:
/// `default` and `control-service` (registered when `control_service_rest_api_url` is set) or
/// `memory` (an in-process store shared by the process). An unknown or missing backend is
/// reported by the first call with `VDK_STATUS_CONFIGURATION`. No network I/O here.
///
/// - `job_name`, `team_name`: NUL-terminated UTF-8, copied; not NULL, not empty.
/// - `out_job_secrets`: receives the handle on success only; free with `vdk_job_secrets_free`.
/// - `out_error`: NULL, or receives a new error on failure.
#[no_mangle]
pub extern "C" fn vdk_job_secrets_new(
    job_name: *const c_char,
    team_name: *const c_char,
    config_json: *const c_char,
    out_job_secrets: *mut *mut VdkJobSecrets,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    boundary(out_error, || {
        // SAFETY: the caller passes NULL or NUL-terminated strings.
        let job = unsafe { str_arg(job_name, "job_name") }?;
        let team = unsafe { str_arg(team_name, "team_name") }?;
        require_out(out_job_secrets, "out_job_secrets")?;
        let config = if config_json.is_null() {
            Config::from_env()?
        } else {
            // SAFETY: non-null and NUL-terminated per the contract.
            Config::from_json(unsafe { str_arg(config_json, "config_json") }?)?
        };
        let secrets = JobSecrets::new(job, team, &config)?;
        let backend = std::ffi::CString::new(secrets.backend_name()).unwrap_or_default();
        // SAFETY: checked non-null above.
        unsafe { *out_job_secrets = into_handle(VdkJobSecrets(Arc::new(secrets), backend)) };
        Ok(())
    })
}

/// Reads one secret as JSON (e.g. `"sk-abc"` with its quotes, `42`, `{"a":1}`). An absent
/// secret is not an error: `*out_value_json` is set to NULL. Served from the cache when warm;
/// a cold cache fetches (blocking, within the configured deadline).
///
/// - `secrets`: a live handle; `name`: NUL-terminated UTF-8, not NULL.
/// - `out_value_json`: not NULL; on success receives a new string (free with
///   `vdk_string_free`) or NULL when the secret is not set.
/// - `out_error`: NULL, or receives a new error on failure.
#[no_mangle]
pub extern "C" fn vdk_job_secrets_get(
    secrets: *const VdkJobSecrets,
    name: *const c_char,
    out_value_json: *mut *mut c_char,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    vdk_job_secrets_get_with_timeout(secrets, name, 0, out_value_json, out_error)
}

/// `vdk_job_secrets_get` with a fetch bounded by `timeout_ms` (0: the configured deadline).
#[no_mangle]
pub extern "C" fn vdk_job_secrets_get_with_timeout(
    secrets: *const VdkJobSecrets,
    name: *const c_char,
    timeout_ms: u32,
    out_value_json: *mut *mut c_char,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    boundary(out_error, || {
        // SAFETY: the caller passes NULL or a live handle and NULL or a NUL-terminated string.
        let secrets = unsafe { borrow_handle(secrets, "secrets") }?;
        let name = unsafe { str_arg(name, "name") }?;
        require_out(out_value_json, "out_value_json")?;
        let all = secrets.0.get_all(deadline_from_timeout(timeout_ms))?;
        let json = match all.get(name) {
            Some(value) => value_to_c(value)?,
            None => std::ptr::null_mut(),
        };
        // SAFETY: checked non-null above.
        unsafe { *out_value_json = json };
        Ok(())
    })
}

/// Reads all secrets of the job as a JSON object, from the cache when warm.
/// `*out_secrets_json` receives a new string on success only (free with `vdk_string_free`).
#[no_mangle]
pub extern "C" fn vdk_job_secrets_get_all(
    secrets: *const VdkJobSecrets,
    out_secrets_json: *mut *mut c_char,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    vdk_job_secrets_get_all_with_timeout(secrets, 0, out_secrets_json, out_error)
}

/// `vdk_job_secrets_get_all` with a fetch bounded by `timeout_ms` (0: the configured deadline).
#[no_mangle]
pub extern "C" fn vdk_job_secrets_get_all_with_timeout(
    secrets: *const VdkJobSecrets,
    timeout_ms: u32,
    out_secrets_json: *mut *mut c_char,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    boundary(out_error, || {
        // SAFETY: the caller passes NULL or a live handle.
        let secrets = unsafe { borrow_handle(secrets, "secrets") }?;
        require_out(out_secrets_json, "out_secrets_json")?;
        let json = into_c_string(&secrets.0.get_all(deadline_from_timeout(timeout_ms))?.to_json())?;
        // SAFETY: checked non-null above.
        unsafe { *out_secrets_json = json };
        Ok(())
    })
}

/// Sets one secret to `value_json` (any JSON value: `"text"` with quotes, a number, an object,
/// `null`...). Reads the current map (from the cache when warm), changes it and writes it back,
/// serialized with other writes of this handle. Names must be non-empty without whitespace;
/// maps above 1 MiB are refused with `VDK_STATUS_USER_ERROR` before sending. On any error
/// nothing is written.
#[no_mangle]
pub extern "C" fn vdk_job_secrets_set(
    secrets: *const VdkJobSecrets,
    name: *const c_char,
    value_json: *const c_char,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    vdk_job_secrets_set_with_timeout(secrets, name, value_json, 0, out_error)
}

/// `vdk_job_secrets_set` bounded by `timeout_ms` (0: the configured deadline).
#[no_mangle]
pub extern "C" fn vdk_job_secrets_set_with_timeout(
    secrets: *const VdkJobSecrets,
    name: *const c_char,
    value_json: *const c_char,
    timeout_ms: u32,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    boundary(out_error, || {
        // SAFETY: the caller passes NULL or a live handle and NULL or NUL-terminated strings.
        let secrets = unsafe { borrow_handle(secrets, "secrets") }?;
        let name = unsafe { str_arg(name, "name") }?;
        let text = unsafe { str_arg(value_json, "value_json") }?;
        let value = parse_value(text)?;
        secrets.0.set(name, value, deadline_from_timeout(timeout_ms))
    })
}

/// Replaces all secrets of the job with `secrets_json` (a JSON object). Validated as
/// `vdk_job_secrets_set` validates; on any error nothing is written.
#[no_mangle]
pub extern "C" fn vdk_job_secrets_set_all(
    secrets: *const VdkJobSecrets,
    secrets_json: *const c_char,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    vdk_job_secrets_set_all_with_timeout(secrets, secrets_json, 0, out_error)
}

/// `vdk_job_secrets_set_all` bounded by `timeout_ms` (0: the configured deadline).
#[no_mangle]
pub extern "C" fn vdk_job_secrets_set_all_with_timeout(
    secrets: *const VdkJobSecrets,
    secrets_json: *const c_char,
    timeout_ms: u32,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    boundary(out_error, || {
        // SAFETY: the caller passes NULL or a live handle and NULL or a NUL-terminated string.
        let secrets = unsafe { borrow_handle(secrets, "secrets") }?;
        let text = unsafe { str_arg(secrets_json, "secrets_json") }?;
        let map =
            SecretMap::from_json(text.as_bytes()).map_err(|e| Error::invalid_argument(format!("secrets_json: {e}")))?;
        secrets.0.set_all(map, deadline_from_timeout(timeout_ms))
    })
}

/// Removes one secret (read, change, write, as `vdk_job_secrets_set`). Removing a secret that
/// is not set writes nothing and succeeds.
#[no_mangle]
pub extern "C" fn vdk_job_secrets_delete(
    secrets: *const VdkJobSecrets,
    name: *const c_char,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    vdk_job_secrets_delete_with_timeout(secrets, name, 0, out_error)
}

/// `vdk_job_secrets_delete` bounded by `timeout_ms` (0: the configured deadline).
#[no_mangle]
pub extern "C" fn vdk_job_secrets_delete_with_timeout(
    secrets: *const VdkJobSecrets,
    name: *const c_char,
    timeout_ms: u32,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    boundary(out_error, || {
        // SAFETY: the caller passes NULL or a live handle and NULL or a NUL-terminated string.
        let secrets = unsafe { borrow_handle(secrets, "secrets") }?;
        let name = unsafe { str_arg(name, "name") }?;
        secrets.0.delete(name, deadline_from_timeout(timeout_ms))
    })
}

/// Drops the cache and fetches the job's secrets again, so later reads see other writers.
/// On failure the cache stays empty and the next read fetches.
#[no_mangle]
pub extern "C" fn vdk_job_secrets_refresh(secrets: *const VdkJobSecrets, out_error: *mut *mut VdkError) -> VdkStatus {
    vdk_job_secrets_refresh_with_timeout(secrets, 0, out_error)
}

/// `vdk_job_secrets_refresh` bounded by `timeout_ms` (0: the configured deadline).
#[no_mangle]
pub extern "C" fn vdk_job_secrets_refresh_with_timeout(
    secrets: *const VdkJobSecrets,
    timeout_ms: u32,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    boundary(out_error, || {
        // SAFETY: the caller passes NULL or a live handle.
        unsafe { borrow_handle(secrets, "secrets") }?
            .0
            .refresh(deadline_from_timeout(timeout_ms))
    })
}

/// The name of the backend the handle uses: "default", "control-service", "memory", or
/// "unavailable" when configuration chose none (its calls then fail with
/// `VDK_STATUS_CONFIGURATION`). Borrowed from the handle; "" when `secrets` is NULL.
#[no_mangle]
pub extern "C" fn vdk_job_secrets_backend(secrets: *const VdkJobSecrets) -> *const c_char {
    guard(c"".as_ptr(), || {
        // SAFETY: the caller passes NULL or a live handle.
        match unsafe { secrets.as_ref() } {
            Some(s) => s.1.as_ptr(),
            None => c"".as_ptr(),
        }
    })
}

/// Releases the handle and wipes its cache. NULL is fine. Must not race with calls in flight on
/// the same handle, and must be called once.
#[no_mangle]
pub extern "C" fn vdk_job_secrets_free(secrets: *mut VdkJobSecrets) {
    guard((), || {
        // SAFETY: the caller passes NULL or a live handle, once, with no call in flight.
        unsafe { free_handle(secrets) }
    })
}

fn parse_value(text: &str) -> Result<Value, Error> {
    serde_json::from_str::<Value>(text).map_err(|e| {
        Error::invalid_argument(format!(
            "value_json is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

/// Starts one job-layer operation: borrows the handle, lets `prepare` check and copy the
/// arguments (failing starts nothing), and runs the returned future as an asynchronous call.
fn start_job_call<F, Fut>(
    secrets: *const VdkJobSecrets,
    (operation, writes): (&'static str, bool),
    timeout_ms: u32,
    receiver: Receiver,
    out_error: *mut *mut VdkError,
    prepare: F,
) -> VdkStatus
where
    F: FnOnce(Arc<JobSecrets>, Option<std::time::Instant>) -> Result<Fut, Error>,
    Fut: std::future::Future<Output = CallResult> + Send + 'static,
{
    boundary(out_error, || {
        // SAFETY: the caller passes NULL or a live handle.
        let job = unsafe { borrow_handle(secrets, "secrets") }?.0.clone();
        let future = prepare(job, deadline_from_timeout(timeout_ms))?;
        start(operation, writes, receiver, future)
    })
}

fn map_json(map: &SecretMap) -> CallResult {
    Ok(Some(map.to_json()))
}

fn value_json(value: Option<Value>) -> CallResult {
    value.as_ref().map(value_buffer).transpose()
}

/// Starts reading one secret and returns at once; `completion` receives its value as JSON, or
/// NULL `result_json` with `VDK_STATUS_OK` when it is not set. A warm cache still completes on
/// the completion thread (or a worker, for an immediate completion), never inside this
/// function.
///
/// - `secrets`: a live handle; not NULL. It may be freed while the call is in flight.
/// - `name`: NUL-terminated UTF-8, copied; not NULL.
/// - `timeout_ms`, `completion`, `user_data`, `out_call`, `out_error`: as for
///   `vdk_client_read_secrets_async` (the completion runs exactly once if and only if this
///   returns `VDK_STATUS_OK`).
#[no_mangle]
pub extern "C" fn vdk_job_secrets_get_async(
    secrets: *const VdkJobSecrets,
    name: *const c_char,
    timeout_ms: u32,
    completion: VdkCompletion,
    user_data: *mut c_void,
    out_call: *mut *mut VdkCall,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    let operation = "read a secret";
    start_job_call(
        secrets,
        (operation, false),
        timeout_ms,
        Receiver {
            completion,
            user_data,
            out_call,
        },
        out_error,
        |job, deadline| {
            // SAFETY: NULL or a NUL-terminated string.
            let name = unsafe { str_arg(name, "name") }?.to_string();
            Ok(async move { value_json(job.get_async(&name, deadline).await?) })
        },
    )
}

/// Starts reading all of the job's secrets; `completion` receives the map as JSON. Arguments
/// as for `vdk_job_secrets_get_async`.
#[no_mangle]
pub extern "C" fn vdk_job_secrets_get_all_async(
    secrets: *const VdkJobSecrets,
    timeout_ms: u32,
    completion: VdkCompletion,
    user_data: *mut c_void,
    out_call: *mut *mut VdkCall,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    let operation = "read secrets";
    start_job_call(
        secrets,
        (operation, false),
        timeout_ms,
        Receiver {
            completion,
            user_data,
            out_call,
        },
        out_error,
        |job, deadline| Ok(async move { map_json(&*job.get_all_async(deadline).await?) }),
    )
}

/// Starts setting one secret to `value_json` (any JSON value; invalid JSON or a bad name is
/// `VDK_STATUS_INVALID_ARGUMENT`, nothing started); `completion` receives NULL `result_json`.
/// A cancelled set may or may not have been written. Arguments as for
/// `vdk_job_secrets_get_async`.
#[no_mangle]
pub extern "C" fn vdk_job_secrets_set_async(
    secrets: *const VdkJobSecrets,
    name: *const c_char,
    value_json: *const c_char,
    timeout_ms: u32,
    completion: VdkCompletion,
    user_data: *mut c_void,
    out_call: *mut *mut VdkCall,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    let operation = "set a secret";
    start_job_call(
        secrets,
        (operation, true),
        timeout_ms,
        Receiver {
            completion,
            user_data,
            out_call,
        },
        out_error,
        |job, deadline| {
            // SAFETY: NULL or NUL-terminated strings.
            let name = unsafe { str_arg(name, "name") }?.to_string();
            let value = parse_value(unsafe { str_arg(value_json, "value_json") }?)?;
            crate::job::validate_name(&name)?;
            Ok(async move {
                job.set_async(&name, value, deadline).await?;
                Ok(None)
            })
        },
    )
}

/// Starts replacing all of the job's secrets with `secrets_json` (a JSON object; malformed is
/// `VDK_STATUS_INVALID_ARGUMENT`, nothing started); `completion` receives NULL `result_json`.
/// Arguments as for `vdk_job_secrets_get_async`.
#[no_mangle]
pub extern "C" fn vdk_job_secrets_set_all_async(
    secrets: *const VdkJobSecrets,
    secrets_json: *const c_char,
    timeout_ms: u32,
    completion: VdkCompletion,
    user_data: *mut c_void,
    out_call: *mut *mut VdkCall,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    let operation = "write secrets";
    start_job_call(
        secrets,
        (operation, true),
        timeout_ms,
        Receiver {
            completion,
            user_data,
            out_call,
        },
        out_error,
        |job, deadline| {
            // SAFETY: NULL or a NUL-terminated string.
            let text = unsafe { str_arg(secrets_json, "secrets_json") }?;
            let map = SecretMap::from_json(text.as_bytes())
                .map_err(|e| Error::invalid_argument(format!("secrets_json: {e}")))?;
            Ok(async move {
                job.set_all_async(map, deadline).await?;
                Ok(None)
            })
        },
    )
}

/// Starts removing one secret; `completion` receives NULL `result_json`. Arguments as for
/// `vdk_job_secrets_get_async`.
#[no_mangle]
pub extern "C" fn vdk_job_secrets_delete_async(
    secrets: *const VdkJobSecrets,
    name: *const c_char,
    timeout_ms: u32,
    completion: VdkCompletion,
    user_data: *mut c_void,
    out_call: *mut *mut VdkCall,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    let operation = "delete a secret";
    start_job_call(
        secrets,
        (operation, true),
        timeout_ms,
        Receiver {
            completion,
            user_data,
            out_call,
        },
        out_error,
        |job, deadline| {
            // SAFETY: NULL or a NUL-terminated string.
            let name = unsafe { str_arg(name, "name") }?.to_string();
            Ok(async move {
                job.delete_async(&name, deadline).await?;
                Ok(None)
            })
        },
    )
}

/// Starts dropping the cache and fetching the secrets again; `completion` receives NULL
/// `result_json`. Arguments as for `vdk_job_secrets_get_all_async`.
#[no_mangle]
pub extern "C" fn vdk_job_secrets_refresh_async(
    secrets: *const VdkJobSecrets,
    timeout_ms: u32,
    completion: VdkCompletion,
    user_data: *mut c_void,
    out_call: *mut *mut VdkCall,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    let operation = "refresh secrets";
    start_job_call(
        secrets,
        (operation, false),
        timeout_ms,
        Receiver {
            completion,
            user_data,
            out_call,
        },
        out_error,
        |job, deadline| {
            Ok(async move {
                job.refresh_async(deadline).await?;
                Ok(None)
            })
        },
    )
}
