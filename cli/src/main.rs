//! `vdk-secrets`: read and write a data job's secrets in the Versatile Data Kit Control
//! Service, with the flags of upstream `vdk secrets`; `vdk-secrets serve` runs the local
//! Control Service for development and tests.
//!
//! Modules: `args` (the command line), `plan` (which flags go together, in which order the
//! changes apply), `merge` (type-preserving --set), `prompt` (hidden input), `secrets` (the
//! read-modify-write), `serve`, `terminal` (what server texts may reach a terminal), `error`
//! (exit codes); `exec` and `export` (secrets as environment variables: `env_args`, `env_names`,
//! `variables`, `process_state`).

mod args;
mod env_args;
mod env_names;
mod error;
mod exec;
mod export;
mod merge;
mod plan;
mod process_state;
mod prompt;
mod secrets;
mod serve;
mod terminal;
mod variables;

use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::args::{Cli, Command};
use crate::error::{CliError, INTERNAL};
use crate::plan::PlanError;

fn main() -> ExitCode {
    vdk_secrets::logging::init_from_env();
    // Usage errors exit 2 here, --help and --version exit 0.
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| match cli.command.take() {
        Some(Command::Serve(args)) => serve::run(args),
        Some(Command::Exec(args)) => exec::run(args),
        Some(Command::Export(args)) => export::run(args),
        None => match plan::plan(&mut cli.secrets, &matches) {
            Ok(plan) => secrets::run(&cli.secrets, plan),
            Err(PlanError::Usage(error)) => error.exit(),
            Err(PlanError::Invalid(error)) => Err(error),
        },
    }));
    match outcome {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(error)) => error.report(),
        Err(_) => CliError::new(
            INTERNAL,
            "internal error (a bug in vdk-secrets); nothing more was done",
            "Please report it with the command you ran (without secret values).",
        )
        .report(),
    }
}
