//! `vdk-secrets serve` as a process: announces, serves, stops cleanly, keeps data.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;

#[test]
fn serve_announces_serves_and_exits_0_on_sigterm_and_sigint() {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let mut served = Served::start(&[]);
        assert!(served.url.starts_with("http://127.0.0.1:"), "{}", served.url);
        run(&mut job(&served.url, "served", &["--set", "a", "1"])).ok();
        assert_eq!(run(&mut job(&served.url, "served", &["--get", "a"])).ok().stdout, "1\n");
        served.signal(signal);
        assert_eq!(
            served.wait(Duration::from_secs(10)),
            Some(0),
            "clean exit on signal {signal}"
        );
    }
}

#[test]
fn serve_keeps_data_across_restarts_with_a_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let mut first = Served::start(&["--data-dir", data]);
    store(&first.url, "kept", json!({"a": CANARY, "n": 5, "o": {"x": [true]}}));
    first.signal(libc::SIGTERM);
    assert_eq!(first.wait(Duration::from_secs(10)), Some(0));

    // A clean stop, then a crash: both keep what was acknowledged.
    let mut second = Served::start(&["--data-dir", data]);
    let r = run(&mut job(&second.url, "kept", &["-o", "json", "--list"])).ok();
    assert_eq!(r.json(), json!({"a": CANARY, "n": 5, "o": {"x": [true]}}));
    run(&mut job(&second.url, "kept", &["--set", "n", "6"])).ok();
    second.kill();

    let third = Served::start(&["--data-dir", data]);
    let r = run(&mut job(&third.url, "kept", &["-o", "json", "--list"])).ok();
    assert_eq!(r.json(), json!({"a": CANARY, "n": 6, "o": {"x": [true]}}));

    // Nothing on disk holds the value in clear.
    for entry in std::fs::read_dir(data).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(
            !bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()),
            "a secret in clear on disk"
        );
    }
}

#[test]
fn serve_with_an_api_token_file_requires_authentication() {
    let dir = tempfile::tempdir().unwrap();
    let token = write_file(dir.path(), "token", &format!("{API_TOKEN}\n"));
    let served = Served::start(&["--api-token-file", &token]);
    run(&mut job(&served.url, "authd", &["--list"])).code(4);
    let r = run(job(&served.url, "authd", &["--list"])
        .env("VDK_API_TOKEN", API_TOKEN)
        .env("VDK_API_TOKEN_AUTHORIZATION_URL", format!("{}/oauth/token", served.url)))
    .ok();
    assert_eq!(r.stdout, "");
}

#[test]
fn serve_refuses_what_it_cannot_do() {
    let r = run(bare().args(["serve", "--listen", "0.0.0.0:0"])).code(3);
    assert!(r.stderr.contains("non-loopback"), "{}", r.stderr);
    assert_eq!(r.stdout, "", "no announcement");
    run(bare().args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--api-token-file",
        "/nonexistent/token",
    ]))
    .code(3);
    run(bare().args(["serve", "--listen", "not-an-address"])).code(2);
    // The address is taken.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let r = run(bare().args(["serve", "--listen", &addr])).code(3);
    assert!(r.stderr.contains("what to do: "), "{}", r.stderr);
}

#[test]
fn serve_with_a_self_signed_certificate_speaks_https() {
    let dir = tempfile::tempdir().unwrap();
    let tls = dir.path().join("tls");
    let served = Served::start(&["--tls-self-signed", tls.to_str().unwrap()]);
    assert!(served.url.starts_with("https://localhost:"), "{}", served.url);
    let ca = tls.join("ca.pem");
    run(job(&served.url, "tls", &["--set", "a", "b"]).env("VDK_CONTROL_HTTP_CA_BUNDLE", &ca)).ok();
    let r = run(job(&served.url, "tls", &["--get", "a"]).env("VDK_CONTROL_HTTP_CA_BUNDLE", &ca)).ok();
    assert_eq!(r.stdout, "b\n");
    // Without the CA, the certificate is refused: a network error.
    run(&mut job(&served.url, "tls", &["--get", "a"])).code(8);
    // With verification off it works, and says so on stderr once, whatever the log settings.
    let r = run(job(&served.url, "tls", &["--get", "a"])
        .env("VDK_CONTROL_HTTP_VERIFY_SSL", "false")
        .env_remove("VDK_SECRETS_LOG"))
    .ok();
    assert_eq!(r.stdout, "b\n");
    assert_eq!(
        r.stderr
            .matches("control_http_verify_ssl is false: TLS certificates are not checked")
            .count(),
        1,
        "{}",
        r.stderr
    );
}
