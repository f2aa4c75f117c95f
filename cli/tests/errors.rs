//! Exit codes of failures, and secrets kept off stderr, with the real binary and service.

mod common;

use common::*;
use serde_json::json;

#[test]
fn authentication_with_the_api_token_from_env_or_file() {
    let service = service_with(|c| c.api_token = Some(API_TOKEN.to_string()));
    let url = service.base_url();
    let dir = tempfile::tempdir().unwrap();
    let with_token = |token: &str| {
        let mut cmd = job(&url, "auth", &[]);
        cmd.env("VDK_API_TOKEN", token)
            .env("VDK_API_TOKEN_AUTHORIZATION_URL", service.token_url());
        cmd
    };
    run(with_token(API_TOKEN).args(["--set", "a", "b"])).ok();

    // A wrong token: the token endpoint refuses it.
    let wrong = "wrong-refresh-token-5e8a";
    let r = run(with_token(wrong).args(["--get", "a"])).code(4);
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    assert!(r.stderr.contains("what to do: "), "{}", r.stderr);
    assert!(!r.stderr.contains(wrong), "the token is never printed: {}", r.stderr);

    // No token at all: the service answers 401.
    let r = run(job(&url, "auth", &["--get", "a"])).code(4);
    assert!(r.stderr.contains("401"), "{}", r.stderr);

    // From a file (with its trailing newline), and the file wins over the environment.
    let file = write_file(dir.path(), "token", &format!("{API_TOKEN}\n"));
    let r = run(with_token(wrong).args(["--api-token-file", &file, "--get", "a"])).ok();
    assert_eq!(r.stdout, "b\n");
    let bad_file = write_file(dir.path(), "bad-token", &format!("{wrong}\n"));
    let r = run(with_token(API_TOKEN).args(["--api-token-file", &bad_file, "--get", "a"])).code(4);
    assert!(!r.stderr.contains(wrong), "{}", r.stderr);
    let empty = write_file(dir.path(), "empty", "\n");
    run(with_token(API_TOKEN).args(["--api-token-file", &empty, "--get", "a"])).code(3);

    // A token without the token endpoint is a configuration error.
    let r = run(job(&url, "auth", &["--get", "a"]).env("VDK_API_TOKEN", API_TOKEN)).code(3);
    assert!(r.stderr.contains("api_token_authorization_url"), "{}", r.stderr);
}

#[test]
fn not_found_is_exit_5() {
    let service = service();
    let url = service.base_url();
    let r = run(&mut job(&url, "fault-status-404", &["--list"])).code(5);
    assert!(r.stderr.contains("404"), "{}", r.stderr);
    assert!(r.stderr.contains("what to do: "), "{}", r.stderr);
    run(&mut job(&url, "fault-status-404-set", &["--set", "a", "b"])).code(5);
}

#[test]
fn other_client_errors_are_exit_6() {
    let service = service();
    let url = service.base_url();
    run(&mut job(&url, "fault-status-409", &["--list"])).code(6);
}

#[test]
fn service_errors_are_exit_7_after_retries() {
    let service = service();
    let url = service.base_url();
    let before = service.stats().secrets_gets;
    let r = run(&mut job(&url, "fault-status-503", &["--set", "a", CANARY])).code(7);
    assert!(r.stderr.contains("503"), "{}", r.stderr);
    assert!(!r.stderr.contains(CANARY), "{}", r.stderr);
    assert_eq!(
        service.stats().secrets_gets - before,
        2,
        "VDK_CONTROL_HTTP_TOTAL_RETRIES=1: one try and one retry"
    );
    run(&mut job(&url, "fault-status-500", &["--list"])).code(7);
}

#[test]
fn protocol_errors_are_exit_9() {
    let service = service();
    let url = service.base_url();
    run(&mut job(&url, "fault-malformed", &["--list"])).code(9);
    run(&mut job(&url, "fault-notobject", &["--get", "a"])).code(9);
}

#[test]
fn network_errors_are_exit_8() {
    let url = closed_port_url();
    let r = run(&mut job(&url, "refused", &["--list"])).code(8);
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    assert!(r.stderr.contains("what to do: "), "{}", r.stderr);
    run(&mut job(&url, "refused", &["--set", "a", "b"])).code(8);
}

#[test]
fn configuration_errors_are_exit_3() {
    // No URL anywhere.
    let r = run(bare().args(["-n", "j", "-t", "t", "--list"])).code(3);
    assert!(r.stderr.contains("control_service_rest_api_url"), "{}", r.stderr);
    // -u alone is enough.
    let service = service();
    run(bare().args(["-n", "j", "-t", "t", "-u", &service.base_url(), "--list"])).ok();
    // -u wins over the environment.
    run(vdk(&closed_port_url()).args(["-n", "j", "-t", "t", "-u", &service.base_url(), "--list"])).ok();
    // An ill-typed VDK_* value names the key, not the value.
    let r = run(vdk(&service.base_url())
        .args(["-n", "j", "-t", "t", "--list"])
        .env("VDK_CONTROL_HTTP_TOTAL_RETRIES", "many-sk-leak"))
    .code(3);
    assert!(r.stderr.contains("control_http_total_retries"), "{}", r.stderr);
    assert!(!r.stderr.contains("sk-leak"), "{}", r.stderr);
}

#[test]
fn secret_values_never_reach_stderr_even_with_trace_logging() {
    let service = service_with(|c| {
        c.api_token = Some(API_TOKEN.to_string());
        c.enable_faults = true;
    });
    let url = service.base_url();
    let dir = tempfile::tempdir().unwrap();
    let traced = |job_name: &str| {
        let mut cmd = job(&url, job_name, &[]);
        cmd.env("VDK_SECRETS_LOG", "trace")
            .env("VDK_API_TOKEN", API_TOKEN)
            .env("VDK_API_TOKEN_AUTHORIZATION_URL", service.token_url());
        cmd
    };
    let file = write_file(dir.path(), "s.json", &json!({"file-secret": CANARY}).to_string());
    let mut stderr = String::new();
    let mut runs = vec![
        run(traced("leak").args(["--set", "api-key", CANARY])).ok(),
        run(traced("leak").args(["--set", "api-key", CANARY, "--set", "other", "x"])).ok(),
        run(traced("leak").args(["--get", "api-key"])).ok(),
        run(traced("leak").args(["--list", "--reveal"])).ok(),
        run(traced("leak").args(["-o", "json", "--list"])).ok(),
        run(traced("leak").args(["--overwrite-all-job-secrets", &file])).ok(),
        run_with_stdin(
            traced("leak").args(["--set-prompt", "p"]),
            Some(format!("{CANARY}\n").as_bytes()),
        )
        .ok(),
        run(traced("leak").args(["--get", "missing"])).code(5),
        run(traced("fault-status-503-leak").args(["--set", "api-key", CANARY])).code(7),
        run(traced("fault-status-400-leak").args(["--set", "api-key", CANARY])).code(6),
        run(traced("fault-messages-500-leak").args(["--set", "api-key", CANARY])).code(7),
    ];
    let refused = closed_port_url();
    runs.push(
        run(traced("leak")
            .args(["-u", &refused, "--set", "api-key", CANARY])
            .env("VDK_API_TOKEN_AUTHORIZATION_URL", format!("{refused}/oauth/token")))
        .code(8),
    );
    for r in &runs {
        stderr.push_str(&r.stderr);
    }
    assert!(
        stderr.contains("vdk-secrets DEBUG") || stderr.contains("vdk-secrets TRACE"),
        "trace logging is on: {stderr}"
    );
    assert!(!stderr.contains(CANARY), "a secret value reached stderr:\n{stderr}");
    assert!(!stderr.contains(API_TOKEN), "the API token reached stderr:\n{stderr}");
    // The stored value is intact, so the runs above really carried it.
    assert_eq!(stored_with_token(&service), json!(CANARY));
}

fn stored_with_token(service: &vdk_control_service::BackgroundService) -> serde_json::Value {
    let config = vdk_secrets::Config::from_json(
        &json!({
            "control_service_rest_api_url": service.base_url(),
            "api_token": API_TOKEN,
            "api_token_authorization_url": service.token_url(),
        })
        .to_string(),
    )
    .unwrap();
    let client = vdk_secrets::SecretsClient::new(config).unwrap();
    let map = client.read_secrets_blocking("leak", "team", None).unwrap();
    map.get("p").cloned().unwrap()
}
