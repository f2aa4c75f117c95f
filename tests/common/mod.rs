//! Shared by the integration tests: a real local Control Service on 127.0.0.1 and clients
//! configured for fast retries.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::{json, Value};
use vdk_control_service::{start_in_background, BackgroundService, ServiceConfig};
use vdk_secrets::{Config, SecretsClient};

pub const API_TOKEN: &str = "test-refresh-token-b2f9e0";
/// A value that must never appear in an error text, a log line or a Debug print.
pub const CANARY: &str = "sk-canary-7f3a9c1d";

pub fn service_with(configure: impl FnOnce(&mut ServiceConfig)) -> BackgroundService {
    let mut config = ServiceConfig {
        enable_faults: true,
        ..ServiceConfig::default()
    };
    configure(&mut config);
    start_in_background(config).expect("the local Control Service starts")
}

pub fn authenticated_service() -> BackgroundService {
    service_with(|c| c.api_token = Some(API_TOKEN.to_string()))
}

/// Fast retries and short timeouts, so fault tests end within seconds.
pub fn fast_config(service: &BackgroundService, extra: Value) -> Config {
    let mut config = json!({
        "control_service_rest_api_url": service.base_url(),
        "api_token": API_TOKEN,
        "api_token_authorization_url": service.token_url(),
        "control_http_backoff_factor_seconds": 0.02,
        "control_http_read_timeout_seconds": 5,
        "control_http_deadline_seconds": 20,
    });
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        config[k] = v;
    }
    Config::from_json(&config.to_string()).expect("valid test configuration")
}

pub fn client(service: &BackgroundService, extra: Value) -> SecretsClient {
    SecretsClient::new(fast_config(service, extra)).expect("client")
}

pub fn temp_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vdk-secrets-{label}-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64
}

/// tinyproxy (Debian's `tinyproxy-bin`, installed by `.ci/run`), started on 127.0.0.1 with an
/// optional Basic user and password: a real forward proxy that tunnels CONNECT and forwards
/// absolute-form requests, and logs each request line.
pub struct Tinyproxy {
    child: std::process::Child,
    pub port: u16,
    log: PathBuf,
}

impl Tinyproxy {
    /// `None` only outside CI when tinyproxy is not installed (the caller then skips loudly);
    /// in CI (`CI` set) a missing tinyproxy fails the test.
    pub fn start(label: &str, basic_auth: Option<(&str, &str)>) -> Option<Tinyproxy> {
        let installed = std::process::Command::new("tinyproxy").arg("-v").output().is_ok();
        if !installed {
            assert!(
                std::env::var_os("CI").is_none(),
                "tinyproxy is not installed (apt-get install tinyproxy-bin; .ci/run does it)"
            );
            eprintln!("SKIPPED: tinyproxy is not installed (apt-get install tinyproxy-bin)");
            return None;
        }
        let dir = temp_dir(&format!("tinyproxy-{label}"));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.join("tinyproxy.log");
        let mut conf = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 30\nLogFile \"{}\"\nLogLevel Info\nMaxClients 64\nDisableViaHeader Yes\n",
            log.display()
        );
        if let Some((user, password)) = basic_auth {
            conf.push_str(&format!("BasicAuth {user} {password}\n"));
        }
        std::fs::write(dir.join("tinyproxy.conf"), conf).unwrap();
        let mut child = std::process::Command::new("tinyproxy")
            .arg("-d")
            .arg("-c")
            .arg(dir.join("tinyproxy.conf"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("tinyproxy starts");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(Tinyproxy { child, port, log });
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("tinyproxy did not listen on port {port}");
    }

    /// `http://[user:password@]127.0.0.1:PORT`.
    pub fn url(&self, credentials: Option<(&str, &str)>) -> String {
        match credentials {
            Some((user, password)) => format!("http://{user}:{password}@127.0.0.1:{}", self.port),
            None => format!("http://127.0.0.1:{}", self.port),
        }
    }

    /// The request lines tinyproxy has logged so far ("CONNECT localhost:1234 HTTP/1.1", ...).
    pub fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| {
                line.split("): ")
                    .nth(1)
                    .filter(|_| line.contains("Request (file descriptor"))
            })
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
