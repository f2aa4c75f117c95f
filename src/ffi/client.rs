//! `VdkClient`: the Control Service secrets client.

use std::ffi::{c_char, c_void};

use super::call::{start, Receiver, VdkCall, VdkCompletion};
use super::{
    borrow_handle, boundary, deadline_from_timeout, free_handle, guard, into_c_string, into_handle, require_out,
    str_arg, VdkError, VdkStatus,
};
use crate::client::SecretsClient;
use crate::config::Config;
use crate::error::Error;
use crate::secret_json::SecretJson;

/// A client of one Control Service. Thread-safe: any number of threads may use one client at
/// once, sharing its connection pool and access token. Created by `vdk_client_new` or
/// `vdk_client_new_from_env`, released by `vdk_client_free`.
pub struct VdkClient(SecretsClient);

fn parse_secrets(json: &str, name: &str) -> Result<SecretJson, Error> {
    SecretJson::from_json(json.as_bytes()).map_err(|e| Error::invalid_argument(format!("{name}: {e}")))
}

/// Creates a client from a JSON object of configuration keys (see the README's configuration
/// table; absent keys take their defaults). Does no network I/O: the token exchange and the
/// first connection happen on the first call.
///
/// - `config_json`: NUL-terminated UTF-8, copied; not NULL.
/// - `out_client`: receives the new client on success only; free it with `vdk_client_free`.
/// - `out_error`: NULL, or receives a new error on failure (free with `vdk_error_free`).
///
/// Errors: `VDK_STATUS_INVALID_ARGUMENT` (NULL, bad UTF-8, not a JSON object, unknown or
/// ill-typed key), `VDK_STATUS_CONFIGURATION` (no REST API URL, unreadable CA bundle).
#[no_mangle]
pub extern "C" fn vdk_client_new(
    config_json: *const c_char,
    out_client: *mut *mut VdkClient,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    boundary(out_error, || {
        // SAFETY: the caller passes NULL or a NUL-terminated string.
        let text = unsafe { str_arg(config_json, "config_json") }?;
        require_out(out_client, "out_client")?;
        let client = SecretsClient::new(Config::from_json(text)?)?;
        // SAFETY: checked non-null above; the caller provides writable storage.
        unsafe { *out_client = into_handle(VdkClient(client)) };
        Ok(())
    })
}

/// Creates a client from `VDK_*` environment variables (names case-insensitive), as
/// `vdk_client_new` does from JSON. Reads the environment at this call only.
#[no_mangle]
pub extern "C" fn vdk_client_new_from_env(out_client: *mut *mut VdkClient, out_error: *mut *mut VdkError) -> VdkStatus {
    boundary(out_error, || {
        require_out(out_client, "out_client")?;
        let client = SecretsClient::from_env()?;
        // SAFETY: checked non-null above; the caller provides writable storage.
        unsafe { *out_client = into_handle(VdkClient(client)) };
        Ok(())
    })
}

/// Reads a job's secrets: a JSON object, `{}` when none are stored, in canonical compact form
/// (keys sorted at every level, the last of duplicate keys kept; README, "Canonical JSON").
///
/// Blocks the calling thread until the answer, an error, or the configured deadline
/// (`control_http_deadline_seconds`). Must not be called from a thread of an async runtime
/// that the library itself drives (it refuses with `VDK_STATUS_INVALID_ARGUMENT`).
///
/// - `client`: a live client; not NULL.
/// - `job_name`, `team_name`: NUL-terminated UTF-8, copied; not NULL, not empty.
/// - `out_secrets_json`: receives a new NUL-terminated JSON string on success only; release it
///   with `vdk_string_free` (which wipes it).
/// - `out_error`: NULL, or receives a new error on failure.
#[no_mangle]
pub extern "C" fn vdk_client_read_secrets(
    client: *const VdkClient,
    job_name: *const c_char,
    team_name: *const c_char,
    out_secrets_json: *mut *mut c_char,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    vdk_client_read_secrets_with_timeout(client, job_name, team_name, 0, out_secrets_json, out_error)
}

/// `vdk_client_read_secrets` bounded by `timeout_ms` for this call (retries included) instead
/// of the configured deadline; 0 means the configured deadline. For callers with their own
/// per-call deadlines (Go contexts, request timeouts).
#[no_mangle]
pub extern "C" fn vdk_client_read_secrets_with_timeout(
    client: *const VdkClient,
    job_name: *const c_char,
    team_name: *const c_char,
    timeout_ms: u32,
    out_secrets_json: *mut *mut c_char,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    boundary(out_error, || {
        // SAFETY: the caller passes NULL or a live client, and NULL or NUL-terminated strings.
        let client = unsafe { borrow_handle(client, "client") }?;
        let job = unsafe { str_arg(job_name, "job_name") }?;
        let team = unsafe { str_arg(team_name, "team_name") }?;
        require_out(out_secrets_json, "out_secrets_json")?;
        // Validated and brought to canonical form as text: no map is built for C.
        let secrets = client
            .0
            .read_secrets_json_blocking(job, team, deadline_from_timeout(timeout_ms))?;
        let json = into_c_string(secrets.as_bytes())?;
        // SAFETY: checked non-null above.
        unsafe { *out_secrets_json = json };
        Ok(())
    })
}

/// Replaces a job's whole secrets map with `secrets_json` (a JSON object of any JSON values).
///
/// Blocks like `vdk_client_read_secrets`. Retries 5xx and network failures within the deadline
/// (a PUT of a whole map is idempotent).
///
/// - `secrets_json`: NUL-terminated UTF-8 JSON object, copied; not NULL.
/// - `out_written_json`: NULL, or receives on success a new JSON string of the map as sent
///   (canonical, compact), to release with `vdk_string_free`.
/// - Other arguments as for `vdk_client_read_secrets`.
///
/// Errors: `VDK_STATUS_INVALID_ARGUMENT` for JSON that is malformed or not an object; nothing
/// is sent then.
#[no_mangle]
pub extern "C" fn vdk_client_write_secrets(
    client: *const VdkClient,
    job_name: *const c_char,
    team_name: *const c_char,
    secrets_json: *const c_char,
    out_written_json: *mut *mut c_char,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    vdk_client_write_secrets_with_timeout(
        client,
        job_name,
        team_name,
        secrets_json,
        0,
        out_written_json,
        out_error,
    )
}

/// `vdk_client_write_secrets` bounded by `timeout_ms` for this call instead of the configured
/// deadline; 0 means the configured deadline.
#[no_mangle]
pub extern "C" fn vdk_client_write_secrets_with_timeout(
    client: *const VdkClient,
    job_name: *const c_char,
    team_name: *const c_char,
    secrets_json: *const c_char,
    timeout_ms: u32,
    out_written_json: *mut *mut c_char,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    boundary(out_error, || {
        // SAFETY: the caller passes NULL or a live client, and NULL or NUL-terminated strings.
        let client = unsafe { borrow_handle(client, "client") }?;
        let job = unsafe { str_arg(job_name, "job_name") }?;
        let team = unsafe { str_arg(team_name, "team_name") }?;
        let text = unsafe { str_arg(secrets_json, "secrets_json") }?;
        let secrets = parse_secrets(text, "secrets_json")?;
        client
            .0
            .write_secrets_json_blocking(job, team, &secrets, deadline_from_timeout(timeout_ms))?;
        if !out_written_json.is_null() {
            let json = into_c_string(secrets.as_bytes())?;
            // SAFETY: checked non-null.
            unsafe { *out_written_json = json };
        }
        Ok(())
    })
}

/// Starts reading a job's secrets and returns at once; `completion` receives the secrets map
/// (a JSON object, as `vdk_client_read_secrets` returns it) or the error.
///
/// - `client`: a live client; not NULL. It may be freed while the call is in flight (the call
///   holds its own reference), but not while this function runs.
/// - `job_name`, `team_name`: as for `vdk_client_read_secrets`; copied.
/// - `timeout_ms`: bound on the whole call, retries included; 0 = `control_http_deadline_seconds`.
/// - `completion`: not NULL; runs exactly once, on the library's completion thread (on a
///   runtime worker if marked with `vdk_completion_set_immediate`), if and only if this
///   function returns `VDK_STATUS_OK`. `user_data` is handed to it untouched (from another
///   thread).
/// - `out_call`: NULL, or receives the call's handle (for `vdk_call_cancel`) before the call can
///   complete; release it with `vdk_call_free`. Untouched when nothing was started.
/// - `out_error`: NULL, or receives a new error when nothing was started.
///
/// Errors (nothing started, the completion never runs): `VDK_STATUS_INVALID_ARGUMENT` (NULL
/// client, names or completion; bad UTF-8; bad names), `VDK_STATUS_CONFIGURATION` (the runtime
/// or the completion thread cannot start).
#[no_mangle]
pub extern "C" fn vdk_client_read_secrets_async(
    client: *const VdkClient,
    job_name: *const c_char,
    team_name: *const c_char,
    timeout_ms: u32,
    completion: VdkCompletion,
    user_data: *mut c_void,
    out_call: *mut *mut VdkCall,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    boundary(out_error, || {
        // SAFETY: the caller passes NULL or a live client, and NULL or NUL-terminated strings.
        let client = unsafe { borrow_handle(client, "client") }?.0.clone();
        let job = unsafe { str_arg(job_name, "job_name") }?.to_string();
        let team = unsafe { str_arg(team_name, "team_name") }?.to_string();
        crate::client::validate_job_and_team(&job, &team)?;
        let deadline = deadline_from_timeout(timeout_ms);
        let receiver = Receiver {
            completion,
            user_data,
            out_call,
        };
        start("read secrets", false, receiver, async move {
            let secrets = client.read_json_on_runtime(&job, &team, deadline).await?;
            Ok(Some(secrets.to_buffer()))
        })
    })
}

/// Starts replacing a job's whole secrets map with `secrets_json` and returns at once;
/// `completion` receives the map as written (canonical, compact JSON) or the error. A
/// cancelled write may or may not have reached the service; its error says so.
///
/// Arguments as for `vdk_client_read_secrets_async`, plus `secrets_json` (a JSON object,
/// copied; malformed JSON is `VDK_STATUS_INVALID_ARGUMENT` and nothing is started).
#[no_mangle]
pub extern "C" fn vdk_client_write_secrets_async(
    client: *const VdkClient,
    job_name: *const c_char,
    team_name: *const c_char,
    secrets_json: *const c_char,
    timeout_ms: u32,
    completion: VdkCompletion,
    user_data: *mut c_void,
    out_call: *mut *mut VdkCall,
    out_error: *mut *mut VdkError,
) -> VdkStatus {
    boundary(out_error, || {
        // SAFETY: the caller passes NULL or a live client, and NULL or NUL-terminated strings.
        let client = unsafe { borrow_handle(client, "client") }?.0.clone();
        let job = unsafe { str_arg(job_name, "job_name") }?.to_string();
        let team = unsafe { str_arg(team_name, "team_name") }?.to_string();
        let text = unsafe { str_arg(secrets_json, "secrets_json") }?;
        crate::client::validate_job_and_team(&job, &team)?;
        let secrets = parse_secrets(text, "secrets_json")?;
        let deadline = deadline_from_timeout(timeout_ms);
        let receiver = Receiver {
            completion,
            user_data,
            out_call,
        };
        start("write secrets", true, receiver, async move {
            client.write_json_on_runtime(&job, &team, &secrets, deadline).await?;
            Ok(Some(secrets.to_buffer()))
        })
    })
}

/// Releases a client. NULL is fine. Must not race with blocking calls or starting functions on
/// the same client, and must be called once: the client is invalid afterwards. Asynchronous
/// calls in flight hold their own reference and complete normally; the connection pool goes
/// when the last of them ends.
#[no_mangle]
pub extern "C" fn vdk_client_free(client: *mut VdkClient) {
    guard((), || {
        // SAFETY: the caller passes NULL or a live client, once, with no call in flight.
        unsafe { free_handle(client) }
    })
}
