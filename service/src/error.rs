//! VDK-style error answers: `{"what", "why", "consequences", "countermeasures"}`.
//!
//! The texts are written by the handlers from fixed words and request metadata (status codes,
//! sizes); they never include a secret value or a token.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answer in the shape the VDK clients read.
#[derive(Debug, Serialize)]
pub struct VdkError {
    #[serde(skip)]
    status: StatusCode,
    what: String,
    why: String,
    consequences: String,
    countermeasures: String,
}

impl VdkError {
    pub fn new(
        status: StatusCode,
        what: impl Into<String>,
        why: impl Into<String>,
        consequences: impl Into<String>,
        countermeasures: impl Into<String>,
    ) -> Self {
        VdkError {
            status,
            what: what.into(),
            why: why.into(),
            consequences: consequences.into(),
            countermeasures: countermeasures.into(),
        }
    }

    pub fn not_found() -> Self {
        VdkError::new(
            StatusCode::NOT_FOUND,
            "Resource not found.",
            "This service serves only the Data Job Secrets API and the token endpoint.",
            "The request was not processed.",
            "Use {base}/data-jobs/for-team/{team}/jobs/{job}/deployments/{id}/secrets or {base}/oauth/token.",
        )
    }

    pub fn method_not_allowed() -> Self {
        VdkError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed.",
            "The resource does not support this HTTP method.",
            "The request was not processed.",
            "Use GET or PUT for secrets and POST for the token endpoint.",
        )
    }

    pub fn bad_request(what: impl Into<String>, why: impl Into<String>) -> Self {
        VdkError::new(
            StatusCode::BAD_REQUEST,
            what,
            why,
            "The request was not processed; nothing was changed.",
            "Fix the request and send it again.",
        )
    }

    pub fn internal(what: impl Into<String>, why: impl Into<String>) -> Self {
        VdkError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            what,
            why,
            "The request failed; stored secrets were not changed.",
            "Check the service's data directory and its logs, then retry.",
        )
    }
}

impl IntoResponse for VdkError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self).expect("a struct of strings always serializes");
        let mut response = (self.status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}
