//! `vdk-secrets exec`: read the job's secrets once, then replace this process with the command,
//! the secrets in its environment. Every check happens before the command runs; after
//! `execve` succeeds nothing of vdk-secrets is left (same PID, no wrapper process).

use std::ffi::{CString, OsStr, OsString};
use std::io::{self, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use zeroize::Zeroizing;

use crate::env_args::ExecArgs;
use crate::error::CliError;
use crate::plan::printable;
use crate::process_state;
use crate::secrets;
use crate::variables::{self, Variable};

/// What `--pristine` keeps of the current environment.
pub const PRISTINE_KEPT: &[&str] = &["PATH", "HOME", "USER", "LANG", "TZ"];

/// Linux's MAX_ARG_STRLEN (32 pages of 4 KiB): the longest single `NAME=value` string, with its
/// terminating NUL, that execve accepts. Other kernels allow at least as much in practice.
pub const MAX_VARIABLE_BYTES: usize = 128 * 1024;

/// execvp's search path when the environment has no PATH.
const DEFAULT_PATH: &[u8] = b"/bin:/usr/bin";

/// Exit codes of a command that cannot be started, as in env(1) and POSIX shells.
const CANNOT_EXECUTE: u8 = 126;
const COMMAND_NOT_FOUND: u8 = 127;

/// Returns only on failure: on success the process is the command.
pub fn run(args: ExecArgs) -> Result<(), CliError> {
    variables::check_args(&args.variables)?;
    let who = format!("job {} (team {})", printable(&args.job.name), printable(&args.job.team));
    let variables = {
        let client = secrets::client(&args.job.connection())?;
        let secrets = client.read_secrets_blocking(&args.job.name, &args.job.team, None)?;
        log::debug!("read {} secrets for exec", secrets.len());
        variables::from_secrets(&secrets, &args.variables, &who)?
    };
    refuse_too_long(&variables)?;

    let base: Vec<(OsString, OsString)> = if args.pristine {
        PRISTINE_KEPT
            .iter()
            .filter_map(|name| std::env::var_os(name).map(|value| (OsString::from(name), value)))
            .collect()
    } else {
        std::env::vars_os().collect()
    };
    let Environment { entries, overridden } = merge(base, &variables, args.override_existing)?;
    drop(variables);

    let argv: Vec<CString> = args
        .command
        .iter()
        .map(|arg| CString::new(arg.as_bytes()).expect("command-line arguments hold no NUL byte"))
        .collect();
    refuse_over_arg_max(&argv, &entries)?;
    if !overridden.is_empty() {
        let _ = writeln!(
            io::stderr().lock(),
            "vdk-secrets: secrets override these variables of the environment: {}",
            overridden.join(", ")
        );
    }

    let command = &args.command[0];
    let candidates = candidates(command, path_of(&entries));
    let envp = pointers(entries.iter().map(|entry| entry.as_ptr()));
    let argv_pointers = pointers(argv.iter().map(|arg| arg.as_ptr()));

    process_state::reset_for_exec();
    let mut denied = None;
    for candidate in &candidates {
        // SAFETY: every pointer array is NULL-terminated and points into CStrings that outlive
        // the call; execve only returns on failure.
        unsafe { libc::execve(candidate.as_ptr(), argv_pointers.as_ptr(), envp.as_ptr()) };
        let error = io::Error::last_os_error();
        match error.raw_os_error() {
            // As execvp: try the next directory of PATH.
            Some(libc::ENOENT) | Some(libc::ENOTDIR) => {}
            Some(libc::EACCES) => denied = Some(error),
            Some(libc::ENOEXEC) => {
                return Err(CliError::new(
                    CANNOT_EXECUTE,
                    format!("cannot run {}: not an executable format", shown(command)),
                    "A script needs a '#!' first line naming its interpreter.",
                ))
            }
            _ => {
                return Err(CliError::new(
                    CANNOT_EXECUTE,
                    format!("cannot run {}: {error}", shown(command)),
                    "Check the command and the size of its arguments and environment.",
                ))
            }
        }
    }
    Err(match denied {
        Some(error) => CliError::new(
            CANNOT_EXECUTE,
            format!("cannot run {}: {error}", shown(command)),
            "Check that the command is an executable file you may run.",
        ),
        None => CliError::new(
            COMMAND_NOT_FOUND,
            format!("command not found: {}", shown(command)),
            "Give the command's path, or check PATH.",
        ),
    })
}

/// The command's environment as `NAME=value` C strings, wiped when dropped (they hold the
/// secrets until execve replaces this process, or until an error returns).
struct Environment {
    entries: Vec<Zeroizing<CString>>,
    overridden: Vec<String>,
}

fn merge(
    base: Vec<(OsString, OsString)>,
    variables: &[Variable],
    allow_override: bool,
) -> Result<Environment, CliError> {
    let is_secret = |name: &OsStr| variables.iter().any(|v| name.as_bytes() == v.name.as_bytes());
    let collisions: Vec<&Variable> = variables
        .iter()
        .filter(|v| base.iter().any(|(name, _)| name.as_bytes() == v.name.as_bytes()))
        .collect();
    if !collisions.is_empty() && !allow_override {
        let names: Vec<String> = collisions.iter().map(|v| v.describe()).collect();
        return Err(CliError::invalid(
            format!(
                "secrets would override variables of the environment: {}",
                names.join(", ")
            ),
            "Unset those variables, give --override to let the secrets win, or leave the secrets out \
             with --only; nothing was run.",
        ));
    }
    let mut entries = Vec::with_capacity(base.len() + variables.len());
    for (name, value) in base.into_iter().filter(|(name, _)| !is_secret(name)) {
        entries.push(entry(name.as_bytes(), value.into_vec().as_slice()));
    }
    for variable in variables {
        entries.push(entry(variable.name.as_bytes(), variable.value.as_bytes()));
    }
    Ok(Environment {
        entries,
        overridden: collisions.iter().map(|v| v.name.clone()).collect(),
    })
}

fn entry(name: &[u8], value: &[u8]) -> Zeroizing<CString> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(name.len() + value.len() + 2));
    bytes.extend_from_slice(name);
    bytes.push(b'=');
    bytes.extend_from_slice(value);
    // Names and values were checked (and an inherited environment cannot hold NUL bytes).
    let text = CString::new(std::mem::take(&mut *bytes)).expect("no NUL byte in an environment entry");
    Zeroizing::new(text)
}

fn refuse_too_long(variables: &[Variable]) -> Result<(), CliError> {
    let too_long: Vec<String> = variables
        .iter()
        .filter(|v| v.name.len() + 1 + v.value.len() + 1 > MAX_VARIABLE_BYTES)
        .map(|v| v.describe())
        .collect();
    if too_long.is_empty() {
        return Ok(());
    }
    Err(CliError::invalid(
        format!(
            "longer than the kernel takes for one environment variable ({} KiB with its name): {}",
            MAX_VARIABLE_BYTES / 1024,
            too_long.join(", ")
        ),
        "Leave the secret out with --only and have the job read it another way, e.g. with \
         `vdk-secrets export --format json --output FILE`; nothing was run.",
    ))
}

/// The whole of arguments and environment against ARG_MAX, so that an oversized environment is
/// an error before the command's signals and descriptors are touched, not an E2BIG after.
fn refuse_over_arg_max(argv: &[CString], entries: &[Zeroizing<CString>]) -> Result<(), CliError> {
    // SAFETY: sysconf has no preconditions.
    let limit = unsafe { libc::sysconf(libc::_SC_ARG_MAX) };
    if limit <= 0 {
        return Ok(());
    }
    let pointer = std::mem::size_of::<*const libc::c_char>();
    let total: usize = argv
        .iter()
        .map(|arg| arg.as_bytes_with_nul().len() + pointer)
        .chain(entries.iter().map(|entry| entry.as_bytes_with_nul().len() + pointer))
        .sum();
    if total <= limit as usize {
        return Ok(());
    }
    Err(CliError::invalid(
        format!("the command's arguments and environment take {total} bytes; the system allows {limit} (ARG_MAX)"),
        "Pass fewer secrets with --only, or --pristine to drop the rest of the environment; nothing was run.",
    ))
}

/// The PATH the command will see (as env(1) does, not the PATH of this process).
fn path_of(entries: &[Zeroizing<CString>]) -> Vec<u8> {
    entries
        .iter()
        .rev()
        .find_map(|entry| entry.as_bytes().strip_prefix(b"PATH=").map(<[u8]>::to_vec))
        .unwrap_or_else(|| DEFAULT_PATH.to_vec())
}

/// Where to look for the command: itself when it holds a '/', each PATH directory otherwise.
fn candidates(command: &OsStr, path: Vec<u8>) -> Vec<CString> {
    let command = command.as_bytes();
    if command.contains(&b'/') {
        return CString::new(command).into_iter().collect();
    }
    if command.is_empty() {
        return Vec::new();
    }
    path.split(|b| *b == b':')
        .filter_map(|dir| {
            // An empty PATH entry means the current directory, as for execvp.
            let mut full = if dir.is_empty() { b".".to_vec() } else { dir.to_vec() };
            full.push(b'/');
            full.extend_from_slice(command);
            CString::new(full).ok()
        })
        .collect()
}

fn pointers<'a>(strings: impl Iterator<Item = *const libc::c_char> + 'a) -> Vec<*const libc::c_char> {
    strings.chain(std::iter::once(std::ptr::null())).collect()
}

fn shown(command: &OsStr) -> String {
    printable(&command.to_string_lossy())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_follow_path_like_execvp() {
        let found = |command: &str, path: &str| -> Vec<String> {
            candidates(OsStr::new(command), path.as_bytes().to_vec())
                .into_iter()
                .map(|c| c.into_string().unwrap())
                .collect()
        };
        assert_eq!(found("env", "/usr/bin:/bin"), ["/usr/bin/env", "/bin/env"]);
        assert_eq!(found("env", "/a::/b"), ["/a/env", "./env", "/b/env"]);
        assert_eq!(found("./run.sh", "/usr/bin"), ["./run.sh"]);
        assert_eq!(found("/bin/sh", ""), ["/bin/sh"]);
        assert!(found("", "/usr/bin").is_empty());
    }

    #[test]
    fn the_command_sees_its_own_path() {
        let entries = vec![entry(b"HOME", b"/h"), entry(b"PATH", b"/opt/bin")];
        assert_eq!(path_of(&entries), b"/opt/bin");
        assert_eq!(path_of(&entries[..1]), DEFAULT_PATH);
    }
}
