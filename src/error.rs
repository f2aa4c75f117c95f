//! The one error type of the library: a status from the C contract plus the
//! what / why / consequences / countermeasures texts VDK users know.
//!
//! Every text here is built by us or taken from a server answer after redaction
//! (see [`Redactor`]); none may contain a secret value or a token.

use std::fmt;

use serde_json::Value;

pub use crate::redact::Redactor;

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
        Error::from_answer(http_status, operation, body, redactor, false)
    }

    /// The error for a token endpoint's answer that is not a success: as
    /// [`Error::from_http_answer`], but a 404 means the token endpoint is not there.
    pub(crate) fn from_token_endpoint_answer(
        http_status: u16,
        operation: &str,
        body: &[u8],
        redactor: &Redactor<'_>,
    ) -> Self {
        Error::from_answer(http_status, operation, body, redactor, true)
    }

    fn from_answer(http_status: u16, operation: &str, body: &[u8], redactor: &Redactor<'_>, token: bool) -> Self {
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
            404 if token => "the token endpoint was not found (HTTP 404)".to_string(),
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
            404 if token => "Check api_token_authorization_url: it must be the OAuth2 token endpoint's URL.".into(),
            404 => "Check the spelling of the job and team names, and that the job was created in the Control Service."
                .into(),
            413 => {
                "Store fewer or smaller secrets; the whole map must fit the service's limit (1 MiB by default).".into()
            }
            501 => "Ask the Control Service operators to configure secrets storage (Vault).".into(),
            _ => error.inner.countermeasures,
        };
        // An answer that is not an HTTP error (a redirect, an informational status) is not a
        // Control Service speaking: nothing of its body is quoted.
        if status != Status::Protocol {
            error.apply_server_texts(body, redactor);
        }
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
    /// A PEM key as jobs store it: several lines, `+`, `/`, `=`.
    const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC+/abc=\nq83JxYz0/Pq+7w==\n-----END PRIVATE KEY-----\n";

    fn json_escaped(s: &str) -> String {
        let quoted = serde_json::to_string(s).unwrap();
        quoted[1..quoted.len() - 1].to_string()
    }

    fn unicode_escaped(s: &str) -> String {
        s.encode_utf16().map(|u| format!("\\u{u:04x}")).collect()
    }

    fn percent_encoded(s: &str, space_as_plus: bool) -> String {
        percent_encoded_as(s, space_as_plus, false)
    }

    fn percent_encoded_as(s: &str, space_as_plus: bool, lower_hex: bool) -> String {
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b' ' if space_as_plus => out.push('+'),
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
                _ if lower_hex => out.push_str(&format!("%{b:02x}")),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    }

    fn assert_redacted(secret: &str, echoed: &str) {
        let text = format!("rejected [{echoed}] as invalid");
        let cleaned = Redactor::new(vec![secret]).clean(&text);
        assert!(
            cleaned.contains("rejected [***] as invalid"),
            "not redacted: {cleaned:?} (from {text:?})"
        );
    }

    #[test]
    fn secrets_are_redacted_in_every_form_a_server_echoes() {
        let spaced = "pass phrase \"with\" \\ tab\tand\u{85}next ü €";
        for secret in [PEM, spaced, "sk-canary-7f3a9c1d"] {
            assert_redacted(secret, secret);
            assert_redacted(secret, &json_escaped(secret));
            assert_redacted(secret, &unicode_escaped(secret));
            assert_redacted(secret, &percent_encoded(secret, false));
            assert_redacted(secret, &percent_encoded(secret, true));
            assert_redacted(secret, &percent_encoded_as(secret, false, true));
        }
        // \u0085 as a JSON escape, while serde_json writes the character itself.
        assert_redacted(spaced, &json_escaped(spaced).replace('\u{85}', "\\u0085"));
    }

    #[test]
    fn secrets_split_over_lines_are_redacted() {
        let secret = "sk-canary-7f3a9c1d-0123456789abcdef";
        for eol in ["\r\n", "\n", "\\r\\n", "\\n", "%0D%0A"] {
            let split = format!("{}{eol}{}{eol}{}", &secret[..10], &secret[10..20], &secret[20..]);
            assert_redacted(secret, &split);
        }
        // A PEM echoed re-wrapped at 16 characters, with CRLF.
        let wrapped: Vec<String> = PEM
            .chars()
            .collect::<Vec<_>>()
            .chunks(16)
            .map(|c| c.iter().collect())
            .collect();
        assert_redacted(PEM, &wrapped.join("\r\n"));
        assert_redacted(PEM, &PEM.replace('\n', "\r\n"));
    }

    #[test]
    fn control_characters_do_not_break_a_match() {
        let secret = "tab\tin\u{1}side";
        let cleaned = Redactor::new(vec![secret]).clean(&format!("x {secret} y"));
        assert_eq!(cleaned, "x *** y");
    }

    #[test]
    fn longest_secret_first() {
        let cleaned = Redactor::new(vec!["abcd", "abcdefghij"]).clean("see abcdefghij here");
        assert_eq!(cleaned, "see *** here");
        let cleaned = Redactor::new(vec!["abcd", "cdefghij"]).clean("see abcdefghij here");
        assert_eq!(cleaned, "see *** here");
    }

    #[test]
    fn a_secret_cut_by_the_text_limit_is_still_redacted() {
        let secret = "sk-canary-7f3a9c1d-0123456789abcdef";
        for lead in 480..500 {
            let text = format!("{}{secret}", "x".repeat(lead));
            let cleaned = Redactor::new(vec![secret]).clean(&text);
            assert!(!cleaned.contains("sk-can"), "{lead}: {cleaned}");
        }
        // A body cut short by the transport: the tail that remains is a prefix of the secret.
        let cleaned = Redactor::new(vec![secret]).clean("value sk-canary-7f3");
        assert_eq!(cleaned, "value ***");
        let cleaned = Redactor::new(vec![secret]).clean(&format!("value {}", &json_escaped(PEM)[..40]));
        assert_eq!(
            cleaned,
            format!("value {}", &json_escaped(PEM)[..40]),
            "other secrets are not touched"
        );
        let cleaned = Redactor::new(vec![PEM]).clean(&format!("value {}", &json_escaped(PEM)[..40]));
        assert_eq!(cleaned, "value ***");
    }

    #[test]
    fn protocol_errors_never_quote_the_body() {
        let body = br#"{"what":"moved","why":"go elsewhere","countermeasures":"follow me"}"#;
        let e = Error::from_http_answer(302, "read secrets", body, &Redactor::default());
        assert_eq!(e.status(), Status::Protocol);
        for text in [e.what(), e.why(), e.consequences(), e.countermeasures()] {
            assert!(
                !text.contains("moved") && !text.contains("elsewhere") && !text.contains("follow"),
                "{text}"
            );
        }
    }
}
