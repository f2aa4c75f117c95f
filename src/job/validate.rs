//! What the job layer refuses before anything is sent.

use crate::error::{Error, Result, Status};
use crate::secret::SecretMap;

/// The Control Service's default limit on a job's secrets, as compact UTF-8 JSON.
pub const MAX_SECRETS_BYTES: usize = 1024 * 1024;

/// Secret names are non-empty and hold no whitespace or control characters (as upstream).
pub fn validate_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid_argument("a secret name must not be empty"));
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid_argument(
            "a secret name must not contain whitespace or control characters",
        ));
    }
    Ok(())
}

/// Refuses maps the service would answer with 413, before sending them.
pub fn validate_size(secrets: &SecretMap) -> Result<()> {
    let size = secrets.to_json().len();
    if size > MAX_SECRETS_BYTES {
        return Err(Error::new(
            Status::UserError,
            "Failed to write secrets",
            format!(
                "the secrets take {size} bytes as JSON, more than the Control Service's limit of {MAX_SECRETS_BYTES}"
            ),
        )
        .with_http_status(0)
        .with_countermeasures("Store fewer or smaller secrets."));
    }
    Ok(())
}
