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
