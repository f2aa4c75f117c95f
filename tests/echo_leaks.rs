//! A server that echoes everything it receives, in every form servers echo (raw, JSON-escaped,
//! `\uXXXX`, percent- and form-encoded, wrapped over lines, cut short), in every error path of
//! the token exchange, the secrets calls and the job layer: no secret value, API token or
//! access token may reach an error text or a log line. One test in its own binary: the logger
//! is global.

use std::sync::Mutex;

use serde_json::{json, Value};
use vdk_control_service::echo::{start_echo_server, ECHO_ACCESS_TOKEN, ECHO_STORED_VALUE};
use vdk_secrets::job::JobSecrets;
use vdk_secrets::{Config, Error, SecretMap, SecretsClient};

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
            .push(format!("{} {}", record.level(), record.args()));
    }
    fn flush(&self) {}
}

/// An API token that form encoding changes: `+`, `/`, `=`, a space, a non-ASCII letter.
const API_TOKEN: &str = "rt+echo/7Qz= ünïcode-9b1f";
const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nq83JxYz0/Pq+7wT1Ld2mUoXn4ReRr6cXzQ==\n-----END PRIVATE KEY-----\n";
const CANARY: &str = "sk-canary-7f3a9c1d";
const TRICKY: &str = "pass \"phrase\" \\ with\ttab and\u{85}nel ü € 😀";

fn config(base: &str, token_path: &str) -> Config {
    Config::from_json(
        &json!({
            "control_service_rest_api_url": base,
            "api_token": API_TOKEN,
            "api_token_authorization_url": format!("{base}{token_path}"),
            "control_http_total_retries": 2,
            "control_http_backoff_factor_seconds": 0.01,
            "control_http_read_timeout_seconds": 5,
            "control_http_deadline_seconds": 20,
        })
        .to_string(),
    )
    .unwrap()
}

#[test]
fn an_echoing_server_makes_us_repeat_no_secret() {
    log::set_logger(&Capture).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let echo = start_echo_server().unwrap();
    let base = echo.base_url();
    let secrets = SecretMap::from_json(
        json!({"pem": PEM, "canary": CANARY, "tricky": TRICKY, "nested": {"k": [CANARY]}})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    let mut errors: Vec<Error> = Vec::new();

    // Every error path of the token exchange, several times so every echo form comes round.
    for code in [400, 401, 404, 500, 503] {
        for _ in 0..3 {
            let client = SecretsClient::new(config(&base, &format!("/token/status-{code}"))).unwrap();
            errors.push(client.read_secrets_blocking("job", "team", None).unwrap_err());
            errors.push(
                client
                    .write_secrets_blocking("job", "team", &secrets, None)
                    .unwrap_err(),
            );
        }
    }
    // Every error path of the secrets calls.
    let client = SecretsClient::new(config(&base, "/token/ok")).unwrap();
    for code in [302, 400, 401, 403, 404, 409, 413, 500, 501, 503] {
        for round in 0..8 {
            let job = format!("status-{code}-{round}");
            errors.push(client.read_secrets_blocking(&job, "team", None).unwrap_err());
            errors.push(client.write_secrets_blocking(&job, "team", &secrets, None).unwrap_err());
        }
    }
    // The job layer: values it has cached come back quoted by the server.
    for code in [400, 404, 500] {
        for round in 0..8 {
            let handle =
                JobSecrets::new(&format!("okthen-{code}-{round}"), "team", &config(&base, "/token/ok")).unwrap();
            let cached = handle.get("cached", None).unwrap();
            assert_eq!(cached, Some(Value::String(ECHO_STORED_VALUE.into())));
            errors.push(handle.refresh(None).unwrap_err());
            let handle = JobSecrets::new(
                &format!("okthen-{code}-set-{round}"),
                "team",
                &config(&base, "/token/ok"),
            )
            .unwrap();
            handle.get_all(None).unwrap();
            errors.push(handle.set("other", json!(CANARY), None).unwrap_err());
        }
    }

    let mut texts: Vec<String> = errors.iter().map(every_text_of).collect();
    let records = RECORDS.lock().unwrap().clone();
    assert!(
        records.iter().any(|r| r.contains("retrying")),
        "retries were logged: {records:?}"
    );
    texts.extend(records);
    assert!(
        texts.iter().any(|t| t.contains("the service says")),
        "the server's texts are quoted at all"
    );
    for text in &texts {
        for secret in [PEM, CANARY, TRICKY, API_TOKEN, ECHO_ACCESS_TOKEN, ECHO_STORED_VALUE] {
            if let Some(piece) = leaked_piece(text, secret) {
                panic!("{piece:?} of a secret leaked in: {text}");
            }
        }
    }
    let token_404 = &errors[6 * 2];
    assert!(
        token_404.why().contains("token endpoint"),
        "a 404 of the token endpoint says so: {}",
        token_404.why()
    );
}

/// Display, Debug and every accessor of an error.
fn every_text_of(e: &Error) -> String {
    format!(
        "{e} {e:?} {} {} {} {}",
        e.what(),
        e.why(),
        e.consequences(),
        e.countermeasures()
    )
}

/// A stretch of `secret` (12 characters, control characters read as the spaces our cleaning
/// makes of them) found in `text` in any form the echo server uses.
fn leaked_piece(text: &str, secret: &str) -> Option<String> {
    let chars: Vec<char> = secret.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let raw_chars: Vec<char> = secret.chars().collect();
    for i in 0..chars.len().saturating_sub(12) {
        let window: String = chars[i..i + 12].iter().collect();
        let raw_window: String = raw_chars[i..i + 12].iter().collect();
        for form in ["raw", "json", "percent", "form"] {
            let needle = if form == "raw" {
                window.clone()
            } else {
                vdk_control_service::echo::quote(&raw_window, form)
            };
            if text.contains(&needle) {
                return Some(needle);
            }
        }
        // Encoded twice: a form body or a JSON body quoted in a URL or a JSON message.
        for (outer, inner) in [
            ("percent", "percent"),
            ("json", "json"),
            ("percent", "json"),
            ("json", "percent"),
        ] {
            use vdk_control_service::echo::quote;
            let needle = quote(&quote(&raw_window, inner), outer);
            if text.contains(&needle) {
                return Some(needle);
            }
        }
        // 12 characters are 72 in \u form: long enough to be only the secret.
        let unicode = vdk_control_service::echo::quote(&raw_window, "unicode");
        if text.contains(&unicode) {
            return Some(unicode);
        }
    }
    // Each line of a multi-line value on its own.
    secret
        .lines()
        .filter(|line| line.chars().count() >= 12)
        .find(|line| text.contains(line))
        .map(str::to_string)
}
