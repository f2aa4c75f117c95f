//! A known secret value and the tokens must appear in no log line, error text or Debug output,
//! across success and every failure path. One test in its own binary: the logger is global.

mod common;

use std::sync::Mutex;

use common::*;
use serde_json::json;
use vdk_secrets::{Config, SecretMap, SecretsClient};

static RECORDS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        RECORDS
            .lock()
            .unwrap()
            .push(format!("{} {} {}", record.level(), record.target(), record.args()));
    }
    fn flush(&self) {}
}

#[test]
fn secrets_and_tokens_never_leak() {
    log::set_logger(&Capture).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let service = service_with(|c| {
        c.api_token = Some(API_TOKEN.to_string());
        c.token_lifetime_secs = 1;
    });
    let client = client(
        &service,
        json!({"control_http_total_retries": 2, "control_http_read_timeout_seconds": 0.3, "control_http_read_retries": 1}),
    );
    let secrets = SecretMap::from_json(
        json!({"api-key": CANARY, "nested": {"k": [CANARY]}})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    let mut texts: Vec<String> = vec![
        format!("{secrets:?}"),
        format!("{client:?}"),
        format!("{:?}", client.config()),
    ];

    let jobs = [
        "ok-job",
        "fault-status-400",
        "fault-status-401",
        "fault-status-403",
        "fault-status-404",
        "fault-status-413",
        "fault-status-500",
        "fault-status-501",
        "fault-messages-400",
        "fault-plain-502",
        "fault-flaky-1-503-x",
        "fault-retryafter-1-0-x",
        "fault-slow-2000",
        "fault-drop",
        "fault-flakydrop-1-x",
        "fault-malformed",
        "fault-notobject",
        "fault-hugelen-9000000",
        "fault-huge-9000000",
        "fault-revoke-x",
    ];
    for job in jobs {
        match client.write_secrets_blocking(job, "team", &secrets, None) {
            Ok(()) => {}
            Err(e) => texts.push(every_text_of(&e)),
        }
        match client.read_secrets_blocking(job, "team", None) {
            Ok(read) => texts.push(format!("{read:?}")),
            Err(e) => texts.push(every_text_of(&e)),
        }
    }
    // A server that echoes what it received in its error body must not make us repeat it.
    std::thread::sleep(std::time::Duration::from_millis(600));
    client.read_secrets_blocking("ok-job", "team", None).unwrap();

    // Bad configuration that carries the secret in the wrong place.
    for config in [
        json!({"api_tokn": CANARY}),
        json!({"api_token": [CANARY]}),
        json!({"control_service_rest_api_url": CANARY}),
        json!({"control_http_total_retries": CANARY}),
    ] {
        let e = Config::from_json(&config.to_string())
            .and_then(SecretsClient::new)
            .unwrap_err();
        texts.push(format!("{e} {e:?} {}", e.countermeasures()));
    }
    let mut wrong = fast_config(&service, json!({}));
    wrong.api_token = Some(vdk_secrets::SecretString::new(CANARY.into()));
    texts.push(format!("{wrong:?}"));
    let e = SecretsClient::new(wrong)
        .unwrap()
        .read_secrets_blocking("j", "t", None)
        .unwrap_err();
    texts.push(format!("{e} {e:?}"));

    let records = RECORDS.lock().unwrap().clone();
    assert!(
        records.iter().any(|r| r.contains("retrying")),
        "retries were logged: {records:?}"
    );
    for text in texts.iter().chain(records.iter()) {
        for needle in [CANARY, API_TOKEN] {
            assert!(!text.contains(needle), "leak of {needle} in: {text}");
        }
    }
    // Access tokens are 32 hex digits issued by the service: none may show either.
    for text in texts.iter().chain(records.iter()) {
        assert!(!text.contains("Bearer "), "authorization header in: {text}");
    }
}

/// Display, Debug and every accessor of an error: all the places a secret could surface.
fn every_text_of(e: &vdk_secrets::Error) -> String {
    format!(
        "{e} {e:?} {} {} {} {}",
        e.what(),
        e.why(),
        e.consequences(),
        e.countermeasures()
    )
}
