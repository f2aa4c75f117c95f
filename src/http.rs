//! One HTTP exchange with retries: timeouts, backoff with jitter, `Retry-After`, the overall
//! deadline, and a bounded response body. Knows nothing of secrets or tokens beyond carrying
//! them in wiping buffers.

mod proxy;
mod tls;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use rand::Rng;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use reqwest::Method;
use url::Url;

use proxy::Proxies;

use crate::config::Config;
use crate::error::{Error, Redactor, Result, Status};
use crate::runtime;
use crate::secret::SecretBuffer;

/// Error answers are read this far for their explanation; the rest is not worth memory.
const MAX_ERROR_BODY: u64 = 64 * 1024;
/// A body buffer starts at most this large whatever `Content-Length` claims, and grows as
/// bytes arrive: a hostile server must send a gigabyte to make us hold one.
const INITIAL_BODY_CAPACITY: u64 = 64 * 1024;
const RETRY_STATUSES: [u16; 4] = [500, 502, 503, 504];
/// Idle keep-alive connections: how many per host, and for how long.
const POOL_IDLE_PER_HOST: usize = 64;
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Where requests go: a configured URL, checked once.
pub(crate) struct Endpoint {
    pub url: Url,
    /// `host[:port]`, for messages.
    pub host: String,
}

impl Endpoint {
    pub fn of(url: &Url, key: &str) -> Result<Endpoint> {
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| Error::configuration(format!("configuration key '{key}' has no host to connect to")))?;
        let host = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        Ok(Endpoint { url: url.clone(), host })
    }

    /// The path without its trailing slash ("" or "/prefix"), for paths built under it.
    pub fn base_path(&self) -> &str {
        self.url.path().trim_end_matches('/')
    }

    pub fn path(&self) -> &str {
        self.url.path()
    }

    /// The URL with `path` (already percent-encoded) in place of the configured one.
    fn with_path(&self, path: &str) -> Url {
        let mut url = self.url.clone();
        url.set_path(path);
        url
    }
}

/// A request as the caller wants it sent, possibly several times.
pub(crate) struct RequestSpec<'a> {
    pub method: Method,
    pub endpoint: &'a Endpoint,
    /// The endpoint's path, already percent-encoded.
    pub path: &'a str,
    /// Shared, so a retry resends without copying; the owner wipes it when the last copy goes.
    pub body: Option<Bytes>,
    pub content_type: Option<&'static str>,
    pub authorization: Option<&'a HeaderValue>,
    /// Names the operation in errors: "read secrets", "exchange the API token", ...
    pub operation: &'a str,
    pub redactor: &'a Redactor<'a>,
    /// Counts the requests the whole call sends (token exchanges included), for its errors.
    pub attempts: &'a AtomicU32,
}

/// A final answer: a success, or an error status that retrying did not (or must not) fix.
pub(crate) struct Answer {
    pub status: u16,
    pub body: SecretBuffer,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// What went wrong in one attempt, and whether it may be retried.
enum Failure {
    /// Nothing reached the server (DNS, refused, connect timeout): counts as a connect retry.
    Connect(Error),
    /// The exchange broke after sending (read timeout, dropped connection).
    Read(Error),
    /// A 5xx worth retrying, with the server's `Retry-After` if any.
    Status(Error, Option<Duration>),
    /// Not worth retrying: a certificate problem, an oversized body, a refusing proxy.
    Fatal(Error),
}

/// State bound to one runtime generation (see `runtime`): the HTTP client with its connection
/// pool, and the lock that makes concurrent token refreshes run once.
pub(crate) struct Pool {
    generation: u64,
    http: reqwest::Client,
    /// `control_http_max_connections` permits: one per request in flight.
    permits: tokio::sync::Semaphore,
    pub refresh_lock: tokio::sync::Mutex<()>,
}

impl Pool {
    fn new(config: &Config, tls: &rustls::ClientConfig, proxies: &Proxies) -> Result<Pool> {
        let builder = reqwest::Client::builder()
            .tls_backend_preconfigured(tls.clone())
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .pool_max_idle_per_host(POOL_IDLE_PER_HOST.min(config.max_connections as usize))
            .http1_only();
        let http = proxies.configure(builder)?.build().map_err(|e| {
            Error::configuration(format!(
                "cannot set up the HTTP client: {}",
                proxies.clean(&error_chain(&e))
            ))
        })?;
        Ok(Pool {
            generation: runtime::fork_generation(),
            http,
            permits: tokio::sync::Semaphore::new(config.max_connections as usize),
            refresh_lock: tokio::sync::Mutex::new(()),
        })
    }
}

pub(crate) struct Transport {
    config: Config,
    op_id: String,
    tls: Arc<rustls::ClientConfig>,
    proxies: Proxies,
    fixed_headers: HeaderMap,
    pool: Mutex<Arc<Pool>>,
}

impl Transport {
    /// Reads the trust store and the CA bundle (when any of `endpoints` or their proxies uses
    /// TLS) and builds the HTTP client. No network I/O.
    pub fn new(config: &Config, endpoints: &[&Url]) -> Result<Self> {
        let proxies = Proxies::new(config);
        let needs_roots = endpoints.iter().any(|u| u.scheme() == "https") || proxies.any_https(endpoints);
        let (tls, _source) = tls::client_config(config, needs_roots)?;
        if !config.verify_ssl {
            // Said on stderr whatever the log settings: this must not go unnoticed.
            eprintln!(
                "vdk-secrets WARNING: control_http_verify_ssl is false: TLS certificates are not checked, \
                 so anyone on the network path can read and change requests, secrets and tokens included"
            );
        }
        let mut fixed_headers = HeaderMap::new();
        fixed_headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        fixed_headers.insert(
            USER_AGENT,
            HeaderValue::from_str(&config.user_agent).map_err(|_| {
                Error::invalid_argument("configuration key 'control_service_user_agent' is not a valid header value")
            })?,
        );
        let op_id = op_id(config);
        fixed_headers.insert(
            "x-opid",
            HeaderValue::from_str(&op_id).map_err(|_| {
                Error::invalid_argument("configuration key 'op_id_override' is not a valid header value")
            })?,
        );
        // Built now, so that a configuration reqwest refuses fails here and not on first use.
        let pool = Pool::new(config, &tls, &proxies)?;
        Ok(Transport {
            config: config.clone(),
            op_id,
            tls,
            proxies,
            fixed_headers,
            pool: Mutex::new(Arc::new(pool)),
        })
    }

    /// The user names and passwords of the proxies this client may use: never to be printed.
    pub fn proxy_credentials(&self) -> impl Iterator<Item = &str> {
        self.proxies.credentials()
    }

    /// The `X-OPID` every request of this client sends.
    pub fn op_id(&self) -> &str {
        &self.op_id
    }

    /// The pool of the current runtime generation; rebuilt once in a forked child, whose
    /// parent's connections belong to a runtime that no longer runs there.
    pub fn pool(&self) -> Result<Arc<Pool>> {
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        if pool.generation != runtime::fork_generation() {
            let fresh = Pool::new(&self.config, &self.tls, &self.proxies)?;
            let stale = std::mem::replace(&mut *pool, Arc::new(fresh));
            runtime::retire(Box::new(stale));
        }
        Ok(pool.clone())
    }

    /// Sends `spec` until it gets an answer that retrying cannot change, the retry budget is
    /// spent, or `deadline` passes. 5xx answers that survive the retries come back as errors;
    /// other non-2xx answers come back as `Answer`s for the caller to interpret.
    pub async fn send(&self, spec: &RequestSpec<'_>, deadline: Instant) -> Result<Answer> {
        let pool = self.pool()?;
        let started = Instant::now();
        let (mut total, mut connect, mut read) = (0u32, 0u32, 0u32);
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let failure = match tokio::time::timeout(remaining, self.attempt(&pool, spec)).await {
                Err(_) => return Err(self.deadline_error(spec, None, total, started)),
                Ok(Ok(answer)) => return Ok(answer),
                Ok(Err(failure)) => failure,
            };
            let (error, retry_after) = match failure {
                Failure::Fatal(error) => return Err(error),
                Failure::Connect(error) => {
                    connect += 1;
                    if connect > self.config.connect_retries {
                        return Err(exhausted(error, total));
                    }
                    (error, None)
                }
                Failure::Read(error) => {
                    read += 1;
                    if read > self.config.read_retries {
                        return Err(exhausted(error, total));
                    }
                    (error, None)
                }
                Failure::Status(error, retry_after) => (error, retry_after),
            };
            total += 1;
            if total > self.config.total_retries {
                return Err(exhausted(error, total - 1));
            }
            let delay = self.backoff(total).max(retry_after.unwrap_or_default());
            // Any Retry-After a server sends (u64::MAX seconds, a date in year 9999) is only a
            // wait: one that would end past the deadline, or past what a clock can count, is
            // not started.
            if Instant::now().checked_add(delay).is_none_or(|end| end >= deadline) {
                return Err(self.deadline_error(spec, Some(error), total - 1, started));
            }
            log::debug!(
                "{}: attempt {} failed ({}); retrying in {} ms",
                spec.operation,
                total,
                error.why(),
                delay.as_millis()
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// urllib3's schedule, as upstream uses it: the first retry at once, then
    /// factor * 2^(n-1) capped at the maximum; "equal jitter" keeps half of each wait fixed so
    /// a fleet of jobs does not retry in lockstep.
    fn backoff(&self, retry: u32) -> Duration {
        if retry <= 1 {
            return Duration::ZERO;
        }
        let exp = 2f64.powi((retry - 1).min(30) as i32);
        let full = (self.config.backoff_factor.as_secs_f64() * exp).min(self.config.backoff_max.as_secs_f64());
        let jittered = full / 2.0 + rand::thread_rng().gen_range(0.0..=full / 2.0);
        Duration::from_secs_f64(jittered)
    }

    fn deadline_error(&self, spec: &RequestSpec<'_>, last: Option<Error>, retries: u32, started: Instant) -> Error {
        let waited = started.elapsed().as_secs_f64();
        match last {
            Some(error) => {
                let why = format!(
                    "{} (gave up after {retries} retries: the next one would pass the call's deadline)",
                    error.why()
                );
                error.with_why(why)
            }
            None => Error::new(
                Status::Network,
                format!("Failed to {}", spec.operation),
                format!("no answer before the call's deadline ({waited:.1} s; set by the per-call timeout or control_http_deadline_seconds)"),
            )
            .with_countermeasures(
                "Check that the Control Service is reachable and healthy; allow more time (per-call timeout or control_http_deadline_seconds) if calls are legitimately slow.",
            ),
        }
    }

    async fn attempt(&self, pool: &Pool, spec: &RequestSpec<'_>) -> Result<Answer, Failure> {
        // Waits (within the call's deadline, which bounds this whole attempt) while the client
        // has as many requests in flight as it may open connections.
        let _permit = pool.permits.acquire().await.map_err(|_| {
            Failure::Fatal(Error::new(
                Status::Network,
                what(spec),
                "the client's connections were shut down",
            ))
        })?;
        spec.attempts.fetch_add(1, Ordering::Relaxed);
        runtime::note_attempt(&self.op_id);
        let response = pool
            .http
            .execute(self.request(spec))
            .await
            .map_err(|e| self.exchange_failure(e, spec))?;
        let status = response.status().as_u16();
        if status == 407 {
            return Err(Failure::Fatal(self.proxy_refused(spec)));
        }
        let success = (200..300).contains(&status);
        let limit = if success {
            self.config.max_response_bytes
        } else {
            MAX_ERROR_BODY
        };
        let declared = response.content_length();
        if success && declared.is_some_and(|n| n > limit) {
            return Err(Failure::Fatal(too_large(spec, limit)));
        }
        let retry_after = response.headers().get(RETRY_AFTER).and_then(parse_retry_after);
        let expected = declared.unwrap_or(0).min(limit);
        let initial = expected.min(INITIAL_BODY_CAPACITY);
        let mut body = SecretBuffer::with_capacity(initial as usize);
        let mut response = response;
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(e) if success => return Err(self.exchange_failure(e, spec)),
                Err(_) => break, // a broken error body still leaves its status
            };
            let total = body.len() as u64 + chunk.len() as u64;
            if total > limit {
                if success {
                    return Err(Failure::Fatal(too_large(spec, limit)));
                }
                break; // enough of an error body to explain it
            }
            if total > body.capacity() as u64 {
                // Grow by what has arrived, never by what the server claims: at most 4x the
                // bytes received (towards the declared length), so a 1 MB body takes two
                // steps from the initial buffer, and a lying Content-Length costs nothing.
                let grown = if expected >= total {
                    expected.min(total.saturating_mul(4))
                } else {
                    total.saturating_mul(2) // no (or a wrong) length: double
                };
                body.reserve_total(grown.min(limit) as usize);
            }
            body.extend_from_slice(&chunk);
        }
        if RETRY_STATUSES.contains(&status) {
            let error = Error::from_http_answer(status, spec.operation, body.as_bytes(), spec.redactor);
            return Err(Failure::Status(error, retry_after));
        }
        Ok(Answer { status, body })
    }

    /// The request with the headers upstream sends and a wiping body.
    fn request(&self, spec: &RequestSpec<'_>) -> reqwest::Request {
        let mut request = reqwest::Request::new(spec.method.clone(), spec.endpoint.with_path(spec.path));
        let headers = request.headers_mut();
        headers.clone_from(&self.fixed_headers);
        if let Some(content_type) = spec.content_type {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        if let Some(authorization) = spec.authorization {
            headers.insert(AUTHORIZATION, authorization.clone());
        }
        if let Some(body) = &spec.body {
            *request.body_mut() = Some(reqwest::Body::from(body.clone()));
        }
        request
    }

    /// The host a request talks to, or the proxy it goes through: what an error must name.
    fn peer(&self, spec: &RequestSpec<'_>) -> String {
        match self.proxies.for_url(&spec.endpoint.url) {
            Some(proxy) => format!("the proxy {proxy} (on the way to {})", spec.endpoint.host),
            None => spec.endpoint.host.clone(),
        }
    }

    /// Classifies what reqwest, hyper and rustls report. Their texts describe the failure;
    /// none quotes a response body (`PROTOCOL` errors must not), and proxy credentials are
    /// removed from them.
    fn exchange_failure(&self, e: reqwest::Error, spec: &RequestSpec<'_>) -> Failure {
        let e = e.without_url();
        let peer = self.peer(spec);
        let chain = self.proxies.clean(&error_chain(&e));
        if contains_rustls(&e) {
            return Failure::Fatal(
                Error::new(Status::Network, what(spec), format!("TLS with {peer} failed: {chain}"))
                    .with_retryable(false)
                    .with_countermeasures(
                        "Check the server's certificate and the trust store (README: SSL_CERT_FILE, REQUESTS_CA_BUNDLE, control_http_ca_bundle; control_http_verify_ssl=false only for development).",
                    ),
            );
        }
        if is_parse_error(&e) {
            return Failure::Fatal(
                Error::new(
                    Status::Protocol,
                    what(spec),
                    format!("{peer} sent an answer that is not valid HTTP ({})", parse_kind(&e)),
                )
                .with_countermeasures(
                    "Check that control_service_rest_api_url points at a VDK Control Service (and not at a proxy or another service).",
                ),
            );
        }
        if e.is_connect() {
            // hyper-util's tunnel errors are not exported; their texts are stable and plain.
            if chain.contains("tunnel error: proxy authorization required") {
                return Failure::Fatal(self.proxy_refused(spec));
            }
            if chain.contains("tunnel error: unsuccessful") {
                return Failure::Fatal(
                    Error::new(
                        Status::Network,
                        what(spec),
                        format!("{peer} refused to open a tunnel (it answered CONNECT with an error)"),
                    )
                    .with_retryable(false)
                    .with_countermeasures(
                        "Check the proxy's credentials (in control_http_proxy or HTTPS_PROXY: http://user:password@proxy:port) and that it allows connections to the Control Service; set control_http_proxy=none or NO_PROXY if the Control Service is reachable directly.",
                    ),
                );
            }
            if e.is_timeout() {
                return Failure::Connect(Error::new(
                    Status::Network,
                    what(spec),
                    format!("cannot connect to {peer}: no connection within control_http_connect_timeout_seconds"),
                ));
            }
            return Failure::Connect(Error::new(
                Status::Network,
                what(spec),
                format!("cannot connect to {peer}: {chain}"),
            ));
        }
        if e.is_timeout() {
            return Failure::Read(Error::new(
                Status::Network,
                what(spec),
                format!("no answer from {peer} within control_http_read_timeout_seconds"),
            ));
        }
        Failure::Read(Error::new(
            Status::Network,
            what(spec),
            format!("the connection to {peer} broke: {chain}"),
        ))
    }

    fn proxy_refused(&self, spec: &RequestSpec<'_>) -> Error {
        Error::new(
            Status::Network,
            what(spec),
            format!("{} refused the request (HTTP 407: proxy authentication required)", self.peer(spec)),
        )
        .with_http_status(407)
        .with_retryable(false)
        .with_countermeasures(
            "Put the proxy's user name and password in its URL (control_http_proxy or HTTPS_PROXY: http://user:password@proxy:port), or set control_http_proxy=none if the Control Service is reachable directly.",
        )
    }
}

/// One operation id per process, as upstream: 16 lowercase hex digits.
fn op_id(config: &Config) -> String {
    static PROCESS_OP_ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    match &config.op_id {
        Some(id) => id.clone(),
        None => PROCESS_OP_ID
            .get_or_init(|| format!("{:016x}", rand::thread_rng().gen::<u64>()))
            .clone(),
    }
}

fn parse_retry_after(value: &HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(text).ok()?;
    Some(when.duration_since(SystemTime::now()).unwrap_or_default())
}

fn too_large(spec: &RequestSpec<'_>, limit: u64) -> Error {
    Error::new(
        Status::Protocol,
        format!("Failed to {}", spec.operation),
        format!("the answer is larger than {limit} bytes (control_http_max_response_bytes)"),
    )
}

fn what(spec: &RequestSpec<'_>) -> String {
    format!("Failed to {}", spec.operation)
}

/// hyper's parse errors, found through the chain reqwest wraps them in.
fn is_parse_error(error: &(dyn std::error::Error + 'static)) -> bool {
    if error.downcast_ref::<hyper::Error>().is_some_and(hyper::Error::is_parse) {
        return true;
    }
    error.source().is_some_and(is_parse_error)
}

/// hyper's own words for what was wrong ("invalid HTTP version parsed", ...): they name the
/// fault, never the bytes.
fn parse_kind(error: &(dyn std::error::Error + 'static)) -> String {
    if let Some(e) = error.downcast_ref::<hyper::Error>() {
        return e.to_string();
    }
    error.source().map(parse_kind).unwrap_or_default()
}

/// rustls errors reach us nested in I/O errors, whose `source()` skips the wrapped error.
fn contains_rustls(error: &(dyn std::error::Error + 'static)) -> bool {
    if error.downcast_ref::<rustls::Error>().is_some() {
        return true;
    }
    if let Some(inner) = error.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
        if contains_rustls(inner) {
            return true;
        }
    }
    error.source().is_some_and(contains_rustls)
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

fn exhausted(error: Error, retries: u32) -> Error {
    if retries == 0 {
        return error;
    }
    let why = format!("{} (after {retries} retries)", error.why());
    error.with_why(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport(factor: f64, max: f64) -> Transport {
        let config = Config::from_json(&format!(
            r#"{{"control_http_backoff_factor_seconds":{factor},"control_http_backoff_max_seconds":{max}}}"#
        ))
        .unwrap();
        Transport::new(&config, &[]).unwrap()
    }

    #[test]
    fn backoff_follows_upstream_schedule_with_equal_jitter() {
        let t = transport(2.0, 120.0);
        assert_eq!(t.backoff(1), Duration::ZERO, "the first retry goes at once");
        for (retry, full) in [(2, 4.0), (3, 8.0), (4, 16.0), (7, 120.0), (30, 120.0)] {
            for _ in 0..50 {
                let wait = t.backoff(retry).as_secs_f64();
                assert!(
                    wait >= full / 2.0 && wait <= full,
                    "retry {retry}: {wait} not in [{}, {full}]",
                    full / 2.0
                );
            }
        }
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        assert_eq!(
            parse_retry_after(&HeaderValue::from_static("7")),
            Some(Duration::from_secs(7))
        );
        let later = SystemTime::now() + Duration::from_secs(30);
        let date = HeaderValue::from_str(&httpdate::fmt_http_date(later)).unwrap();
        let parsed = parse_retry_after(&date).unwrap();
        assert!(
            parsed > Duration::from_secs(27) && parsed <= Duration::from_secs(30),
            "{parsed:?}"
        );
        let past = HeaderValue::from_str(&httpdate::fmt_http_date(SystemTime::UNIX_EPOCH)).unwrap();
        assert_eq!(parse_retry_after(&past), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(&HeaderValue::from_static("soon")), None);
    }
}
