//! From parsed flags to one action, refusing every combination that makes no sense before
//! anything is read, prompted or written.

use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::{ArgMatches, CommandFactory};
use zeroize::Zeroizing;

use crate::args::{Cli, Output, SecretsArgs};
use crate::error::CliError;

/// One change of a read-modify-write, in command-line order.
pub enum Change {
    Set { key: String, value: Zeroizing<String> },
    SetPrompt { key: String },
    Delete { key: String },
}

pub enum Source {
    Stdin,
    File(PathBuf),
}

pub enum Action {
    Get(String),
    List { reveal: bool },
    Modify(Vec<Change>),
    DeleteAll,
    Overwrite(Source),
}

pub struct Plan {
    pub job: String,
    pub team: String,
    pub action: Action,
}

const MODES: &str = "--get, --list, --set/--set-prompt/--delete, --delete-all-job-secrets or \
                     --overwrite-all-job-secrets";

/// Usage errors come back as clap errors (exit 2, with the usage line); bad secret names as
/// [`CliError`]s (exit 3).
pub enum PlanError {
    Usage(clap::Error),
    Invalid(CliError),
}

fn usage(kind: ErrorKind, message: String) -> PlanError {
    PlanError::Usage(Cli::command().error(kind, message))
}

/// `matches` are the top-level matches, which know the order of the flags.
pub fn plan(args: &mut SecretsArgs, matches: &ArgMatches) -> Result<Plan, PlanError> {
    let modify = !args.set.is_empty() || !args.set_prompt.is_empty() || !args.delete.is_empty();
    let mut given: Vec<&str> = Vec::new();
    if args.get.is_some() {
        given.push("--get");
    }
    if args.list {
        given.push("--list");
    }
    if !args.set.is_empty() {
        given.push("--set");
    }
    if !args.set_prompt.is_empty() {
        given.push("--set-prompt");
    }
    if !args.delete.is_empty() {
        given.push("--delete");
    }
    if args.delete_all_job_secrets {
        given.push("--delete-all-job-secrets");
    }
    if args.overwrite_all_job_secrets.is_some() {
        given.push("--overwrite-all-job-secrets");
    }
    let modes = [
        args.get.is_some(),
        args.list,
        modify,
        args.delete_all_job_secrets,
        args.overwrite_all_job_secrets.is_some(),
    ]
    .iter()
    .filter(|m| **m)
    .count();
    if modes == 0 {
        return Err(usage(
            ErrorKind::MissingRequiredArgument,
            format!("nothing to do: give one of {MODES}"),
        ));
    }
    if modes > 1 {
        return Err(usage(
            ErrorKind::ArgumentConflict,
            format!("{} cannot be used together: give only one of {MODES}", given.join(", ")),
        ));
    }
    if args.reveal && !args.list {
        return Err(usage(
            ErrorKind::ArgumentConflict,
            "--reveal only applies to --list".to_string(),
        ));
    }
    let (Some(job), Some(team)) = (args.name.clone(), args.team.clone()) else {
        let missing = match (&args.name, &args.team) {
            (None, None) => "the job name (-n/--name JOB) and the team (-t/--team TEAM) are required",
            (None, _) => "the job name (-n/--name JOB) is required",
            _ => "the team (-t/--team TEAM) is required",
        };
        return Err(usage(ErrorKind::MissingRequiredArgument, missing.to_string()));
    };

    let action = if let Some(key) = args.get.take() {
        Action::Get(key)
    } else if args.list {
        Action::List { reveal: args.reveal }
    } else if args.delete_all_job_secrets {
        Action::DeleteAll
    } else if let Some(path) = args.overwrite_all_job_secrets.take() {
        if path.as_os_str() == "-" {
            Action::Overwrite(Source::Stdin)
        } else {
            Action::Overwrite(Source::File(path))
        }
    } else {
        let changes = ordered_changes(args, matches);
        for change in &changes {
            if let Change::Set { key, .. } | Change::SetPrompt { key } = change {
                vdk_secrets::job::validate_name(key).map_err(|e| {
                    PlanError::Invalid(CliError::invalid(
                        format!("invalid secret name '{}': {}", printable(key), e.why()),
                        "Secret names must be non-empty and hold no whitespace or control characters.",
                    ))
                })?;
            }
        }
        Action::Modify(changes)
    };
    Ok(Plan { job, team, action })
}

/// The changes in the order they were given: clap keeps each flag's values apart, but records
/// the position of every value on the command line.
fn ordered_changes(args: &mut SecretsArgs, matches: &ArgMatches) -> Vec<Change> {
    let mut positioned: Vec<(usize, Change)> = Vec::new();
    let set_positions: Vec<usize> = matches.indices_of("set").map(|i| i.collect()).unwrap_or_default();
    let set_values = std::mem::take(&mut args.set);
    let mut values = set_values.into_iter();
    // Two values per --set: KEY at the even positions, VALUE right after.
    for chunk in set_positions.chunks(2) {
        let (Some(key), Some(value)) = (values.next(), values.next()) else {
            break;
        };
        positioned.push((
            chunk[0],
            Change::Set {
                key,
                value: Zeroizing::new(value),
            },
        ));
    }
    let prompt_positions: Vec<usize> = matches
        .indices_of("set_prompt")
        .map(|i| i.collect())
        .unwrap_or_default();
    for (position, key) in prompt_positions.into_iter().zip(std::mem::take(&mut args.set_prompt)) {
        positioned.push((position, Change::SetPrompt { key }));
    }
    let delete_positions: Vec<usize> = matches.indices_of("delete").map(|i| i.collect()).unwrap_or_default();
    for (position, key) in delete_positions.into_iter().zip(std::mem::take(&mut args.delete)) {
        positioned.push((position, Change::Delete { key }));
    }
    positioned.sort_by_key(|(position, _)| *position);
    positioned.into_iter().map(|(_, change)| change).collect()
}

/// A name as it may be shown: dangerous characters escaped, and short.
pub use crate::terminal::printable;

impl Output {
    pub fn is_json(self) -> bool {
        self == Output::Json
    }
}
