//! `vdk-secrets export`: the job's secrets as variables, in a format other tools read
//! (env files, dotenv, shell `eval`, JSON), on standard output or in a 0600 file.

use std::collections::BTreeMap;
use std::fs::{File, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use vdk_secrets::SecretBuffer;

use crate::env_args::{ExportArgs, Format};
use crate::error::{CliError, INTERNAL};
use crate::plan::printable;
use crate::secrets;
use crate::variables::{self, Variable};

pub fn run(args: ExportArgs) -> Result<(), CliError> {
    variables::check_args(&args.variables)?;
    let who = format!("job {} (team {})", printable(&args.job.name), printable(&args.job.team));
    let variables = {
        let client = secrets::client(&args.job.connection())?;
        let secrets = client.read_secrets_blocking(&args.job.name, &args.job.team, None)?;
        variables::from_secrets(&secrets, &args.variables, &who)?
    };
    let text = render(args.format, &variables)?;
    match &args.output {
        None => print(&text),
        Some(path) => {
            write_file(path, &text)?;
            if !args.quiet {
                let count = variables.len();
                let _ = writeln!(
                    io::stderr().lock(),
                    "wrote {count} variable{} of {who} to {}",
                    if count == 1 { "" } else { "s" },
                    path.display()
                );
            }
            Ok(())
        }
    }
}

/// The whole output, or the variables whose values the format cannot carry.
pub fn render(format: Format, variables: &[Variable]) -> Result<SecretBuffer, CliError> {
    let mut out = SecretBuffer::with_capacity(256);
    match format {
        Format::Env => {
            refuse(
                variables,
                |value| value.contains(['\n', '\r']),
                "a line break",
                "env",
                "",
            )?;
            for variable in variables {
                line(&mut out, &[variable.name.as_bytes(), b"=", variable.value.as_bytes()]);
            }
        }
        Format::Dotenv => {
            refuse(
                variables,
                |value| value.contains("${"),
                "'${'",
                "dotenv",
                " (python-dotenv expands ${...} even inside quotes)",
            )?;
            for variable in variables {
                out.extend_from_slice(variable.name.as_bytes());
                out.extend_from_slice(b"=");
                dotenv_quote(&mut out, &variable.value);
                out.extend_from_slice(b"\n");
            }
        }
        Format::Shell => {
            for variable in variables {
                out.extend_from_slice(b"export ");
                out.extend_from_slice(variable.name.as_bytes());
                out.extend_from_slice(b"=");
                shell_quote(&mut out, &variable.value);
                out.extend_from_slice(b"\n");
            }
        }
        Format::Json => {
            let map: BTreeMap<&str, &str> = variables.iter().map(|v| (v.name.as_str(), v.value.as_str())).collect();
            serde_json::to_writer(&mut out, &map).expect("writing JSON to memory cannot fail");
            out.extend_from_slice(b"\n");
        }
    }
    Ok(out)
}

fn line(out: &mut SecretBuffer, parts: &[&[u8]]) {
    for part in parts {
        out.extend_from_slice(part);
    }
    out.extend_from_slice(b"\n");
}

fn refuse(
    variables: &[Variable],
    cannot_carry: impl Fn(&str) -> bool,
    what: &str,
    format: &str,
    why: &str,
) -> Result<(), CliError> {
    let refused: Vec<String> = variables
        .iter()
        .filter(|v| cannot_carry(&v.value))
        .map(|v| v.describe())
        .collect();
    if refused.is_empty() {
        return Ok(());
    }
    Err(CliError::invalid(
        format!(
            "the {format} format cannot carry a value holding {what}{why}: {}",
            refused.join(", ")
        ),
        "Use --format shell or --format json, or leave the secret out with --only; nothing was written.",
    ))
}

/// A double-quoted dotenv value. python-dotenv decodes `\\`, `\"`, `\n`, `\r` (among others) in
/// double quotes; line breaks are escaped rather than written raw because Python reads the
/// file with universal newlines, which would turn a raw `\r` into `\n`.
pub fn dotenv_quote(out: &mut SecretBuffer, value: &str) {
    out.extend_from_slice(b"\"");
    let mut start = 0;
    for (i, c) in value.char_indices() {
        let escaped: &[u8] = match c {
            '\\' => b"\\\\",
            '"' => b"\\\"",
            '\n' => b"\\n",
            '\r' => b"\\r",
            _ => continue,
        };
        out.extend_from_slice(&value.as_bytes()[start..i]);
        out.extend_from_slice(escaped);
        start = i + c.len_utf8();
    }
    out.extend_from_slice(&value.as_bytes()[start..]);
    out.extend_from_slice(b"\"");
}

/// Single quotes, in which no shell expands anything; each `'` of the value is written as
/// `\'` between quoted runs. Empty runs are left out, so the output never holds `''` next to
/// a quoted run (zsh's RC_QUOTES would read `''` inside quotes as one quote).
pub fn shell_quote(out: &mut SecretBuffer, value: &str) {
    if value.is_empty() {
        out.extend_from_slice(b"''");
        return;
    }
    for (i, run) in value.split('\'').enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\\'");
        }
        if !run.is_empty() {
            out.extend_from_slice(b"'");
            out.extend_from_slice(run.as_bytes());
            out.extend_from_slice(b"'");
        }
    }
}

/// A new file beside the target, mode 0600 from its creation (O_EXCL with that mode; the
/// umask can only narrow it), written and synced, then renamed onto the target. A failure
/// leaves the target as it was and removes the new file.
fn write_file(path: &Path, content: &SecretBuffer) -> Result<(), CliError> {
    let cannot = |e: io::Error| {
        CliError::invalid(
            format!("cannot write {}: {e}", path.display()),
            "Check the directory and its permissions; nothing was written.",
        )
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".vdk-secrets-export-")
        .permissions(Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(cannot)?;
    file.write_all(content.as_bytes()).map_err(cannot)?;
    file.as_file().sync_all().map_err(cannot)?;
    file.persist(path).map_err(|e| cannot(e.error))?;
    // The rename itself survives a crash once the directory is synced; not every file system
    // can sync a directory, and the file is complete either way.
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

fn print(out: &SecretBuffer) -> Result<(), CliError> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::new(
            INTERNAL,
            format!("cannot write to standard output: {e}"),
            "Check where standard output goes.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use zeroize::Zeroizing;

    use super::*;

    fn quoted(quote: fn(&mut SecretBuffer, &str), value: &str) -> String {
        let mut out = SecretBuffer::with_capacity(16);
        quote(&mut out, value);
        String::from_utf8(out.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn shell_quoting_never_leaves_adjacent_quotes() {
        assert_eq!(quoted(shell_quote, ""), "''");
        assert_eq!(quoted(shell_quote, "a b"), "'a b'");
        assert_eq!(quoted(shell_quote, "it's"), "'it'\\''s'");
        assert_eq!(quoted(shell_quote, "'"), "\\'");
        assert_eq!(quoted(shell_quote, "''x"), "\\'\\''x'");
        assert_eq!(quoted(shell_quote, "$(x) `y`"), "'$(x) `y`'");
    }

    #[test]
    fn dotenv_quoting_escapes_what_python_dotenv_decodes() {
        assert_eq!(quoted(dotenv_quote, "plain"), "\"plain\"");
        assert_eq!(quoted(dotenv_quote, "a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(quoted(dotenv_quote, "l1\nl2\r"), "\"l1\\nl2\\r\"");
        assert_eq!(quoted(dotenv_quote, "é'$x"), "\"é'$x\"");
    }

    #[test]
    fn formats_refuse_what_they_cannot_carry_naming_no_value() {
        let variables = vec![Variable {
            name: "PEM".into(),
            secret: "pem".into(),
            value: Zeroizing::new("line-1\nline-2 ${HOME}".into()),
        }];
        for format in [Format::Env, Format::Dotenv] {
            let error = render(format, &variables).err().unwrap();
            assert_eq!(error.code, 3);
            assert!(error.message.contains("PEM (secret 'pem')"), "{}", error.message);
            assert!(!error.message.contains("line-1"), "{}", error.message);
        }
        assert!(render(Format::Shell, &variables).is_ok());
        assert!(render(Format::Json, &variables).is_ok());
    }
}
