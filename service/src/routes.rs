//! HTTP routing and handlers.
//!
//! Secrets and token paths are matched by hand in a fallback handler rather than by axum
//! routes, because they must work under any path prefix the client's base URL carries
//! (`/api/v1/data-jobs/for-team/...`) and because their segments must be percent-decoded
//! exactly once.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;

use crate::auth::{AuthFailure, OAuthError};
use crate::error::VdkError;
use crate::faults::{Fault, FaultAction};
use crate::identity::JobIdentity;
use crate::json::{compact_object, JsonProblem};
use crate::server::ConnectionControl;
use crate::state::{AppState, StatsCounters};

/// Token requests are a few hundred bytes; anything much bigger is not one.
const TOKEN_BODY_LIMIT: usize = 16 * 1024;
/// How much of a refused request body is read and thrown away so the client, still sending,
/// gets the answer instead of a connection reset. Beyond it the connection is just closed.
const DISCARD_LIMIT: usize = 64 * 1024 * 1024;

pub fn router(state: Arc<AppState>, enable_admin: bool) -> Router {
    let mut router = Router::new();
    if enable_admin {
        router = router
            .route("/__admin/stats", get(admin_stats))
            .route("/__admin/revoke-tokens", post(admin_revoke_tokens));
    }
    router
        .fallback(dispatch)
        .method_not_allowed_fallback(|| async { VdkError::method_not_allowed() })
        .with_state(state)
}

/// The admin endpoints are as protected as the secrets: with authentication on, they need a
/// valid access token (revoking every token, or reading counters, is not for anyone on the
/// machine).
async fn admin_stats(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Err(failure) = state.tokens.check(&headers) {
        return unauthorized(failure);
    }
    let body = serde_json::to_vec(&state.stats.snapshot()).expect("serializable");
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn admin_revoke_tokens(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Err(failure) = state.tokens.check(&headers) {
        return unauthorized(failure);
    }
    state.tokens.revoke_all();
    StatusCode::NO_CONTENT.into_response()
}

/// The wait before answering the `failures`-th refused token request in a row: 50 ms, doubling,
/// at most 2 s. Refusals wait one after another, so guessing the API token is bounded to about
/// one guess per 2 s, however many connections try.
fn token_failure_delay(failures: u32) -> Duration {
    const FIRST: Duration = Duration::from_millis(50);
    const MAX: Duration = Duration::from_secs(2);
    FIRST
        .saturating_mul(1u32 << failures.saturating_sub(1).min(16))
        .min(MAX)
}

async fn dispatch(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let path = request.uri().path();
    if path.ends_with("/oauth/token") {
        return token(&state, request).await;
    }
    match JobIdentity::from_path(path) {
        Some(Ok(id)) => secrets(&state, id, request).await,
        Some(Err(error)) => answer_discarding_body(request, error).await,
        None => answer_discarding_body(request, VdkError::not_found()).await,
    }
}

async fn token(state: &AppState, request: Request) -> Response {
    if request.method() != Method::POST {
        return with_allow(VdkError::method_not_allowed(), "POST");
    }
    if !has_media_type(request.headers(), "application/x-www-form-urlencoded") {
        let error = OAuthError::InvalidRequest("Content-Type must be application/x-www-form-urlencoded.");
        return answer_discarding_body(request, error).await;
    }
    let body = match read_limited(request.into_body(), TOKEN_BODY_LIMIT).await {
        Ok(body) => body,
        Err(_) => return OAuthError::InvalidRequest("The request body is too large or unreadable.").into_response(),
    };
    match state.tokens.exchange(&body) {
        Ok(issued) => {
            StatsCounters::bump(&state.stats.token_exchanges);
            *state.token_failures.lock().await = 0;
            issued.into_response()
        }
        Err(error @ OAuthError::InvalidGrant) => {
            let mut failures = state.token_failures.lock().await;
            *failures = failures.saturating_add(1);
            tokio::time::sleep(token_failure_delay(*failures)).await;
            error.into_response()
        }
        Err(error) => error.into_response(),
    }
}

async fn secrets(state: &AppState, id: JobIdentity, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    match parts.method {
        Method::GET => StatsCounters::bump(&state.stats.secrets_gets),
        Method::PUT => StatsCounters::bump(&state.stats.secrets_puts),
        _ => return with_allow(VdkError::method_not_allowed(), "GET, PUT"),
    }

    // Faults act in front of the service like a failing proxy (before the token checks), but
    // with authentication on only for callers that hold a token this service issued: fault
    // injection is no way around authentication.
    let faults = state
        .faults
        .as_ref()
        .filter(|_| state.tokens.was_issued(&parts.headers));
    if let Some(counters) = faults {
        match Fault::parse(&id.job) {
            None => {}
            Some(Err(why)) => {
                let error = VdkError::bad_request("Unknown fault injection in the job name.", why);
                return discard_then(&parts, body, error).await;
            }
            Some(Ok(fault)) => match fault.action(counters.next(&id.job)) {
                FaultAction::Respond(response) => return discard_then(&parts, body, response).await,
                FaultAction::DropConnection => return drop_connection(&parts).await,
                FaultAction::Delay(delay) => tokio::time::sleep(delay).await,
                FaultAction::PreciseDelay(delay) => {
                    // A panic in a sleep is not expected; if the pool refuses the task, the
                    // answer just comes early.
                    let _ = tokio::task::spawn_blocking(move || std::thread::sleep(delay)).await;
                }
                FaultAction::RevokeTokens => state.tokens.revoke_all(),
                FaultAction::Proceed => {}
            },
        }
    }

    if let Err(failure) = state.tokens.check(&parts.headers) {
        StatsCounters::bump(&state.stats.rejected_auth);
        return discard_then(&parts, body, unauthorized(failure)).await;
    }

    if parts.method == Method::GET {
        get_secrets(state, &id).await
    } else {
        put_secrets(state, &id, &parts, body).await
    }
}

async fn get_secrets(state: &AppState, id: &JobIdentity) -> Response {
    match state.store.get(id).await {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(error) => VdkError::internal(
            "Could not read the data job's secrets.",
            format!("The secrets store failed: {error}."),
        )
        .into_response(),
    }
}

async fn put_secrets(state: &AppState, id: &JobIdentity, parts: &Parts, body: Body) -> Response {
    if !has_media_type(&parts.headers, "application/json") {
        let error = VdkError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported content type.",
            "Secrets must be sent as Content-Type: application/json.",
            "The secrets were not changed.",
            "Send the secrets as a JSON object with Content-Type application/json.",
        );
        return discard_then(parts, body, error).await;
    }
    let limit = state.put_body_limit();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return discard_then(parts, body, too_large(state, None)).await;
    }
    let bytes = match read_limited(body, limit).await {
        Ok(bytes) => bytes,
        Err(ReadError::TooLarge(rest)) => {
            discard(rest).await;
            return too_large(state, None).into_response();
        }
        Err(ReadError::Broken) => {
            return VdkError::bad_request("Could not read the request body.", "The body ended abnormally.")
                .into_response()
        }
    };
    let compact = match compact_object(&bytes) {
        Ok(compact) => compact,
        Err(JsonProblem::NotJson) => {
            return VdkError::bad_request(
                "The secrets are not valid JSON.",
                "The request body could not be parsed as JSON.",
            )
            .into_response()
        }
        Err(JsonProblem::NotObject) => {
            return VdkError::bad_request(
                "The secrets are not a JSON object.",
                "The request body must be a JSON object mapping secret names to values.",
            )
            .into_response()
        }
    };
    if compact.len() > state.max_secrets_bytes {
        return too_large(state, Some(compact.len())).into_response();
    }
    match state.store.put(id, Bytes::from(compact)).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(error) => VdkError::internal(
            "Could not store the data job's secrets.",
            format!("The secrets store failed: {error}."),
        )
        .into_response(),
    }
}

fn too_large(state: &AppState, size: Option<usize>) -> VdkError {
    let limit = state.max_secrets_bytes;
    let why = match size {
        Some(size) => format!("The secrets are {size} bytes of compact JSON; the limit is {limit} bytes."),
        None => format!("The request body is far larger than the limit of {limit} bytes of compact JSON."),
    };
    VdkError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "The secrets are too large.",
        why,
        "The secrets were not changed.",
        "Store fewer or smaller secrets.",
    )
}

fn unauthorized(failure: AuthFailure) -> Response {
    let (why, challenge) = match failure {
        AuthFailure::Missing => ("The request has no bearer access token.", "Bearer"),
        AuthFailure::Invalid => (
            "The bearer access token is unknown, expired or revoked.",
            r#"Bearer error="invalid_token""#,
        ),
    };
    let mut response = VdkError::new(
        StatusCode::UNAUTHORIZED,
        "Authentication failed.",
        why,
        "The request was not processed.",
        "Obtain a new access token with the API token (refresh token) and retry.",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    response
}

/// Closes the connection without writing a response.
async fn drop_connection(parts: &Parts) -> Response {
    match parts.extensions.get::<ConnectionControl>() {
        Some(control) => {
            control.drop_connection();
            // The connection task drops this handler together with the connection.
            std::future::pending().await
        }
        // Not served by our connection loop (e.g. the router called directly): the nearest
        // thing is a response whose body breaks, which aborts the connection.
        None => Response::builder()
            .header(header::CONTENT_LENGTH, 1000)
            .body(Body::new(BrokenBody))
            .expect("valid response"),
    }
}

/// A body that fails at once; hyper aborts the connection when a body fails.
struct BrokenBody;

impl http_body::Body for BrokenBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        std::task::Poll::Ready(Some(Err(std::io::Error::other("injected connection drop"))))
    }
}

fn with_allow(error: VdkError, allow: &'static str) -> Response {
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// Whether the Content-Type's media type (parameters ignored) is `expected`.
fn has_media_type(headers: &HeaderMap, expected: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(expected))
}

enum ReadError {
    /// Over the limit; the rest of the body, to be discarded.
    TooLarge(Body),
    Broken,
}

/// Reads a whole body of at most `limit` bytes.
async fn read_limited(mut body: Body, limit: usize) -> Result<Bytes, ReadError> {
    let mut buffer = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(|_| ReadError::Broken)?.into_data() else {
            continue; // trailers
        };
        if buffer.len() + data.len() > limit {
            return Err(ReadError::TooLarge(body));
        }
        buffer.extend_from_slice(&data);
    }
    Ok(buffer.freeze())
}

/// Reads and throws away up to [`DISCARD_LIMIT`] bytes of a body, without keeping them.
async fn discard(mut body: Body) {
    let mut seen = 0usize;
    let reading = async {
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, |data| data.len());
            if seen > DISCARD_LIMIT {
                break;
            }
        }
    };
    // A client that stops sending must not hold the handler forever.
    let _ = tokio::time::timeout(Duration::from_secs(30), reading).await;
}

/// Answers `response` after discarding the request body, unless the client waits for
/// `100 Continue` (then it has sent nothing and reading would invite the body).
async fn discard_then(parts: &Parts, body: Body, response: impl IntoResponse) -> Response {
    let expects_continue = parts
        .headers
        .get(header::EXPECT)
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if !expects_continue {
        discard(body).await;
    }
    response.into_response()
}

async fn answer_discarding_body(request: Request, response: impl IntoResponse) -> Response {
    let (parts, body) = request.into_parts();
    discard_then(&parts, body, response).await
}
