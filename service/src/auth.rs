//! The OAuth2 refresh-token grant (RFC 6749 §6) and bearer checks (RFC 6750).
//!
//! Only digests of issued access tokens are kept, so the process memory holds no usable token
//! and looking one up reveals nothing through timing.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::rngs::OsRng;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

type TokenDigest = [u8; 32];

/// Issues and checks access tokens.
pub struct TokenIssuer {
    /// The refresh token accepted by the token endpoint; `None` disables authentication.
    refresh_token: Option<String>,
    lifetime_secs: u64,
    /// Digest of each issued token and when it stops being valid (`None`: never, when the
    /// lifetime does not fit an `Instant`).
    issued: Mutex<HashMap<TokenDigest, Option<Instant>>>,
    /// Digest of every token issued, expired and revoked ones included (up to
    /// [`MAX_REMEMBERED`]): a caller presenting one has held the API token.
    ever_issued: Mutex<HashSet<TokenDigest>>,
}

/// How many issued tokens are remembered for [`TokenIssuer::was_issued`]; beyond, the memory
/// starts over (old tokens then count as never issued).
const MAX_REMEMBERED: usize = 100_000;

/// A successful token answer.
#[derive(Debug, Serialize)]
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: u64,
    pub token_type: &'static str,
    pub scope: &'static str,
}

/// A failed token request, answered per RFC 6749 §5.2.
#[derive(Debug, PartialEq, Eq)]
pub enum OAuthError {
    InvalidRequest(&'static str),
    UnsupportedGrantType,
    InvalidGrant,
}

/// Why a request to a protected endpoint is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum AuthFailure {
    /// No bearer credentials at all.
    Missing,
    /// A token that was never issued, has expired or was revoked.
    Invalid,
}

impl TokenIssuer {
    pub fn new(refresh_token: Option<String>, lifetime_secs: u64) -> Self {
        TokenIssuer {
            refresh_token,
            lifetime_secs,
            issued: Mutex::new(HashMap::new()),
            ever_issued: Mutex::new(HashSet::new()),
        }
    }

    /// Whether the secrets endpoints require a bearer token.
    pub fn required(&self) -> bool {
        self.refresh_token.is_some()
    }

    /// Handles a `application/x-www-form-urlencoded` token request body.
    pub fn exchange(&self, form: &[u8]) -> Result<IssuedToken, OAuthError> {
        let mut grant_type = None;
        let mut presented = None;
        for (name, value) in form_urlencoded::parse(form) {
            let slot = match name.as_ref() {
                "grant_type" => &mut grant_type,
                "refresh_token" => &mut presented,
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return Err(OAuthError::InvalidRequest("A parameter was repeated."));
            }
        }
        match grant_type.as_deref() {
            None => return Err(OAuthError::InvalidRequest("grant_type is missing.")),
            Some("refresh_token") => {}
            Some(_) => return Err(OAuthError::UnsupportedGrantType),
        }
        let presented = presented.ok_or(OAuthError::InvalidRequest("refresh_token is missing."))?;
        match &self.refresh_token {
            Some(expected) if constant_time_eq(expected.as_bytes(), presented.as_bytes()) => {}
            _ => return Err(OAuthError::InvalidGrant),
        }

        let mut raw = [0u8; 16];
        OsRng.fill_bytes(&mut raw);
        let access_token = hex(&raw);
        let expiry = Instant::now().checked_add(Duration::from_secs(self.lifetime_secs));
        let mut issued = self.issued.lock().unwrap();
        // Forget expired tokens so a long test run does not grow the map without bound.
        let now = Instant::now();
        issued.retain(|_, until| until.is_none_or(|t| t > now));
        issued.insert(digest(&access_token), expiry);
        let mut ever = self.ever_issued.lock().unwrap();
        if ever.len() >= MAX_REMEMBERED {
            ever.clear();
        }
        ever.insert(digest(&access_token));
        Ok(IssuedToken {
            access_token,
            expires_in: self.lifetime_secs,
            token_type: "bearer",
            scope: "openid",
        })
    }

    /// Checks the `Authorization` header of a request to a protected endpoint.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), AuthFailure> {
        if !self.required() {
            return Ok(());
        }
        let value = headers
            .get(header::AUTHORIZATION)
            .ok_or(AuthFailure::Missing)?
            .to_str()
            .map_err(|_| AuthFailure::Invalid)?;
        let (scheme, token) = value.split_once(' ').ok_or(AuthFailure::Invalid)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthFailure::Missing);
        }
        let issued = self.issued.lock().unwrap();
        match issued.get(&digest(token.trim())) {
            Some(until) if until.is_none_or(|t| t > Instant::now()) => Ok(()),
            _ => Err(AuthFailure::Invalid),
        }
    }

    /// Whether the request carries a bearer token this service issued at some time, valid or
    /// not any more (always true without authentication): proof that the caller held the API
    /// token, without requiring a fresh one (fault injection acts before the token checks, so
    /// a test can see a fault after its token was revoked).
    pub fn was_issued(&self, headers: &HeaderMap) -> bool {
        if !self.required() {
            return true;
        }
        let Some(token) = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
        else {
            return false;
        };
        self.ever_issued.lock().unwrap().contains(&digest(token))
    }

    /// Makes every issued access token invalid.
    pub fn revoke_all(&self) {
        self.issued.lock().unwrap().clear();
    }
}

impl IntoResponse for IssuedToken {
    fn into_response(self) -> Response {
        oauth_json(StatusCode::OK, serde_json::to_vec(&self).expect("serializable"))
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let (error, description) = match self {
            OAuthError::InvalidRequest(why) => ("invalid_request", why),
            OAuthError::UnsupportedGrantType => (
                "unsupported_grant_type",
                "Only the refresh_token grant type is supported.",
            ),
            OAuthError::InvalidGrant => (
                "invalid_grant",
                "The refresh token is invalid, expired or not accepted by this service.",
            ),
        };
        let body = serde_json::json!({ "error": error, "error_description": description });
        oauth_json(StatusCode::BAD_REQUEST, body.to_string().into_bytes())
    }
}

/// Token answers must not be cached (RFC 6749 §5.1).
fn oauth_json(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn digest(token: &str) -> TokenDigest {
    Sha256::digest(token.as_bytes()).into()
}

/// Compares without an early exit, so timing does not reveal how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        headers
    }

    #[test]
    fn exchange_check_and_revoke() {
        let issuer = TokenIssuer::new(Some("refresh".into()), 60);
        let token = issuer
            .exchange(b"grant_type=refresh_token&refresh_token=refresh")
            .unwrap();
        assert_eq!(token.access_token.len(), 32);
        assert_eq!(issuer.check(&bearer(&token.access_token)), Ok(()));
        assert_eq!(issuer.check(&bearer("other")), Err(AuthFailure::Invalid));
        assert_eq!(issuer.check(&HeaderMap::new()), Err(AuthFailure::Missing));
        issuer.revoke_all();
        assert_eq!(issuer.check(&bearer(&token.access_token)), Err(AuthFailure::Invalid));
    }

    #[test]
    fn exchange_errors() {
        let issuer = TokenIssuer::new(Some("refresh".into()), 60);
        let e = |body: &[u8]| issuer.exchange(body).unwrap_err();
        assert_eq!(
            e(b"grant_type=refresh_token&refresh_token=nope"),
            OAuthError::InvalidGrant
        );
        assert_eq!(
            e(b"grant_type=password&refresh_token=refresh"),
            OAuthError::UnsupportedGrantType
        );
        assert!(matches!(e(b"refresh_token=refresh"), OAuthError::InvalidRequest(_)));
        let open = TokenIssuer::new(None, 60);
        assert_eq!(
            open.exchange(b"grant_type=refresh_token&refresh_token=x").unwrap_err(),
            OAuthError::InvalidGrant
        );
    }

    #[test]
    fn zero_lifetime_tokens_are_expired() {
        let issuer = TokenIssuer::new(Some("r".into()), 0);
        let token = issuer.exchange(b"grant_type=refresh_token&refresh_token=r").unwrap();
        assert_eq!(issuer.check(&bearer(&token.access_token)), Err(AuthFailure::Invalid));
    }
}
