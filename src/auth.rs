//! OAuth2 refresh-token grant (RFC 6749 §6): the API token is exchanged for an access token on
//! first need, the access token is cached and refreshed ahead of expiry, and concurrent
//! callers share one exchange.

use std::io::Write;
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::HeaderValue;
use reqwest::Method;
use serde::Deserialize;
use url::Url;

use crate::error::{Error, Redactor, Result, Status};
use crate::http::{Endpoint, RequestSpec, Transport};
use crate::secret::{SecretBuffer, SecretString};

/// Upstream refreshes when less than a minute is left; for short-lived tokens we refresh when
/// half their life is left, so a 2-second token is not refreshed on every call.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

pub(crate) struct AccessToken {
    /// `Bearer <token>` in a sensitive header value backed by a wiping buffer.
    pub header: HeaderValue,
    value: SecretString,
    refresh_at: Option<Instant>,
}

impl AccessToken {
    fn is_fresh(&self) -> bool {
        self.refresh_at.is_none_or(|at| Instant::now() < at)
    }

    pub fn expose(&self) -> &str {
        self.value.expose()
    }
}

pub(crate) struct Auth {
    refresh_token: SecretString,
    token_endpoint: Endpoint,
    cached: Mutex<Option<Arc<AccessToken>>>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    expires_in: Option<serde_json::Number>,
}

impl Auth {
    pub fn new(refresh_token: SecretString, token_url: &str) -> Result<Self> {
        let key = "api_token_authorization_url";
        let token_endpoint = Endpoint::of(&parse_url(token_url, key)?, key)?;
        Ok(Auth {
            refresh_token,
            token_endpoint,
            cached: Mutex::new(None),
        })
    }

    pub fn token_url(&self) -> &Url {
        &self.token_endpoint.url
    }

    pub fn refresh_token(&self) -> &str {
        self.refresh_token.expose()
    }

    /// A valid access token. With `stale`, the caller saw that token rejected (401): any other
    /// cached token is fine, that one is not.
    pub async fn token(
        &self,
        transport: &Transport,
        deadline: Instant,
        stale: Option<&Arc<AccessToken>>,
        attempts: &AtomicU32,
    ) -> Result<Arc<AccessToken>> {
        if let Some(token) = self.usable(stale) {
            return Ok(token);
        }
        let pool = transport.pool()?;
        let _exchange = tokio::time::timeout_at(deadline.into(), pool.refresh_lock.lock())
            .await
            .map_err(|_| {
                Error::new(
                    Status::Network,
                    "Failed to exchange the API token",
                    "no access token within the call's deadline",
                )
            })?;
        // Another caller may have refreshed while we waited for the lock.
        if let Some(token) = self.usable(stale) {
            return Ok(token);
        }
        let token = Arc::new(self.exchange(transport, deadline, attempts).await?);
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some(token.clone());
        Ok(token)
    }

    fn usable(&self, stale: Option<&Arc<AccessToken>>) -> Option<Arc<AccessToken>> {
        let cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        cached
            .as_ref()
            .filter(|t| t.is_fresh() && stale.is_none_or(|s| !Arc::ptr_eq(s, t)))
            .cloned()
    }

    async fn exchange(&self, transport: &Transport, deadline: Instant, attempts: &AtomicU32) -> Result<AccessToken> {
        let mut form = SecretBuffer::with_capacity(64 + self.refresh_token.expose().len() * 3);
        form.extend_from_slice(b"grant_type=refresh_token&refresh_token=");
        write!(
            form,
            "{}",
            percent_encoding::utf8_percent_encode(self.refresh_token.expose(), FORM_VALUE)
        )
        .expect("writing to memory cannot fail");
        // The API token this request sends, and the access token it replaces (a server may
        // echo either; the one a 401 made stale is still a live credential elsewhere).
        let replaced = self.cached.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut redactor = Redactor::new(vec![self.refresh_token.expose()]);
        redactor.hide(transport.proxy_credentials());
        if let Some(old) = &replaced {
            redactor.hide([old.expose()]);
        }
        let spec = RequestSpec {
            method: Method::POST,
            endpoint: &self.token_endpoint,
            path: self.token_endpoint.path(),
            body: Some(Bytes::from_owner(form)),
            content_type: Some("application/x-www-form-urlencoded"),
            authorization: None,
            operation: "exchange the API token for an access token",
            redactor: &redactor,
            attempts,
        };
        let requested_at = Instant::now();
        let answer = transport.send(&spec, deadline).await?;
        if !answer.is_success() {
            let mut error =
                Error::from_token_endpoint_answer(answer.status, spec.operation, answer.body.as_bytes(), &redactor);
            if answer.status == 404 {
                error = Error::new(Status::Authentication, error.what(), error.why())
                    .with_http_status(answer.status)
                    .with_countermeasures(error.countermeasures());
            } else if (400..500).contains(&answer.status) {
                // RFC 6749 §5.2: invalid_grant and friends mean the API token itself is bad.
                error = Error::new(Status::Authentication, error.what(), error.why())
                    .with_http_status(answer.status)
                    .with_countermeasures(
                        "The API token was rejected: check api_token and api_token_authorization_url, or log in again to get a new API token.",
                    );
            }
            return Err(error);
        }
        let protocol = |why: &str| {
            Error::new(
                Status::Protocol,
                format!("Failed to {}", spec.operation),
                why.to_string(),
            )
        };
        let parsed: TokenAnswer = serde_json::from_slice(answer.body.as_bytes())
            .map_err(|_| protocol("the token endpoint's answer is not the JSON object RFC 6749 describes"))?;
        let Some(access_token) = parsed.access_token.filter(|t| !t.is_empty()) else {
            return Err(protocol("the token endpoint's answer has no access_token"));
        };
        let access_token = SecretString::new(access_token);
        let mut header_text = SecretBuffer::with_capacity(access_token.expose().len() + 7);
        header_text.extend_from_slice(b"Bearer ");
        header_text.extend_from_slice(access_token.expose().as_bytes());
        let mut header = HeaderValue::from_maybe_shared(Bytes::from_owner(header_text))
            .map_err(|_| protocol("the access token holds characters not allowed in a header"))?;
        header.set_sensitive(true);
        let lifetime = parsed
            .expires_in
            .and_then(|n| n.as_f64())
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(|s| Duration::from_secs_f64(s.min(1e9)));
        let refresh_at = lifetime.map(|life| requested_at + life - REFRESH_MARGIN.min(life / 2));
        log::debug!("access token obtained (expires in {:?})", lifetime);
        Ok(AccessToken {
            header,
            value: access_token,
            refresh_at,
        })
    }
}

/// `application/x-www-form-urlencoded` value encoding: everything but unreserved characters.
const FORM_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub(crate) fn parse_url(text: &str, key: &str) -> Result<Url> {
    // The URL parser silently drops some control characters; a URL holding any is a mistake.
    if text.chars().any(char::is_control) {
        return Err(Error::configuration(format!(
            "configuration key '{key}' must not contain control characters"
        )));
    }
    let url = Url::parse(text.trim())
        .map_err(|e| Error::configuration(format!("configuration key '{key}' is not a valid URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::configuration(format!(
            "configuration key '{key}' must be an http or https URL"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::configuration(format!(
            "configuration key '{key}' must not have a query or fragment"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::configuration(format!(
            "configuration key '{key}' must not carry credentials; use api_token"
        )));
    }
    Ok(url)
}
