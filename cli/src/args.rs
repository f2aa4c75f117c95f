//! The command line, as clap sees it. What clap cannot express (which flags make sense
//! together, in which order the changes apply) is checked in `plan.rs`.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use vdk_control_service::command::ServeArgs;

/// Shown after `--help`: the exit codes and where the configuration comes from.
pub const AFTER_HELP: &str = "\
Configuration:
  The Control Service URL comes from -u/--rest-api-url or VDK_CONTROL_SERVICE_REST_API_URL.
  Every other setting comes from VDK_* environment variables (see the project README), e.g.
  VDK_API_TOKEN and VDK_API_TOKEN_AUTHORIZATION_URL for authentication. The API token is
  never taken from a flag value: use VDK_API_TOKEN or --api-token-file FILE.
  VDK_SECRETS_LOG=debug prints diagnostics on stderr (never secret values or tokens).

Output:
  --get KEY prints the value (strings as they are, other values as compact JSON).
  --list prints one 'name = ******' line per secret, sorted by name; add --reveal to print
  the values (as JSON). With -o json, --get prints the value as JSON, --list the whole map
  as one JSON object, and a change prints a JSON summary (names only).
  Values given with --set are visible to other users in `ps` and stay in shell history:
  prefer --set-prompt (hidden input) or --overwrite-all-job-secrets - for real secrets.

Exit codes:
  0   success
  2   usage error: unknown flag, missing -n/-t, flags that cannot be combined
  3   invalid argument or configuration: bad secret name, bad JSON, no URL, bad VDK_* value,
      --get of a value with control characters to a terminal (add --raw)
  4   authentication failed (HTTP 401/403, API token rejected)
  5   not found: job or team unknown (HTTP 404), or no secret of that name (--get)
  6   other user error (HTTP 4xx, e.g. 413: secrets too large)
  7   Control Service error (HTTP 5xx), after retries
  8   network error: connection refused, DNS, TLS, timeout, after retries
  9   protocol error: the answer is not what a Control Service sends
  10  internal error (a bug in vdk-secrets)";

/// Read and write a data job's secrets in the Versatile Data Kit Control Service.
///
/// Changes (--set, --set-prompt, --delete) are applied in the order given to one read of the
/// job's secrets, which are then written back once. Nothing is written when an argument is
/// wrong.
#[derive(Parser, Debug)]
#[command(
    name = "vdk-secrets",
    version,
    about,
    after_help = AFTER_HELP,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub secrets: SecretsArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a local Control Service for development and tests (not a production server).
    #[command(
        long_about = "Run a local Versatile Data Kit Control Service: the Data Job Secrets API and an \
                      OAuth2 token endpoint, for development and tests. This is a development server, \
                      not a production one: secrets are kept in memory, or encrypted in --data-dir \
                      with the key beside them.\n\n\
                      Prints exactly one line on standard output once it listens: \
                      'listening on <base URL>'. Stops cleanly (exit 0) on SIGTERM or SIGINT.",
        after_help = "Exit codes: 0 stopped by SIGTERM or SIGINT; 2 usage error; 3 cannot start \
                      (non-loopback address without --allow-non-loopback, unreadable token file, \
                      unusable data directory or TLS files, address in use).",
        // The flags are those of the standalone `vdk-control-service`, but a command typed by
        // hand gets a fixed port, and the CA of --tls-self-signed is announced on stderr.
        mut_arg("listen", |arg| arg.value_name("ADDR").default_value("127.0.0.1:8092")),
        mut_arg("tls_self_signed", |arg| arg.help(
            "Generate a test CA (ca.pem) and a localhost certificate (cert.pem, key.pem) into DIR and \
             serve HTTPS with them; clients trust it with VDK_CONTROL_HTTP_CA_BUNDLE=DIR/ca.pem"
        ))
    )]
    Serve(ServeArgs),

    /// Run a command with the job's secrets in its environment (replaces vdk-secrets: same PID).
    #[command(after_help = crate::env_args::EXEC_AFTER_HELP)]
    Exec(crate::env_args::ExecArgs),

    /// Print the job's secrets as env, dotenv, shell or JSON, or write them to a 0600 file.
    #[command(after_help = crate::env_args::EXPORT_AFTER_HELP)]
    Export(crate::env_args::ExportArgs),
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Output {
    #[default]
    Text,
    Json,
}

#[derive(Args, Debug, Default)]
pub struct SecretsArgs {
    /// Name of the data job.
    #[arg(short = 'n', long = "name", value_name = "JOB")]
    pub name: Option<String>,

    /// Team that owns the data job.
    #[arg(short = 't', long = "team", value_name = "TEAM")]
    pub team: Option<String>,

    /// Control Service REST API URL (default: VDK_CONTROL_SERVICE_REST_API_URL).
    #[arg(short = 'u', long = "rest-api-url", value_name = "URL")]
    pub rest_api_url: Option<String>,

    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Text)]
    pub output: Output,

    /// Set a secret. When it exists and VALUE converts to its type (integer, float, boolean,
    /// JSON object or list), that type is kept; otherwise, and for new secrets, a string.
    /// Repeatable.
    #[arg(
        long = "set",
        num_args = 2,
        value_names = ["KEY", "VALUE"],
        action = ArgAction::Append,
        allow_hyphen_values = true
    )]
    pub set: Vec<String>,

    /// Set a secret to a value read with hidden input on a terminal (one line of standard
    /// input otherwise); types are kept as with --set. Repeatable.
    #[arg(long = "set-prompt", value_name = "KEY", action = ArgAction::Append)]
    pub set_prompt: Vec<String>,

    /// Print the value of one secret.
    #[arg(long = "get", value_name = "KEY")]
    pub get: Option<String>,

    /// With --get: write the value to a terminal even if it holds control characters (other
    /// than newline and tab), which are refused on a terminal otherwise.
    #[arg(long = "raw", requires = "get")]
    pub raw: bool,

    /// List the job's secrets (values masked in text output unless --reveal).
    #[arg(long = "list", visible_alias = "get-all")]
    pub list: bool,

    /// With --list in text output: print the values too.
    #[arg(long = "reveal")]
    pub reveal: bool,

    /// Delete a secret (deleting one that does not exist is not an error). Repeatable.
    #[arg(long = "delete", value_name = "KEY", action = ArgAction::Append)]
    pub delete: Vec<String>,

    /// Delete every secret of the job.
    #[arg(long = "delete-all-job-secrets")]
    pub delete_all_job_secrets: bool,

    /// Replace every secret of the job with the JSON object in FILE ('-': standard input).
    #[arg(long = "overwrite-all-job-secrets", value_name = "FILE|-")]
    pub overwrite_all_job_secrets: Option<PathBuf>,

    /// Read the API token from this file (instead of VDK_API_TOKEN).
    #[arg(long = "api-token-file", value_name = "FILE")]
    pub api_token_file: Option<PathBuf>,

    /// Print no status lines on stderr (errors are still printed).
    #[arg(short = 'q', long = "quiet")]
    pub quiet: bool,
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    #[test]
    fn serve_listens_on_8092_by_default() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from(["vdk-secrets", "serve"]).unwrap();
        let Some(Command::Serve(args)) = cli.command else {
            panic!("not the serve subcommand");
        };
        assert_eq!(args.listen, "127.0.0.1:8092".parse().unwrap());
    }
}
