//! A local Versatile Data Kit Control Service for development and tests: the Data Job Secrets
//! API and an OAuth2 token endpoint. Not a production server.
//!
//! - `GET|PUT {prefix}/data-jobs/for-team/{team}/jobs/{job}/deployments/{id}/secrets`
//! - `POST {prefix}/oauth/token` (refresh-token grant)
//! - with [`ServiceConfig::enable_faults`]: `GET /__admin/stats`, `POST /__admin/revoke-tokens`,
//!   and job names that inject failures (extra `-tokens` at the end are ignored, so tests can
//!   make names unique; counts are per exact job name; faults act before the secrets
//!   endpoint's own checks, but with an API token set only for requests that carry an access
//!   token this service issued, even if expired or revoked; the `/__admin` endpoints then need
//!   a valid one):
//!   `fault-status-<code>` (VDK body), `fault-messages-<code>` (`{"messages": [...]}`),
//!   `fault-plain-<code>` (text/plain), `fault-flaky-<n>-<code>` (first n, then normal),
//!   `fault-retryafter-<n>-<secs>` (first n: 503 + Retry-After), `fault-slow-<ms>`,
//!   `fault-latency-<µs>` (waits to the microsecond, on a blocking-pool thread: benchmarks of
//!   a service across a network), `fault-drop` (connection closed before any response byte),
//!   `fault-flakydrop-<n>`,
//!   `fault-malformed` (`{"a": `), `fault-notobject` (`[1, 2, 3]`), `fault-huge-<bytes>`
//!   (chunked JSON object, no Content-Length), `fault-hugelen-<bytes>` (with Content-Length),
//!   `fault-revoke` (the first request revokes all access tokens, so it answers 401).
//!   Any other `fault-` name answers 400.
//!
//! Modules: [`config`] (what to start), [`command`] (the flags and the run of a service
//! process, shared by `vdk-control-service` and `vdk-secrets serve`), `routes` (HTTP handlers),
//! `auth` (tokens), `store` (per-job cache and locks) over `disk` (encrypted files), `json`
//! (body checks), `faults`, `server` (connections, shutdown), `tls`.

use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::thread;

use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

mod auth;
pub mod command;
pub mod config;
mod disk;
pub mod echo;
mod error;
mod faults;
mod identity;
mod json;
mod routes;
mod server;
mod state;
mod store;
mod tls;

pub use config::{ServiceConfig, TlsFiles};
pub use state::Stats;
pub use tls::generate_test_certificates;

use crate::auth::TokenIssuer;
use crate::disk::DiskStore;
use crate::faults::FaultCounters;
use crate::state::{AppState, StatsCounters};
use crate::store::SecretsStore;

/// The accessors of a started service; cheap to clone and usable from any thread.
#[derive(Clone)]
pub struct ServiceHandle {
    addr: SocketAddr,
    tls: bool,
    state: Arc<AppState>,
}

impl ServiceHandle {
    /// The address the service listens on (with the actual port when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, or `https://localhost:PORT` with TLS (the name the test
    /// certificates are issued for).
    pub fn base_url(&self) -> String {
        if self.tls {
            return format!("https://localhost:{}", self.addr.port());
        }
        let mut addr = self.addr;
        // A wildcard address accepts connections but is no destination: name loopback instead.
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("http://{addr}")
    }

    /// The token endpoint: `base_url() + "/oauth/token"`.
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.base_url())
    }

    /// A snapshot of the request counters.
    pub fn stats(&self) -> Stats {
        self.state.stats.snapshot()
    }

    /// Makes every access token issued so far invalid (clients must exchange again).
    pub fn revoke_all_tokens(&self) {
        self.state.tokens.revoke_all();
    }
}

/// A service running on a tokio runtime; the accessors of [`ServiceHandle`] are reachable
/// through `Deref`. Dropping it without [`RunningService::shutdown`] also stops the server,
/// without waiting for it.
pub struct RunningService {
    handle: ServiceHandle,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RunningService {
    /// A clonable handle to the accessors.
    pub fn handle(&self) -> ServiceHandle {
        self.handle.clone()
    }

    /// Stops accepting, lets requests in flight finish (a few seconds at most) and returns
    /// when every connection is closed.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

impl Deref for RunningService {
    type Target = ServiceHandle;

    fn deref(&self) -> &ServiceHandle {
        &self.handle
    }
}

/// Binds `config.addr`, spawns the server on the current tokio runtime and returns once it
/// listens. Fails on unusable TLS files, an unusable data directory or a busy address.
pub async fn start(config: ServiceConfig) -> io::Result<RunningService> {
    let tls = config.tls.as_ref().map(tls::acceptor).transpose()?;
    let disk = match config.data_dir.clone() {
        Some(dir) => {
            let key_file = config.key_file.clone();
            Some(tokio::task::spawn_blocking(move || DiskStore::open(&dir, key_file.as_deref())).await??)
        }
        None => None,
    };
    let state = Arc::new(AppState {
        store: SecretsStore::new(disk),
        tokens: TokenIssuer::new(config.api_token.clone(), config.token_lifetime_secs),
        stats: StatsCounters::default(),
        faults: config.enable_faults.then(FaultCounters::default),
        max_secrets_bytes: config.max_secrets_bytes,
        token_failures: Default::default(),
    });
    let router = routes::router(state.clone(), config.enable_faults);
    let listener = TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    let (shutdown, shutdown_rx) = watch::channel(false);
    let handle = ServiceHandle {
        addr,
        tls: tls.is_some(),
        state,
    };
    let task = tokio::spawn(server::serve(listener, tls, router, handle.state.clone(), shutdown_rx));
    Ok(RunningService { handle, shutdown, task })
}

/// A service running on a thread of its own with its own runtime, for synchronous tests.
/// Dropping it shuts the service down and joins the thread.
pub struct BackgroundService {
    handle: ServiceHandle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl BackgroundService {
    /// A clonable handle to the accessors.
    pub fn handle(&self) -> ServiceHandle {
        self.handle.clone()
    }

    /// Shuts down and joins (the same as dropping it).
    pub fn shutdown(self) {}
}

impl Deref for BackgroundService {
    type Target = ServiceHandle;

    fn deref(&self) -> &ServiceHandle {
        &self.handle
    }
}

impl Drop for BackgroundService {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts a service on a new thread running its own two-worker tokio runtime; returns once it
/// listens. Usable from synchronous code and from inside another runtime alike.
pub fn start_in_background(config: ServiceConfig) -> io::Result<BackgroundService> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop, stop_rx) = oneshot::channel::<()>();
    let thread = thread::Builder::new()
        .name("vdk-control-service".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("vdk-control-service-worker")
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    let _ = ready_tx.send(Err(error));
                    return;
                }
            };
            runtime.block_on(async move {
                match start(config).await {
                    Ok(service) => {
                        let _ = ready_tx.send(Ok(service.handle()));
                        // Also resolves when the BackgroundService is dropped.
                        let _ = stop_rx.await;
                        service.shutdown().await;
                    }
                    Err(error) => {
                        let _ = ready_tx.send(Err(error));
                    }
                }
            });
        })?;
    let started = ready_rx
        .recv()
        .unwrap_or_else(|_| Err(io::Error::other("the service thread ended before listening")));
    let handle = match started {
        Ok(handle) => handle,
        Err(error) => {
            let _ = thread.join();
            return Err(error);
        }
    };
    Ok(BackgroundService {
        handle,
        stop: Some(stop),
        thread: Some(thread),
    })
}
