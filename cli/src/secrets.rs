//! The secrets command: one read, the changes, one write; or a read that prints.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;

use serde_json::{json, Value};
use vdk_secrets::job::{validate_name, validate_size};
use vdk_secrets::{Config, SecretBuffer, SecretMap, SecretString, SecretsClient};
use zeroize::{Zeroize, Zeroizing};

use crate::args::{Output, SecretsArgs};
use crate::error::{CliError, INTERNAL, NOT_FOUND};
use crate::merge::typed_value;
use crate::plan::{printable, Action, Change, Plan, Source};
use crate::prompt;
use crate::terminal;

/// What is shown instead of a value: always the same, so that not even the length leaks.
const MASK: &str = "******";

/// Largest input accepted for --overwrite-all-job-secrets; the service keeps at most 1 MiB of
/// compact JSON, so a few MiB of pretty-printed JSON is plenty.
const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;

pub struct Context {
    pub output: Output,
    pub quiet: bool,
    /// --raw: --get may write control characters to a terminal.
    pub raw: bool,
}

impl Context {
    /// A status line on stderr. Names in it come from the server or the user: callers pass
    /// them through `printable`.
    fn status(&self, line: &str) {
        if !self.quiet {
            let _ = writeln!(io::stderr().lock(), "{line}");
        }
    }
}

pub fn run(args: &SecretsArgs, plan: Plan) -> Result<(), CliError> {
    let ctx = Context {
        output: args.output,
        quiet: args.quiet,
        raw: args.raw,
    };
    let client = client(args)?;
    let Plan { job, team, action } = plan;
    let who = format!("job {} (team {})", printable(&job), printable(&team));
    match action {
        Action::Get(key) => get(&ctx, &client, &job, &team, &who, &key),
        Action::List { reveal } => list(&ctx, &client, &job, &team, &who, reveal),
        Action::Modify(changes) => modify(&ctx, &client, &job, &team, &who, changes),
        Action::DeleteAll => {
            client.write_secrets_blocking(&job, &team, &SecretMap::new(), None)?;
            ctx.status(&format!("deleted all secrets of {who}"));
            summary(
                &ctx,
                json!({"job": job, "team": team, "action": "delete-all", "written": true}),
            )
        }
        Action::Overwrite(source) => {
            let secrets = read_overwrite_input(&source)?;
            client.write_secrets_blocking(&job, &team, &secrets, None)?;
            let count = secrets.len();
            ctx.status(&format!(
                "replaced the secrets of {who} with {count} secret{}",
                plural(count)
            ));
            summary(
                &ctx,
                json!({"job": job, "team": team, "action": "overwrite", "secrets": count, "written": true}),
            )
        }
    }
}

/// The configuration from VDK_* variables, then the flags on top.
pub fn client(args: &SecretsArgs) -> Result<SecretsClient, CliError> {
    let mut config = Config::from_env()?;
    if let Some(url) = &args.rest_api_url {
        config.rest_api_url = Some(url.clone());
    }
    if let Some(path) = &args.api_token_file {
        config.api_token = Some(read_token_file(path)?);
    }
    Ok(SecretsClient::new(config)?)
}

/// The token is the file's content without surrounding whitespace. Errors never quote it.
fn read_token_file(path: &Path) -> Result<SecretString, CliError> {
    let content = read_all_from(path)?;
    let text = std::str::from_utf8(content.as_bytes()).map_err(|_| {
        CliError::invalid(
            format!("the API token file {} is not UTF-8 text", path.display()),
            "Put the API token alone in the file.",
        )
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(CliError::invalid(
            format!("the API token file {} is empty", path.display()),
            "Put the API token alone in the file.",
        ));
    }
    Ok(SecretString::new(token.to_string()))
}

fn get(ctx: &Context, client: &SecretsClient, job: &str, team: &str, who: &str, key: &str) -> Result<(), CliError> {
    let secrets = client.read_secrets_blocking(job, team, None)?;
    let Some(value) = secrets.get(key) else {
        return Err(CliError::new(
            NOT_FOUND,
            format!("{who} has no secret named '{}'", printable(key)),
            "Check the name; --list shows the names of the job's secrets.",
        ));
    };
    let mut out = SecretBuffer::with_capacity(64);
    match (value, ctx.output) {
        (Value::String(s), Output::Text) => out.extend_from_slice(s.as_bytes()),
        _ => write_json(&mut out, value),
    }
    out.extend_from_slice(b"\n");
    // The value is printed as is (that is what --get is for), but a value that would act on a
    // terminal (move the cursor, set the title, clear the screen) is not written to one unasked.
    if !ctx.raw && io::stdout().is_terminal() {
        if let Some(c) = terminal::first_unsafe_for_terminal(&String::from_utf8_lossy(out.as_bytes())) {
            return Err(CliError::invalid(
                format!(
                    "the value of secret '{}' holds a control character (U+{:04X}) and standard output is a terminal; not printed",
                    printable(key),
                    c as u32
                ),
                "Add --raw to write it to the terminal anyway, or redirect the output to a file or a pipe.",
            ));
        }
    }
    print(&out)
}

fn list(ctx: &Context, client: &SecretsClient, job: &str, team: &str, who: &str, reveal: bool) -> Result<(), CliError> {
    let secrets = client.read_secrets_blocking(job, team, None)?;
    let mut out = SecretBuffer::with_capacity(256);
    if ctx.output.is_json() {
        terminal::json_safe(secrets.to_json().as_bytes(), &mut out);
        out.extend_from_slice(b"\n");
        return print(&out);
    }
    if secrets.is_empty() {
        ctx.status(&format!("{who} has no secrets"));
        return Ok(());
    }
    let mut names: Vec<&String> = secrets.as_map().keys().collect();
    names.sort();
    for name in names {
        out.extend_from_slice(printable(name).as_bytes());
        out.extend_from_slice(b" = ");
        if reveal {
            let mut value = SecretBuffer::with_capacity(64);
            write_json(&mut value, &secrets.as_map()[name.as_str()]);
            terminal::json_safe(value.as_bytes(), &mut out);
        } else {
            out.extend_from_slice(MASK.as_bytes());
        }
        out.extend_from_slice(b"\n");
    }
    print(&out)
}

fn modify(
    ctx: &Context,
    client: &SecretsClient,
    job: &str,
    team: &str,
    who: &str,
    changes: Vec<Change>,
) -> Result<(), CliError> {
    // Every prompted value first: nothing is read or written until the user has typed them.
    let mut prompted: Vec<Option<Zeroizing<String>>> = Vec::with_capacity(changes.len());
    for change in &changes {
        prompted.push(match change {
            Change::SetPrompt { key } => Some(prompt_for(key, job)?),
            _ => None,
        });
    }

    let before = client.read_secrets_blocking(job, team, None)?;
    log::debug!("read {} secrets; applying {} changes", before.len(), changes.len());
    let mut after = before.clone();
    let mut not_found: Vec<&str> = Vec::new();
    for (change, prompted) in changes.iter().zip(&prompted) {
        match change {
            Change::Set { key, value } => {
                let typed = typed_value(after.get(key), value);
                after.insert(key.clone(), typed);
            }
            Change::SetPrompt { key } => {
                let value = prompted.as_ref().expect("prompted above");
                let typed = typed_value(after.get(key), value);
                after.insert(key.clone(), typed);
            }
            Change::Delete { key } => {
                if !after.remove(key) {
                    not_found.push(key);
                }
            }
        }
    }
    drop(prompted);

    // What actually changed, by name: new or different values, and removed names.
    let set: BTreeSet<&String> = after
        .as_map()
        .iter()
        .filter(|(name, value)| before.get(name) != Some(*value))
        .map(|(name, _)| name)
        .collect();
    let deleted: BTreeSet<&String> = before
        .as_map()
        .keys()
        .filter(|name| after.get(name).is_none())
        .collect();
    for name in &not_found {
        ctx.status(&format!(
            "warning: {who} has no secret named '{}'; nothing to delete",
            printable(name)
        ));
    }
    let written = !set.is_empty() || !deleted.is_empty();
    if written {
        validate_size(&after)?;
        log::debug!("writing {} secrets", after.len());
        client.write_secrets_blocking(job, team, &after, None)?;
        let mut parts = Vec::new();
        if !set.is_empty() {
            parts.push(format!("set {}", names(&set)));
        }
        if !deleted.is_empty() {
            parts.push(format!("deleted {}", names(&deleted)));
        }
        let count = set.len() + deleted.len();
        ctx.status(&format!(
            "updated {count} secret{} of {who}: {}",
            plural(count),
            parts.join("; ")
        ));
    } else {
        ctx.status(&format!("{who}: nothing changed, nothing written"));
    }
    summary(
        ctx,
        json!({
            "job": job,
            "team": team,
            "action": "update",
            "set": set,
            "deleted": deleted,
            "not_found": not_found,
            "written": written,
        }),
    )
}

fn prompt_for(key: &str, job: &str) -> Result<Zeroizing<String>, CliError> {
    match prompt::read_value(key, &printable(job)) {
        Ok(Some(value)) => Ok(value),
        Ok(None) => Err(CliError::invalid(
            format!("no value for secret '{}': standard input ended", printable(key)),
            "Give one line of standard input per --set-prompt, or run the command on a terminal.",
        )),
        Err(e) => Err(CliError::invalid(
            format!("cannot read the value of secret '{}': {e}", printable(key)),
            "Give the value as one line of UTF-8 text.",
        )),
    }
}

/// The map for --overwrite-all-job-secrets, checked as a write would be; errors name the place
/// of a syntax error, never the content.
fn read_overwrite_input(source: &Source) -> Result<SecretMap, CliError> {
    let (bytes, origin) = match source {
        Source::Stdin => {
            // SAFETY: isatty only inspects the descriptor.
            if unsafe { libc::isatty(libc::STDIN_FILENO) } == 1 {
                let _ = writeln!(
                    io::stderr().lock(),
                    "reading the secrets as a JSON object from the terminal; end with Ctrl-D"
                );
            }
            (
                read_all(&mut io::stdin().lock(), "standard input")?,
                "standard input".to_string(),
            )
        }
        Source::File(path) => (read_all_from(path)?, path.display().to_string()),
    };
    let secrets = SecretMap::from_json(bytes.as_bytes()).map_err(|e| {
        CliError::invalid(
            format!("the secrets in {origin} are not usable: {e}"),
            "Give a JSON object of secret names to values, e.g. {\"api-key\": \"...\"}; nothing was written.",
        )
    })?;
    for name in secrets.as_map().keys() {
        validate_name(name).map_err(|e| {
            CliError::invalid(
                format!("invalid secret name '{}' in {origin}: {}", printable(name), e.why()),
                "Secret names must be non-empty and hold no whitespace or control characters; nothing was written.",
            )
        })?;
    }
    validate_size(&secrets)?;
    Ok(secrets)
}

fn read_all_from(path: &Path) -> Result<SecretBuffer, CliError> {
    let origin = path.display().to_string();
    let mut file = File::open(path).map_err(|e| {
        CliError::invalid(
            format!("cannot open {origin}: {e}"),
            "Check the file name and its permissions.",
        )
    })?;
    read_all(&mut file, &origin)
}

/// Reads everything into a wiping buffer, in chunks larger than any library buffer (so stdin's
/// own buffer is bypassed), wiping the chunk buffer too.
fn read_all(reader: &mut impl Read, origin: &str) -> Result<SecretBuffer, CliError> {
    let mut out = SecretBuffer::with_capacity(64 * 1024);
    let mut chunk = Zeroizing::new(vec![0u8; 64 * 1024]);
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(CliError::invalid(
                    format!("cannot read {origin}: {e}"),
                    "Check the input.",
                ))
            }
        };
        if out.len() + n > MAX_INPUT_BYTES {
            return Err(CliError::invalid(
                format!("{origin} is larger than {MAX_INPUT_BYTES} bytes"),
                "Give a smaller JSON object; the Control Service keeps at most 1 MiB of secrets per job.",
            ));
        }
        out.extend_from_slice(&chunk[..n]);
    }
    chunk.zeroize();
    Ok(out)
}

fn write_json(out: &mut SecretBuffer, value: &Value) {
    serde_json::to_writer(out, value).expect("writing JSON to memory cannot fail");
}

/// Machine-readable result of a change, with -o json: names and counts only.
fn summary(ctx: &Context, value: Value) -> Result<(), CliError> {
    if !ctx.output.is_json() {
        return Ok(());
    }
    let mut json = SecretBuffer::with_capacity(128);
    write_json(&mut json, &value);
    let mut out = SecretBuffer::with_capacity(json.len() + 1);
    terminal::json_safe(json.as_bytes(), &mut out);
    out.extend_from_slice(b"\n");
    print(&out)
}

fn print(out: &SecretBuffer) -> Result<(), CliError> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(out.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        // The reader went away (`| head`): nothing left to tell it.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::new(
            INTERNAL,
            format!("cannot write to standard output: {e}"),
            "Check where standard output goes.",
        )),
    }
}

fn names(set: &BTreeSet<&String>) -> String {
    set.iter().map(|n| printable(n)).collect::<Vec<_>>().join(", ")
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}
