//! The `vdk-control-service` executable: announcement line, requests, signals, flags.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_vdk-control-service");

struct Running {
    child: Child,
    base_url: String,
    stdout: BufReader<std::process::ChildStdout>,
}

fn spawn(command: &mut Command) -> Running {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let base_url = line
        .strip_suffix('\n')
        .and_then(|l| l.strip_prefix("listening on "))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    Running {
        child,
        base_url,
        stdout,
    }
}

fn signal(child: &Child, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill has no memory-safety preconditions; the pid is our own child.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
}

fn wait_with_deadline(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the service did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Running {
    /// Stops with `sig` and returns the exit status and everything printed after the first line.
    fn stop(mut self, sig: libc::c_int) -> (ExitStatus, String, String) {
        signal(&self.child, sig);
        let status = wait_with_deadline(&mut self.child, Duration::from_secs(15));
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).unwrap();
        let mut stderr = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        (status, rest, stderr)
    }
}

#[tokio::test]
async fn serves_with_a_token_from_the_environment_and_stops_on_sigterm() {
    let dir = TempDir::new("bin");
    let running = spawn(
        Command::new(BIN)
            .args([
                "--data-dir",
                dir.path().to_str().unwrap(),
                "--token-lifetime-secs",
                "60",
            ])
            .env("VDK_API_TOKEN", API_TOKEN),
    );
    assert!(running.base_url.starts_with("http://127.0.0.1:"));
    let client = client();
    let response = client
        .post(format!("{}/oauth/token", running.base_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("grant_type=refresh_token&refresh_token={API_TOKEN}"))
        .send()
        .await
        .unwrap();
    let body = json(response).await;
    assert_eq!(body["expires_in"], 60);
    let token = body["access_token"].as_str().unwrap().to_owned();
    let url = secrets_url(&running.base_url, "t", "j");
    assert_eq!(get(&client, &url, None).await.status(), 401);
    let secret = r#"{"db":"s3cr3t-value"}"#;
    assert_eq!(put_json(&client, &url, secret, Some(&token)).await.status(), 202);
    assert_eq!(get(&client, &url, Some(&token)).await.text().await.unwrap(), secret);

    let (status, stdout, stderr) = running.stop(libc::SIGTERM);
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
    assert_eq!(stdout, "", "exactly one line on stdout");
    for leaked in ["s3cr3t-value", API_TOKEN, token.as_str()] {
        assert!(!stderr.contains(leaked));
    }
    assert!(dir.path().join("store.key").is_file());
}

#[tokio::test]
async fn token_file_faults_and_sigint() {
    let dir = TempDir::new("bin-file");
    std::fs::create_dir_all(dir.path()).unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{API_TOKEN}\n")).unwrap();
    let running = spawn(Command::new(BIN).args([
        "--listen",
        "127.0.0.1:0",
        "--api-token-file",
        token_file.to_str().unwrap(),
        "--enable-faults",
        "--max-secrets-bytes",
        "50",
    ]));
    let client = client();
    let token = access_token(&client, &format!("{}/oauth/token", running.base_url)).await;
    let big = format!(r#"{{"k":"{}"}}"#, "v".repeat(50));
    let url = secrets_url(&running.base_url, "t", "j");
    assert_eq!(put_json(&client, &url, &big, Some(&token)).await.status(), 413);
    let fault = secrets_url(&running.base_url, "t", "fault-status-502");
    assert_eq!(get(&client, &fault, Some(&token)).await.status(), 502);
    let stats = json(
        client
            .get(format!("{}/__admin/stats", running.base_url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(stats["token_exchanges"], 1);

    let (status, _, stderr) = running.stop(libc::SIGINT);
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
}

#[tokio::test]
async fn self_signed_tls() {
    let dir = TempDir::new("bin-tls");
    let running = spawn(Command::new(BIN).args(["--tls-self-signed", dir.path().to_str().unwrap()]));
    assert!(running.base_url.starts_with("https://localhost:"));
    let ca = reqwest::Certificate::from_pem(&std::fs::read(dir.path().join("ca.pem")).unwrap()).unwrap();
    let client = reqwest::Client::builder()
        .no_proxy()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca)
        .build()
        .unwrap();
    let url = secrets_url(&running.base_url, "t", "j");
    assert_eq!(get(&client, &url, None).await.text().await.unwrap(), "{}");
    let (status, _, _) = running.stop(libc::SIGTERM);
    assert_eq!(status.code(), Some(0));
}

#[test]
fn refuses_non_loopback_addresses_and_bad_flags() {
    let output = Command::new(BIN).args(["--listen", "0.0.0.0:0"]).output().unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--allow-non-loopback"));

    let output = Command::new(BIN).args(["--tls-cert", "x.pem"]).output().unwrap();
    assert!(!output.status.success(), "--tls-cert needs --tls-key");

    let dir = TempDir::new("bin-empty-token");
    std::fs::create_dir_all(dir.path()).unwrap();
    let empty = dir.path().join("token");
    std::fs::write(&empty, "\n").unwrap();
    let output = Command::new(BIN)
        .args(["--api-token-file", empty.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("empty"));
}
