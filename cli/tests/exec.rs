//! `vdk-secrets exec` through the real binary and a real local Control Service: the command
//! replaces the process (PID, signals, exit status), starts clean (signals, descriptors), gets
//! exactly the variables it should, and never runs when anything is wrong.

mod common;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::os::fd::AsRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;
use serde_json::{json, Value};

/// `vdk-secrets exec -n JOB -t team OPTIONS -- COMMAND...`
fn exec(url: &str, job: &str, options: &[&str], command: &[&str]) -> Command {
    let mut cmd = vdk(url);
    cmd.args(["exec", "-n", job, "-t", "team"])
        .args(options)
        .arg("--")
        .args(command);
    cmd
}

/// The environment a command prints with `env -0`.
fn env_of(stdout: &str) -> BTreeMap<String, String> {
    stdout
        .split('\0')
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let (name, value) = entry.split_once('=').expect("NAME=value");
            (name.to_string(), value.to_string())
        })
        .collect()
}

/// A command that leaves a mark if it ever runs.
fn marker_command(dir: &Path) -> (Vec<String>, std::path::PathBuf) {
    let marker = dir.join("ran");
    (vec!["touch".to_string(), marker.to_string_lossy().into_owned()], marker)
}

#[test]
fn the_exit_status_is_the_commands() {
    let service = service();
    let url = service.base_url();
    store(&url, "codes", json!({"a": "1"}));
    for code in [0, 1, 77] {
        let r = run(exec(&url, "codes", &[], &["sh", "-c", &format!("exit {code}")]));
        assert_eq!(r.code, code, "stderr: {}", r.stderr);
        assert_eq!(r.stderr, "", "exec prints nothing of its own");
    }

    // A death by signal is the command's: the parent sees SIGKILL, a shell shows 128 + 9.
    let status = exec(&url, "codes", &[], &["sh", "-c", "kill -9 $$"])
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    let mut bash = Command::new("bash");
    bash.args([
        "-c",
        "\"$0\" exec -n codes -t team -- sh -c 'kill -9 $$'; echo \"status=$?\"",
        BIN,
    ])
    .env("VDK_CONTROL_SERVICE_REST_API_URL", &url);
    let r = run(bash).ok();
    assert_eq!(r.stdout, "status=137\n");
}

#[test]
fn the_command_keeps_the_pid_and_receives_signals_directly() {
    let service = service();
    let url = service.base_url();
    store(&url, "signals", json!({"a": "1"}));
    let script = "trap 'echo got-TERM; exit 42' TERM; echo $$; while :; do sleep 0.05; done";
    let mut child = exec(&url, "signals", &[], &["sh", "-c", script])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(
        line.trim().parse::<u32>().unwrap(),
        child.id(),
        "the command runs in the process that was started, not in a child of it"
    );
    // SAFETY: kill(2) on our own child.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) }, 0);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(rest, "got-TERM\n");
    assert_eq!(status.code(), Some(42));
}

/// Starts `cmd` with signals ignored and blocked, as a careless parent (or Rust, for SIGPIPE)
/// would leave them, and with two descriptors open without close-on-exec.
fn with_inherited_state(cmd: &mut Command, leaked: &File) {
    let fd = leaked.as_raw_fd();
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            for signal in [libc::SIGINT, libc::SIGQUIT, libc::SIGHUP, libc::SIGUSR1, libc::SIGPIPE] {
                libc::signal(signal, libc::SIG_IGN);
            }
            let mut blocked: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut blocked);
            for signal in [libc::SIGUSR2, libc::SIGTERM, libc::SIGALRM] {
                libc::sigaddset(&mut blocked, signal);
            }
            libc::sigprocmask(libc::SIG_SETMASK, &blocked, std::ptr::null_mut());
            // dup2 clears close-on-exec on the new descriptors, except when the file already
            // has that number (the test process is busy; any number may be free): then clear
            // it by hand.
            for target in [7, 9] {
                if fd == target {
                    libc::fcntl(target, libc::F_SETFD, 0);
                } else {
                    libc::dup2(fd, target);
                }
            }
            Ok(())
        });
    }
}

fn status_field<'a>(status: &'a str, field: &str) -> &'a str {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .unwrap_or_else(|| panic!("no {field} in {status}"))
        .trim()
}

#[test]
fn the_command_starts_with_default_signals_and_only_descriptors_0_1_2() {
    let service = service();
    let url = service.base_url();
    store(&url, "clean", json!({"a": "1"}));
    let leaked = File::open("/dev/null").unwrap();

    // Without vdk-secrets in between, the command inherits all of it: what the test checks is
    // real.
    let mut direct = Command::new("cat");
    direct.arg("/proc/self/status");
    with_inherited_state(&mut direct, &leaked);
    let status = run(direct).ok().stdout;
    assert_ne!(status_field(&status, "SigIgn:"), "0000000000000000");
    assert_ne!(status_field(&status, "SigBlk:"), "0000000000000000");
    let mut direct = Command::new("sh");
    direct.args(["-c", "ls /proc/$$/fd"]);
    with_inherited_state(&mut direct, &leaked);
    // (and whatever else the test runner was given without close-on-exec)
    let fds = run(direct).ok().stdout;
    assert!(
        fds.lines().any(|fd| fd == "7") && fds.lines().any(|fd| fd == "9"),
        "{fds}"
    );

    let mut cmd = exec(&url, "clean", &[], &["cat", "/proc/self/status"]);
    with_inherited_state(&mut cmd, &leaked);
    let status = run(cmd).ok().stdout;
    assert_eq!(status_field(&status, "SigIgn:"), "0000000000000000", "{status}");
    assert_eq!(status_field(&status, "SigBlk:"), "0000000000000000", "{status}");

    // `$$` is the command's own PID: ls runs in a child and lists the command's descriptors.
    let mut cmd = exec(&url, "clean", &[], &["sh", "-c", "ls /proc/$$/fd"]);
    with_inherited_state(&mut cmd, &leaked);
    assert_eq!(run(cmd).ok().stdout, "0\n1\n2\n");
}

fn tricky_values() -> Value {
    json!({
        "spaces": "  two  spaces  ",
        "quotes": "it's \"quoted\" ''",
        "newlines": "line 1\nline 2\r\n\n",
        "dollar": "$HOME ${HOME} $(touch PWNED) $$",
        "backticks": "`touch PWNED` `id`",
        "backslashes": "C:\\new\\table \\' \\\\",
        "unicode": "é中文🔑\u{2028}\u{a0}",
        "empty": "",
        "number": 42,
        "float": 2.5,
        "flag": false,
        "nothing": null,
        "object": {"k": ["v", 1, {"deep": "it's"}]},
    })
}

#[test]
fn the_command_gets_the_secrets_as_variables_with_exact_values() {
    let service = service();
    let url = service.base_url();
    store(&url, "values", tricky_values());
    let r = run(exec(&url, "values", &[], &["env", "-0"]).env("KEPT_FROM_PARENT", "yes")).ok();
    let env = env_of(&r.stdout);
    let expected = [
        ("SPACES", "  two  spaces  "),
        ("QUOTES", "it's \"quoted\" ''"),
        ("NEWLINES", "line 1\nline 2\r\n\n"),
        ("DOLLAR", "$HOME ${HOME} $(touch PWNED) $$"),
        ("BACKTICKS", "`touch PWNED` `id`"),
        ("BACKSLASHES", "C:\\new\\table \\' \\\\"),
        ("UNICODE", "é中文🔑\u{2028}\u{a0}"),
        ("EMPTY", ""),
        ("NUMBER", "42"),
        ("FLOAT", "2.5"),
        ("FLAG", "false"),
        ("NOTHING", "null"),
        ("OBJECT", r#"{"k":["v",1,{"deep":"it's"}]}"#),
    ];
    for (name, value) in expected {
        assert_eq!(env.get(name).map(String::as_str), Some(value), "{name}");
    }
    assert_eq!(env.get("KEPT_FROM_PARENT").map(String::as_str), Some("yes"));
    assert_eq!(env.get("VDK_CONTROL_SERVICE_REST_API_URL"), Some(&url));
}

#[test]
fn pristine_keeps_only_the_documented_variables() {
    let service = service();
    let url = service.base_url();
    store(&url, "pristine", json!({"api-key": "k"}));
    let r = run(exec(&url, "pristine", &["--pristine"], &["env", "-0"])
        .env("HOME", "/home/test")
        .env("USER", "tester")
        .env("LANG", "C.UTF-8")
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .env("SECRET_OF_THE_PARENT", "x"))
    .ok();
    let env = env_of(&r.stdout);
    let names: Vec<&str> = env.keys().map(String::as_str).collect();
    assert_eq!(names, ["API_KEY", "HOME", "LANG", "PATH", "TZ", "USER"]);
    assert_eq!(env["PATH"], std::env::var("PATH").unwrap());
    assert_eq!(env["HOME"], "/home/test");
}

#[test]
fn prefix_no_transform_and_only() {
    let service = service();
    let url = service.base_url();
    let dir = tempfile::tempdir().unwrap();
    store(
        &url,
        "names",
        json!({"api-key": "k", "db.password": "p", "Mixed_Case": "m"}),
    );
    let r = run(exec(&url, "names", &["--prefix", "APP_"], &["env", "-0"])).ok();
    let env = env_of(&r.stdout);
    assert_eq!(env["APP_API_KEY"], "k");
    assert_eq!(env["APP_DB_PASSWORD"], "p");
    assert_eq!(env["APP_MIXED_CASE"], "m");

    let r = run(exec(
        &url,
        "names",
        &["--pristine", "--no-transform", "--only", "Mixed_Case"],
        &["env", "-0"],
    ))
    .ok();
    let env = env_of(&r.stdout);
    assert_eq!(env["Mixed_Case"], "m");
    assert!(!env.contains_key("API_KEY") && !env.contains_key("api-key"), "{env:?}");

    // --no-transform with a name no shell accepts, a missing --only and a bad prefix: refused,
    // and the command never runs.
    let (command, marker) = marker_command(dir.path());
    let command: Vec<&str> = command.iter().map(String::as_str).collect();
    let r = run(exec(&url, "names", &["--no-transform"], &command)).code(3);
    assert!(r.stderr.contains("api-key"), "{}", r.stderr);
    let r = run(exec(
        &url,
        "names",
        &["--only", "api-key", "--only", "missing"],
        &command,
    ))
    .code(5);
    assert!(r.stderr.contains("'missing'"), "{}", r.stderr);
    run(exec(&url, "names", &["--prefix", "1X"], &command)).code(3);
    assert!(!marker.exists(), "the command ran");
}

#[test]
fn variables_that_change_how_programs_load_or_run_are_refused_unless_allowed() {
    let service = service();
    let url = service.base_url();
    let dir = tempfile::tempdir().unwrap();
    let (command, marker) = marker_command(dir.path());
    let command: Vec<&str> = command.iter().map(String::as_str).collect();
    let refused = [
        ("ld-preload", "LD_PRELOAD"),
        ("LD_LIBRARY_PATH", "LD_LIBRARY_PATH"),
        ("dyld-insert-libraries", "DYLD_INSERT_LIBRARIES"),
        ("bash_env", "BASH_ENV"),
        ("env", "ENV"),
        ("ifs", "IFS"),
        ("path", "PATH"),
        ("shellopts", "SHELLOPTS"),
        ("ps4", "PS4"),
    ];
    for (secret, variable) in refused {
        let job = format!("refused-{}", variable.to_lowercase().replace('_', "-"));
        store(&url, &job, json!({ secret: CANARY }));
        let r = run(exec(&url, &job, &[], &command)).code(3);
        assert!(
            r.stderr.contains(&format!("{variable} (secret '{secret}')")),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("--allow"), "{}", r.stderr);
        assert!(!r.stderr.contains(CANARY), "{}", r.stderr);
        assert!(!marker.exists(), "the command ran with {variable}");
    }
    // With a prefix the final name counts.
    store(&url, "refused-prefix", json!({"preload": "x"}));
    run(exec(&url, "refused-prefix", &["--prefix", "LD_"], &command)).code(3);
    assert!(!marker.exists());

    // Allowed one by one, by variable name.
    store(&url, "allowed", json!({"ifs": ":", "ps4": "+ trace: "}));
    run(exec(&url, "allowed", &["--allow", "IFS"], &command)).code(3);
    let r = run(exec(
        &url,
        "allowed",
        &["--allow", "IFS", "--allow", "PS4"],
        &["env", "-0"],
    ))
    .ok();
    let env = env_of(&r.stdout);
    assert_eq!(env["IFS"], ":");
    assert_eq!(env["PS4"], "+ trace: ");
    // PATH exists in the environment: allowing it is not enough, overriding it is explicit.
    store(&url, "allowed-path", json!({"path": "/usr/bin:/bin"}));
    run(exec(&url, "allowed-path", &["--allow", "PATH"], &command)).code(3);
    let r = run(exec(
        &url,
        "allowed-path",
        &["--allow", "PATH", "--override"],
        &["printenv", "PATH"],
    ))
    .ok();
    assert_eq!(r.stdout, "/usr/bin:/bin\n");
    assert!(!marker.exists());
}

#[test]
fn nul_bytes_and_values_beyond_the_kernel_limit_are_refused() {
    let service = service();
    let url = service.base_url();
    let dir = tempfile::tempdir().unwrap();
    let (command, marker) = marker_command(dir.path());
    let command: Vec<&str> = command.iter().map(String::as_str).collect();
    store(&url, "nul", json!({"token": format!("{CANARY}\u{0}rest")}));
    let r = run(exec(&url, "nul", &[], &command)).code(3);
    assert!(r.stderr.contains("TOKEN (secret 'token')"), "{}", r.stderr);
    assert!(r.stderr.contains("NUL"), "{}", r.stderr);
    assert!(!r.stderr.contains(CANARY), "{}", r.stderr);

    // "BIG=" + value + NUL: exactly 128 KiB goes through execve, one byte more is refused.
    let fits = 128 * 1024 - "BIG=".len() - 1;
    store(&url, "big", json!({"big": "x".repeat(fits)}));
    let r = run(exec(&url, "big", &[], &["sh", "-c", "printf %s \"$BIG\" | wc -c"])).ok();
    assert_eq!(r.stdout.trim(), fits.to_string());
    store(&url, "too-big", json!({"big": "x".repeat(fits + 1)}));
    let r = run(exec(&url, "too-big", &[], &command)).code(3);
    assert!(r.stderr.contains("BIG (secret 'big')"), "{}", r.stderr);
    assert!(r.stderr.contains("128 KiB"), "{}", r.stderr);
    assert!(!marker.exists(), "the command ran");

    // Together too large for execve (ARG_MAX is a quarter of the stack limit, at least 128 KiB):
    // refused before the command's state is touched, not an E2BIG after.
    let quarter: Value = (0..4)
        .map(|i| (format!("part-{i}"), json!("y".repeat(60 * 1024))))
        .collect();
    store(&url, "too-big-together", quarter);
    let mut cmd = exec(&url, "too-big-together", &[], &command);
    // SAFETY: setrlimit is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            let mut limit: libc::rlimit = std::mem::zeroed();
            libc::getrlimit(libc::RLIMIT_STACK, &mut limit);
            limit.rlim_cur = 512 * 1024;
            if libc::setrlimit(libc::RLIMIT_STACK, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let r = run(cmd).code(3);
    assert!(r.stderr.contains("ARG_MAX"), "{}", r.stderr);
    assert!(!marker.exists(), "the command ran");
}

#[test]
fn collisions_and_overrides_are_refused_and_overrides_listed_when_allowed() {
    let service = service();
    let url = service.base_url();
    let dir = tempfile::tempdir().unwrap();
    let (command, marker) = marker_command(dir.path());
    let command: Vec<&str> = command.iter().map(String::as_str).collect();

    store(
        &url,
        "collide",
        json!({"api-key": CANARY, "API_KEY": CANARY, "db.url": "u"}),
    );
    let r = run(exec(&url, "collide", &[], &command)).code(3);
    assert!(
        r.stderr.contains("API_KEY (secrets 'API_KEY' and 'api-key')"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(CANARY), "{}", r.stderr);
    // --override is about the environment, not about two secrets.
    run(exec(&url, "collide", &["--override"], &command)).code(3);
    assert!(!marker.exists(), "the command ran");

    store(&url, "override", json!({"api-key": CANARY, "other": "o"}));
    let r = run(exec(&url, "override", &[], &command)
        .env("API_KEY", "from-parent")
        .env("VDK_SECRETS_LOG", "trace"))
    .code(3);
    assert!(r.stderr.contains("API_KEY (secret 'api-key')"), "{}", r.stderr);
    assert!(r.stderr.contains("--override"), "{}", r.stderr);
    assert!(
        !r.stderr.contains(CANARY) && !r.stderr.contains("from-parent"),
        "{}",
        r.stderr
    );
    assert!(!marker.exists(), "the command ran");

    let r = run(exec(&url, "override", &["--override"], &["printenv", "API_KEY"]).env("API_KEY", "from-parent")).ok();
    assert_eq!(r.stdout, format!("{CANARY}\n"));
    assert_eq!(
        r.stderr,
        "vdk-secrets: secrets override these variables of the environment: API_KEY\n"
    );
    // A kept variable of --pristine counts as existing too.
    store(&url, "override-home", json!({"home": "/elsewhere"}));
    run(exec(&url, "override-home", &["--pristine"], &command).env("HOME", "/home/test")).code(3);
    assert!(!marker.exists(), "the command ran");
}

#[test]
fn nothing_runs_when_reading_fails_and_the_exit_code_is_the_clis() {
    let service = service_with(|c| {
        c.enable_faults = true;
    });
    let url = service.base_url();
    let dir = tempfile::tempdir().unwrap();
    let (command, marker) = marker_command(dir.path());
    let command: Vec<&str> = command.iter().map(String::as_str).collect();
    for (job, code) in [
        ("fault-status-404", 5),
        ("fault-status-409", 6),
        ("fault-status-503", 7),
        ("fault-malformed", 9),
        ("fault-drop", 8),
    ] {
        let r = run(exec(&url, job, &[], &command)).code(code);
        assert!(r.stderr.starts_with("error: "), "{job}: {}", r.stderr);
        assert!(!marker.exists(), "the command ran after {job}");
    }
    run(exec(&closed_port_url(), "job", &[], &command)).code(8);
    let mut no_url = bare();
    no_url.args(["exec", "-n", "j", "-t", "t", "--"]).args(&command);
    run(no_url).code(3);

    // Authentication: a service that wants a token, and a wrong one.
    let secured = service_with(|c| c.api_token = Some(API_TOKEN.to_string()));
    let r = run(exec(&secured.base_url(), "job", &[], &command)
        .env("VDK_API_TOKEN", "wrong-token-7f3a")
        .env("VDK_API_TOKEN_AUTHORIZATION_URL", secured.token_url()))
    .code(4);
    assert!(!r.stderr.contains("wrong-token-7f3a"), "{}", r.stderr);
    assert!(!marker.exists(), "the command ran");

    // Usage errors: no command, no `--` before it, no job.
    run(vdk(&url).args(["exec", "-n", "j", "-t", "t"])).code(2);
    run(vdk(&url).args(["exec", "-n", "j", "-t", "t", "true"])).code(2);
    run(vdk(&url).args(["exec", "-t", "t", "--", "true"])).code(2);
    run(vdk(&url).args(["-n", "j", "-t", "t", "exec", "--", "true"])).code(2);

    // Sanity: with a readable job the same command does run.
    store(&url, "readable", json!({"a": "1"}));
    run(exec(&url, "readable", &[], &command)).ok();
    assert!(marker.exists());
}

#[test]
fn a_command_that_cannot_be_started_is_126_or_127() {
    let service = service();
    let url = service.base_url();
    store(&url, "start", json!({"a": "1"}));
    let dir = tempfile::tempdir().unwrap();
    let r = run(exec(&url, "start", &[], &["no-such-command-3b1e"])).code(127);
    assert!(r.stderr.contains("no-such-command-3b1e"), "{}", r.stderr);
    let not_executable = write_file(dir.path(), "script.sh", "#!/bin/sh\necho hi\n");
    run(exec(&url, "start", &[], &[&not_executable])).code(126);
    let no_shebang = write_file(dir.path(), "plain", "echo hi\n");
    std::fs::set_permissions(&no_shebang, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let r = run(exec(&url, "start", &[], &[&no_shebang])).code(126);
    assert!(r.stderr.contains("#!"), "{}", r.stderr);
    // Found through the command's own PATH.
    let tool = write_file(dir.path(), "my-tool", "#!/bin/sh\necho \"tool $A\"\n");
    std::fs::set_permissions(&tool, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", dir.path().display(), std::env::var("PATH").unwrap());
    let r = run(exec(&url, "start", &[], &["my-tool"]).env("PATH", path)).ok();
    assert_eq!(r.stdout, "tool 1\n");
}
