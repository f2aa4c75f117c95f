//! Backends the job layer can use, registered by name as vdk-core does.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Instant;

use crate::client::SecretsClient;
use crate::config::Config;
use crate::error::{Error, Result, Status};
use crate::secret::SecretMap;

/// Where a job's secrets live. Blocking: the job layer serves synchronous hosts. `deadline`
/// bounds the call (`None`: the configured deadline).
pub trait SecretsBackend: Send + Sync {
    fn name(&self) -> &str;
    fn read(&self, job: &str, team: &str, deadline: Option<Instant>) -> Result<SecretMap>;
    fn write(&self, job: &str, team: &str, secrets: &SecretMap, deadline: Option<Instant>) -> Result<()>;

    /// `read` by a caller that holds `known` secrets of the job (its cache): a backend that
    /// quotes server texts in errors keeps these values out of them too.
    fn read_knowing(&self, job: &str, team: &str, known: &SecretMap, deadline: Option<Instant>) -> Result<SecretMap> {
        let _ = known;
        self.read(job, team, deadline)
    }

    /// `write` by a caller that holds `known` secrets of the job (the map being replaced).
    fn write_knowing(
        &self,
        job: &str,
        team: &str,
        secrets: &SecretMap,
        known: &SecretMap,
        deadline: Option<Instant>,
    ) -> Result<()> {
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
    fn read(&self, job: &str, team: &str, deadline: Option<Instant>) -> Result<SecretMap> {
        self.client.read_secrets_blocking(job, team, deadline)
    }
    fn write(&self, job: &str, team: &str, secrets: &SecretMap, deadline: Option<Instant>) -> Result<()> {
        self.client.write_secrets_blocking(job, team, secrets, deadline)
    }
    fn read_knowing(&self, job: &str, team: &str, known: &SecretMap, deadline: Option<Instant>) -> Result<SecretMap> {
        self.client.read_secrets_knowing_blocking(job, team, known, deadline)
    }
    fn write_knowing(
        &self,
        job: &str,
        team: &str,
        secrets: &SecretMap,
        known: &SecretMap,
        deadline: Option<Instant>,
    ) -> Result<()> {
        self.client
            .write_secrets_knowing_blocking(job, team, secrets, known, deadline)
    }
}

/// An in-process map, shared by every handle of the process (as vdk-core's `memory` backend
/// serves one job run). Lost when the process ends.
pub struct MemoryBackend;

static MEMORY: LazyLock<Mutex<HashMap<(String, String), SecretMap>>> = LazyLock::new(Default::default);

impl SecretsBackend for MemoryBackend {
    fn name(&self) -> &str {
        "memory"
    }
    fn read(&self, job: &str, team: &str, _: Option<Instant>) -> Result<SecretMap> {
        let store = MEMORY.lock().unwrap_or_else(|p| p.into_inner());
        Ok(store
            .get(&(team.to_string(), job.to_string()))
            .cloned()
            .unwrap_or_default())
    }
    fn write(&self, job: &str, team: &str, secrets: &SecretMap, _: Option<Instant>) -> Result<()> {
        let mut store = MEMORY.lock().unwrap_or_else(|p| p.into_inner());
        store.insert((team.to_string(), job.to_string()), secrets.clone());
        Ok(())
    }
}

/// A backend that cannot be used, standing in for a choice that failed: every call reports
/// why, so a misconfigured job fails where it first touches a secret, not at start-up.
struct Unavailable(Error);

impl SecretsBackend for Unavailable {
    fn name(&self) -> &str {
        "unavailable"
    }
    fn read(&self, _: &str, _: &str, _: Option<Instant>) -> Result<SecretMap> {
        Err(self.0.clone())
    }
    fn write(&self, _: &str, _: &str, _: &SecretMap, _: Option<Instant>) -> Result<()> {
        Err(self.0.clone())
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
