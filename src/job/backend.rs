//! Backends the job layer can use, registered by name as vdk-core does.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Instant;

use crate::client::SecretsClient;
use crate::config::Config;
use crate::error::{Error, Result, Status};
use crate::secret::SecretMap;

/// What a backend's calls return: a future run on the library's runtime (the job layer's
/// blocking methods wait for it; its async ones, and the C ABI's `_async` calls, do not).
pub type BackendFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// Where a job's secrets live. `deadline` bounds the call (`None`: the configured deadline).
/// Dropping a returned future cancels the call.
pub trait SecretsBackend: Send + Sync {
    fn name(&self) -> &str;
    fn read<'a>(&'a self, job: &'a str, team: &'a str, deadline: Option<Instant>) -> BackendFuture<'a, SecretMap>;
    fn write<'a>(
        &'a self,
        job: &'a str,
        team: &'a str,
        secrets: &'a SecretMap,
        deadline: Option<Instant>,
    ) -> BackendFuture<'a, ()>;

    /// `read` by a caller that holds `known` secrets of the job (its cache): a backend that
    /// quotes server texts in errors keeps these values out of them too.
    fn read_knowing<'a>(
        &'a self,
        job: &'a str,
        team: &'a str,
        known: &'a SecretMap,
        deadline: Option<Instant>,
    ) -> BackendFuture<'a, SecretMap> {
        let _ = known;
        self.read(job, team, deadline)
    }

    /// `write` by a caller that holds `known` secrets of the job (the map being replaced).
    fn write_knowing<'a>(
        &'a self,
        job: &'a str,
        team: &'a str,
        secrets: &'a SecretMap,
        known: &'a SecretMap,
        deadline: Option<Instant>,
    ) -> BackendFuture<'a, ()> {
        let _ = known;
        self.write(job, team, secrets, deadline)
    }
}

/// The Control Service, through [`SecretsClient`].
pub struct ControlServiceBackend {
    name: String,
    client: SecretsClient,
}

impl ControlServiceBackend {
    pub fn new(name: &str, client: SecretsClient) -> Self {
        ControlServiceBackend {
            name: name.to_string(),
            client,
        }
    }
}

impl SecretsBackend for ControlServiceBackend {
    fn name(&self) -> &str {
        &self.name
    }
    fn read<'a>(&'a self, job: &'a str, team: &'a str, deadline: Option<Instant>) -> BackendFuture<'a, SecretMap> {
        Box::pin(self.client.read_on_runtime(job, team, &EMPTY, deadline))
    }
    fn write<'a>(
        &'a self,
        job: &'a str,
        team: &'a str,
        secrets: &'a SecretMap,
        deadline: Option<Instant>,
    ) -> BackendFuture<'a, ()> {
        Box::pin(self.client.write_on_runtime(job, team, secrets, &EMPTY, deadline))
    }
    fn read_knowing<'a>(
        &'a self,
        job: &'a str,
        team: &'a str,
        known: &'a SecretMap,
        deadline: Option<Instant>,
    ) -> BackendFuture<'a, SecretMap> {
        Box::pin(self.client.read_on_runtime(job, team, known, deadline))
    }
    fn write_knowing<'a>(
        &'a self,
        job: &'a str,
        team: &'a str,
        secrets: &'a SecretMap,
        known: &'a SecretMap,
        deadline: Option<Instant>,
    ) -> BackendFuture<'a, ()> {
        Box::pin(self.client.write_on_runtime(job, team, secrets, known, deadline))
    }
}

/// No secrets known: what `read` and `write` tell the client.
static EMPTY: LazyLock<SecretMap> = LazyLock::new(SecretMap::new);

/// An in-process map, shared by every handle of the process (as vdk-core's `memory` backend
/// serves one job run). Lost when the process ends.
pub struct MemoryBackend;

static MEMORY: LazyLock<Mutex<HashMap<(String, String), SecretMap>>> = LazyLock::new(Default::default);

impl SecretsBackend for MemoryBackend {
    fn name(&self) -> &str {
        "memory"
    }
    fn read<'a>(&'a self, job: &'a str, team: &'a str, _: Option<Instant>) -> BackendFuture<'a, SecretMap> {
        let store = MEMORY.lock().unwrap_or_else(|p| p.into_inner());
        let found = store
            .get(&(team.to_string(), job.to_string()))
            .cloned()
            .unwrap_or_default();
        Box::pin(std::future::ready(Ok(found)))
    }
    fn write<'a>(
        &'a self,
        job: &'a str,
        team: &'a str,
        secrets: &'a SecretMap,
        _: Option<Instant>,
    ) -> BackendFuture<'a, ()> {
        let mut store = MEMORY.lock().unwrap_or_else(|p| p.into_inner());
        store.insert((team.to_string(), job.to_string()), secrets.clone());
        Box::pin(std::future::ready(Ok(())))
    }
}

/// A backend that cannot be used, standing in for a choice that failed: every call reports
/// why, so a misconfigured job fails where it first touches a secret, not at start-up.
struct Unavailable(Error);

impl SecretsBackend for Unavailable {
    fn name(&self) -> &str {
        "unavailable"
    }
    fn read<'a>(&'a self, _: &'a str, _: &'a str, _: Option<Instant>) -> BackendFuture<'a, SecretMap> {
        Box::pin(std::future::ready(Err(self.0.clone())))
    }
    fn write<'a>(&'a self, _: &'a str, _: &'a str, _: &'a SecretMap, _: Option<Instant>) -> BackendFuture<'a, ()> {
        Box::pin(std::future::ready(Err(self.0.clone())))
    }
}

/// The registered backends: `default` and `control-service` when the REST API URL is
/// configured, `memory` always.
pub struct Backends {
    by_name: BTreeMap<String, Arc<dyn SecretsBackend>>,
}

impl Backends {
    pub fn from_config(config: &Config) -> Result<Self> {
        let mut by_name: BTreeMap<String, Arc<dyn SecretsBackend>> = BTreeMap::new();
        if config.rest_api_url.is_some() {
            // One client for both names: one pool, one token.
            let client = SecretsClient::new(config.clone())?;
            by_name.insert(
                "default".into(),
                Arc::new(ControlServiceBackend::new("default", client.clone())),
            );
            by_name.insert(
                "control-service".into(),
                Arc::new(ControlServiceBackend::new("control-service", client)),
            );
        } else {
            log::info!(
                "control_service_rest_api_url is not set: the Control Service secrets backend is not registered"
            );
        }
        by_name.insert("memory".into(), Arc::new(MemoryBackend));
        Ok(Backends { by_name })
    }

    pub fn names(&self) -> Vec<&str> {
        self.by_name.keys().map(String::as_str).collect()
    }

    /// Upstream's choice: the named type if set, else `default`, else the only one registered.
    /// A failed choice yields a backend whose every call fails with `CONFIGURATION`.
    pub fn select(&self, wanted: Option<&str>) -> Arc<dyn SecretsBackend> {
        let registered = self.names().join(", ");
        let chosen = match wanted {
            Some(name) => self.by_name.get(&name.to_ascii_lowercase()).cloned().ok_or_else(|| {
                Error::new(
                    Status::Configuration,
                    "No such secrets backend",
                    format!("secrets_default_type is '{name}', but the registered backends are: {registered}"),
                )
                .with_countermeasures(
                    "Set secrets_default_type to one of the registered backends, or set control_service_rest_api_url to register the Control Service backend.",
                )
            }),
            None => self.by_name.get("default").cloned().ok_or_else(|| {
                Error::new(
                    Status::Configuration,
                    "No secrets backend configured",
                    format!("control_service_rest_api_url is not set and secrets_default_type does not choose among: {registered}"),
                )
                .with_countermeasures(
                    "Set control_service_rest_api_url (VDK_CONTROL_SERVICE_REST_API_URL) to use the Control Service, or secrets_default_type=memory for an in-process store.",
                )
            }),
        };
        chosen.unwrap_or_else(|error| Arc::new(Unavailable(error)))
    }
}
