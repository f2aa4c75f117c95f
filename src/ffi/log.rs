//! `vdk_set_log_sink`: the library's log records into the host's logging.

use std::ffi::{c_char, c_void};

use log::LevelFilter;

use super::guard;
use crate::logging::{set_sink, Sink};

/// Severity of a log record, as the sink receives it and as its maximum is given.
pub type VdkLogLevel = u32;
pub const VDK_LOG_ERROR: VdkLogLevel = 1;
pub const VDK_LOG_WARN: VdkLogLevel = 2;
pub const VDK_LOG_INFO: VdkLogLevel = 3;
pub const VDK_LOG_DEBUG: VdkLogLevel = 4;
pub const VDK_LOG_TRACE: VdkLogLevel = 5;

/// Receives one log record: `level` (`VDK_LOG_ERROR` .. `VDK_LOG_TRACE`), `target` (the
/// library's module, e.g. "vdk_secrets::http") and `message` (one line; never a secret value,
/// token or proxy credential). Both strings are borrowed for the call only. May be called from
/// any thread, including the caller's inside a blocking call, with no library lock held; it
/// must return normally and must not call `vdk_` functions.
pub type VdkLogSink =
    Option<extern "C" fn(user_data: *mut c_void, level: VdkLogLevel, target: *const c_char, message: *const c_char)>;

/// Routes the library's own log records (retries, token refreshes, proxy and trust-store
/// choices) at `max_level` and above to `sink`, process-wide, instead of stderr. A NULL `sink`
/// restores the default: stderr, when `VDK_SECRETS_LOG` names a level. `max_level` outside
/// 1..5 is clamped.
///
/// Returns once no thread is still inside the previous sink, so that sink's `user_data` may be
/// freed then. Thread-safe. A Rust host that installed its own `log` logger keeps it: the
/// records go there, and the sink is not called.
#[no_mangle]
pub extern "C" fn vdk_set_log_sink(sink: VdkLogSink, user_data: *mut c_void, max_level: VdkLogLevel) {
    guard((), || {
        let max_level = match max_level.clamp(VDK_LOG_ERROR, VDK_LOG_TRACE) {
            VDK_LOG_ERROR => LevelFilter::Error,
            VDK_LOG_WARN => LevelFilter::Warn,
            VDK_LOG_INFO => LevelFilter::Info,
            VDK_LOG_DEBUG => LevelFilter::Debug,
            _ => LevelFilter::Trace,
        };
        set_sink(sink.map(|callback| Sink {
            callback,
            user_data,
            max_level,
        }));
    })
}
