//! What a service instance is told at start.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// The default size limit of one job's secrets, as upstream: 1 MiB of compact UTF-8 JSON.
pub const DEFAULT_MAX_SECRETS_BYTES: usize = 1024 * 1024;

/// The default lifetime of an issued access token, in seconds.
pub const DEFAULT_TOKEN_LIFETIME_SECS: u64 = 3600;

/// Configuration of one service instance.
#[derive(Clone)]
pub struct ServiceConfig {
    /// Where to listen, e.g. `127.0.0.1:0` for an ephemeral port.
    pub addr: SocketAddr,
    /// Where to keep secrets encrypted at rest; `None` keeps them in memory only.
    pub data_dir: Option<PathBuf>,
    /// The store key file (32 bytes, created 0600 if absent). `None`: `store.key` inside the
    /// data directory, which is for development only (whoever copies the directory has both
    /// the ciphertexts and the key).
    pub key_file: Option<PathBuf>,
    /// The refresh token the token endpoint accepts. `Some` also makes the secrets endpoints
    /// require a bearer access token issued by that endpoint.
    pub api_token: Option<String>,
    /// `expires_in` of issued access tokens; they are refused after that.
    pub token_lifetime_secs: u64,
    /// A PUT whose compact UTF-8 JSON is larger than this is answered `413`.
    pub max_secrets_bytes: usize,
    /// Interpret job names starting with `fault-` as fault injections and serve `/__admin/*`.
    /// For tests only. With `api_token` set, `/__admin/*` needs a valid access token, and faults
    /// apply only to requests carrying an access token this service issued.
    pub enable_faults: bool,
    /// Serve HTTPS with this certificate and key.
    pub tls: Option<TlsFiles>,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            data_dir: None,
            key_file: None,
            api_token: None,
            token_lifetime_secs: DEFAULT_TOKEN_LIFETIME_SECS,
            max_secrets_bytes: DEFAULT_MAX_SECRETS_BYTES,
            enable_faults: false,
            tls: None,
        }
    }
}

// Written by hand so that the API token never reaches a debug print or a log.
impl fmt::Debug for ServiceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceConfig")
            .field("addr", &self.addr)
            .field("data_dir", &self.data_dir)
            .field("key_file", &self.key_file)
            .field("api_token", &self.api_token.as_ref().map(|_| "<redacted>"))
            .field("token_lifetime_secs", &self.token_lifetime_secs)
            .field("max_secrets_bytes", &self.max_secrets_bytes)
            .field("enable_faults", &self.enable_faults)
            .field("tls", &self.tls)
            .finish()
    }
}

/// PEM files of a server certificate (chain) and its private key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert_pem: PathBuf,
    pub key_pem: PathBuf,
}
