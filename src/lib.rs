//! vdk-secrets: read and write a data job's secrets in the Versatile Data Kit Control Service.
//!
//! Layers, bottom up: [`secret`] (wiping containers), [`config`], [`error`], `runtime` (the
//! global tokio runtime), `http` (retries, timeouts, bounded bodies), `auth` (OAuth2 refresh
//! grant), [`client`] (the secrets API), and `ffi` (the C ABI, see `include/vdk_secrets.h`).

mod auth;
pub mod client;
pub mod config;
pub mod error;
pub mod ffi;
mod http;
pub mod job;
pub mod logging;
pub mod redact;
pub mod runtime;
pub mod secret;

pub use client::SecretsClient;
pub use config::Config;
pub use error::{Error, Result, Status};
pub use job::JobSecrets;
pub use secret::{SecretBuffer, SecretMap, SecretString};

/// "vdk-secrets X.Y.Z".
pub const VERSION: &str = concat!("vdk-secrets ", env!("CARGO_PKG_VERSION"));
