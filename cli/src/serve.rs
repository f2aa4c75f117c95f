//! `vdk-secrets serve`: the local Control Service until SIGTERM or SIGINT.
//!
//! The flags, the checks and the run are those of the standalone `vdk-control-service` binary
//! ([`vdk_control_service::command`]): exactly one stdout line, `listening on <base url>`,
//! flushed once the socket listens; clean exit 0 on a signal; refuses non-loopback addresses
//! unless told otherwise. Here, errors are reported as `error:` and `what to do:` lines with
//! exit 3 (10 when the process itself fails), and the test CA of --tls-self-signed is named on
//! stderr. Nothing printed holds a token.

use std::io::{self, Write};

use vdk_control_service::command::{run_until_signal, ServeArgs};

use crate::error::CliError;

pub fn run(args: ServeArgs) -> Result<(), CliError> {
    let ca = args.self_signed_ca();
    let config = args.into_config()?;
    if let Some(ca) = ca {
        let _ = writeln!(
            io::stderr().lock(),
            "serving HTTPS with a test certificate; clients trust it with VDK_CONTROL_HTTP_CA_BUNDLE={}",
            ca.display()
        );
    }
    Ok(run_until_signal(config)?)
}
