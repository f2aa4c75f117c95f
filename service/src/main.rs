//! `vdk-control-service`: runs the local Control Service until SIGTERM or SIGINT.
//!
//! Prints exactly one line to stdout once listening: `listening on <base url>`. Everything
//! else (errors only) goes to stderr, and nothing printed contains a token or a secret.
//! The flags and the run are in [`vdk_control_service::command`], shared with
//! `vdk-secrets serve`.

use std::process::ExitCode;

use clap::Parser;
use vdk_control_service::command::{run_until_signal, ServeArgs};

/// Local VDK Control Service (secrets and token endpoints) for development and tests.
/// Not a production server.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    #[command(flatten)]
    serve: ServeArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match args.serve.into_config().and_then(run_until_signal) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("vdk-control-service: {}", error.terse());
            ExitCode::FAILURE
        }
    }
}
