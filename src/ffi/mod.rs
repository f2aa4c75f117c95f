//! The C ABI. Conventions, held by every export (see `include/vdk_secrets.h`):
//!
//! - The body runs inside [`boundary`] (or [`guard`]): a panic becomes `VDK_STATUS_PANIC`
//!   (or a NULL/zero result) and never unwinds into the host.
//! - Every pointer is checked; strings must be UTF-8. Bad input is `VDK_STATUS_INVALID_ARGUMENT`.
//! - Out-params are written only on success. Returned strings belong to the caller and go back
//!   through `vdk_string_free`, which wipes them.
//! - Opaque handles are Boxes of one Rust type each, created by [`into_handle`], borrowed by
//!   [`borrow_handle`] and released by [`free_handle`]: no ad-hoc casts elsewhere.

// These are C entry points: the pointer contract is the C caller's, written in each doc
// comment, and marking them `unsafe fn` would change nothing for C while hiding the
// `unsafe` blocks that now mark each dereference.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

pub mod call;
pub mod client;
pub mod error;
pub mod job;
pub mod log;
pub mod string;

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Error, Status};
use crate::secret::SecretBuffer;

pub use call::{VdkCall, VdkCompletion};
pub use error::VdkError;

/// The status of every fallible call. The numbers are part of the ABI and never reused.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(non_camel_case_types)] // the C names, as C users read them
pub enum VdkStatus {
    /// Success.
    VDK_STATUS_OK = 0,
    /// NULL pointer, invalid UTF-8, JSON that is not an object, bad secret name, unknown or
    /// ill-typed configuration key.
    VDK_STATUS_INVALID_ARGUMENT = 1,
    /// Missing REST API URL, unreadable CA bundle, no secrets backend configured, unknown
    /// backend type.
    VDK_STATUS_CONFIGURATION = 2,
    /// 401/403 after one forced token refresh; token exchange rejected.
    VDK_STATUS_AUTHENTICATION = 3,
    /// 404: job or team unknown.
    VDK_STATUS_NOT_FOUND = 4,
    /// Any other 4xx, including 413 (too large).
    VDK_STATUS_USER_ERROR = 5,
    /// 5xx (including 501, storage not configured) after retries.
    VDK_STATUS_SERVICE_ERROR = 6,
    /// DNS, connect, TLS, timeout, dropped connection, after retries.
    VDK_STATUS_NETWORK = 7,
    /// Malformed or oversized response body, an answer that is not HTTP, unexpected redirect.
    VDK_STATUS_PROTOCOL = 8,
    /// The call was cancelled (`vdk_call_cancel`); a cancelled write may or may not have been
    /// applied.
    VDK_STATUS_CANCELLED = 9,
    /// A bug caught at the boundary; the process keeps running.
    VDK_STATUS_PANIC = 99,
}

impl From<Status> for VdkStatus {
    fn from(status: Status) -> Self {
        match status {
            Status::Ok => VdkStatus::VDK_STATUS_OK,
            Status::InvalidArgument => VdkStatus::VDK_STATUS_INVALID_ARGUMENT,
            Status::Configuration => VdkStatus::VDK_STATUS_CONFIGURATION,
            Status::Authentication => VdkStatus::VDK_STATUS_AUTHENTICATION,
            Status::NotFound => VdkStatus::VDK_STATUS_NOT_FOUND,
            Status::UserError => VdkStatus::VDK_STATUS_USER_ERROR,
            Status::ServiceError => VdkStatus::VDK_STATUS_SERVICE_ERROR,
            Status::Network => VdkStatus::VDK_STATUS_NETWORK,
            Status::Protocol => VdkStatus::VDK_STATUS_PROTOCOL,
            Status::Cancelled => VdkStatus::VDK_STATUS_CANCELLED,
            Status::Panic => VdkStatus::VDK_STATUS_PANIC,
        }
    }
}

/// Runs a fallible export body: maps its error (or a panic) to a status and, when the caller
/// asked for details, to a new `VdkError` in `*out_error`.
pub(crate) fn boundary<F>(out_error: *mut *mut VdkError, body: F) -> VdkStatus
where
    F: FnOnce() -> Result<(), Error>,
{
    crate::logging::init_from_env();
    let error = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return VdkStatus::VDK_STATUS_OK,
        Ok(Err(error)) => error,
        Err(_) => Error::new(
            Status::Panic,
            "Internal error in vdk-secrets",
            "a bug was caught at the C boundary; the call was abandoned",
        ),
    };
    let status = VdkStatus::from(error.status());
    if !out_error.is_null() {
        // Building the error object allocates; keep even that from unwinding into C.
        if let Ok(handle) = catch_unwind(AssertUnwindSafe(|| into_handle(VdkError::new(error)))) {
            // SAFETY: non-null, and the caller promises it points at writable storage.
            unsafe { *out_error = handle };
        }
    }
    status
}

/// Runs an infallible export body, returning `fallback` if it panics.
pub(crate) fn guard<T, F: FnOnce() -> T>(fallback: T, body: F) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

pub(crate) fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// # Safety
/// `ptr` is NULL or was returned by `into_handle::<T>` and not freed yet.
pub(crate) unsafe fn borrow_handle<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Error> {
    // SAFETY: per this function's contract.
    unsafe { ptr.as_ref() }.ok_or_else(|| Error::invalid_argument(format!("{name} is NULL")))
}

/// # Safety
/// `ptr` is NULL or was returned by `into_handle::<T>` and not freed yet.
pub(crate) unsafe fn free_handle<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: per this function's contract.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

/// A borrowed, checked UTF-8 view of a C string argument.
///
/// # Safety
/// `ptr` is NULL or points at a NUL-terminated string that outlives the call.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(Error::invalid_argument(format!("{name} is NULL")));
    }
    // SAFETY: non-null and NUL-terminated per this function's contract.
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    std::str::from_utf8(bytes).map_err(|e| {
        Error::invalid_argument(format!(
            "{name} is not valid UTF-8 (bad byte at offset {})",
            e.valid_up_to()
        ))
    })
}

/// Fails early when an out-param is NULL, before any work is done.
pub(crate) fn require_out<T>(ptr: *mut T, name: &str) -> Result<(), Error> {
    if ptr.is_null() {
        Err(Error::invalid_argument(format!("{name} is NULL")))
    } else {
        Ok(())
    }
}

/// A per-call bound from C: `timeout_ms` of 0 means the configured deadline.
pub(crate) fn deadline_from_timeout(timeout_ms: u32) -> Option<std::time::Instant> {
    (timeout_ms > 0).then(|| std::time::Instant::now() + std::time::Duration::from_millis(u64::from(timeout_ms)))
}

/// Hands JSON to C as a new NUL-terminated string for `vdk_string_free`.
pub(crate) fn into_c_string(json: &SecretBuffer) -> Result<*mut c_char, Error> {
    if json.as_bytes().contains(&0) {
        return Err(Error::new(
            Status::Protocol,
            "Cannot return the result",
            "it holds a NUL byte",
        ));
    }
    string::alloc_c_string(json.as_bytes())
        .ok_or_else(|| Error::new(Status::ServiceError, "Cannot return the result", "out of memory"))
}
