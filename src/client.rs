//! The Control Service secrets client: `read_secrets` and `write_secrets` of a job, over the
//! transport and auth layers. Async methods for Rust callers; `*_blocking` twins for the C ABI
//! and other synchronous hosts.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use reqwest::Method;

use crate::auth::{parse_url, AccessToken, Auth};
use crate::config::Config;
use crate::error::{Error, Redactor, Result, Status};
use crate::http::{Answer, Endpoint, RequestSpec, Transport};
use crate::redact::MIN_SECRET_CHARS;
use crate::runtime;
use crate::secret::SecretMap;
use crate::secret_json::SecretJson;

/// A client of one Control Service. Cheap to clone; clones share the connection pool and the
/// access token. Safe to use from any number of threads and tasks at once.
#[derive(Clone)]
pub struct SecretsClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    /// The REST API URL, parsed once.
    endpoint: Endpoint,
    transport: Transport,
    auth: Option<Auth>,
}

impl std::fmt::Debug for SecretsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsClient")
            .field("host", &self.inner.endpoint.host)
            .field("authenticated", &self.inner.auth.is_some())
            .finish()
    }
}

/// Path segments are encoded down to the unreserved characters, so a name holding `/`, `?`,
/// `%` or spaces can only ever address its own job.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

impl SecretsClient {
    /// Validates the configuration and prepares the connection pool. No network I/O: the token
    /// exchange and the first connection happen on the first call.
    pub fn new(config: Config) -> Result<Self> {
        let Some(url) = config.rest_api_url.as_deref() else {
            return Err(Error::configuration("control_service_rest_api_url is not set")
                .with_countermeasures("Set control_service_rest_api_url (or VDK_CONTROL_SERVICE_REST_API_URL) to the Control Service's REST API URL, e.g. http://localhost:8092."));
        };
        let key = "control_service_rest_api_url";
        let endpoint = Endpoint::of(&parse_url(url, key)?, key)?;
        let auth: Option<Auth> = match (&config.api_token, &config.api_token_authorization_url) {
            (Some(token), Some(url)) => Some(Auth::new(token.clone(), url)?),
            (Some(_), None) => {
                return Err(
                    Error::configuration("api_token is set but api_token_authorization_url is not")
                        .with_countermeasures(
                            "Set api_token_authorization_url to the OAuth2 token endpoint that accepts the API token.",
                        ),
                );
            }
            (None, _) => None,
        };
        let mut endpoints = vec![&endpoint.url];
        if let Some(auth) = &auth {
            endpoints.push(auth.token_url());
        }
        let transport = Transport::new(&config, &endpoints)?;
        Ok(SecretsClient {
            inner: Arc::new(Inner {
                config,
                endpoint,
                transport,
                auth,
            }),
        })
    }

    /// `SecretsClient::new` with `Config::from_env`.
    pub fn from_env() -> Result<Self> {
        SecretsClient::new(Config::from_env()?)
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The job's secrets; `{}` when none are stored. The call runs on the library's runtime
    /// whatever executor awaits it; dropping the future cancels it.
    pub async fn read_secrets(&self, job_name: &str, team_name: &str) -> Result<SecretMap> {
        self.read_secrets_until(job_name, team_name, self.default_deadline())
            .await
    }

    /// `read_secrets` bounded by `deadline` instead of the configured one.
    pub async fn read_secrets_until(&self, job_name: &str, team_name: &str, deadline: Instant) -> Result<SecretMap> {
        self.read_secrets_knowing(job_name, team_name, &SecretMap::new(), deadline)
            .await
    }

    /// `read_secrets_until` for a caller that already holds some of the job's secrets (a
    /// cache): their values are kept out of error texts too, should the server echo them.
    pub async fn read_secrets_knowing(
        &self,
        job_name: &str,
        team_name: &str,
        known: &SecretMap,
        deadline: Instant,
    ) -> Result<SecretMap> {
        let (client, job, team, known) = (self.clone(), job_name.to_string(), team_name.to_string(), known.clone());
        runtime::run(async move { client.read(&job, &team, &known, deadline).await }).await?
    }

    /// Replaces the job's whole secrets map with `secrets`.
    pub async fn write_secrets(&self, job_name: &str, team_name: &str, secrets: &SecretMap) -> Result<()> {
        self.write_secrets_until(job_name, team_name, secrets, self.default_deadline())
            .await
    }

    /// `write_secrets` bounded by `deadline` instead of the configured one.
    pub async fn write_secrets_until(
        &self,
        job_name: &str,
        team_name: &str,
        secrets: &SecretMap,
        deadline: Instant,
    ) -> Result<()> {
        self.write_secrets_knowing(job_name, team_name, secrets, &SecretMap::new(), deadline)
            .await
    }

    /// `write_secrets_until` for a caller that holds other secrets of the job (the map being
    /// replaced): their values are kept out of error texts too, as are those written.
    pub async fn write_secrets_knowing(
        &self,
        job_name: &str,
        team_name: &str,
        secrets: &SecretMap,
        known: &SecretMap,
        deadline: Instant,
    ) -> Result<()> {
        let (client, job, team) = (self.clone(), job_name.to_string(), team_name.to_string());
        let (secrets, known) = (secrets.clone(), known.clone());
        runtime::run(async move { client.write(&job, &team, &secrets, &known, deadline).await }).await?
    }

    /// Blocking `read_secrets` on the global runtime, for synchronous hosts.
    pub fn read_secrets_blocking(
        &self,
        job_name: &str,
        team_name: &str,
        deadline: Option<Instant>,
    ) -> Result<SecretMap> {
        self.read_secrets_knowing_blocking(job_name, team_name, &SecretMap::new(), deadline)
    }

    /// Blocking `read_secrets_knowing`.
    pub fn read_secrets_knowing_blocking(
        &self,
        job_name: &str,
        team_name: &str,
        known: &SecretMap,
        deadline: Option<Instant>,
    ) -> Result<SecretMap> {
        runtime::block_on(self.read_on_runtime(job_name, team_name, known, deadline))?
    }

    /// Blocking `write_secrets` on the global runtime, for synchronous hosts.
    pub fn write_secrets_blocking(
        &self,
        job_name: &str,
        team_name: &str,
        secrets: &SecretMap,
        deadline: Option<Instant>,
    ) -> Result<()> {
        self.write_secrets_knowing_blocking(job_name, team_name, secrets, &SecretMap::new(), deadline)
    }

    /// Blocking `write_secrets_knowing`.
    pub fn write_secrets_knowing_blocking(
        &self,
        job_name: &str,
        team_name: &str,
        secrets: &SecretMap,
        known: &SecretMap,
        deadline: Option<Instant>,
    ) -> Result<()> {
        runtime::block_on(self.write_on_runtime(job_name, team_name, secrets, known, deadline))?
    }

    /// `read_secrets_knowing` for code already running on the library's runtime (blocking
    /// calls, the job layer, the C ABI's async calls): no hop through a spawned task.
    pub(crate) async fn read_on_runtime(
        &self,
        job: &str,
        team: &str,
        known: &SecretMap,
        deadline: Option<Instant>,
    ) -> Result<SecretMap> {
        self.read(job, team, known, deadline.unwrap_or_else(|| self.default_deadline()))
            .await
    }

    /// `write_secrets_knowing` for code already running on the library's runtime.
    pub(crate) async fn write_on_runtime(
        &self,
        job: &str,
        team: &str,
        secrets: &SecretMap,
        known: &SecretMap,
        deadline: Option<Instant>,
    ) -> Result<()> {
        self.write(
            job,
            team,
            secrets,
            known,
            deadline.unwrap_or_else(|| self.default_deadline()),
        )
        .await
    }

    async fn read(&self, job_name: &str, team_name: &str, known: &SecretMap, deadline: Instant) -> Result<SecretMap> {
        let path = self.secrets_path(job_name, team_name)?;
        let operation = "read secrets";
        let hidden = known.string_values(MIN_SECRET_CHARS);
        let answer = self
            .call(Method::GET, &path, None, operation, &hidden, deadline)
            .await?;
        SecretMap::from_json(answer.body.as_bytes()).map_err(|e| {
            Error::new(
                Status::Protocol,
                format!("Failed to {operation}"),
                format!("the Control Service's answer is not a secrets object: {e}"),
            )
        })
    }

    async fn write(
        &self,
        job_name: &str,
        team_name: &str,
        secrets: &SecretMap,
        known: &SecretMap,
        deadline: Instant,
    ) -> Result<()> {
        let path = self.secrets_path(job_name, team_name)?;
        let body = Bytes::from_owner(secrets.to_json());
        let mut hidden = secrets.string_values(MIN_SECRET_CHARS);
        hidden.extend(known.string_values(MIN_SECRET_CHARS));
        self.call(Method::PUT, &path, Some(body), "write secrets", &hidden, deadline)
            .await?;
        Ok(())
    }

    /// The job's secrets as canonical compact JSON (what `SecretMap::to_json` would write),
    /// validated as `read_secrets` validates but without building a map: for callers that
    /// hand JSON on. Blocking, on the global runtime.
    pub fn read_secrets_json_blocking(
        &self,
        job_name: &str,
        team_name: &str,
        deadline: Option<Instant>,
    ) -> Result<SecretJson> {
        runtime::block_on(self.read_json_on_runtime(job_name, team_name, deadline))?
    }

    /// [`SecretsClient::read_secrets_json_blocking`] as a future bounded by `deadline`, for
    /// hosts that drive their own calls on the library's runtime (the Java glue): the map as
    /// canonical text, without building a `SecretMap`.
    pub async fn read_secrets_json_until(
        &self,
        job_name: &str,
        team_name: &str,
        deadline: Instant,
    ) -> Result<SecretJson> {
        self.read_json_on_runtime(job_name, team_name, Some(deadline)).await
    }

    /// `write_secrets_blocking` of a map held as JSON text.
    pub fn write_secrets_json_blocking(
        &self,
        job_name: &str,
        team_name: &str,
        secrets: &SecretJson,
        deadline: Option<Instant>,
    ) -> Result<()> {
        runtime::block_on(self.write_json_on_runtime(job_name, team_name, secrets, deadline))?
    }

    /// `read_secrets_json_blocking` for code already running on the library's runtime.
    pub(crate) async fn read_json_on_runtime(
        &self,
        job_name: &str,
        team_name: &str,
        deadline: Option<Instant>,
    ) -> Result<SecretJson> {
        let deadline = deadline.unwrap_or_else(|| self.default_deadline());
        let path = self.secrets_path(job_name, team_name)?;
        let operation = "read secrets";
        let answer = self.call(Method::GET, &path, None, operation, &[], deadline).await?;
        SecretJson::from_body(answer.body).map_err(|e| {
            Error::new(
                Status::Protocol,
                format!("Failed to {operation}"),
                format!("the Control Service's answer is not a secrets object: {e}"),
            )
        })
    }

    /// `write_secrets_json_blocking` for code already running on the library's runtime.
    pub(crate) async fn write_json_on_runtime(
        &self,
        job_name: &str,
        team_name: &str,
        secrets: &SecretJson,
        deadline: Option<Instant>,
    ) -> Result<()> {
        let deadline = deadline.unwrap_or_else(|| self.default_deadline());
        let path = self.secrets_path(job_name, team_name)?;
        let values = secrets.string_values(MIN_SECRET_CHARS);
        let hidden = values.as_strs();
        self.call(
            Method::PUT,
            &path,
            Some(secrets.shared_bytes()),
            "write secrets",
            &hidden,
            deadline,
        )
        .await?;
        Ok(())
    }

    pub fn default_deadline(&self) -> Instant {
        Instant::now() + self.inner.config.deadline
    }

    /// The request target of the job's secrets, every name percent-encoded.
    fn secrets_path(&self, job_name: &str, team_name: &str) -> Result<String> {
        validate_job_and_team(job_name, team_name)?;
        fn encode(s: &str) -> percent_encoding::PercentEncode<'_> {
            percent_encoding::utf8_percent_encode(s, PATH_SEGMENT)
        }
        Ok(format!(
            "{}/data-jobs/for-team/{}/jobs/{}/deployments/{}/secrets",
            self.inner.endpoint.base_path(),
            encode(team_name),
            encode(job_name),
            encode(&self.inner.config.deployment_id)
        ))
    }

    /// One authenticated call: a 401 or 403 forces one token refresh and one replay. Its
    /// errors carry the operation id sent and the number of requests made.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
        operation: &str,
        sensitive: &[&str],
        deadline: Instant,
    ) -> Result<Answer> {
        let attempts = AtomicU32::new(0);
        self.call_counted(method, path, body, operation, sensitive, deadline, &attempts)
            .await
            .map_err(|e| e.with_call_details(self.inner.transport.op_id(), attempts.load(Ordering::Relaxed)))
    }

    #[allow(clippy::too_many_arguments)]
    async fn call_counted(
        &self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
        operation: &str,
        sensitive: &[&str],
        deadline: Instant,
        attempts: &AtomicU32,
    ) -> Result<Answer> {
        let inner = &self.inner;
        let mut token: Option<Arc<AccessToken>> = match &inner.auth {
            Some(auth) => Some(auth.token(&inner.transport, deadline, None, attempts).await?),
            None => None,
        };
        let mut replayed = false;
        loop {
            // Everything this call sent or holds: values, the API token, the access token, and
            // the proxy's credentials.
            let mut redactor = Redactor::new(sensitive.to_vec());
            redactor.hide(inner.transport.proxy_credentials());
            if let Some(auth) = &inner.auth {
                redactor.hide([auth.refresh_token()]);
            }
            if let Some(t) = &token {
                redactor.hide([t.expose()]);
            }
            let spec = RequestSpec {
                method: method.clone(),
                endpoint: &inner.endpoint,
                path,
                body: body.clone(),
                content_type: body.as_ref().map(|_| "application/json"),
                authorization: token.as_ref().map(|t| &t.header),
                operation,
                redactor: &redactor,
                attempts,
            };
            let answer = inner.transport.send(&spec, deadline).await?;
            if answer.is_success() {
                return Ok(answer);
            }
            if matches!(answer.status, 401 | 403) && !replayed {
                if let Some(auth) = &inner.auth {
                    log::debug!("{operation}: HTTP {}; refreshing the access token once", answer.status);
                    token = Some(auth.token(&inner.transport, deadline, token.as_ref(), attempts).await?);
                    replayed = true;
                    continue;
                }
            }
            let mut error = Error::from_http_answer(answer.status, operation, answer.body.as_bytes(), &redactor);
            if answer.status == 401 && inner.auth.is_none() {
                error = error.with_countermeasures(
                    "The Control Service requires authentication: set api_token and api_token_authorization_url.",
                );
            }
            return Err(error);
        }
    }
}

/// Job and team names become path segments: non-empty, not `.` or `..` (which URL parsing
/// would resolve away), no control characters. Everything else is percent-encoded.
pub(crate) fn validate_job_and_team(job_name: &str, team_name: &str) -> Result<()> {
    for (what, name) in [("job_name", job_name), ("team_name", team_name)] {
        if name.is_empty() || name == "." || name == ".." {
            return Err(Error::invalid_argument(format!(
                "{what} must be a non-empty name other than '.' and '..'"
            )));
        }
        if name.chars().any(char::is_control) {
            return Err(Error::invalid_argument(format!(
                "{what} must not contain control characters"
            )));
        }
    }
    Ok(())
}
