//! Fault injection for client tests, selected by the job name when faults are enabled.
//!
//! A job name `fault-<kind>[-<arg>...][-<anything>...]` picks a behaviour; trailing tokens are
//! ignored so each test can use a unique name. Counted faults ("the first n requests") count
//! the requests per exact job name, whatever the team, deployment or method.
//!
//! Faults act in front of the service, like a failing proxy would, and "then normal behaviour"
//! includes the normal authentication check. With authentication on, only requests carrying an
//! access token this service issued (even expired or revoked) see faults; others get the
//! normal 401: faults are no way around authentication.

use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body::{Frame, SizeHint};

use crate::error::VdkError;

/// The prefix of job names that select a fault.
pub const FAULT_PREFIX: &str = "fault-";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Always this status with a VDK-style body.
    Status(StatusCode),
    /// Always this status with the spec's `{"messages": [...]}` body.
    Messages(StatusCode),
    /// Always this status with a `text/plain` body.
    Plain(StatusCode),
    /// The first `times` requests answer `status`, then normal.
    Flaky { times: u64, status: StatusCode },
    /// The first `times` requests answer 503 with `Retry-After: secs`, then normal.
    RetryAfter { times: u64, secs: u64 },
    /// Waits, then normal.
    Slow(Duration),
    /// Waits this long to the microsecond, then normal: a Control Service across a network,
    /// for benchmarks (`Slow` waits on tokio's millisecond timer, whose ticks line up the
    /// answers of all calls in flight and turn a client's few microseconds of reaction into a
    /// whole tick).
    Latency(Duration),
    /// The connection is closed before any response byte.
    Drop,
    /// The first `times` requests are dropped like [`Fault::Drop`], then normal.
    FlakyDrop { times: u64 },
    /// 200 with truncated JSON.
    Malformed,
    /// 200 with a JSON array.
    NotObject,
    /// 200 with a valid JSON object of this many bytes, chunked, no Content-Length.
    Huge(u64),
    /// Like [`Fault::Huge`] with a Content-Length.
    HugeLen(u64),
    /// The first request revokes all access tokens before the normal checks, then normal.
    Revoke,
}

/// What the secrets handler does about a fault.
pub enum FaultAction {
    Respond(Response),
    DropConnection,
    Delay(Duration),
    /// Wait on a thread of the blocking pool, whose sleep has the kernel's precision.
    PreciseDelay(Duration),
    RevokeTokens,
    Proceed,
}

impl Fault {
    /// `None` when `job` does not name a fault; `Some(Err)` when it starts like one but does not
    /// parse (answered 400 so a misspelled fault does not silently pass as a normal job).
    pub fn parse(job: &str) -> Option<Result<Fault, String>> {
        let rest = job.strip_prefix(FAULT_PREFIX)?;
        let mut tokens = rest.split('-');
        let kind = tokens.next().unwrap_or_default();
        let mut number = |what: &str| -> Result<u64, String> {
            let token = tokens.next().ok_or_else(|| format!("fault-{kind} needs a {what}"))?;
            token
                .parse()
                .map_err(|_| format!("fault-{kind}: {what} {token:?} is not a number"))
        };
        let fault = (|| {
            Ok(match kind {
                "status" => Fault::Status(status(number("status code")?)?),
                "messages" => Fault::Messages(status(number("status code")?)?),
                "plain" => Fault::Plain(status(number("status code")?)?),
                "flaky" => {
                    let times = number("count")?;
                    Fault::Flaky {
                        times,
                        status: status(number("status code")?)?,
                    }
                }
                "retryafter" => {
                    let times = number("count")?;
                    Fault::RetryAfter {
                        times,
                        secs: number("delay in seconds")?,
                    }
                }
                "slow" => Fault::Slow(Duration::from_millis(number("delay in milliseconds")?)),
                "latency" => Fault::Latency(Duration::from_micros(number("delay in microseconds")?)),
                "drop" => Fault::Drop,
                "flakydrop" => Fault::FlakyDrop {
                    times: number("count")?,
                },
                "malformed" => Fault::Malformed,
                "notobject" => Fault::NotObject,
                "huge" => Fault::Huge(number("size in bytes")?),
                "hugelen" => Fault::HugeLen(number("size in bytes")?),
                "revoke" => Fault::Revoke,
                other => return Err(format!("unknown fault kind {other:?}")),
            })
        })();
        Some(fault)
    }

    /// The action for the request that is number `seen` (from 0) for this job name.
    pub fn action(self, seen: u64) -> FaultAction {
        match self {
            Fault::Status(status) => FaultAction::Respond(vdk_status(status)),
            Fault::Messages(status) => FaultAction::Respond(json(
                status,
                Body::from(r#"{"messages": ["first message", "second message"]}"#),
            )),
            Fault::Plain(status) => {
                let mut response = (status, "plain failure").into_response();
                response
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
                FaultAction::Respond(response)
            }
            Fault::Flaky { times, status } if seen < times => FaultAction::Respond(vdk_status(status)),
            Fault::RetryAfter { times, secs } if seen < times => {
                let mut response = vdk_status(StatusCode::SERVICE_UNAVAILABLE);
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                FaultAction::Respond(response)
            }
            Fault::Slow(delay) => FaultAction::Delay(delay),
            Fault::Latency(delay) => FaultAction::PreciseDelay(delay),
            Fault::Drop => FaultAction::DropConnection,
            Fault::FlakyDrop { times } if seen < times => FaultAction::DropConnection,
            Fault::Malformed => FaultAction::Respond(json(StatusCode::OK, Body::from(r#"{"a": "#))),
            Fault::NotObject => FaultAction::Respond(json(StatusCode::OK, Body::from("[1, 2, 3]"))),
            Fault::Huge(size) => FaultAction::Respond(json(StatusCode::OK, Body::new(FilledObject::new(size, false)))),
            Fault::HugeLen(size) => {
                let body = FilledObject::new(size, true);
                let length = body.total;
                let mut response = json(StatusCode::OK, Body::new(body));
                response
                    .headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
                FaultAction::Respond(response)
            }
            Fault::Revoke if seen == 0 => FaultAction::RevokeTokens,
            Fault::Flaky { .. } | Fault::RetryAfter { .. } | Fault::FlakyDrop { .. } | Fault::Revoke => {
                FaultAction::Proceed
            }
        }
    }
}

fn status(code: u64) -> Result<StatusCode, String> {
    u16::try_from(code)
        .ok()
        .filter(|code| (200..=599).contains(code))
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(|| format!("status code {code} is not between 200 and 599"))
}

fn json(status: StatusCode, body: Body) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn vdk_status(status: StatusCode) -> Response {
    let code = status.as_u16();
    let mut response = VdkError::new(
        status,
        format!("Injected fault: the service answered HTTP {code}."),
        format!("The job name selects fault injection with status {code}."),
        format!("The request was not processed (HTTP {code})."),
        "This is a test fault; use another job name for normal behaviour.",
    )
    .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// How many requests each fault job name has seen.
#[derive(Default)]
pub struct FaultCounters {
    seen: Mutex<HashMap<String, u64>>,
}

impl FaultCounters {
    /// Counts a request for `job` and returns how many came before it.
    pub fn next(&self, job: &str) -> u64 {
        let mut seen = self.seen.lock().unwrap();
        let count = seen.entry(job.to_owned()).or_default();
        *count += 1;
        *count - 1
    }
}

const PREFIX: &[u8] = br#"{"k":""#;
const SUFFIX: &[u8] = br#""}"#;
const CHUNK: usize = 64 * 1024;
static FILL: [u8; CHUNK] = [b'x'; CHUNK];

/// `{"k":"xxx…"}` of a given total size, produced chunk by chunk from a static buffer so that
/// even a gigabyte body costs no memory.
struct FilledObject {
    total: u64,
    sent_prefix: bool,
    fill_left: u64,
    sent_suffix: bool,
    /// Report the exact length (so hyper can frame it with Content-Length).
    exact: bool,
}

impl FilledObject {
    fn new(size: u64, exact: bool) -> Self {
        let overhead = (PREFIX.len() + SUFFIX.len()) as u64;
        let fill = size.saturating_sub(overhead);
        FilledObject {
            total: fill + overhead,
            sent_prefix: false,
            fill_left: fill,
            sent_suffix: false,
            exact,
        }
    }

    fn remaining(&self) -> u64 {
        let prefix = if self.sent_prefix { 0 } else { PREFIX.len() as u64 };
        let suffix = if self.sent_suffix { 0 } else { SUFFIX.len() as u64 };
        prefix + self.fill_left + suffix
    }
}

impl http_body::Body for FilledObject {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let chunk = if !self.sent_prefix {
            self.sent_prefix = true;
            Bytes::from_static(PREFIX)
        } else if self.fill_left > 0 {
            let n = self.fill_left.min(CHUNK as u64);
            self.fill_left -= n;
            Bytes::from_static(&FILL[..n as usize])
        } else if !self.sent_suffix {
            self.sent_suffix = true;
            Bytes::from_static(SUFFIX)
        } else {
            return Poll::Ready(None);
        };
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining() == 0
    }

    fn size_hint(&self) -> SizeHint {
        if self.exact {
            SizeHint::with_exact(self.remaining())
        } else {
            SizeHint::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kinds_and_ignores_trailing_tokens() {
        let p = |name: &str| Fault::parse(name).unwrap().unwrap();
        assert_eq!(p("fault-status-503"), Fault::Status(StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(
            p("fault-flaky-2-503-t17"),
            Fault::Flaky {
                times: 2,
                status: StatusCode::SERVICE_UNAVAILABLE
            }
        );
        assert_eq!(p("fault-retryafter-1-3-x"), Fault::RetryAfter { times: 1, secs: 3 });
        assert_eq!(p("fault-slow-250"), Fault::Slow(Duration::from_millis(250)));
        assert_eq!(p("fault-latency-2000-r"), Fault::Latency(Duration::from_micros(2000)));
        assert_eq!(p("fault-drop-a"), Fault::Drop);
        assert_eq!(p("fault-flakydrop-3"), Fault::FlakyDrop { times: 3 });
        assert_eq!(p("fault-hugelen-100"), Fault::HugeLen(100));
        assert_eq!(p("fault-revoke-9"), Fault::Revoke);
        assert!(Fault::parse("normal-job").is_none());
        assert!(Fault::parse("fault-bogus").unwrap().is_err());
        assert!(Fault::parse("fault-status-99").unwrap().is_err());
        assert!(Fault::parse("fault-flaky-x-503").unwrap().is_err());
    }

    #[test]
    fn counters_are_per_job_name() {
        let counters = FaultCounters::default();
        assert_eq!(counters.next("a"), 0);
        assert_eq!(counters.next("a"), 1);
        assert_eq!(counters.next("b"), 0);
    }

    #[test]
    fn filled_object_has_the_requested_size() {
        use http_body::Body as _;
        for (size, expected) in [(0u64, 8u64), (8, 8), (200_000, 200_000)] {
            let mut body = FilledObject::new(size, true);
            assert_eq!(body.size_hint().exact(), Some(expected));
            let mut out = Vec::new();
            let waker = std::task::Waker::noop();
            let mut cx = Context::from_waker(waker);
            while let Poll::Ready(Some(Ok(frame))) = Pin::new(&mut body).poll_frame(&mut cx) {
                out.extend_from_slice(frame.data_ref().unwrap());
            }
            assert_eq!(out.len() as u64, expected);
            let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
            assert!(value.is_object());
        }
    }
}
