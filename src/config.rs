//! Configuration: the upstream VDK keys with upstream defaults, plus our own bounds.
//!
//! The same lower-case names are read from a JSON object (`Config::from_json`) or from
//! `VDK_`-prefixed environment variables matched case-insensitively (`Config::from_env`).
//! Errors name the key and never echo its value: a misplaced token must not end up in a log.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::secret::{json_kind, SecretString};

/// Every key we accept, with its type; the README's configuration table mirrors it.
const KEYS: &[(&str, Kind)] = &[
    ("control_service_rest_api_url", Kind::Text),
    ("api_token", Kind::Text),
    ("api_token_authorization_url", Kind::Text),
    ("control_http_verify_ssl", Kind::Bool),
    ("control_http_total_retries", Kind::Count),
    ("control_http_connect_retries", Kind::Count),
    ("control_http_read_retries", Kind::Count),
    ("control_http_connect_timeout_seconds", Kind::Seconds),
    ("control_http_read_timeout_seconds", Kind::Seconds),
    ("control_http_backoff_factor_seconds", Kind::Seconds),
    ("control_http_backoff_max_seconds", Kind::Seconds),
    ("control_http_deadline_seconds", Kind::Seconds),
    ("control_http_ca_bundle", Kind::Text),
    ("control_http_proxy", Kind::Text),
    ("control_http_max_response_bytes", Kind::Count),
    ("control_http_max_connections", Kind::Count),
    ("control_service_user_agent", Kind::Text),
    ("op_id_override", Kind::Text),
    ("deployment_id", Kind::Text),
    ("secrets_default_type", Kind::Text),
    ("secrets_cache_ttl_seconds", Kind::Seconds),
];

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Bool,
    Count,
    Seconds,
}

/// Default cap on a response body; the service stores at most 1 MiB per job, so an answer of
/// many megabytes is hostile or broken, and we must not buffer it whole.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 8 * 1024 * 1024;

#[derive(Clone)]
pub struct Config {
    /// Base URL of the Control Service REST API; `None` means the Control Service backend is
    /// not configured (a client cannot be built, the job layer falls back to others).
    pub rest_api_url: Option<String>,
    pub api_token: Option<SecretString>,
    pub api_token_authorization_url: Option<String>,
    pub verify_ssl: bool,
    pub total_retries: u32,
    pub connect_retries: u32,
    pub read_retries: u32,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub backoff_factor: Duration,
    pub backoff_max: Duration,
    /// Bound on one whole call, retries and token exchange included.
    pub deadline: Duration,
    pub ca_bundle: Option<PathBuf>,
    /// `control_http_proxy`; `None` means the environment's proxy variables decide.
    pub proxy: Option<ProxyChoice>,
    pub max_response_bytes: u64,
    /// Requests in flight at once per client (so open connections stay near that number);
    /// calls beyond it wait for one within their own deadline.
    pub max_connections: u32,
    pub user_agent: String,
    pub op_id: Option<String>,
    pub deployment_id: String,
    pub secrets_default_type: Option<String>,
    /// `None`: cached reads live until the next write or refresh.
    pub secrets_cache_ttl: Option<Duration>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            rest_api_url: None,
            api_token: None,
            api_token_authorization_url: None,
            verify_ssl: true,
            total_retries: 10,
            connect_retries: 6,
            read_retries: 6,
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(900),
            backoff_factor: Duration::from_secs(2),
            backoff_max: Duration::from_secs(120),
            deadline: Duration::from_secs(600),
            ca_bundle: None,
            proxy: None,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_connections: 64,
            user_agent: format!("vdk-secrets/{}", env!("CARGO_PKG_VERSION")),
            op_id: None,
            deployment_id: "TODO".to_string(),
            secrets_default_type: None,
            secrets_cache_ttl: None,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("rest_api_url", &self.rest_api_url)
            .field("api_token", &self.api_token.as_ref().map(|_| "***"))
            .field("api_token_authorization_url", &self.api_token_authorization_url)
            .field("verify_ssl", &self.verify_ssl)
            .field("proxy", &self.proxy)
            .field("total_retries", &self.total_retries)
            .field("deadline", &self.deadline)
            .field("deployment_id", &self.deployment_id)
            .finish_non_exhaustive()
    }
}

/// `control_http_proxy`: where requests go instead of straight to the Control Service.
#[derive(Clone)]
pub enum ProxyChoice {
    /// `none`: always connect directly, whatever the environment says.
    Direct,
    /// An `http://` or `https://` proxy URL, possibly with `user:password@`: a secret, since
    /// the password is one, and never printed.
    Url(SecretString),
}

impl ProxyChoice {
    fn parse(text: String) -> Result<Self> {
        let text = SecretString::new(text);
        let trimmed = text.expose().trim();
        if trimmed.eq_ignore_ascii_case("none") {
            return Ok(ProxyChoice::Direct);
        }
        // The value may carry a password: errors describe it, never quote it.
        let refuse = |why: &str| {
            Error::invalid_argument(format!("configuration key 'control_http_proxy' {why}")).with_countermeasures(
                "Set control_http_proxy to 'none' or to a proxy URL such as http://proxy.example:3128 (credentials as http://user:password@proxy.example:3128).",
            )
        };
        let url = url::Url::parse(trimmed).map_err(|_| refuse("is neither 'none' nor a valid URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(refuse("must be an http:// or https:// proxy URL"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(refuse("has no host"));
        }
        Ok(ProxyChoice::Url(SecretString::new(trimmed.to_string())))
    }
}

impl std::fmt::Debug for ProxyChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProxyChoice::Direct => f.write_str("Direct"),
            ProxyChoice::Url(_) => f.write_str("Url(***)"),
        }
    }
}

/// A value as it arrives: typed JSON, or text from an environment variable.
enum Raw<'a> {
    Json(&'a Value),
    Env(&'a str),
}

impl Config {
    /// Reads a JSON object of configuration keys; absent keys and `null` keep defaults.
    pub fn from_json(text: &str) -> Result<Self> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            Error::invalid_argument(format!(
                "the configuration is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        let Value::Object(map) = value else {
            return Err(Error::invalid_argument(format!(
                "the configuration must be a JSON object, got {}",
                json_kind(&value)
            )));
        };
        Config::from_map(&map)
    }

    pub fn from_map(map: &Map<String, Value>) -> Result<Self> {
        let mut config = Config::default();
        for (key, value) in map {
            if value.is_null() {
                continue;
            }
            config.set(key, Raw::Json(value))?;
        }
        config.validate()?;
        Ok(config)
    }

    /// Reads `VDK_<KEY>` variables (names case-insensitive, as in VDK). Variables we do not
    /// know are ignored: VDK jobs carry many settings meant for others.
    pub fn from_env() -> Result<Self> {
        Config::from_vars(
            std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().unwrap_or_default()))),
        )
    }

    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self> {
        let mut config = Config::default();
        let mut pairs: Vec<(String, String)> = vars
            .into_iter()
            .filter_map(|(name, value)| {
                let lower = name.to_ascii_lowercase();
                let key = lower.strip_prefix("vdk_")?;
                KEYS.iter().any(|(k, _)| *k == key).then(|| (key.to_string(), value))
            })
            .collect();
        // Deterministic when two spellings of one name are set.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, value) in &pairs {
            if value.is_empty() {
                continue;
            }
            config.set(key, Raw::Env(value))?;
        }
        config.validate()?;
        Ok(config)
    }

    fn set(&mut self, key: &str, raw: Raw<'_>) -> Result<()> {
        let Some((_, kind)) = KEYS.iter().find(|(k, _)| *k == key) else {
            return Err(Error::invalid_argument(match looks_like_a_key(key) {
                true => format!("unknown configuration key '{key}'"),
                false => {
                    "an unknown configuration key was given (not shown: it does not look like a key name)".to_string()
                }
            })
            .with_countermeasures(format!(
                "Use only these keys: {}.",
                KEYS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
            )));
        };
        let ill_typed =
            |expected: &str| Error::invalid_argument(format!("configuration key '{key}' must be {expected}"));
        match kind {
            Kind::Text => {
                let text = match raw {
                    Raw::Json(Value::String(s)) => s.clone(),
                    Raw::Env(s) => s.to_string(),
                    _ => return Err(ill_typed("a string")),
                };
                self.set_text(key, text)?;
            }
            Kind::Bool => {
                let b = match raw {
                    Raw::Json(Value::Bool(b)) => *b,
                    Raw::Env(s) => match s.trim().to_ascii_lowercase().as_str() {
                        "true" | "1" | "yes" | "on" => true,
                        "false" | "0" | "no" | "off" => false,
                        _ => return Err(ill_typed("true or false")),
                    },
                    _ => return Err(ill_typed("a boolean")),
                };
                self.verify_ssl = b;
            }
            Kind::Count => {
                let n = match raw {
                    Raw::Json(Value::Number(n)) => n.as_u64(),
                    Raw::Env(s) => s.trim().parse::<u64>().ok(),
                    _ => None,
                }
                .ok_or_else(|| ill_typed("a non-negative integer"))?;
                match key {
                    "control_http_max_response_bytes" => self.max_response_bytes = n,
                    _ => {
                        let n = u32::try_from(n).map_err(|_| ill_typed("at most 4294967295"))?;
                        match key {
                            "control_http_total_retries" => self.total_retries = n,
                            "control_http_connect_retries" => self.connect_retries = n,
                            "control_http_max_connections" => self.max_connections = n,
                            _ => self.read_retries = n,
                        }
                    }
                }
            }
            Kind::Seconds => {
                let secs = match raw {
                    Raw::Json(Value::Number(n)) => n.as_f64(),
                    Raw::Env(s) => s.trim().parse::<f64>().ok(),
                    _ => None,
                }
                .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 1e9)
                .ok_or_else(|| ill_typed("a number of seconds between 0 and 1e9"))?;
                let d = Duration::from_secs_f64(secs);
                match key {
                    "control_http_connect_timeout_seconds" => self.connect_timeout = d,
                    "control_http_read_timeout_seconds" => self.read_timeout = d,
                    "control_http_backoff_factor_seconds" => self.backoff_factor = d,
                    "control_http_backoff_max_seconds" => self.backoff_max = d,
                    "control_http_deadline_seconds" => self.deadline = d,
                    _ => self.secrets_cache_ttl = Some(d),
                }
            }
        }
        Ok(())
    }

    fn set_text(&mut self, key: &str, text: String) -> Result<()> {
        match key {
            "control_service_rest_api_url" => self.rest_api_url = Some(text),
            "api_token" => self.api_token = Some(SecretString::new(text)),
            "api_token_authorization_url" => self.api_token_authorization_url = Some(text),
            "control_http_ca_bundle" => self.ca_bundle = Some(PathBuf::from(text)),
            "control_http_proxy" => self.proxy = Some(ProxyChoice::parse(text)?),
            "control_service_user_agent" => self.user_agent = text,
            "op_id_override" => self.op_id = Some(text),
            "deployment_id" => self.deployment_id = text,
            _ => self.secrets_default_type = Some(text),
        }
        Ok(())
    }

    fn validate(&mut self) -> Result<()> {
        for (key, duration) in [
            ("control_http_connect_timeout_seconds", self.connect_timeout),
            ("control_http_read_timeout_seconds", self.read_timeout),
            ("control_http_deadline_seconds", self.deadline),
        ] {
            if duration.is_zero() {
                return Err(Error::invalid_argument(format!(
                    "configuration key '{key}' must be greater than 0"
                )));
            }
        }
        if self.max_connections == 0 {
            return Err(Error::invalid_argument(
                "configuration key 'control_http_max_connections' must be at least 1",
            ));
        }
        // A path segment like job and team names: URL parsing would resolve `.` and `..` away.
        let id = &self.deployment_id;
        if id.is_empty() || id == "." || id == ".." {
            return Err(Error::invalid_argument(
                "configuration key 'deployment_id' must be a non-empty name other than '.' and '..'",
            ));
        }
        if id.chars().any(char::is_control) {
            return Err(Error::invalid_argument(
                "configuration key 'deployment_id' must not contain control characters",
            ));
        }
        if self.api_token.as_ref().is_some_and(|t| t.is_empty()) {
            self.api_token = None;
        }
        for (key, value) in [
            ("control_service_user_agent", &self.user_agent),
            ("op_id_override", self.op_id.as_ref().unwrap_or(&String::new())),
        ] {
            if value.chars().any(|c| c.is_control()) {
                return Err(Error::invalid_argument(format!(
                    "configuration key '{key}' must not contain control characters"
                )));
            }
        }
        Ok(())
    }
}

/// Whether an unknown key may be repeated in an error: only what looks like a configuration
/// name (at most 40 characters of `a-z`, `0-9`, `_`, starting with a letter, each `_`-part at
/// most 16 characters with at most 2 digits). Anything else may be a token or a value pasted
/// as a key by mistake, or characters that rewrite a terminal, so it is not echoed.
fn looks_like_a_key(key: &str) -> bool {
    key.len() <= 40
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && key
            .split('_')
            .all(|part| part.len() <= 16 && part.bytes().filter(u8::is_ascii_digit).count() <= 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;

    #[test]
    fn defaults_follow_upstream() {
        let c = Config::from_json("{}").unwrap();
        assert_eq!(c.total_retries, 10);
        assert_eq!(c.connect_retries, 6);
        assert_eq!(c.read_retries, 6);
        assert_eq!(c.connect_timeout, Duration::from_secs(30));
        assert_eq!(c.read_timeout, Duration::from_secs(900));
        assert!(c.verify_ssl);
        assert_eq!(c.deployment_id, "TODO");
    }

    #[test]
    fn unknown_key_and_bad_type_name_the_key_not_the_value() {
        let e = Config::from_json(r#"{"api_tokn": "s3cr3t-value"}"#).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
        assert!(e.message().contains("api_tokn"));
        assert!(!e.message().contains("s3cr3t-value"));
        let e = Config::from_json(r#"{"api_token": 12345678}"#).unwrap_err();
        assert!(e.message().contains("api_token"));
        assert!(!e.message().contains("12345678"));
        let e = Config::from_json(r#"{"control_http_total_retries": -1}"#).unwrap_err();
        assert!(e.message().contains("control_http_total_retries"));
    }

    #[test]
    fn unknown_keys_are_named_only_when_they_look_like_names() {
        for key in ["api_tokn", "deployment", "control_http_retries2"] {
            let e = Config::from_json(&format!(r#"{{"{key}": 1}}"#)).unwrap_err();
            assert!(e.message().contains(&format!("'{key}'")), "{key}: {}", e.message());
        }
        // A token, a value or a sentence pasted where a key goes: not repeated at all.
        for key in [
            "sk-canary-7f3a9c1d",
            "3f9a1c7d2e4b8a6f0c5d9e1b7a3f2c4d",
            "Api_Token",
            "api token",
            "a_very_long_key_name_that_nobody_would_ever_configure_anywhere",
            "-----BEGIN PRIVATE KEY-----\nMIIE",
            "api_token\u{202e}",
        ] {
            let json = serde_json::json!({ key: 1 }).to_string();
            let e = Config::from_json(&json).unwrap_err();
            assert_eq!(e.status(), Status::InvalidArgument);
            let shown: String = key.chars().take(6).collect();
            assert!(!e.message().contains(&shown), "{key:?} echoed: {}", e.message());
            assert!(
                !e.countermeasures().contains(key),
                "{key:?} echoed: {}",
                e.countermeasures()
            );
            assert!(
                e.message().contains("an unknown configuration key was given"),
                "{}",
                e.message()
            );
        }
    }

    #[test]
    fn deployment_id_is_validated_like_job_and_team_names() {
        for bad in [".", "..", "", "a\nb", "tab\there", "x\u{7f}"] {
            let json = serde_json::json!({ "deployment_id": bad }).to_string();
            let e = Config::from_json(&json).unwrap_err();
            assert_eq!(e.status(), Status::InvalidArgument, "{bad:?}");
            assert!(e.message().contains("deployment_id"), "{}", e.message());
        }
        for good in ["TODO", "prod-1", "a b/c?d"] {
            let json = serde_json::json!({ "deployment_id": good }).to_string();
            assert_eq!(Config::from_json(&json).unwrap().deployment_id, good);
        }
    }

    #[test]
    fn env_names_are_case_insensitive_and_typed() {
        let c = Config::from_vars([
            ("VDK_CONTROL_SERVICE_REST_API_URL".into(), "http://x".into()),
            ("vdk_control_http_verify_ssl".into(), "false".into()),
            ("VDK_CONTROL_HTTP_READ_TIMEOUT_SECONDS".into(), "2.5".into()),
            ("VDK_SOMETHING_ELSE".into(), "ignored".into()),
            ("PATH".into(), "/bin".into()),
        ])
        .unwrap();
        assert_eq!(c.rest_api_url.as_deref(), Some("http://x"));
        assert!(!c.verify_ssl);
        assert_eq!(c.read_timeout, Duration::from_millis(2500));
        let e = Config::from_vars([("VDK_CONTROL_HTTP_VERIFY_SSL".into(), "maybe".into())]).unwrap_err();
        assert!(e.message().contains("control_http_verify_ssl"));
    }

    #[test]
    fn not_an_object_is_refused() {
        assert_eq!(Config::from_json("[]").unwrap_err().status(), Status::InvalidArgument);
        assert_eq!(Config::from_json("{").unwrap_err().status(), Status::InvalidArgument);
    }

    #[test]
    fn debug_masks_token() {
        let c = Config::from_json(r#"{"api_token":"s3cr3t-value"}"#).unwrap();
        assert!(!format!("{c:?}").contains("s3cr3t-value"));
    }
}
