//! Shared by the CLI tests: the real `vdk-secrets` binary run as a process against a real
//! local Control Service, and an independent look at what the service stores.
#![allow(dead_code)]

use std::borrow::BorrowMut;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use vdk_control_service::{start_in_background, BackgroundService, ServiceConfig};
use vdk_secrets::{Config, SecretMap, SecretsClient};

pub const BIN: &str = env!("CARGO_BIN_EXE_vdk-secrets");
pub const API_TOKEN: &str = "cli-test-refresh-token-4d1c";
/// A value that must never appear on stderr.
pub const CANARY: &str = "sk-canary-cli-93be71f0";

/// A local service with fault injection enabled.
pub fn service() -> BackgroundService {
    service_with(|_| {})
}

pub fn service_with(configure: impl FnOnce(&mut ServiceConfig)) -> BackgroundService {
    let mut config = ServiceConfig {
        enable_faults: true,
        ..ServiceConfig::default()
    };
    configure(&mut config);
    start_in_background(config).expect("the local Control Service starts")
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}; stderr: {}", self.stdout, self.stderr))
    }

    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "expected success; stderr: {}", self.stderr);
        self
    }

    #[track_caller]
    pub fn code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}; stdout: {}; stderr: {}",
            self.stdout, self.stderr
        );
        self
    }
}

/// The binary with a clean environment: no VDK_* variable of the test's own environment, the
/// service's URL, and fast retries.
pub fn vdk(url: &str) -> Command {
    let mut cmd = bare();
    cmd.env("VDK_CONTROL_SERVICE_REST_API_URL", url)
        .env("VDK_CONTROL_HTTP_BACKOFF_FACTOR_SECONDS", "0.01")
        .env("VDK_CONTROL_HTTP_TOTAL_RETRIES", "1")
        .env("VDK_CONTROL_HTTP_DEADLINE_SECONDS", "20");
    cmd
}

/// The binary with no VDK_* variable at all.
pub fn bare() -> Command {
    let mut cmd = Command::new(BIN);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().to_ascii_uppercase().starts_with("VDK_") {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// `vdk(url)` with the job and team flags first.
pub fn job(url: &str, job: &str, args: &[&str]) -> Command {
    let mut cmd = vdk(url);
    cmd.args(["-n", job, "-t", "team"]).args(args);
    cmd
}

/// Runs the command (given as `Command` or `&mut Command`) to its end.
pub fn run(cmd: impl BorrowMut<Command>) -> Run {
    run_with_stdin(cmd, None)
}

pub fn run_with_stdin(mut cmd: impl BorrowMut<Command>, stdin: Option<&[u8]>) -> Run {
    let cmd = cmd.borrow_mut();
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the binary starts");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        // The binary may refuse before reading: a closed pipe is fine then.
        let _ = pipe.write_all(input);
    }
    let output = child.wait_with_output().expect("the binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// A client of the library (not the binary), to look at and prepare the stored maps.
pub fn library_client(url: &str) -> SecretsClient {
    let config = Config::from_json(
        &json!({
            "control_service_rest_api_url": url,
            "control_http_backoff_factor_seconds": 0.01,
            "control_http_deadline_seconds": 20,
        })
        .to_string(),
    )
    .unwrap();
    SecretsClient::new(config).unwrap()
}

pub fn stored(url: &str, job: &str) -> Value {
    let map = library_client(url).read_secrets_blocking(job, "team", None).unwrap();
    Value::Object(map.as_map().clone())
}

pub fn store(url: &str, job: &str, value: Value) {
    let map = SecretMap::from_json(value.to_string().as_bytes()).unwrap();
    library_client(url)
        .write_secrets_blocking(job, "team", &map, None)
        .unwrap();
}

/// A port on 127.0.0.1 where nothing listens (it was free a moment ago).
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// `vdk-secrets serve` as a child process.
pub struct Served {
    pub child: Child,
    pub url: String,
    /// Kept open so that the server never writes to a closed pipe.
    _stdout: BufReader<ChildStdout>,
}

impl Served {
    /// Starts `vdk-secrets serve --listen 127.0.0.1:0 <extra>` and waits for its line.
    pub fn start(extra: &[&str]) -> Served {
        let mut cmd = bare();
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn().expect("vdk-secrets serve starts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).expect("reads the announcement");
        let Some(url) = line.trim_end().strip_prefix("listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("unexpected first line of serve: {line:?}");
        };
        Served {
            url: url.to_string(),
            child,
            _stdout: stdout,
        }
    }

    pub fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) on our own child's pid.
        let rc = unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
        assert_eq!(rc, 0, "kill({signal}) failed");
    }

    /// Waits for the exit, at most `limit`; returns the exit code (`None`: killed by a signal).
    pub fn wait(&mut self, limit: Duration) -> Option<i32> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(started.elapsed() < limit, "serve did not exit within {limit:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGKILL, then reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
    }
}

pub fn write_file(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.to_string_lossy().into_owned()
}

/// A pseudo-terminal: (master side, slave side).
pub fn pty() -> (std::fs::File, std::os::fd::OwnedFd) {
    use std::os::fd::{FromRawFd, OwnedFd};
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty fills two descriptors; the other arguments may be NULL.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned here.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    (std::fs::File::from(master), slave)
}
