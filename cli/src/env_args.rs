//! The command lines of `vdk-secrets exec` and `vdk-secrets export`: the job, how secrets
//! become variables, and what each subcommand adds.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{ArgAction, Args, ValueEnum};

use crate::args::SecretsArgs;

pub const EXEC_AFTER_HELP: &str = "\
Variables:
  A secret 'api-key' becomes API_KEY: upper-cased, every character outside [A-Z0-9_] turned
  into '_'. Values: strings as they are, other JSON values as compact JSON.
  Refused unless allowed one by one with --allow NAME: LD_*, DYLD_*, BASH_ENV, ENV, IFS, PATH,
  SHELLOPTS, PS4. Refused always: two secrets giving one variable, a value holding a NUL byte
  or longer than the kernel takes for one variable (128 KiB with its name). A secret that would
  replace a variable of the environment is refused unless --override.
  --pristine keeps only PATH, HOME, USER, LANG and TZ of the environment.

The command:
  vdk-secrets replaces itself with COMMAND (execve): same PID, signals reach it directly, and
  its exit status is the exit status. COMMAND is looked up in the PATH of its environment. It
  starts with every signal at its default disposition, no blocked signal, and only file
  descriptors 0, 1 and 2 open. If anything fails before, COMMAND does not run.

Exit codes (before COMMAND runs; then they are COMMAND's):
  2 usage error; 3 refused variable or value, bad configuration; 4 authentication failed;
  5 job or team unknown, or a secret of --only missing; 6 other HTTP 4xx; 7 Control Service
  error; 8 network error; 9 protocol error; 10 internal error;
  126 COMMAND found but not executable; 127 COMMAND not found.";

pub const EXPORT_AFTER_HELP: &str = "\
Formats (one line per secret, sorted by variable name):
  env     NAME=value; values holding a newline or carriage return are refused
  dotenv  NAME=\"value\" with \\\\, \\\", \\n, \\r escaped, read back exactly by python-dotenv;
          values holding '${' are refused (python-dotenv expands them even inside quotes)
  shell   export NAME='value'; safe to eval in bash, dash and zsh for any value
  json    one JSON object of variable names to string values
Variables are named and checked as for `vdk-secrets exec` (see its --help).

--output FILE is created with mode 0600 (never wider), written and synced, then renamed onto
FILE. Exit codes as for the other actions (3: a value the format cannot carry).";

/// Which job, and how to reach the Control Service (as for the other actions).
#[derive(Args, Debug)]
pub struct JobArgs {
    /// Name of the data job.
    #[arg(short = 'n', long = "name", value_name = "JOB", required = true)]
    pub name: String,

    /// Team that owns the data job.
    #[arg(short = 't', long = "team", value_name = "TEAM", required = true)]
    pub team: String,

    /// Control Service REST API URL (default: VDK_CONTROL_SERVICE_REST_API_URL).
    #[arg(short = 'u', long = "rest-api-url", value_name = "URL")]
    pub rest_api_url: Option<String>,

    /// Read the API token from this file (instead of VDK_API_TOKEN).
    #[arg(long = "api-token-file", value_name = "FILE")]
    pub api_token_file: Option<PathBuf>,
}

impl JobArgs {
    /// The connection settings in the shape the other actions use, so that configuration and
    /// token are read by the same code.
    pub fn connection(&self) -> SecretsArgs {
        SecretsArgs {
            rest_api_url: self.rest_api_url.clone(),
            api_token_file: self.api_token_file.clone(),
            ..SecretsArgs::default()
        }
    }
}

/// How secrets become environment variables.
#[derive(Args, Debug, Default)]
pub struct VariableArgs {
    /// Put PREFIX before every variable name (e.g. APP_).
    #[arg(
        long = "prefix",
        value_name = "PREFIX",
        default_value = "",
        hide_default_value = true
    )]
    pub prefix: String,

    /// Keep secret names as they are (refusing names that are not valid variable names).
    #[arg(long = "no-transform")]
    pub no_transform: bool,

    /// Pass only this secret (by secret name); a missing one is an error. Repeatable.
    #[arg(long = "only", value_name = "SECRET", action = ArgAction::Append)]
    pub only: Vec<String>,

    /// Allow this refused variable name (e.g. PATH, LD_LIBRARY_PATH). Repeatable.
    #[arg(long = "allow", value_name = "NAME", action = ArgAction::Append)]
    pub allow: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ExecArgs {
    #[command(flatten)]
    pub job: JobArgs,

    #[command(flatten)]
    pub variables: VariableArgs,

    /// Give the command only the secrets plus PATH, HOME, USER, LANG and TZ of the environment.
    #[arg(long = "pristine")]
    pub pristine: bool,

    /// Let secrets replace variables of the environment (their names are listed on stderr).
    #[arg(long = "override")]
    pub override_existing: bool,

    /// The command and its arguments, after `--`.
    #[arg(value_name = "COMMAND", required = true, num_args = 1.., last = true)]
    pub command: Vec<OsString>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Env,
    Dotenv,
    Json,
    Shell,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub job: JobArgs,

    #[command(flatten)]
    pub variables: VariableArgs,

    /// Output format.
    #[arg(long = "format", value_enum, value_name = "FORMAT", required = true)]
    pub format: Format,

    /// Write to FILE (mode 0600, replaced atomically) instead of standard output.
    #[arg(long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Print no status line on stderr (errors are still printed).
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,
}
