//! `vdk-secrets export` through the real binary: every format read back by what reads it in
//! real life (bash, dash and zsh for `shell`, python-dotenv from PyPI for `dotenv`), the
//! refusals, and `--output` files.
//!
//! Shells and python-dotenv come from the machine (`.ci/run` installs them). When one is
//! missing the test fails under CI (CI set) and is skipped with a message otherwise.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;
use serde_json::{json, Value};

fn export(url: &str, job: &str, options: &[&str]) -> Command {
    let mut cmd = vdk(url);
    cmd.args(["export", "-n", job, "-t", "team"]).args(options);
    cmd
}

/// Secrets no quoting can take for granted, and the variables they must become.
fn tricky() -> (Value, BTreeMap<String, String>) {
    let strings = [
        ("spaces", "SPACES", "  two  spaces  "),
        ("single-quotes", "SINGLE_QUOTES", "it's 'quoted'"),
        ("only-quotes", "ONLY_QUOTES", "''"),
        ("one-quote", "ONE_QUOTE", "'"),
        ("double-quotes", "DOUBLE_QUOTES", "say \"hi\" \"\""),
        ("newlines", "NEWLINES", "line 1\nline 2\n\n"),
        ("carriage-returns", "CARRIAGE_RETURNS", "a\r\nb\r"),
        ("dollar", "DOLLAR", "$HOME $1 $$ $(touch PWNED) $ {x} $"),
        ("backticks", "BACKTICKS", "`touch PWNED` `id`"),
        ("backslashes", "BACKSLASHES", "C:\\new\\table \\' \\\" \\\\ \\"),
        ("unicode", "UNICODE", "é中文🔑\u{2028}\u{a0}\u{85}"),
        ("empty", "EMPTY", ""),
        ("shell-syntax", "SHELL_SYNTAX", "* ? [a] ~ ! !! #x ; & | < > ( ) { } -n"),
        (
            "tabs-and-controls",
            "TABS_AND_CONTROLS",
            "\ttab\t \u{1}\u{7f}\u{1b}[31m",
        ),
        ("equals", "EQUALS", "a=b==c"),
        ("hash", "HASH", "#not a comment"),
    ];
    let mut secrets = serde_json::Map::new();
    let mut variables = BTreeMap::new();
    for (secret, variable, value) in strings {
        secrets.insert(secret.into(), json!(value));
        variables.insert(variable.to_string(), value.to_string());
    }
    secrets.insert("port".into(), json!(5432));
    variables.insert("PORT".into(), "5432".into());
    secrets.insert("object".into(), json!({"k": ["it's", 1]}));
    variables.insert("OBJECT".into(), r#"{"k":["it's",1]}"#.into());
    (Value::Object(secrets), variables)
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Fails under CI; elsewhere says what is skipped and why.
fn unavailable(what: &str, why: &str) {
    if in_ci() {
        panic!("{what} is required in CI and is not available: {why} (.ci/run installs it)");
    }
    eprintln!("SKIPPED: {what} is not available ({why}); CI installs it and runs this check");
}

fn find_program(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| {
            path.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// The variables a shell has after `eval`uating `file`, as `env -0` shows them.
fn evaluated_by(shell: &Path, file: &Path, cwd: &Path) -> BTreeMap<String, String> {
    let mut cmd = Command::new(shell);
    cmd.args(["-c", "eval \"$(cat \"$1\")\" && exec env -0", "sh"])
        .arg(file)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("HOME", "/home/not-expanded");
    let r = run(cmd).ok();
    r.stdout
        .split('\0')
        .filter(|e| !e.is_empty())
        .map(|e| {
            let (name, value) = e.split_once('=').unwrap();
            (name.to_string(), value.to_string())
        })
        .collect()
}

#[test]
fn shell_output_evaluates_to_the_exact_values_in_bash_dash_and_zsh() {
    let service = service();
    let url = service.base_url();
    let (secrets, expected) = tricky();
    store(&url, "shell", secrets);
    let r = run(export(&url, "shell", &["--format", "shell"])).ok();
    assert_eq!(
        r.stdout.lines().filter(|line| line.starts_with("export ")).count(),
        expected.len(),
        "one export line per variable"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secrets.sh");
    std::fs::write(&file, &r.stdout).unwrap();

    let mut checked = Vec::new();
    for shell in ["bash", "dash", "zsh"] {
        let Some(path) = find_program(shell) else {
            unavailable(shell, "not found in PATH");
            continue;
        };
        let env = evaluated_by(&path, &file, dir.path());
        for (name, value) in &expected {
            assert_eq!(env.get(name), Some(value), "{shell}: {name}");
        }
        assert!(!dir.path().join("PWNED").exists(), "{shell} ran a command from a value");
        checked.push(shell);
    }
    assert!(!checked.is_empty(), "no shell at all to evaluate the output with");
}

/// The python of a virtual environment with python-dotenv from PyPI, made once per run.
fn python_dotenv() -> Option<&'static PathBuf> {
    static PYTHON: OnceLock<Option<PathBuf>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/python-dotenv-venv.sh");
            let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-dotenv-venv");
            match Command::new(&script).arg(&venv).output() {
                Ok(out) if out.status.success() => Some(PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())),
                Ok(out) => {
                    unavailable("python-dotenv", &String::from_utf8_lossy(&out.stderr));
                    None
                }
                Err(e) => {
                    unavailable("python-dotenv", &e.to_string());
                    None
                }
            }
        })
        .as_ref()
}

#[test]
fn dotenv_output_is_read_back_exactly_by_python_dotenv() {
    let service = service();
    let url = service.base_url();
    let (secrets, expected) = tricky();
    store(&url, "dotenv", secrets);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(".env");
    run(export(
        &url,
        "dotenv",
        &["--format", "dotenv", "--output", file.to_str().unwrap(), "-q"],
    ))
    .ok();

    let Some(python) = python_dotenv() else { return };
    // Both ways python-dotenv is used: with its default ${...} expansion, and without.
    let read_back = |interpolate: &str| -> BTreeMap<String, String> {
        let program = format!(
            "import json, sys, dotenv; \
             json.dump(dotenv.dotenv_values(sys.argv[1], interpolate={interpolate}), sys.stdout)"
        );
        let mut cmd = Command::new(python);
        cmd.args(["-c", &program]).arg(&file).env("HOME", "/home/not-expanded");
        let r = run(cmd).ok();
        assert_eq!(r.stderr, "", "python-dotenv complained");
        serde_json::from_str(&r.stdout).unwrap()
    };
    assert_eq!(read_back("True"), expected);
    assert_eq!(read_back("False"), expected);
}

#[test]
fn formats_refuse_values_they_cannot_carry() {
    let service = service();
    let url = service.base_url();
    store(
        &url,
        "pem",
        json!({"pem": format!("-----BEGIN-----\n{CANARY}\n"), "ok": "x"}),
    );
    let r = run(export(&url, "pem", &["--format", "env"])).code(3);
    assert!(r.stderr.contains("PEM (secret 'pem')"), "{}", r.stderr);
    assert!(r.stderr.contains("line break"), "{}", r.stderr);
    assert!(!r.stderr.contains(CANARY), "{}", r.stderr);
    assert_eq!(r.stdout, "", "nothing is printed when a value is refused");
    // The other formats carry it.
    run(export(&url, "pem", &["--format", "dotenv"])).ok();
    run(export(&url, "pem", &["--format", "shell"])).ok();

    store(&url, "expands", json!({"template": format!("${{HOME}}/{CANARY}")}));
    let r = run(export(&url, "expands", &["--format", "dotenv"])).code(3);
    assert!(r.stderr.contains("TEMPLATE (secret 'template')"), "{}", r.stderr);
    assert!(r.stderr.contains("python-dotenv"), "{}", r.stderr);
    assert!(!r.stderr.contains(CANARY), "{}", r.stderr);
    let r = run(export(&url, "expands", &["--format", "env"])).ok();
    assert_eq!(r.stdout, format!("TEMPLATE=${{HOME}}/{CANARY}\n"));

    // The rules of exec apply to every format.
    store(&url, "loader", json!({"ld-preload": "x"}));
    for format in ["env", "dotenv", "shell", "json"] {
        run(export(&url, "loader", &["--format", format])).code(3);
    }
    run(export(&url, "loader", &["--format", "json", "--allow", "LD_PRELOAD"])).ok();
    store(&url, "nul", json!({"a": "x\u{0}y"}));
    run(export(&url, "nul", &["--format", "json"])).code(3);
}

#[test]
fn env_and_json_formats() {
    let service = service();
    let url = service.base_url();
    store(
        &url,
        "plain",
        json!({"db.url": "postgres://u@h/db?x=1", "port": 5432, "b": "it's \"q\""}),
    );
    let r = run(export(&url, "plain", &["--format", "env"])).ok();
    assert_eq!(r.stdout, "B=it's \"q\"\nDB_URL=postgres://u@h/db?x=1\nPORT=5432\n");
    let r = run(export(
        &url,
        "plain",
        &["--format", "json", "--prefix", "APP_", "--only", "port"],
    ))
    .ok();
    assert_eq!(r.json(), json!({"APP_PORT": "5432"}));
    let (secrets, expected) = tricky();
    store(&url, "tricky-json", secrets);
    let r = run(export(&url, "tricky-json", &["--format", "json"])).ok();
    let read: BTreeMap<String, String> = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(read, expected);
    // Usage: the format is required and checked.
    run(export(&url, "plain", &[])).code(2);
    run(export(&url, "plain", &["--format", "yaml"])).code(2);
}

#[test]
fn output_files_are_0600_and_replaced_whole() {
    let service = service();
    let url = service.base_url();
    store(&url, "file", json!({"api-key": CANARY}));
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("job.env");
    std::fs::write(&target, "OLD=1\n").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();

    // Even with a umask that hides nothing.
    let mut cmd = export(&url, "file", &["--format", "env", "--output", target.to_str().unwrap()]);
    // SAFETY: umask is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0);
            Ok(())
        });
    }
    let r = run(cmd).ok();
    assert_eq!(r.stdout, "", "the values go to the file only");
    assert!(
        r.stderr.contains("wrote 1 variable of job file (team team)"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(CANARY), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), format!("API_KEY={CANARY}\n"));
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "mode {mode:o}");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["job.env"], "no temporary file is left");

    // A failed read or a refused value leaves the file as it was.
    run(export(
        &url,
        "fault-status-503",
        &["--format", "env", "--output", target.to_str().unwrap()],
    ))
    .code(7);
    store(&url, "refused", json!({"pem": "a\nb"}));
    run(export(
        &url,
        "refused",
        &["--format", "env", "--output", target.to_str().unwrap()],
    ))
    .code(3);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), format!("API_KEY={CANARY}\n"));
    let fresh = dir.path().join("never.env");
    run(export(
        &url,
        "fault-status-404",
        &["--format", "json", "--output", fresh.to_str().unwrap()],
    ))
    .code(5);
    assert!(!fresh.exists());

    // A directory that cannot be written: exit 3, and the message names the file.
    let r = run(export(
        &url,
        "file",
        &["--format", "json", "--output", "/proc/no-such-dir/x.json"],
    ))
    .code(3);
    assert!(r.stderr.contains("/proc/no-such-dir/x.json"), "{}", r.stderr);
}
