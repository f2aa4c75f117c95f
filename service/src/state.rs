//! What the request handlers share, and the request counters exposed as [`Stats`].

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::auth::TokenIssuer;
use crate::faults::FaultCounters;
use crate::store::SecretsStore;

/// A snapshot of the request counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Successful refresh-token exchanges.
    pub token_exchanges: u64,
    /// GET requests on a secrets path, counted on arrival (before faults and authentication),
    /// so a test can count a client's attempts including retries.
    pub secrets_gets: u64,
    /// PUT requests on a secrets path, counted like `secrets_gets`.
    pub secrets_puts: u64,
    /// Secrets requests answered 401 because of a missing, unknown, expired or revoked token.
    pub rejected_auth: u64,
    /// TCP connections accepted: how a test sees whether a client keeps its connections alive.
    #[serde(default)]
    pub connections: u64,
}

#[derive(Default)]
pub struct StatsCounters {
    pub token_exchanges: AtomicU64,
    pub secrets_gets: AtomicU64,
    pub secrets_puts: AtomicU64,
    pub rejected_auth: AtomicU64,
    pub connections: AtomicU64,
}

impl StatsCounters {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Stats {
        Stats {
            token_exchanges: self.token_exchanges.load(Ordering::Relaxed),
            secrets_gets: self.secrets_gets.load(Ordering::Relaxed),
            secrets_puts: self.secrets_puts.load(Ordering::Relaxed),
            rejected_auth: self.rejected_auth.load(Ordering::Relaxed),
            connections: self.connections.load(Ordering::Relaxed),
        }
    }
}

pub struct AppState {
    pub store: SecretsStore,
    pub tokens: TokenIssuer,
    pub stats: StatsCounters,
    /// `Some` when fault injection is enabled.
    pub faults: Option<FaultCounters>,
    pub max_secrets_bytes: usize,
    /// Refused token requests in a row (reset by a successful one); held while a refused
    /// request waits out its penalty, so refusals are answered one at a time.
    pub token_failures: tokio::sync::Mutex<u32>,
}

impl AppState {
    /// The most a PUT body may be on the wire. Larger than the JSON limit because the limit
    /// applies to the compact form and clients may send whitespace; bounded so that a huge
    /// body is refused without buffering it.
    pub fn put_body_limit(&self) -> usize {
        self.max_secrets_bytes.saturating_mul(4).saturating_add(64 * 1024)
    }
}
