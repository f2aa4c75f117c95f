//! Where the library's log records go when the host has no Rust logger: a host's sink
//! (`vdk_set_log_sink`), or stderr when `VDK_SECRETS_LOG` names a level.
//!
//! Only our own records are forwarded (other crates may log request details we do not
//! control), and ours never carry secret values, tokens, proxy credentials or bodies.

use std::ffi::{c_char, c_void, CString};
use std::io::Write;
use std::sync::{Arc, Mutex, Once};

use log::{Level, LevelFilter, Log, Metadata, Record};

/// A host's log sink: called for each record at or above its level (see `vdk_set_log_sink`).
pub(crate) struct Sink {
    pub callback: extern "C" fn(*mut c_void, u32, *const c_char, *const c_char),
    pub user_data: *mut c_void,
    pub max_level: LevelFilter,
}

// SAFETY: the library never dereferences `user_data`; the host registered the sink knowing
// it is called from any thread (documented on `vdk_set_log_sink`).
unsafe impl Send for Sink {}
unsafe impl Sync for Sink {}

/// The current sink. Held only long enough to clone the `Arc`: a sink runs with no library
/// lock held, and its replacement waits until no thread is still inside it.
static SINK: Mutex<Option<Arc<Sink>>> = Mutex::new(None);

struct Dispatch {
    /// `VDK_SECRETS_LOG`, read once.
    stderr_level: LevelFilter,
}

fn ours(metadata: &Metadata<'_>) -> bool {
    metadata.target().starts_with("vdk_secrets")
}

fn current_sink() -> Option<Arc<Sink>> {
    SINK.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

impl Log for Dispatch {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        ours(metadata)
            && match current_sink() {
                Some(sink) => metadata.level() <= sink.max_level,
                None => metadata.level() <= self.stderr_level,
            }
    }

    fn log(&self, record: &Record<'_>) {
        if !ours(record.metadata()) {
            return;
        }
        if let Some(sink) = current_sink() {
            if record.level() <= sink.max_level {
                let target = CString::new(record.target().replace('\0', " ")).unwrap_or_default();
                let message = CString::new(record.args().to_string().replace('\0', " ")).unwrap_or_default();
                (sink.callback)(sink.user_data, record.level() as u32, target.as_ptr(), message.as_ptr());
            }
            return;
        }
        if record.level() <= self.stderr_level {
            let level = match record.level() {
                Level::Error => "ERROR",
                Level::Warn => "WARN",
                Level::Info => "INFO",
                Level::Debug => "DEBUG",
                Level::Trace => "TRACE",
            };
            let _ = writeln!(std::io::stderr().lock(), "vdk-secrets {level} {}", record.args());
        }
    }

    fn flush(&self) {}
}

fn stderr_level() -> LevelFilter {
    std::env::var("VDK_SECRETS_LOG")
        .ok()
        .and_then(|text| text.trim().parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::Off)
}

static INSTALLED: Mutex<bool> = Mutex::new(false);

/// Installs our logger once (unless the host installed one of its own), with `VDK_SECRETS_LOG`
/// as the stderr level.
pub fn init_from_env() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let stderr_level = stderr_level();
        if log::set_boxed_logger(Box::new(Dispatch { stderr_level })).is_ok() {
            *INSTALLED.lock().unwrap_or_else(|p| p.into_inner()) = true;
            log::set_max_level(stderr_level);
        }
    });
}

/// Replaces the sink (`None`: back to stderr and `VDK_SECRETS_LOG`) and returns once no thread
/// is still inside the previous one. Returns false when the host's own Rust logger is in place,
/// which then keeps receiving the records.
pub(crate) fn set_sink(sink: Option<Sink>) -> bool {
    init_from_env();
    if !*INSTALLED.lock().unwrap_or_else(|p| p.into_inner()) {
        return false;
    }
    let level = sink.as_ref().map_or_else(stderr_level, |s| s.max_level);
    let previous = std::mem::replace(&mut *SINK.lock().unwrap_or_else(|p| p.into_inner()), sink.map(Arc::new));
    log::set_max_level(level);
    if let Some(previous) = previous {
        // Each call in progress holds a clone; when ours is the last, nobody is inside.
        while Arc::strong_count(&previous) > 1 {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }
    true
}
