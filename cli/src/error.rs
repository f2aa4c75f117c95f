//! Exit codes and how errors are printed. The table is also in `--help` and cli/README.md.

use std::io::{self, Write};
use std::process::ExitCode;

use vdk_control_service::command::{StartError, StartErrorKind};
use vdk_secrets::Status;

pub const OK: u8 = 0;
// 2, usage errors, is clap's own code; flags that cannot be combined are reported through
// clap too (see `plan.rs`), so they exit the same way.
pub const INVALID: u8 = 3;
pub const AUTHENTICATION: u8 = 4;
pub const NOT_FOUND: u8 = 5;
pub const USER_ERROR: u8 = 6;
pub const SERVICE_ERROR: u8 = 7;
pub const NETWORK: u8 = 8;
pub const PROTOCOL: u8 = 9;
pub const INTERNAL: u8 = 10;

/// A failure of the command: printed as `error: ...` and `what to do: ...` on stderr.
/// Texts never hold a secret value or a token.
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub message: String,
    pub countermeasures: String,
}

impl CliError {
    pub fn new(code: u8, message: impl Into<String>, countermeasures: impl Into<String>) -> Self {
        CliError {
            code,
            message: message.into(),
            countermeasures: countermeasures.into(),
        }
    }

    pub fn invalid(message: impl Into<String>, countermeasures: impl Into<String>) -> Self {
        CliError::new(INVALID, message, countermeasures)
    }

    /// Prints the error and returns the exit code.
    pub fn report(&self) -> ExitCode {
        let mut stderr = io::stderr().lock();
        let _ = writeln!(stderr, "error: {}", one_line(&self.message));
        if !self.countermeasures.is_empty() {
            let _ = writeln!(stderr, "what to do: {}", one_line(&self.countermeasures));
        }
        ExitCode::from(self.code)
    }
}

pub fn exit_code(status: Status) -> u8 {
    match status {
        Status::Ok => OK,
        Status::InvalidArgument | Status::Configuration => INVALID,
        Status::Authentication => AUTHENTICATION,
        Status::NotFound => NOT_FOUND,
        Status::UserError => USER_ERROR,
        Status::ServiceError => SERVICE_ERROR,
        Status::Network => NETWORK,
        Status::Protocol => PROTOCOL,
        // The CLI cancels nothing; a cancelled call would be a bug.
        Status::Cancelled | Status::Panic => INTERNAL,
    }
}

impl From<vdk_secrets::Error> for CliError {
    fn from(error: vdk_secrets::Error) -> Self {
        CliError::new(exit_code(error.status()), error.message(), error.countermeasures())
    }
}

/// `vdk-secrets serve` could not start: 3 for what the user can change, 10 otherwise.
impl From<StartError> for CliError {
    fn from(error: StartError) -> Self {
        let code = match error.kind() {
            StartErrorKind::Unusable => INVALID,
            StartErrorKind::Internal => INTERNAL,
        };
        CliError::new(code, error.message(), error.countermeasures())
    }
}

/// Error texts quote the server: nothing in them may act on the terminal.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if crate::terminal::is_dangerous(c) { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_own_code() {
        let statuses = [
            Status::InvalidArgument,
            Status::Authentication,
            Status::NotFound,
            Status::UserError,
            Status::ServiceError,
            Status::Network,
            Status::Protocol,
            Status::Panic,
        ];
        let mut codes: Vec<u8> = statuses.iter().map(|s| exit_code(*s)).collect();
        codes.sort_unstable();
        assert_eq!(codes, vec![3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(exit_code(Status::Configuration), INVALID);
    }
}
