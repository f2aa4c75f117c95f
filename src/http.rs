//! One HTTP exchange with retries: timeouts, backoff with jitter, `Retry-After`, the overall
//! deadline, and a bounded response body. Knows nothing of secrets or tokens beyond carrying
//! them in wiping buffers.

use std::error::Error as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use rand::Rng;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use reqwest::{Method, Url};

use crate::config::Config;
use crate::error::{Error, Redactor, Result, Status};
use crate::runtime;
use crate::secret::SecretBuffer;

/// Error answers are read this far for their explanation; the rest is not worth memory.
const MAX_ERROR_BODY: u64 = 64 * 1024;
const RETRY_STATUSES: [u16; 4] = [500, 502, 503, 504];

/// A request as the caller wants it sent, possibly several times.
pub(crate) struct RequestSpec<'a> {
    pub method: Method,
    pub url: &'a Url,
    /// Shared, so a retry resends without copying; the owner wipes it when the last copy goes.
    pub body: Option<Bytes>,
    pub content_type: Option<&'static str>,
    pub authorization: Option<&'a HeaderValue>,
    /// Names the operation in errors: "read secrets", "exchange the API token", ...
    pub operation: &'a str,
    pub redactor: &'a Redactor<'a>,
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
    /// Not worth retrying: a certificate problem, an oversized body.
    Fatal(Error),
}

/// State bound to one runtime generation (see `runtime`): the connection pool, and the lock
/// that makes concurrent token refreshes run once.
pub(crate) struct Pool {
    generation: u64,
    pub http: reqwest::Client,
    pub refresh_lock: tokio::sync::Mutex<()>,
}

pub(crate) struct Transport {
    config: Config,
    roots: Vec<reqwest::Certificate>,
    fixed_headers: HeaderMap,
    pool: Mutex<Arc<Pool>>,
}

impl Transport {
    /// Reads the CA bundle, if any, and builds the pool. No network I/O.
    pub fn new(config: &Config) -> Result<Self> {
        let roots = match &config.ca_bundle {
            Some(path) => load_ca_bundle(path)?,
            None => Vec::new(),
        };
        let mut fixed_headers = HeaderMap::new();
        fixed_headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        fixed_headers.insert(
            USER_AGENT,
            HeaderValue::from_str(&config.user_agent).map_err(|_| {
                Error::invalid_argument("configuration key 'control_service_user_agent' is not a valid header value")
            })?,
        );
        fixed_headers.insert(
            "x-opid",
            HeaderValue::from_str(&op_id(config)).map_err(|_| {
                Error::invalid_argument("configuration key 'op_id_override' is not a valid header value")
            })?,
        );
        let pool = build_pool(config, &roots)?;
        Ok(Transport {
            config: config.clone(),
            roots,
            fixed_headers,
            pool: Mutex::new(Arc::new(pool)),
        })
    }

    /// The pool of the current runtime generation; rebuilt once in a forked child.
    pub fn pool(&self) -> Result<Arc<Pool>> {
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        if pool.generation != runtime::fork_generation() {
            let stale = std::mem::replace(&mut *pool, Arc::new(build_pool(&self.config, &self.roots)?));
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
            let failure = match tokio::time::timeout(remaining, self.attempt(&pool.http, spec)).await {
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
            if Instant::now() + delay >= deadline {
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

    async fn attempt(&self, http: &reqwest::Client, spec: &RequestSpec<'_>) -> Result<Answer, Failure> {
        let mut request = http.request(spec.method.clone(), spec.url.clone());
        let mut headers = self.fixed_headers.clone();
        if let Some(content_type) = spec.content_type {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        if let Some(authorization) = spec.authorization {
            headers.insert(reqwest::header::AUTHORIZATION, authorization.clone());
        }
        request = request.headers(headers);
        if let Some(body) = &spec.body {
            request = request.body(body.clone());
        }
        let mut response = request.send().await.map_err(|e| classify(e, spec))?;
        let status = response.status().as_u16();
        let success = (200..300).contains(&status);
        let limit = if success {
            self.config.max_response_bytes
        } else {
            MAX_ERROR_BODY
        };
        if success && response.content_length().is_some_and(|n| n > limit) {
            return Err(Failure::Fatal(too_large(spec, limit)));
        }
        let mut body = SecretBuffer::with_capacity(response.content_length().unwrap_or(1024).min(limit) as usize);
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() as u64 + chunk.len() as u64 > limit {
                        if success {
                            return Err(Failure::Fatal(too_large(spec, limit)));
                        }
                        break; // enough of an error body to explain it
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) if success => return Err(classify(e, spec)),
                Err(_) => break, // a broken error body still leaves its status
            }
        }
        if RETRY_STATUSES.contains(&status) {
            let retry_after = response.headers().get(RETRY_AFTER).and_then(parse_retry_after);
            let error = Error::from_http_answer(status, spec.operation, body.as_bytes(), spec.redactor);
            return Err(Failure::Status(error, retry_after));
        }
        Ok(Answer { status, body })
    }
}

fn build_pool(config: &Config, roots: &[reqwest::Certificate]) -> Result<Pool> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(config.connect_timeout)
        .read_timeout(config.read_timeout)
        .tcp_nodelay(true)
        .pool_idle_timeout(Duration::from_secs(60))
        // A redirect could carry the Authorization header to a place the user never named.
        .redirect(reqwest::redirect::Policy::none());
    for root in roots {
        builder = builder.add_root_certificate(root.clone());
    }
    if !config.verify_ssl {
        builder = builder.danger_accept_invalid_certs(true);
    }
    let http = builder
        .build()
        .map_err(|e| Error::configuration(format!("cannot set up HTTP: {}", error_chain(&e))))?;
    Ok(Pool {
        generation: runtime::fork_generation(),
        http,
        refresh_lock: tokio::sync::Mutex::new(()),
    })
}

fn load_ca_bundle(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>> {
    let shown = path.display();
    let pem = std::fs::read(path).map_err(|e| {
        Error::configuration(format!("cannot read the CA bundle {shown}: {e}"))
            .with_countermeasures("Point control_http_ca_bundle at a readable PEM file of CA certificates.")
    })?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|_| Error::configuration(format!("the CA bundle {shown} is not valid PEM")))?;
    if certs.is_empty() {
        return Err(Error::configuration(format!(
            "the CA bundle {shown} holds no certificate"
        )));
    }
    Ok(certs)
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

/// Turns a transport error into a retry class and a message that names the cause, not the URL
/// (which is ours anyway) and never a header.
fn classify(e: reqwest::Error, spec: &RequestSpec<'_>) -> Failure {
    let what = format!("Failed to {}", spec.operation);
    let host = spec.url.host_str().unwrap_or("the Control Service").to_string();
    let chain = error_chain(&e);
    if is_tls_failure(&e) {
        let error = Error::new(Status::Network, what, format!("TLS with {host} failed: {chain}"))
            .with_retryable(false)
            .with_countermeasures(
                "Check the server's certificate; set control_http_ca_bundle to the CA that signed it (control_http_verify_ssl=false only for development).",
            );
        return Failure::Fatal(error);
    }
    if is_malformed_answer(&e) {
        let error = Error::new(Status::Protocol, what, format!("{host} sent an answer that is not valid HTTP: {chain}"))
            .with_countermeasures(
                "Check that control_service_rest_api_url points at a VDK Control Service (and not at a proxy or another service).",
            );
        return Failure::Fatal(error);
    }
    if e.is_connect() {
        return Failure::Connect(Error::new(
            Status::Network,
            what,
            format!("cannot connect to {host}: {chain}"),
        ));
    }
    let why = if e.is_timeout() {
        format!("no answer from {host} within control_http_read_timeout_seconds")
    } else {
        format!("the connection to {host} broke: {chain}")
    };
    Failure::Read(Error::new(Status::Network, what, why))
}

/// Certificate and handshake failures do not heal by retrying. rustls errors reach us nested
/// in I/O errors (whose `source()` skips the wrapped error), so walk `get_ref()` too.
fn is_tls_failure(e: &reqwest::Error) -> bool {
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
    e.source().is_some_and(contains_rustls)
}

/// An answer that hyper could not parse (bad status line, bad headers) is not a network blip.
fn is_malformed_answer(e: &reqwest::Error) -> bool {
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(h) = s.downcast_ref::<hyper::Error>() {
            if h.is_parse() {
                return true;
            }
        }
        source = s.source();
    }
    false
}

fn error_chain(e: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    if parts.is_empty() {
        parts.push(e.without_url_text());
    }
    parts.join(": ")
}

trait WithoutUrlText {
    fn without_url_text(&self) -> String;
}

impl WithoutUrlText for reqwest::Error {
    fn without_url_text(&self) -> String {
        if self.is_timeout() {
            "timed out".into()
        } else if self.is_body() {
            "the body could not be read".into()
        } else {
            "request failed".into()
        }
    }
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
        Transport::new(&config).unwrap()
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
