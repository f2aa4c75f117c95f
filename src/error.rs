//! The one error type of the library: a status from the C contract plus the
//! what / why / consequences / countermeasures texts VDK users know.
//!
//! Every text here is built by us or taken from a server answer after redaction
//! (see [`Redactor`]); none may contain a secret value or a token.

use std::fmt;

use serde_json::Value;

/// Outcome classes of every call. Numbers are part of the C ABI: never change or reuse one.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Ok = 0,
    InvalidArgument = 1,
    Configuration = 2,
    Authentication = 3,
    NotFound = 4,
    UserError = 5,
    ServiceError = 6,
    Network = 7,
    Protocol = 8,
    Cancelled = 9,
    Panic = 99,
}

/// A failed call. Safe to print. Boxed: errors are the cold path, and a small `Result`
/// keeps every successful call's return value small.
#[derive(Clone, PartialEq)]
pub struct Error {
    inner: Box<Details>,
}

#[derive(Clone, PartialEq)]
struct Details {
    status: Status,
    http_status: u16,
    retryable: bool,
    what: String,
    why: String,
    consequences: String,
    countermeasures: String,
    /// The `X-OPID` the call sent, for matching with the Control Service's logs ("" if none).
    op_id: Box<str>,
    /// Requests the call sent (token exchanges and retries included); 0 if none.
    attempts: u32,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(status: Status, what: impl Into<String>, why: impl Into<String>) -> Self {
        let (consequences, countermeasures) = default_advice(status);
        Error {
            inner: Box::new(Details {
                status,
                http_status: 0,
                retryable: matches!(status, Status::ServiceError | Status::Network),
                what: what.into(),
                why: why.into(),
                consequences: consequences.into(),
                countermeasures: countermeasures.into(),
                op_id: Box::from(""),
                attempts: 0,
            }),
        }
    }

    /// The call ended because its caller cancelled it. `writing`: a write was under way, which
    /// the service may or may not have applied.
    pub fn cancelled(operation: &str, writing: bool) -> Self {
        let consequences = if writing {
            "The call was cancelled while writing: the Control Service may or may not have applied the write. Read the secrets back to know."
        } else {
            "The call was cancelled; nothing was changed."
        };
        Error::new(
            Status::Cancelled,
            format!("Failed to {operation}"),
            "the call was cancelled",
        )
        .with_consequences(consequences)
        .with_retryable(false)
    }

    /// Records where the call got: the operation id it sent and how many requests went out.
    pub fn with_call_details(mut self, op_id: &str, attempts: u32) -> Self {
        if self.inner.op_id.is_empty() {
            self.inner.op_id = Box::from(op_id);
        }
        self.inner.attempts = self.inner.attempts.max(attempts);
        self
    }

    pub fn invalid_argument(why: impl Into<String>) -> Self {
        Error::new(Status::InvalidArgument, "Invalid argument", why)
    }

    pub fn configuration(why: impl Into<String>) -> Self {
        Error::new(Status::Configuration, "Invalid vdk-secrets configuration", why)
    }

    pub fn with_http_status(mut self, status: u16) -> Self {
        self.inner.http_status = status;
        self
    }

    pub fn with_countermeasures(mut self, text: impl Into<String>) -> Self {
        self.inner.countermeasures = text.into();
        self
    }

    pub fn with_consequences(mut self, text: impl Into<String>) -> Self {
        self.inner.consequences = text.into();
        self
    }

    pub fn with_why(mut self, text: impl Into<String>) -> Self {
        self.inner.why = text.into();
        self
    }

    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.inner.retryable = retryable;
        self
    }

    pub fn status(&self) -> Status {
        self.inner.status
    }
    /// The HTTP status of the answer that caused the error, 0 when there was none.
    pub fn http_status(&self) -> u16 {
        self.inner.http_status
    }
    /// Whether the same call may succeed later unchanged (service or network trouble).
    pub fn retryable(&self) -> bool {
        self.inner.retryable
    }
    pub fn what(&self) -> &str {
        &self.inner.what
    }
    pub fn why(&self) -> &str {
        &self.inner.why
    }
    pub fn consequences(&self) -> &str {
        &self.inner.consequences
    }
    pub fn countermeasures(&self) -> &str {
        &self.inner.countermeasures
    }
    /// The `X-OPID` header the call sent; "" when it sent none (refused before any request).
    pub fn op_id(&self) -> &str {
        &self.inner.op_id
    }
    /// Requests the call sent, token exchanges and retries included; 0 when none was sent.
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// One line: `what: why`.
    pub fn message(&self) -> String {
        let mut line = format!("{}: {}", self.inner.what.trim_end_matches('.'), self.inner.why);
        line.retain(|c| c != '\n' && c != '\r');
        line
    }

    /// The error for an HTTP answer that is not a success. `body` is the (possibly truncated)
    /// answer; texts found in it go through `redactor` first.
    pub fn from_http_answer(http_status: u16, operation: &str, body: &[u8], redactor: &Redactor<'_>) -> Self {
        let status = match http_status {
            401 | 403 => Status::Authentication,
            404 => Status::NotFound,
            400..=499 => Status::UserError,
            500..=599 => Status::ServiceError,
            _ => Status::Protocol,
        };
        let what = format!("Failed to {operation}");
        let our_why = match http_status {
            401 => "the Control Service did not accept the credentials (HTTP 401)".to_string(),
            403 => "the credentials are not allowed to access this job's secrets (HTTP 403)".to_string(),
            404 => "the Control Service does not know this job or team (HTTP 404)".to_string(),
            413 => "the secrets are larger than the Control Service accepts (HTTP 413)".to_string(),
            501 => "secrets storage is not enabled on this Control Service (HTTP 501)".to_string(),
            s => format!("the Control Service answered HTTP {s}"),
        };
        let mut error = Error::new(status, what, our_why).with_http_status(http_status);
        error.inner.retryable = matches!(http_status, 429 | 500 | 502 | 503 | 504);
        error.inner.countermeasures = match http_status {
            401 => "Check api_token and api_token_authorization_url, or log in again to get a new API token.".into(),
            403 => "Ask the job's team to grant you access to the job, or use the token of a team member.".into(),
            404 => "Check the spelling of the job and team names, and that the job was created in the Control Service."
                .into(),
            413 => {
                "Store fewer or smaller secrets; the whole map must fit the service's limit (1 MiB by default).".into()
            }
            501 => "Ask the Control Service operators to configure secrets storage (Vault).".into(),
            _ => error.inner.countermeasures,
        };
        error.apply_server_texts(body, redactor);
        error
    }

    /// VDK bodies carry what/why/consequences/countermeasures; the spec's generic one carries
    /// `messages`. Server texts are appended to ours, never trusted blindly.
    fn apply_server_texts(&mut self, body: &[u8], redactor: &Redactor<'_>) {
        let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
            return;
        };
        let text = |key: &str| -> Option<String> {
            match fields.get(key) {
                Some(Value::String(s)) if !s.trim().is_empty() => Some(redactor.clean(s)),
                _ => None,
            }
        };
        if let Some(why) = text("why") {
            self.inner.why = format!("{}; the service says: {why}", self.inner.why);
        } else if let Some(Value::Array(messages)) = fields.get("messages") {
            let joined: Vec<String> = messages
                .iter()
                .filter_map(|m| m.as_str())
                .map(|m| redactor.clean(m))
                .collect();
            if !joined.is_empty() {
                self.inner.why = format!("{}; the service says: {}", self.inner.why, joined.join("; "));
            }
        } else if let Some(message) = text("message").or_else(|| text("error")) {
            self.inner.why = format!("{}; the service says: {message}", self.inner.why);
        }
        if let Some(what) = text("what") {
            self.inner.what = format!("{}: {what}", self.inner.what);
        }
        if let Some(c) = text("consequences") {
            self.inner.consequences = c;
        }
        if let Some(c) = text("countermeasures") {
            self.inner.countermeasures = format!("{} {c}", self.inner.countermeasures);
        }
    }
}

fn default_advice(status: Status) -> (&'static str, &'static str) {
    match status {
        Status::Ok => ("", ""),
        Status::InvalidArgument => (
            "The call was refused before anything was sent; nothing was read or written.",
            "Fix the argument named in the message.",
        ),
        Status::Configuration => (
            "No request was sent; nothing was read or written.",
            "Fix the configuration named in the message (JSON config keys or VDK_* environment variables).",
        ),
        Status::Authentication => (
            "The secrets were not read or written.",
            "Check api_token and api_token_authorization_url, or log in again to get a new API token.",
        ),
        Status::NotFound => (
            "The secrets were not read or written.",
            "Check the spelling of the job and team names, and that the job exists in the Control Service.",
        ),
        Status::UserError => (
            "The secrets were not read or written.",
            "Fix the request as the message says.",
        ),
        Status::ServiceError => (
            "The secrets were not read or written (a write may or may not have been applied).",
            "This is likely a temporary problem of the Control Service; retry later, or contact its operators if it persists.",
        ),
        Status::Network => (
            "The secrets were not read or written (a write may or may not have been applied).",
            "Check the network and control_service_rest_api_url; retry later.",
        ),
        Status::Protocol => (
            "The answer was discarded; the secrets were not read (a write may or may not have been applied).",
            "Check that control_service_rest_api_url points at a VDK Control Service; report the problem to its operators.",
        ),
        Status::Cancelled => (
            "The call was cancelled; nothing more was sent.",
            "None needed if the cancellation was intended.",
        ),
        Status::Panic => (
            "The call was abandoned; the process keeps running.",
            "This is a bug in vdk-secrets; please report it with the message.",
        ),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("status", &self.inner.status)
            .field("http_status", &self.inner.http_status)
            .field("retryable", &self.inner.retryable)
            .field("what", &self.inner.what)
            .field("why", &self.inner.why)
            .field("op_id", &self.inner.op_id)
            .field("attempts", &self.inner.attempts)
            .finish_non_exhaustive()
    }
}

impl std::error::Error for Error {}

/// Removes known secret strings from texts that come from a server, so that a server which
/// echoes our request cannot make us print a secret; also bounds length and strips control
/// characters.
#[derive(Default)]
pub struct Redactor<'a> {
    sensitive: Vec<&'a str>,
}

/// Server texts longer than this are cut: an error message is not a place for a page.
const MAX_SERVER_TEXT: usize = 500;

impl<'a> Redactor<'a> {
    pub fn new(sensitive: Vec<&'a str>) -> Self {
        Redactor { sensitive }
    }

    pub fn clean(&self, text: &str) -> String {
        let mut out: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        for s in &self.sensitive {
            if !s.is_empty() && out.contains(s) {
                out = out.replace(s, "***");
            }
        }
        if out.chars().count() > MAX_SERVER_TEXT {
            out = out.chars().take(MAX_SERVER_TEXT).collect::<String>() + "…";
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vdk_body_is_parsed_and_redacted() {
        let body = br#"{"what":"Cannot store","why":"value hunter2 rejected","consequences":"none","countermeasures":"retry"}"#;
        let e = Error::from_http_answer(400, "write secrets", body, &Redactor::new(vec!["hunter2"]));
        assert_eq!(e.status(), Status::UserError);
        assert_eq!(e.http_status(), 400);
        assert!(e.why().contains("value *** rejected"));
        assert!(e.what().contains("Cannot store"));
        assert_eq!(e.consequences(), "none");
        assert!(!e.retryable());
    }

    #[test]
    fn messages_body_is_parsed() {
        let body = br#"{"messages":["one","two"]}"#;
        let e = Error::from_http_answer(503, "read secrets", body, &Redactor::default());
        assert_eq!(e.status(), Status::ServiceError);
        assert!(e.why().contains("one; two"));
        assert!(e.retryable());
    }

    #[test]
    fn message_is_one_line() {
        let e = Error::invalid_argument("a\nb");
        assert!(!e.message().contains('\n'));
    }
}
