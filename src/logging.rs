//! Opt-in diagnostics on stderr for hosts that have no Rust logger: `VDK_SECRETS_LOG=debug`.
//!
//! Only our own records are printed (other crates may log request details we do not control),
//! and ours never carry secret values, tokens or bodies.

use std::io::Write;
use std::sync::Once;

use log::{Level, LevelFilter, Log, Metadata, Record};

struct StderrLogger {
    level: LevelFilter,
}

impl Log for StderrLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= self.level && metadata.target().starts_with("vdk_secrets")
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
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

/// Installs the stderr logger once if `VDK_SECRETS_LOG` names a level and no logger is set.
pub fn init_from_env() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let Ok(text) = std::env::var("VDK_SECRETS_LOG") else {
            return;
        };
        let Ok(level) = text.trim().parse::<LevelFilter>() else {
            return;
        };
        if log::set_boxed_logger(Box::new(StderrLogger { level })).is_ok() {
            log::set_max_level(level);
        }
    });
}
