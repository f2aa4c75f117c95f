//! A hostile or careless server must not rewrite the user's terminal nor make the CLI print a
//! secret: names with control and bidirectional-override characters are shown escaped, --get
//! refuses control characters on a terminal without --raw, and a server echoing every request
//! in its errors gets none of the secrets or the token onto stderr, even with debug logging.

mod common;

use std::io::Read;
use std::process::Stdio;

use common::*;
use serde_json::{json, Value};

/// Characters that rewrite a terminal: ESC sequences, C1 CSI, carriage return, bidi overrides.
const DANGEROUS: [char; 8] = [
    '\u{1b}', '\u{9b}', '\r', '\u{7}', '\u{202e}', '\u{2067}', '\u{200f}', '\u{8}',
];

fn assert_no_dangerous(text: &str, what: &str) {
    for c in DANGEROUS {
        assert!(!text.contains(c), "{what} holds U+{:04X}: {text:?}", c as u32);
    }
}

fn hostile_names() -> Value {
    json!({
        "evil\u{202e}txt.exe": "v1",
        "clear\u{1b}[2J\u{1b}]0;pwned\u{7}": 2,
        "csi\u{9b}31m\r\u{8}": "v3",
        "iso\u{2067}late\u{200f}": "v4",
        "plain": "fine",
    })
}

#[test]
fn list_and_status_lines_escape_hostile_names() {
    let service = service();
    let url = service.base_url();
    store(&url, "hostile", hostile_names());

    for args in [&["--list"][..], &["--list", "--reveal"], &["--list", "-o", "json"]] {
        let out = run(job(&url, "hostile", args)).ok();
        assert_no_dangerous(&out.stdout, &format!("stdout of {args:?}"));
        assert_no_dangerous(&out.stderr, &format!("stderr of {args:?}"));
        assert!(out.stdout.contains("plain"), "{}", out.stdout);
        if args.contains(&"json") {
            // Escaped the JSON way: the same names come back when parsed.
            assert_eq!(out.json(), hostile_names());
        } else {
            assert!(out.stdout.contains("evil\\u{202e}txt.exe"), "{}", out.stdout);
        }
    }
    let out = run(job(
        &url,
        "hostile",
        &[
            "--delete",
            "evil\u{202e}txt.exe",
            "--delete",
            "iso\u{2067}late\u{200f}",
            "--delete",
            "gone\u{1b}[2J",
        ],
    ))
    .ok();
    assert_no_dangerous(&out.stderr, "status lines");
    assert!(out.stderr.contains("evil\\u{202e}txt.exe"), "{}", out.stderr);
    let out = run(job(
        &url,
        "hostile",
        &["--delete", "clear\u{1b}[2J\u{1b}]0;pwned\u{7}", "-o", "json"],
    ))
    .ok();
    assert_no_dangerous(&out.stdout, "json summary");
    assert_no_dangerous(&out.stderr, "status lines");
    assert_eq!(out.json()["deleted"], json!(["clear\u{1b}[2J\u{1b}]0;pwned\u{7}"]));
    let out = run(job(&url, "hostile", &["--set", "bad\u{1b}[2J\u{202e}", "3"])).code(3);
    assert_no_dangerous(&out.stderr, "error lines");
    let out = run(job(&url, "hostile", &["--get", "missing\u{202e}x"])).code(5);
    assert_no_dangerous(&out.stderr, "error lines");
}

#[test]
fn get_refuses_control_characters_on_a_terminal_unless_raw() {
    let service = service();
    let url = service.base_url();
    let value = "title\u{1b}]0;pwned\u{7}\u{1b}[2J";
    store(
        &url,
        "tty-get",
        json!({"evil": value, "pem": "-----BEGIN KEY-----\nabc\tdef\n-----END KEY-----"}),
    );

    // Into a pipe: the value as is, that is what --get is for.
    let out = run(job(&url, "tty-get", &["--get", "evil"])).ok();
    assert_eq!(out.stdout, format!("{value}\n"));

    let on_terminal = |args: &[&str]| -> (i32, String, String) {
        let (mut terminal, slave) = pty();
        let mut cmd = job(&url, "tty-get", args);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(slave))
            .stderr(Stdio::piped());
        let child = cmd.spawn().unwrap();
        drop(cmd);
        let output = child.wait_with_output().unwrap();
        // SAFETY: fcntl on a descriptor we own.
        unsafe {
            let fd = std::os::fd::AsRawFd::as_raw_fd(&terminal);
            let flags = libc::fcntl(fd, libc::F_GETFL);
            libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
        let mut shown = Vec::new();
        let _ = terminal.read_to_end(&mut shown);
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&shown).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, shown, stderr) = on_terminal(&["--get", "evil"]);
    assert_eq!(code, 3, "refused; stderr: {stderr}");
    assert!(!shown.contains('\u{1b}'), "the terminal got: {shown:?}");
    assert!(stderr.contains("--raw"), "{stderr}");
    let (code, shown, stderr) = on_terminal(&["--get", "evil", "--raw"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(shown.contains("\u{1b}]0;pwned"), "the terminal got: {shown:?}");
    // Newlines and tabs are fine on a terminal (the terminal turns \n into \r\n).
    let (code, shown, stderr) = on_terminal(&["--get", "pem"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(shown.contains("abc\tdef"), "{shown:?}");
}

/// Secrets and the API token pushed through a server that echoes them in every error, with
/// debug logging on: none of it on stderr or stdout.
#[test]
fn an_echoing_server_gets_no_secret_onto_the_terminal() {
    use vdk_control_service::echo::{quote, start_echo_server, ECHO_ACCESS_TOKEN};
    let echo = start_echo_server().unwrap();
    let base = echo.base_url();
    let pem =
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----";
    let api_token = "cli-echo-token+/= ü-5e0f2d";
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, api_token).unwrap();
    let mut texts = Vec::new();
    for (code, token_path) in [
        (400, "/token/ok"),
        (500, "/token/ok"),
        (413, "/token/ok"),
        (401, "/token/ok"),
        (200, "/token/status-400"),
        (200, "/token/status-404"),
        (200, "/token/status-503"),
    ] {
        for round in 0..8 {
            // `okthen-`: the read before the write succeeds, the write is echoed.
            let name = format!("okthen-{code}-{round}");
            let mut cmd = job(&base, &name, &["--set", "pem", pem, "--set", "canary", CANARY]);
            if round % 2 == 1 {
                cmd = job(&base, &format!("status-{code}-{round}"), &["--list", "-o", "json"]);
            }
            cmd.arg("--api-token-file")
                .arg(&token_file)
                .env("VDK_API_TOKEN_AUTHORIZATION_URL", format!("{base}{token_path}"))
                .env("VDK_SECRETS_LOG", "debug");
            let out = run(cmd);
            assert_ne!(out.code, 0);
            texts.push(format!("{}\n{}", out.stdout, out.stderr));
        }
    }
    assert!(
        texts.iter().any(|t| t.contains("vdk-secrets DEBUG")),
        "debug lines were printed"
    );
    assert!(
        texts.iter().any(|t| t.contains("the service says")),
        "server texts are quoted"
    );
    for text in &texts {
        for secret in [pem, CANARY, api_token, ECHO_ACCESS_TOKEN] {
            let chars: Vec<char> = secret.chars().collect();
            for window in chars.windows(10) {
                let window: String = window.iter().collect();
                for form in ["raw", "json", "percent", "form"] {
                    let needle = quote(&window, form);
                    assert!(!text.contains(&needle), "{needle:?} leaked in: {text}");
                }
            }
        }
    }
}
