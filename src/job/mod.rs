//! The job-facing layer: one job's secrets through the backend the configuration picks, with a
//! read cache and in-process serialization of read-modify-write operations.

mod backend;
mod validate;

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde_json::Value;

pub use backend::{BackendFuture, Backends, ControlServiceBackend, MemoryBackend, SecretsBackend};
pub use validate::{validate_name, validate_size, MAX_SECRETS_BYTES};

use crate::client::validate_job_and_team;
use crate::config::Config;
use crate::error::Result;
use crate::runtime;
use crate::secret::SecretMap;

/// A job's secrets, as data-job code sees them. Safe to share between threads.
///
/// Reads are served from a cache filled by the first read, kept until a write of this handle,
/// `refresh`, or the optional time-to-live (`secrets_cache_ttl_seconds`). When many threads
/// read a cold cache at once, one fetch runs and the others wait for it. `set`, `delete` and
/// `set_all` of one handle are serialized, so threads never lose each other's updates; other
/// processes (or other handles) writing the same job can still race, since the Control Service
/// API has no versioning: the last write wins.
pub struct JobSecrets {
    job: String,
    team: String,
    backend: Arc<dyn SecretsBackend>,
    ttl: Option<Duration>,
    cache: RwLock<Option<Cached>>,
    /// Held while fetching into the cache and during read-modify-write, so both run once. An
    /// async lock: calls wait for it without holding a thread, and a cancelled call lets go.
    fetch_or_write: tokio::sync::Mutex<()>,
}

struct Cached {
    secrets: Arc<SecretMap>,
    fetched_at: Instant,
}

impl std::fmt::Debug for JobSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobSecrets")
            .field("job", &self.job)
            .field("team", &self.team)
            .field("backend", &self.backend.name())
            .finish_non_exhaustive()
    }
}

impl JobSecrets {
    /// Picks the backend from `config` (see [`Backends::from_config`]). Does no I/O; a missing
    /// or unknown backend is reported by the first call, as upstream does.
    pub fn new(job: &str, team: &str, config: &Config) -> Result<Self> {
        validate_job_and_team(job, team)?;
        let backend = Backends::from_config(config)?.select(config.secrets_default_type.as_deref());
        Ok(JobSecrets::with_backend(job, team, backend, config.secrets_cache_ttl))
    }

    pub fn with_backend(job: &str, team: &str, backend: Arc<dyn SecretsBackend>, ttl: Option<Duration>) -> Self {
        JobSecrets {
            job: job.to_string(),
            team: team.to_string(),
            backend,
            ttl,
            cache: RwLock::new(None),
            fetch_or_write: tokio::sync::Mutex::new(()),
        }
    }

    pub fn backend_name(&self) -> &str {
        self.backend.name()
    }

    /// One secret's value; `None` when it is not set. `deadline` bounds a fetch on a cold
    /// cache (`None`: the configured deadline), as it bounds the network part of every method.
    /// A warm cache answers without touching the runtime.
    pub fn get(&self, name: &str, deadline: Option<Instant>) -> Result<Option<Value>> {
        let secrets = self.get_all(deadline)?;
        Ok(secrets.get(name).cloned())
    }

    /// All secrets of the job.
    pub fn get_all(&self, deadline: Option<Instant>) -> Result<Arc<SecretMap>> {
        match self.fresh_cache() {
            Some(secrets) => Ok(secrets),
            None => runtime::block_on(self.get_all_async(deadline))?,
        }
    }

    /// Sets one secret (read, change, write the whole map).
    pub fn set(&self, name: &str, value: Value, deadline: Option<Instant>) -> Result<()> {
        runtime::block_on(self.set_async(name, value, deadline))?
    }

    /// Removes one secret; removing an absent one writes nothing and is not an error.
    pub fn delete(&self, name: &str, deadline: Option<Instant>) -> Result<()> {
        runtime::block_on(self.delete_async(name, deadline))?
    }

    /// Replaces all secrets of the job.
    pub fn set_all(&self, secrets: SecretMap, deadline: Option<Instant>) -> Result<()> {
        runtime::block_on(self.set_all_async(secrets, deadline))?
    }

    /// Drops the cache and fetches the secrets again.
    pub fn refresh(&self, deadline: Option<Instant>) -> Result<()> {
        runtime::block_on(self.refresh_async(deadline))?
    }

    // The async twins run on the library's runtime (the blocking methods above, the C ABI's
    // `_async` calls, the Java binding's glue): poll them only inside a task spawned on
    // `runtime::handle()`, whose reactor their requests need. Each is cancel-safe: dropping one mid-way releases the handle's lock,
    // and a fetch or write that others waited for is then done by the next of them.

    pub async fn get_async(&self, name: &str, deadline: Option<Instant>) -> Result<Option<Value>> {
        let secrets = self.get_all_async(deadline).await?;
        Ok(secrets.get(name).cloned())
    }

    pub async fn get_all_async(&self, deadline: Option<Instant>) -> Result<Arc<SecretMap>> {
        if let Some(secrets) = self.fresh_cache() {
            return Ok(secrets);
        }
        let _serial = self.fetch_or_write.lock().await;
        // Another call may have filled the cache while this one waited.
        if let Some(secrets) = self.fresh_cache() {
            return Ok(secrets);
        }
        let known = self.cached_even_if_stale();
        let fetched = self
            .backend
            .read_knowing(&self.job, &self.team, &known, deadline)
            .await?;
        Ok(self.store(fetched))
    }

    pub async fn set_async(&self, name: &str, value: Value, deadline: Option<Instant>) -> Result<()> {
        validate_name(name)?;
        self.modify(deadline, |secrets| {
            secrets.insert(name.to_string(), value);
            true
        })
        .await
    }

    pub async fn delete_async(&self, name: &str, deadline: Option<Instant>) -> Result<()> {
        self.modify(deadline, |secrets| secrets.remove(name)).await
    }

    pub async fn set_all_async(&self, secrets: SecretMap, deadline: Option<Instant>) -> Result<()> {
        for name in secrets.as_map().keys() {
            validate_name(name)?;
        }
        validate_size(&secrets)?;
        let _serial = self.fetch_or_write.lock().await;
        let known = self.cached_even_if_stale();
        self.backend
            .write_knowing(&self.job, &self.team, &secrets, &known, deadline)
            .await?;
        self.store(secrets);
        Ok(())
    }

    pub async fn refresh_async(&self, deadline: Option<Instant>) -> Result<()> {
        let _serial = self.fetch_or_write.lock().await;
        let known = self.cache.write().unwrap_or_else(|p| p.into_inner()).take();
        let known = known.map(|cached| cached.secrets).unwrap_or_default();
        let fresh = self
            .backend
            .read_knowing(&self.job, &self.team, &known, deadline)
            .await?;
        self.store(fresh);
        Ok(())
    }

    async fn modify(&self, deadline: Option<Instant>, change: impl FnOnce(&mut SecretMap) -> bool) -> Result<()> {
        let _serial = self.fetch_or_write.lock().await;
        let known = self.cached_even_if_stale();
        let before = match self.fresh_cache() {
            Some(cached) => cached,
            None => Arc::new(
                self.backend
                    .read_knowing(&self.job, &self.team, &known, deadline)
                    .await?,
            ),
        };
        let mut secrets = (*before).clone();
        if !change(&mut secrets) {
            self.store(secrets);
            return Ok(());
        }
        validate_size(&secrets)?;
        // The values replaced or deleted are known to this call too.
        self.backend
            .write_knowing(&self.job, &self.team, &secrets, &before, deadline)
            .await?;
        self.store(secrets);
        Ok(())
    }

    /// The cached secrets when the cache is warm (no I/O, never blocks on a fetch in progress):
    /// lets a binding answer a warm read at once and start an asynchronous call only when cold.
    pub fn get_all_cached(&self) -> Option<Arc<SecretMap>> {
        self.fresh_cache()
    }

    /// What the cache holds, fresh or not: values this handle knows, to keep out of errors.
    fn cached_even_if_stale(&self) -> Arc<SecretMap> {
        let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
        cache.as_ref().map(|cached| cached.secrets.clone()).unwrap_or_default()
    }

    fn fresh_cache(&self) -> Option<Arc<SecretMap>> {
        let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
        let cached = cache.as_ref()?;
        if self.ttl.is_some_and(|ttl| cached.fetched_at.elapsed() >= ttl) {
            return None;
        }
        Some(cached.secrets.clone())
    }

    fn store(&self, secrets: SecretMap) -> Arc<SecretMap> {
        let secrets = Arc::new(secrets);
        *self.cache.write().unwrap_or_else(|p| p.into_inner()) = Some(Cached {
            secrets: secrets.clone(),
            fetched_at: Instant::now(),
        });
        secrets
    }
}
