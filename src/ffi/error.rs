//! `VdkError`: the details of one failed call, owned by the caller.

use std::ffi::{c_char, CString};

use super::{free_handle, guard, VdkStatus};
use crate::error::Error;

/// Details of a failed call: status, HTTP status, retryability and the
/// what / why / consequences / countermeasures texts. Created by a failing call when its
/// `out_error` is non-NULL; released with `vdk_error_free`. Immutable, so it may be read from
/// any thread. No text in it contains a secret value or a token.
pub struct VdkError {
    error: Error,
    message: CString,
    what: CString,
    why: CString,
    consequences: CString,
    countermeasures: CString,
    op_id: CString,
}

fn c_text(text: &str) -> CString {
    CString::new(text.replace('\0', " ")).unwrap_or_default()
}

impl VdkError {
    pub(crate) fn new(error: Error) -> Self {
        VdkError {
            message: c_text(&error.message()),
            what: c_text(error.what()),
            why: c_text(error.why()),
            consequences: c_text(error.consequences()),
            countermeasures: c_text(error.countermeasures()),
            op_id: c_text(error.op_id()),
            error,
        }
    }
}

static EMPTY: &std::ffi::CStr = c"";

fn text_of(error: *const VdkError, pick: fn(&VdkError) -> &CString) -> *const c_char {
    guard(EMPTY.as_ptr(), || {
        // SAFETY: the caller passes NULL or a live error from this library.
        match unsafe { error.as_ref() } {
            Some(e) => pick(e).as_ptr(),
            None => EMPTY.as_ptr(),
        }
    })
}

/// The status of the failed call. `VDK_STATUS_INVALID_ARGUMENT` when `error` is NULL.
#[no_mangle]
pub extern "C" fn vdk_error_status(error: *const VdkError) -> VdkStatus {
    guard(VdkStatus::VDK_STATUS_PANIC, || {
        // SAFETY: the caller passes NULL or a live error from this library.
        match unsafe { error.as_ref() } {
            Some(e) => e.error.status().into(),
            None => VdkStatus::VDK_STATUS_INVALID_ARGUMENT,
        }
    })
}

/// The HTTP status of the answer that caused the error; 0 when there was no HTTP answer
/// (bad argument, network failure) or `error` is NULL.
#[no_mangle]
pub extern "C" fn vdk_error_http_status(error: *const VdkError) -> u16 {
    guard(0, || {
        // SAFETY: the caller passes NULL or a live error from this library.
        unsafe { error.as_ref() }.map_or(0, |e| e.error.http_status())
    })
}

/// Whether repeating the same call later may succeed (service or network trouble, after the
/// library's own retries). False when `error` is NULL.
#[no_mangle]
pub extern "C" fn vdk_error_retryable(error: *const VdkError) -> bool {
    guard(false, || {
        // SAFETY: the caller passes NULL or a live error from this library.
        unsafe { error.as_ref() }.is_some_and(|e| e.error.retryable())
    })
}

/// One line describing the error ("what: why"). Borrowed: valid until `vdk_error_free(error)`.
/// Never NULL: "" when `error` is NULL.
#[no_mangle]
pub extern "C" fn vdk_error_message(error: *const VdkError) -> *const c_char {
    text_of(error, |e| &e.message)
}

/// What failed. Borrowed until `vdk_error_free(error)`; "" when `error` is NULL.
#[no_mangle]
pub extern "C" fn vdk_error_what(error: *const VdkError) -> *const c_char {
    text_of(error, |e| &e.what)
}

/// Why it failed. Borrowed until `vdk_error_free(error)`; "" when `error` is NULL.
#[no_mangle]
pub extern "C" fn vdk_error_why(error: *const VdkError) -> *const c_char {
    text_of(error, |e| &e.why)
}

/// What the failure means for the caller (was anything written?). Borrowed until
/// `vdk_error_free(error)`; "" when `error` is NULL.
#[no_mangle]
pub extern "C" fn vdk_error_consequences(error: *const VdkError) -> *const c_char {
    text_of(error, |e| &e.consequences)
}

/// What to do about it. Borrowed until `vdk_error_free(error)`; "" when `error` is NULL.
#[no_mangle]
pub extern "C" fn vdk_error_countermeasures(error: *const VdkError) -> *const c_char {
    text_of(error, |e| &e.countermeasures)
}

/// The operation id the failed call sent as `X-OPID` (the Control Service logs it), to match
/// the failure with the service's logs. Borrowed until `vdk_error_free(error)`; "" when the
/// call sent no request or `error` is NULL.
#[no_mangle]
pub extern "C" fn vdk_error_op_id(error: *const VdkError) -> *const c_char {
    text_of(error, |e| &e.op_id)
}

/// How many requests the failed call sent, token exchanges and retries included; 0 when it
/// sent none (refused before any request) or `error` is NULL.
#[no_mangle]
pub extern "C" fn vdk_error_attempts(error: *const VdkError) -> u32 {
    guard(0, || {
        // SAFETY: the caller passes NULL or a live error from this library.
        unsafe { error.as_ref() }.map_or(0, |e| e.error.attempts())
    })
}

/// Releases an error. NULL is fine. The error and every text borrowed from it are invalid
/// afterwards. Must not be called twice on the same error.
#[no_mangle]
pub extern "C" fn vdk_error_free(error: *mut VdkError) {
    guard((), || {
        // SAFETY: the caller passes NULL or a live error from this library, once.
        unsafe { free_handle(error) }
    })
}
