//! Which job's secrets a request is about, read from its (percent-encoded) path.

use percent_encoding::percent_decode_str;

use crate::error::VdkError;

/// The marker that starts the secrets part of a path. Everything before it is a path prefix
/// the client's base URL carried (e.g. `/api/v1`), which this service accepts whatever it is.
const SECRETS_MARKER: &str = "/data-jobs/for-team/";

/// One job deployment's secrets: the key of the store.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JobIdentity {
    pub team: String,
    pub job: String,
    pub deployment: String,
}

impl JobIdentity {
    /// Parses `{prefix}/data-jobs/for-team/{team}/jobs/{job}/deployments/{id}/secrets`.
    ///
    /// `None` when the path is not a secrets path at all (the caller answers 404); an error
    /// when it is one but a segment is unusable.
    pub fn from_path(path: &str) -> Option<Result<JobIdentity, VdkError>> {
        // The last occurrence: a percent-encoded segment cannot contain '/', so the marker can
        // only occur in the prefix or right here, and the last one is the real one.
        let start = path.rfind(SECRETS_MARKER)? + SECRETS_MARKER.len();
        let segments: Vec<&str> = path[start..].split('/').collect();
        let [team, "jobs", job, "deployments", deployment, "secrets"] = segments[..] else {
            return None;
        };
        Some((|| {
            Ok(JobIdentity {
                team: decode_segment("team name", team)?,
                job: decode_segment("job name", job)?,
                deployment: decode_segment("deployment id", deployment)?,
            })
        })())
    }

    /// An unambiguous byte encoding (length-prefixed fields), used as the AEAD's associated
    /// data and as the input of the file-name hash.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(12 + self.team.len() + self.job.len() + self.deployment.len());
        for field in [&self.team, &self.job, &self.deployment] {
            out.extend_from_slice(&(field.len() as u32).to_be_bytes());
            out.extend_from_slice(field.as_bytes());
        }
        out
    }
}

fn decode_segment(name: &str, raw: &str) -> Result<String, VdkError> {
    let decoded = percent_decode_str(raw).decode_utf8().map_err(|_| {
        VdkError::bad_request(
            format!("Invalid {name} in the request path."),
            format!("The percent-decoded {name} is not valid UTF-8."),
        )
    })?;
    if decoded.is_empty() {
        return Err(VdkError::bad_request(
            format!("Empty {name} in the request path."),
            format!("The {name} must not be empty."),
        ));
    }
    Ok(decoded.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_and_without_prefix() {
        let id = JobIdentity::from_path("/data-jobs/for-team/t/jobs/j/deployments/TODO/secrets")
            .unwrap()
            .unwrap();
        assert_eq!(
            (id.team.as_str(), id.job.as_str(), id.deployment.as_str()),
            ("t", "j", "TODO")
        );
        let id = JobIdentity::from_path("/api/v1/data-jobs/for-team/my%20team%2Fa/jobs/j%C3%A9/deployments/d/secrets")
            .unwrap()
            .unwrap();
        assert_eq!(id.team, "my team/a");
        assert_eq!(id.job, "jé");
    }

    #[test]
    fn rejects_other_shapes() {
        assert!(JobIdentity::from_path("/data-jobs/for-team/t/jobs/j/secrets").is_none());
        assert!(JobIdentity::from_path("/data-jobs/for-team/t/jobs/j/deployments/d/secrets/").is_none());
        assert!(JobIdentity::from_path("/oauth/token").is_none());
        assert!(
            JobIdentity::from_path("/data-jobs/for-team/%FF/jobs/j/deployments/d/secrets")
                .unwrap()
                .is_err()
        );
        assert!(
            JobIdentity::from_path("/data-jobs/for-team//jobs/j/deployments/d/secrets")
                .unwrap()
                .is_err()
        );
    }

    #[test]
    fn encoding_is_unambiguous() {
        let a = JobIdentity {
            team: "ab".into(),
            job: "c".into(),
            deployment: "d".into(),
        };
        let b = JobIdentity {
            team: "a".into(),
            job: "bc".into(),
            deployment: "d".into(),
        };
        assert_ne!(a.encode(), b.encode());
    }
}
