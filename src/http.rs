//! One HTTP exchange with retries: timeouts, backoff with jitter, `Retry-After`, the overall
//! deadline, and a bounded response body. Knows nothing of secrets or tokens beyond carrying
//! them in wiping buffers.

mod connection;
mod tls;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST, RETRY_AFTER, USER_AGENT};
use hyper::Method;
use rand::Rng;
use url::Url;

pub(crate) use connection::Origin;
use connection::{dial, DialError, Idle};

use crate::config::Config;
use crate::error::{Error, Redactor, Result, Status};
use crate::runtime;
use crate::secret::SecretBuffer;

/// Error answers are read this far for their explanation; the rest is not worth memory.
const MAX_ERROR_BODY: u64 = 64 * 1024;
const RETRY_STATUSES: [u16; 4] = [500, 502, 503, 504];

/// Where requests go: the parts of a configured URL that every request needs, worked out once
/// (parsing and formatting them per call showed in profiles).
pub(crate) struct Endpoint {
    pub origin: Origin,
    host_header: HeaderValue,
    /// The URL's path, percent-encoded as the URL parser left it.
    pub path: String,
}

impl Endpoint {
    pub fn of(url: &Url, key: &str) -> Result<Endpoint> {
        let origin = Origin::of(url)
            .ok_or_else(|| Error::configuration(format!("configuration key '{key}' has no host to connect to")))?;
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => origin.host.clone(),
        };
        Ok(Endpoint {
            host_header: HeaderValue::from_str(&host)
                .map_err(|_| Error::configuration(format!("configuration key '{key}' has an unusable host")))?,
            origin,
            path: url.path().to_string(),
        })
    }

    /// The path without its trailing slash ("" or "/prefix"), for paths built under it.
    pub fn base_path(&self) -> &str {
        self.path.trim_end_matches('/')
    }
}

/// A request as the caller wants it sent, possibly several times.
pub(crate) struct RequestSpec<'a> {
    pub method: Method,
    pub endpoint: &'a Endpoint,
    /// Origin-form target: the endpoint's path, already percent-encoded, plus any query.
    pub path: &'a str,
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
    idle: Idle,
    pub refresh_lock: tokio::sync::Mutex<()>,
}

impl Pool {
    fn new() -> Self {
        Pool {
            generation: runtime::fork_generation(),
            idle: Idle::default(),
            refresh_lock: tokio::sync::Mutex::new(()),
        }
    }
}

pub(crate) struct Transport {
    config: Config,
    tls: tokio_rustls::TlsConnector,
    fixed_headers: HeaderMap,
    pool: Mutex<Arc<Pool>>,
}

impl Transport {
    /// Reads the CA bundle, if any, and builds the pool. No network I/O.
    pub fn new(config: &Config) -> Result<Self> {
        let tls = tokio_rustls::TlsConnector::from(tls::client_config(config)?);
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
        Ok(Transport {
            config: config.clone(),
            tls,
            fixed_headers,
            pool: Mutex::new(Arc::new(Pool::new())),
        })
    }

    /// The pool of the current runtime generation; rebuilt once in a forked child.
    pub fn pool(&self) -> Arc<Pool> {
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        if pool.generation != runtime::fork_generation() {
            let stale = std::mem::replace(&mut *pool, Arc::new(Pool::new()));
            runtime::retire(Box::new(stale));
        }
        pool.clone()
    }

    /// Sends `spec` until it gets an answer that retrying cannot change, the retry budget is
    /// spent, or `deadline` passes. 5xx answers that survive the retries come back as errors;
    /// other non-2xx answers come back as `Answer`s for the caller to interpret.
    pub async fn send(&self, spec: &RequestSpec<'_>, deadline: Instant) -> Result<Answer> {
        let pool = self.pool();
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

    async fn attempt(&self, pool: &Pool, spec: &RequestSpec<'_>) -> Result<Answer, Failure> {
        let origin = &spec.endpoint.origin;
        let read_timeout = self.config.read_timeout;
        let mut pooled = pool.idle.take(origin);
        let (mut conn, response) = loop {
            let reused = pooled.is_some();
            let mut conn = match pooled.take() {
                Some(conn) => conn,
                None => dial(origin, &self.tls, self.config.connect_timeout)
                    .await
                    .map_err(|e| dial_failure(e, spec, origin))?,
            };
            let send = conn.sender.send_request(self.request(spec)?);
            match tokio::time::timeout(read_timeout, conn.drive(send)).await {
                Err(_) => return Err(read_timed_out(spec, origin)),
                Ok(Ok(Ok(response))) => break (conn, response),
                // A kept-alive connection the server closed meanwhile: not a failure of this
                // exchange, so dial a fresh one at once without spending a retry.
                Ok(Err(e)) | Ok(Ok(Err(e))) if reused && !e.is_parse() => {
                    log::debug!(
                        "{}: a pooled connection was closed ({e}); dialling a new one",
                        spec.operation
                    );
                }
                Ok(Err(e)) | Ok(Ok(Err(e))) => return Err(exchange_failure(e, spec, origin)),
            }
        };
        let status = response.status().as_u16();
        let success = (200..300).contains(&status);
        let limit = if success {
            self.config.max_response_bytes
        } else {
            MAX_ERROR_BODY
        };
        let declared = response
            .headers()
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if success && declared.is_some_and(|n| n > limit) {
            return Err(Failure::Fatal(too_large(spec, limit)));
        }
        let retry_after = response.headers().get(RETRY_AFTER).and_then(parse_retry_after);
        let mut incoming = response.into_body();
        let mut body = SecretBuffer::with_capacity(declared.unwrap_or(1024).min(limit) as usize);
        let mut complete = false;
        loop {
            let frame = match tokio::time::timeout(read_timeout, conn.drive(incoming.frame())).await {
                Err(_) if success => return Err(read_timed_out(spec, origin)),
                Err(_) => break,
                Ok(Err(e)) | Ok(Ok(Some(Err(e)))) if success => return Err(exchange_failure(e, spec, origin)),
                Ok(Err(_)) | Ok(Ok(Some(Err(_)))) => break, // a broken error body still leaves its status
                Ok(Ok(None)) => {
                    complete = true;
                    break;
                }
                Ok(Ok(Some(Ok(frame)))) => frame,
            };
            let Ok(chunk) = frame.into_data() else { continue };
            if body.len() as u64 + chunk.len() as u64 > limit {
                if success {
                    return Err(Failure::Fatal(too_large(spec, limit)));
                }
                break; // enough of an error body to explain it
            }
            body.extend_from_slice(&chunk);
        }
        if complete {
            pool.idle.give_back(conn);
        }
        if RETRY_STATUSES.contains(&status) {
            let error = Error::from_http_answer(status, spec.operation, body.as_bytes(), spec.redactor);
            return Err(Failure::Status(error, retry_after));
        }
        Ok(Answer { status, body })
    }

    /// The request in origin form, with the headers upstream sends and a wiping body.
    fn request(&self, spec: &RequestSpec<'_>) -> Result<hyper::Request<Full<Bytes>>, Failure> {
        let mut request = hyper::Request::builder()
            .method(spec.method.clone())
            .uri(spec.path)
            .body(Full::new(spec.body.clone().unwrap_or_default()))
            .map_err(|_| Failure::Fatal(Error::invalid_argument("cannot build the request")))?;
        let headers = request.headers_mut();
        headers.clone_from(&self.fixed_headers);
        headers.insert(HOST, spec.endpoint.host_header.clone());
        if let Some(content_type) = spec.content_type {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        if let Some(authorization) = spec.authorization {
            headers.insert(AUTHORIZATION, authorization.clone());
        }
        Ok(request)
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

fn dial_failure(e: DialError, spec: &RequestSpec<'_>, origin: &Origin) -> Failure {
    let host = &origin.host;
    match e {
        DialError::Tls(io) if contains_rustls(&io) => Failure::Fatal(
            Error::new(Status::Network, what(spec), format!("TLS with {host} failed: {}", error_chain(&io)))
                .with_retryable(false)
                .with_countermeasures(
                    "Check the server's certificate; set control_http_ca_bundle to the CA that signed it (control_http_verify_ssl=false only for development).",
                ),
        ),
        DialError::Tls(io) | DialError::Io(io) => {
            Failure::Connect(Error::new(Status::Network, what(spec), format!("cannot connect to {host}: {}", error_chain(&io))))
        }
        DialError::TimedOut => Failure::Connect(Error::new(
            Status::Network,
            what(spec),
            format!("cannot connect to {host}: no connection within control_http_connect_timeout_seconds"),
        )),
        DialError::Handshake(e) => {
            Failure::Connect(Error::new(Status::Network, what(spec), format!("cannot connect to {host}: {}", error_chain(&e))))
        }
    }
}

fn read_timed_out(spec: &RequestSpec<'_>, origin: &Origin) -> Failure {
    Failure::Read(Error::new(
        Status::Network,
        what(spec),
        format!(
            "no answer from {} within control_http_read_timeout_seconds",
            origin.host
        ),
    ))
}

/// An answer hyper could not parse is not a network blip; anything else that breaks an
/// exchange (reset, early close) is, and is retried.
fn exchange_failure(e: hyper::Error, spec: &RequestSpec<'_>, origin: &Origin) -> Failure {
    let host = &origin.host;
    if e.is_parse() {
        return Failure::Fatal(
            Error::new(Status::Protocol, what(spec), format!("{host} sent an answer that is not valid HTTP: {e}"))
                .with_countermeasures(
                    "Check that control_service_rest_api_url points at a VDK Control Service (and not at a proxy or another service).",
                ),
        );
    }
    Failure::Read(Error::new(
        Status::Network,
        what(spec),
        format!("the connection to {host} broke: {}", error_chain(&e)),
    ))
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
