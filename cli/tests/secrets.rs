//! `vdk-secrets` as a user runs it: the real binary against a real local Control Service.

mod common;

use common::*;
use serde_json::json;

#[test]
fn set_get_list_delete_round_trip() {
    let service = service();
    let url = service.base_url();
    let r = run(&mut job(
        &url,
        "rt",
        &["--set", "api-key", "sk-1", "--set", "db-password", "pw 2"],
    ))
    .ok();
    assert_eq!(r.stdout, "", "a change prints nothing on stdout in text mode");
    assert!(
        r.stderr.contains("updated 2 secrets of job rt (team team)"),
        "{}",
        r.stderr
    );
    assert_eq!(stored(&url, "rt"), json!({"api-key": "sk-1", "db-password": "pw 2"}));

    let r = run(&mut job(&url, "rt", &["--get", "db-password"])).ok();
    assert_eq!(r.stdout, "pw 2\n");

    let r = run(&mut job(&url, "rt", &["--list"])).ok();
    assert_eq!(r.stdout, "api-key = ******\ndb-password = ******\n");
    let r = run(&mut job(&url, "rt", &["--get-all"])).ok();
    assert_eq!(
        r.stdout, "api-key = ******\ndb-password = ******\n",
        "--get-all is --list"
    );
    let r = run(&mut job(&url, "rt", &["--list", "--reveal"])).ok();
    assert_eq!(r.stdout, "api-key = \"sk-1\"\ndb-password = \"pw 2\"\n");

    let r = run(&mut job(&url, "rt", &["--delete", "api-key"])).ok();
    assert!(r.stderr.contains("deleted api-key"), "{}", r.stderr);
    assert_eq!(stored(&url, "rt"), json!({"db-password": "pw 2"}));

    // Deleting what is not there is not an error, and writes nothing.
    let puts = service.stats().secrets_puts;
    let r = run(&mut job(&url, "rt", &["--delete", "nope"])).ok();
    assert!(r.stderr.contains("no secret named 'nope'"), "{}", r.stderr);
    assert_eq!(service.stats().secrets_puts, puts);

    run(&mut job(&url, "rt", &["--delete-all-job-secrets"])).ok();
    assert_eq!(stored(&url, "rt"), json!({}));
    let r = run(&mut job(&url, "rt", &["--list"])).ok();
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("has no secrets"));
}

#[test]
fn one_read_and_one_write_for_all_changes_in_order() {
    let service = service();
    let url = service.base_url();
    store(&url, "order", json!({"keep": "k", "gone": "g"}));
    let before = service.stats();
    run(&mut job(
        &url,
        "order",
        &[
            "--set", "a", "1", "--delete", "a", "--delete", "gone", "--set", "b", "2", "--set", "gone", "back",
        ],
    ))
    .ok();
    let after = service.stats();
    assert_eq!(after.secrets_gets - before.secrets_gets, 1);
    assert_eq!(after.secrets_puts - before.secrets_puts, 1);
    assert_eq!(stored(&url, "order"), json!({"keep": "k", "b": "2", "gone": "back"}));
}

#[test]
fn set_keeps_the_type_of_existing_values() {
    let service = service();
    let url = service.base_url();
    store(
        &url,
        "types",
        json!({
            "int": 1, "neg": 5, "float": 1.5, "bool": true, "str": "x", "obj": {"a": 1}, "list": [1],
            "int-text": 7, "null": null,
        }),
    );
    run(&mut job(
        &url,
        "types",
        &[
            "--set",
            "int",
            "42",
            "--set",
            "neg",
            "-3",
            "--set",
            "float",
            "2",
            "--set",
            "bool",
            "false",
            "--set",
            "str",
            "17",
            "--set",
            "obj",
            r#"{"b": [true]}"#,
            "--set",
            "list",
            "[2, 3]",
            "--set",
            "int-text",
            "seven",
            "--set",
            "null",
            "1",
            "--set",
            "new",
            "123",
            "--set",
            "dash",
            "-not-a-flag",
        ],
    ))
    .ok();
    let got = stored(&url, "types");
    assert_eq!(got["int"], json!(42));
    assert_eq!(got["neg"], json!(-3));
    assert!(got["float"].is_f64(), "float stays float: {}", got["float"]);
    assert_eq!(got["float"], json!(2.0));
    assert_eq!(got["bool"], json!(false));
    assert_eq!(got["str"], json!("17"), "a string stays a string");
    assert_eq!(got["obj"], json!({"b": [true]}));
    assert_eq!(got["list"], json!([2, 3]));
    assert_eq!(
        got["int-text"],
        json!("seven"),
        "text that is no integer is stored as a string"
    );
    assert_eq!(got["null"], json!("1"));
    assert_eq!(got["new"], json!("123"), "new keys are strings");
    assert_eq!(got["dash"], json!("-not-a-flag"), "values may start with a dash");
}

#[test]
fn set_prompt_reads_one_line_per_key_from_a_pipe() {
    let service = service();
    let url = service.base_url();
    store(&url, "prompt", json!({"port": 1}));
    let r = run_with_stdin(
        &mut job(
            &url,
            "prompt",
            &["--set-prompt", "pw", "--set", "x", "y", "--set-prompt", "port"],
        ),
        Some(b"s3cret value\r\n5432\nextra line\n"),
    )
    .ok();
    assert!(!r.stderr.contains("s3cret"), "{}", r.stderr);
    assert_eq!(
        stored(&url, "prompt"),
        json!({"pw": "s3cret value", "x": "y", "port": 5432})
    );

    // The last line needs no newline; missing lines are an error and nothing is written.
    run_with_stdin(&mut job(&url, "prompt", &["--set-prompt", "last"]), Some(b"no-newline")).ok();
    assert_eq!(stored(&url, "prompt")["last"], json!("no-newline"));
    let before = stored(&url, "prompt");
    let r = run_with_stdin(
        &mut job(&url, "prompt", &["--set-prompt", "a", "--set-prompt", "b"]),
        Some(b"only-one\n"),
    )
    .code(3);
    assert!(r.stderr.contains("no value for secret 'b'"), "{}", r.stderr);
    assert_eq!(stored(&url, "prompt"), before);
}

#[test]
fn overwrite_from_a_file_and_from_stdin() {
    let service = service();
    let url = service.base_url();
    let dir = tempfile::tempdir().unwrap();
    store(&url, "ow", json!({"old": "o"}));
    let file = write_file(
        dir.path(),
        "s.json",
        r#"{"a": "1", "n": 2, "nested": {"x": [1, null]}}"#,
    );
    let r = run(&mut job(&url, "ow", &["--overwrite-all-job-secrets", &file])).ok();
    assert!(r.stderr.contains("with 3 secrets"), "{}", r.stderr);
    assert_eq!(
        stored(&url, "ow"),
        json!({"a": "1", "n": 2, "nested": {"x": [1, null]}})
    );

    run_with_stdin(
        &mut job(&url, "ow", &["--overwrite-all-job-secrets", "-"]),
        Some(b"{\n  \"from\": \"stdin\"\n}\n"),
    )
    .ok();
    assert_eq!(stored(&url, "ow"), json!({"from": "stdin"}));

    run_with_stdin(&mut job(&url, "ow", &["--overwrite-all-job-secrets", "-"]), Some(b"{}")).ok();
    assert_eq!(stored(&url, "ow"), json!({}));
}

#[test]
fn bad_overwrite_input_aborts_before_writing() {
    let service = service();
    let url = service.base_url();
    let dir = tempfile::tempdir().unwrap();
    store(&url, "bad", json!({"keep": CANARY}));
    let puts = service.stats().secrets_puts;
    let cases: [(&str, &[u8]); 6] = [
        ("malformed", br#"{"a": "sk-leak-1"#),
        ("not an object", br#"["sk-leak-2"]"#),
        ("a string", br#""sk-leak-3""#),
        ("empty", b""),
        ("bad name", br#"{"has space": "sk-leak-4"}"#),
        ("trailing garbage", br#"{"a": "sk-leak-5"} x"#),
    ];
    for (what, input) in cases {
        let r = run_with_stdin(
            &mut job(&url, "bad", &["--overwrite-all-job-secrets", "-"]),
            Some(input),
        )
        .code(3);
        assert!(r.stderr.starts_with("error: "), "{what}: {}", r.stderr);
        assert!(r.stderr.contains("what to do: "), "{what}: {}", r.stderr);
        assert!(!r.stderr.contains("sk-leak"), "{what}: input echoed: {}", r.stderr);
        let path = write_file(dir.path(), "in.json", std::str::from_utf8(input).unwrap());
        run(&mut job(&url, "bad", &["--overwrite-all-job-secrets", &path])).code(3);
    }
    let missing = dir.path().join("missing.json");
    run(&mut job(
        &url,
        "bad",
        &["--overwrite-all-job-secrets", missing.to_str().unwrap()],
    ))
    .code(3);
    assert_eq!(service.stats().secrets_puts, puts, "nothing was written");
    assert_eq!(stored(&url, "bad"), json!({"keep": CANARY}));
}

#[test]
fn invalid_combinations_are_refused_before_any_request() {
    let service = service();
    let url = service.base_url();
    store(&url, "combo", json!({"keep": "k"}));
    let before = service.stats();
    let usage_errors: &[&[&str]] = &[
        &["-n", "combo", "-t", "team"],
        &["-n", "combo", "-t", "team", "--get", "keep", "--set", "a", "b"],
        &["-n", "combo", "-t", "team", "--get", "keep", "--delete", "a"],
        &["-n", "combo", "-t", "team", "--get", "keep", "--set-prompt", "a"],
        &["-n", "combo", "-t", "team", "--get", "keep", "--list"],
        &["-n", "combo", "-t", "team", "--list", "--set", "a", "b"],
        &["-n", "combo", "-t", "team", "--list", "--delete", "a"],
        &["-n", "combo", "-t", "team", "--get-all", "--delete-all-job-secrets"],
        &[
            "-n",
            "combo",
            "-t",
            "team",
            "--list",
            "--overwrite-all-job-secrets",
            "-",
        ],
        &[
            "-n",
            "combo",
            "-t",
            "team",
            "--overwrite-all-job-secrets",
            "-",
            "--set",
            "a",
            "b",
        ],
        &[
            "-n",
            "combo",
            "-t",
            "team",
            "--overwrite-all-job-secrets",
            "-",
            "--delete",
            "a",
        ],
        &[
            "-n",
            "combo",
            "-t",
            "team",
            "--overwrite-all-job-secrets",
            "-",
            "--set-prompt",
            "a",
        ],
        &[
            "-n",
            "combo",
            "-t",
            "team",
            "--overwrite-all-job-secrets",
            "-",
            "--delete-all-job-secrets",
        ],
        &[
            "-n",
            "combo",
            "-t",
            "team",
            "--delete-all-job-secrets",
            "--set",
            "a",
            "b",
        ],
        &["-n", "combo", "-t", "team", "--delete-all-job-secrets", "--delete", "a"],
        &[
            "-n",
            "combo",
            "-t",
            "team",
            "--delete-all-job-secrets",
            "--set-prompt",
            "a",
        ],
        &["-n", "combo", "-t", "team", "--reveal", "--get", "keep"],
        &["-n", "combo", "-t", "team", "--set", "only-key"],
        &["-n", "combo", "-t", "team", "--get"],
        &["-n", "combo", "-t", "team", "--list", "-o", "yaml"],
        &["-n", "combo", "-t", "team", "--unknown-flag"],
        &["-t", "team", "--set", "a", "b"],
        &["-n", "combo", "--set", "a", "b"],
        &["--list"],
        &["-n", "combo", "-t", "team", "--list", "serve"],
        &["serve", "-n", "combo"],
        &[],
    ];
    for args in usage_errors {
        let r = run_with_stdin(vdk(&url).args(*args), Some(b"{\"x\": \"y\"}\n")).code(2);
        assert!(r.stderr.contains("error:"), "{args:?}: {}", r.stderr);
        assert_eq!(r.stdout, "", "{args:?}");
    }
    let invalid_arguments: &[&[&str]] = &[
        &["-n", "combo", "-t", "team", "--set", "has space", "v"],
        &["-n", "combo", "-t", "team", "--set", "", "v"],
        &[
            "-n",
            "combo",
            "-t",
            "team",
            "--set",
            "ok",
            "v",
            "--set-prompt",
            "tab\tname",
        ],
        &["-n", "", "-t", "team", "--set", "a", "b"],
        &["-n", "..", "-t", "team", "--set", "a", "b"],
        &["-n", "combo", "-t", "team", "-u", "not a url", "--set", "a", "b"],
        &[
            "-n",
            "combo",
            "-t",
            "team",
            "--api-token-file",
            "/nonexistent/token",
            "--set",
            "a",
            "b",
        ],
    ];
    for args in invalid_arguments {
        let r = run(vdk(&url).args(*args)).code(3);
        assert!(
            r.stderr.contains("error: ") && r.stderr.contains("what to do: "),
            "{args:?}: {}",
            r.stderr
        );
    }
    let after = service.stats();
    assert_eq!(after.secrets_puts, before.secrets_puts, "nothing was written");
    assert_eq!(after.secrets_gets, before.secrets_gets, "nothing was even read");
    assert_eq!(stored(&url, "combo"), json!({"keep": "k"}));
}

#[test]
fn json_output_parses() {
    let service = service();
    let url = service.base_url();
    store(&url, "js", json!({"s": "v", "n": 3, "o": {"k": [1, 2]}}));
    let r = run(&mut job(&url, "js", &["-o", "json", "--list"])).ok();
    assert_eq!(r.json(), json!({"s": "v", "n": 3, "o": {"k": [1, 2]}}));
    let r = run(&mut job(&url, "js", &["--output", "json", "--get", "s"])).ok();
    assert_eq!(r.json(), json!("v"));
    let r = run(&mut job(&url, "js", &["-o", "json", "--get", "o"])).ok();
    assert_eq!(r.json(), json!({"k": [1, 2]}));
    // Text mode: strings raw, anything else compact JSON.
    assert_eq!(run(&mut job(&url, "js", &["--get", "n"])).ok().stdout, "3\n");
    assert_eq!(
        run(&mut job(&url, "js", &["--get", "o"])).ok().stdout,
        "{\"k\":[1,2]}\n"
    );

    let r = run(&mut job(
        &url,
        "js",
        &["-o", "json", "--set", "s", "w", "--delete", "n", "--delete", "zz"],
    ))
    .ok();
    let summary = r.json();
    assert_eq!(summary["action"], "update");
    assert_eq!(summary["set"], json!(["s"]));
    assert_eq!(summary["deleted"], json!(["n"]));
    assert_eq!(summary["not_found"], json!(["zz"]));
    assert_eq!(summary["written"], json!(true));
    assert!(
        !r.stdout.contains("\"w\""),
        "the summary holds names only: {}",
        r.stdout
    );

    let r = run(&mut job(&url, "js", &["-o", "json", "--delete-all-job-secrets"])).ok();
    assert_eq!(r.json()["action"], "delete-all");
    let r = run(&mut job(&url, "js", &["-o", "json", "--list"])).ok();
    assert_eq!(r.json(), json!({}));
}

#[test]
fn get_of_a_missing_secret_is_exit_5() {
    let service = service();
    let url = service.base_url();
    store(&url, "miss", json!({"there": "x"}));
    let r = run(&mut job(&url, "miss", &["--get", "absent"])).code(5);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("has no secret named 'absent'"), "{}", r.stderr);
    assert!(r.stderr.contains("what to do: "), "{}", r.stderr);
}

#[test]
fn quiet_suppresses_status_lines_but_not_errors() {
    let service = service();
    let url = service.base_url();
    let r = run(&mut job(&url, "quiet", &["-q", "--set", "a", "b"])).ok();
    assert_eq!(r.stderr, "");
    let r = run(&mut job(&url, "quiet", &["--quiet", "--delete", "zz"])).ok();
    assert_eq!(r.stderr, "");
    let r = run(&mut job(&url, "quiet", &["-q", "--get", "zz"])).code(5);
    assert!(r.stderr.starts_with("error: "));
}

#[test]
fn too_large_maps_are_user_errors() {
    let service = service_with(|c| c.max_secrets_bytes = 2_000);
    let url = service.base_url();
    store(&url, "big", json!({"keep": "k"}));
    // Over the service's limit: the service answers 413.
    let big = "x".repeat(3_000);
    let r = run(&mut job(&url, "big", &["--set", "big", &big])).code(6);
    assert!(r.stderr.contains("413"), "{}", r.stderr);
    assert!(!r.stderr.contains(&big[..100]), "{}", r.stderr);
    // Over the protocol's limit of 1 MiB: refused before sending.
    let puts = service.stats().secrets_puts;
    let huge = format!("{{\"huge\": \"{}\"}}", "y".repeat(1_100_000));
    run_with_stdin(
        &mut job(&url, "big", &["--overwrite-all-job-secrets", "-"]),
        Some(huge.as_bytes()),
    )
    .code(6);
    assert_eq!(service.stats().secrets_puts, puts);
    assert_eq!(stored(&url, "big"), json!({"keep": "k"}));
}

#[test]
fn help_documents_the_exit_codes() {
    let r = run(bare().arg("--help")).ok();
    for needle in [
        "Exit codes:",
        "2   usage error",
        "3   invalid argument",
        "4   authentication",
        "5   not found",
        "6   other user error",
        "7   Control Service error",
        "8   network error",
        "9   protocol error",
        "10  internal error",
        "--get-all",
        "--set-prompt",
        "--overwrite-all-job-secrets",
    ] {
        assert!(r.stdout.contains(needle), "--help lacks {needle:?}");
    }
    let r = run(bare().args(["serve", "--help"])).ok();
    assert!(r.stdout.contains("not a production one"), "{}", r.stdout);
    run(bare().arg("--version")).ok();
}

#[test]
fn set_prompt_hides_input_on_a_terminal() {
    use std::io::{Read, Write};
    use std::process::Stdio;

    let service = service();
    let url = service.base_url();
    store(&url, "tty", json!({"port": 1}));

    // A pseudo-terminal: the binary gets its slave side as stdin, the test types on the master.
    let (mut terminal, slave) = pty();

    let mut cmd = job(&url, "tty", &["--set-prompt", "pw", "--set-prompt", "port"]);
    cmd.stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    drop(cmd);
    let mut stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    for (answer, prompts) in [("typed-s3cret\n", 1), ("5432\n", 2)] {
        // Wait for the prompt: echo is off by then.
        while String::from_utf8_lossy(&seen).matches("(input hidden): ").count() < prompts {
            let mut byte = [0u8; 1];
            assert_eq!(
                stderr.read(&mut byte).unwrap(),
                1,
                "stderr so far: {}",
                String::from_utf8_lossy(&seen)
            );
            seen.push(byte[0]);
        }
        terminal.write_all(answer.as_bytes()).unwrap();
    }
    let status = child.wait().unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let stderr = String::from_utf8_lossy(&seen).into_owned() + &rest;
    assert!(status.success(), "stderr: {stderr}");
    assert!(
        stderr.contains("Value of secret 'pw' of job tty (input hidden): "),
        "{stderr}"
    );
    assert!(!stderr.contains("typed-s3cret"), "{stderr}");

    // What the terminal showed: no echo of the typed values.
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let fd = std::os::fd::AsRawFd::as_raw_fd(&terminal);
        let flags = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
    let mut shown = Vec::new();
    let _ = terminal.read_to_end(&mut shown);
    let shown = String::from_utf8_lossy(&shown);
    assert!(
        !shown.contains("typed-s3cret"),
        "the terminal echoed the secret: {shown:?}"
    );
    assert!(!shown.contains("5432"), "the terminal echoed the value: {shown:?}");

    // The terminal's echo is back on.
    // SAFETY: termios is plain data filled by tcgetattr.
    let mut settings: libc::termios = unsafe { std::mem::zeroed() };
    assert_eq!(
        unsafe { libc::tcgetattr(std::os::fd::AsRawFd::as_raw_fd(&slave), &mut settings) },
        0
    );
    assert_ne!(settings.c_lflag & libc::ECHO, 0, "echo restored");

    assert_eq!(stored(&url, "tty"), json!({"port": 5432, "pw": "typed-s3cret"}));
}

#[test]
fn ctrl_c_at_a_hidden_prompt_restores_the_terminal() {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;

    let service = service();
    let url = service.base_url();
    let (_terminal, slave) = pty();
    let mut cmd = job(&url, "ctrl-c", &["--set-prompt", "pw"]);
    cmd.stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    drop(cmd);
    let mut stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("(input hidden): ") {
        let mut byte = [0u8; 1];
        assert_eq!(stderr.read(&mut byte).unwrap(), 1);
        seen.push(byte[0]);
    }
    // SAFETY: kill(2) on our own child.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) }, 0);
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGINT), "ends as Ctrl-C ends a program");
    // SAFETY: termios is plain data filled by tcgetattr.
    let mut settings: libc::termios = unsafe { std::mem::zeroed() };
    assert_eq!(
        unsafe { libc::tcgetattr(std::os::fd::AsRawFd::as_raw_fd(&slave), &mut settings) },
        0
    );
    assert_ne!(settings.c_lflag & libc::ECHO, 0, "echo restored after Ctrl-C");
    assert_eq!(stored(&url, "ctrl-c"), json!({}), "nothing written");
}
