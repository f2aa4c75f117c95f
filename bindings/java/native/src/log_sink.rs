//! The library's log records into Java's `System.Logger` "io.vdk.secrets".
//!
//! The core's sink may run on any thread, runtime workers included. Rather than attach those
//! to the JVM (and let a slow appender stall the connections a worker drives), the sink only
//! queues the record; the binding's dispatcher thread, a Java daemon thread, logs it (see
//! [`crate::calls::await_events`]). Records never hold secret values, tokens or proxy
//! credentials (the core's guarantee); the target is dropped, the logger's name says where
//! they come from.

use std::ffi::{c_char, c_void, CStr};
use std::sync::Once;

use vdk_secrets::ffi::log::{vdk_set_log_sink, VDK_LOG_TRACE};

use crate::calls::{post, Event};

extern "C" fn queue_record(_user_data: *mut c_void, level: u32, _target: *const c_char, message: *const c_char) {
    if message.is_null() {
        return;
    }
    // SAFETY: the core passes a NUL-terminated string that lives for the duration of the call.
    let message = unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned();
    post(Event::Log { level, message });
}

/// Routes every record of the library (all levels: Java's logger configuration decides what is
/// kept, and may change at any time) to the dispatcher. Idempotent.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| vdk_set_log_sink(Some(queue_record), std::ptr::null_mut(), VDK_LOG_TRACE));
}
