//! Behind a real forward proxy (tinyproxy, on 127.0.0.1) and with the trust store chosen by
//! environment variables, as enterprise hosts run us. Its own test binary: these tests set
//! process-wide environment variables, so they take turns (`ENVIRONMENT`) and each starts from
//! a clean slate (machines here set SSL_CERT_FILE and friends).

mod common;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use common::*;
use serde_json::{json, Value};
use vdk_control_service::BackgroundService;
use vdk_secrets::{Config, SecretMap, SecretsClient, Status};

static ENVIRONMENT: Mutex<()> = Mutex::new(());

const VARIABLES: [&str; 11] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
];

/// Holds the environment lock with every proxy and trust variable unset.
fn clean_environment() -> std::sync::MutexGuard<'static, ()> {
    let guard = ENVIRONMENT.lock().unwrap_or_else(|p| p.into_inner());
    for name in VARIABLES {
        std::env::remove_var(name);
    }
    guard
}

fn set(name: &str, value: impl AsRef<std::ffi::OsStr>) {
    std::env::set_var(name, value);
}

const PROXY_USER: &str = "proxyuser";
const PROXY_PASSWORD: &str = "proxy-pass-8c1e";

struct TlsService {
    service: BackgroundService,
    ca: PathBuf,
    dir: PathBuf,
}

fn tls_service() -> TlsService {
    let dir = temp_dir("proxy-tls");
    let (files, ca) = vdk_control_service::generate_test_certificates(&dir).unwrap();
    let service = service_with(|c| {
        c.tls = Some(files);
        c.api_token = Some(API_TOKEN.to_string());
    });
    TlsService { service, ca, dir }
}

/// A client of `service` with the API token, fast retries and `extra` keys.
fn client_of(service: &BackgroundService, extra: Value) -> vdk_secrets::Result<SecretsClient> {
    let mut config = json!({
        "control_service_rest_api_url": service.base_url(),
        "api_token": API_TOKEN,
        "api_token_authorization_url": service.token_url(),
        "control_http_backoff_factor_seconds": 0.01,
        "control_http_connect_retries": 1,
        "control_http_deadline_seconds": 10,
    });
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        config[k] = v;
    }
    SecretsClient::new(Config::from_json(&config.to_string()).unwrap())
}

fn round_trip(client: &SecretsClient, job: &str) -> vdk_secrets::Result<()> {
    let map = SecretMap::from_json(format!(r#"{{"k":"{CANARY}"}}"#).as_bytes()).unwrap();
    client.write_secrets_blocking(job, "team", &map, None)?;
    assert_eq!(client.read_secrets_blocking(job, "team", None)?, map);
    Ok(())
}

fn port_of(service: &BackgroundService) -> u16 {
    service
        .base_url()
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .parse()
        .unwrap()
}

#[test]
fn https_goes_through_a_connect_tunnel_trusting_ssl_cert_file_alone() {
    let _env = clean_environment();
    let Some(proxy) = Tinyproxy::start("connect", Some((PROXY_USER, PROXY_PASSWORD))) else {
        return;
    };
    let tls = tls_service();
    set("HTTPS_PROXY", proxy.url(Some((PROXY_USER, PROXY_PASSWORD))));
    set("SSL_CERT_FILE", &tls.ca);
    round_trip(&client_of(&tls.service, json!({})).unwrap(), "via-connect").unwrap();
    let tunnel = format!("CONNECT localhost:{} HTTP/1.1", port_of(&tls.service));
    let seen = proxy.requests();
    assert!(seen.iter().any(|r| r == &tunnel), "{tunnel} in {seen:?}");
    assert!(
        seen.iter().all(|r| r.starts_with("CONNECT ")),
        "TLS stays end to end: {seen:?}"
    );

    // The lower-case spelling counts the same; NO_PROXY sends the host direct.
    std::env::remove_var("HTTPS_PROXY");
    set("https_proxy", proxy.url(Some((PROXY_USER, PROXY_PASSWORD))));
    round_trip(&client_of(&tls.service, json!({})).unwrap(), "lower-case").unwrap();
    let before = proxy.requests().len();
    assert!(before > seen.len(), "https_proxy was used");
    set("NO_PROXY", "example.invalid,localhost");
    round_trip(&client_of(&tls.service, json!({})).unwrap(), "no-proxy").unwrap();
    assert_eq!(proxy.requests().len(), before, "NO_PROXY: no request through the proxy");
    std::fs::remove_dir_all(&tls.dir).ok();
}

#[test]
fn plain_http_goes_to_the_proxy_in_absolute_form() {
    let _env = clean_environment();
    let Some(proxy) = Tinyproxy::start("absolute", Some((PROXY_USER, PROXY_PASSWORD))) else {
        return;
    };
    let service = authenticated_service();
    for variable in ["HTTP_PROXY", "ALL_PROXY"] {
        for name in VARIABLES {
            std::env::remove_var(name);
        }
        set(variable, proxy.url(Some((PROXY_USER, PROXY_PASSWORD))));
        let before = proxy.requests().len();
        round_trip(&client_of(&service, json!({})).unwrap(), "absolute").unwrap();
        let seen = proxy.requests();
        let expected = format!(
            "GET http://127.0.0.1:{}/data-jobs/for-team/team/jobs/absolute/deployments/TODO/secrets HTTP/1.1",
            port_of(&service)
        );
        assert!(seen[before..].contains(&expected), "{variable}: {expected} in {seen:?}");
        assert!(
            seen[before..].iter().any(|r| r.starts_with("POST http://127.0.0.1:")),
            "{variable}: the token endpoint goes through the proxy too: {seen:?}"
        );
    }
}

#[test]
fn control_http_proxy_overrides_the_environment() {
    let _env = clean_environment();
    let Some(proxy) = Tinyproxy::start("override", Some((PROXY_USER, PROXY_PASSWORD))) else {
        return;
    };
    let service = authenticated_service();
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    set("HTTP_PROXY", format!("http://127.0.0.1:{dead}"));
    round_trip(
        &client_of(&service, json!({"control_http_proxy": "none"})).unwrap(),
        "direct",
    )
    .unwrap();
    assert!(proxy.requests().is_empty());
    std::env::remove_var("HTTP_PROXY");
    let url = proxy.url(Some((PROXY_USER, PROXY_PASSWORD)));
    round_trip(
        &client_of(&service, json!({"control_http_proxy": url})).unwrap(),
        "configured",
    )
    .unwrap();
    assert!(!proxy.requests().is_empty(), "control_http_proxy was used");
    // A configured proxy still leaves NO_PROXY's hosts alone, as curl does.
    let before = proxy.requests().len();
    set("NO_PROXY", "127.0.0.1");
    round_trip(
        &client_of(&service, json!({"control_http_proxy": url})).unwrap(),
        "configured",
    )
    .unwrap();
    assert_eq!(proxy.requests().len(), before);
}

fn assert_names_the_proxy(e: &vdk_secrets::Error, proxy_port: u16) {
    assert_eq!(e.status(), Status::Network, "{e}");
    let texts = format!("{e} {e:?} {}", e.countermeasures());
    assert!(
        texts.contains(&format!("proxy http://127.0.0.1:{proxy_port}")),
        "{texts}"
    );
    for secret in [PROXY_PASSWORD, "wrong-pass-5d2a", CANARY, API_TOKEN] {
        assert!(!texts.contains(secret), "{secret} leaked: {texts}");
    }
}

#[test]
fn a_refusing_or_unreachable_proxy_is_a_network_error_that_names_it() {
    let _env = clean_environment();
    let Some(proxy) = Tinyproxy::start("refusing", Some((PROXY_USER, PROXY_PASSWORD))) else {
        return;
    };
    let tls = tls_service();
    set("SSL_CERT_FILE", &tls.ca);
    // Wrong credentials: tinyproxy answers the CONNECT with an error.
    let wrong = proxy.url(Some((PROXY_USER, "wrong-pass-5d2a")));
    let started = std::time::Instant::now();
    let e = round_trip(
        &client_of(&tls.service, json!({"control_http_proxy": wrong})).unwrap(),
        "refused",
    )
    .unwrap_err();
    assert_names_the_proxy(&e, proxy.port);
    assert!(!e.retryable(), "{e}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "not retried: {e}"
    );
    // Nobody listening where the proxy should be.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = round_trip(
        &client_of(
            &tls.service,
            json!({"control_http_proxy": format!("http://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{dead}")}),
        )
        .unwrap(),
        "unreachable",
    )
    .unwrap_err();
    assert_names_the_proxy(&e, dead);
    assert!(e.message().contains("cannot connect to the proxy"), "{e}");
    std::fs::remove_dir_all(&tls.dir).ok();
}

fn other_ca(dir: &Path) -> PathBuf {
    let other = dir.join("other");
    std::fs::create_dir_all(&other).unwrap();
    vdk_control_service::generate_test_certificates(&other).unwrap().1
}

#[test]
fn roots_come_from_ssl_cert_variables_then_requests_ca_bundle_then_the_system() {
    let _env = clean_environment();
    let tls = tls_service();
    let wrong_ca = other_ca(&tls.dir);
    let untrusted = |extra: Value| {
        let e = round_trip(&client_of(&tls.service, extra).unwrap(), "roots").unwrap_err();
        assert_eq!((e.status(), e.retryable()), (Status::Network, false), "{e}");
        assert!(e.message().contains("TLS"), "{e}");
    };
    // The system's store does not know the test CA.
    untrusted(json!({}));
    // ... unless control_http_ca_bundle adds it.
    round_trip(
        &client_of(&tls.service, json!({"control_http_ca_bundle": tls.ca})).unwrap(),
        "roots",
    )
    .unwrap();

    set("REQUESTS_CA_BUNDLE", &tls.ca);
    round_trip(&client_of(&tls.service, json!({})).unwrap(), "roots").unwrap();

    // SSL_CERT_FILE comes first: naming another CA hides REQUESTS_CA_BUNDLE's.
    set("SSL_CERT_FILE", &wrong_ca);
    untrusted(json!({}));
    round_trip(
        &client_of(&tls.service, json!({"control_http_ca_bundle": tls.ca})).unwrap(),
        "roots",
    )
    .unwrap();
    set("SSL_CERT_FILE", &tls.ca);
    round_trip(&client_of(&tls.service, json!({})).unwrap(), "roots").unwrap();

    // SSL_CERT_DIR alone: a folder of PEM files.
    std::env::remove_var("SSL_CERT_FILE");
    std::env::remove_var("REQUESTS_CA_BUNDLE");
    let folder = tls.dir.join("roots");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(&tls.ca, folder.join("test-ca.pem")).unwrap();
    set("SSL_CERT_DIR", &folder);
    round_trip(&client_of(&tls.service, json!({})).unwrap(), "roots").unwrap();

    // A variable naming nothing usable is a configuration error when the client is built.
    std::env::remove_var("SSL_CERT_DIR");
    set("SSL_CERT_FILE", tls.dir.join("missing.pem"));
    let e = client_of(&tls.service, json!({})).unwrap_err();
    assert_eq!(e.status(), Status::Configuration, "{e}");
    assert!(e.message().contains("SSL_CERT_FILE"), "{e}");
    // Plain-HTTP clients load no roots, so they do not care.
    let plain = authenticated_service();
    round_trip(&client_of(&plain, json!({})).unwrap(), "roots").unwrap();
    std::fs::remove_dir_all(&tls.dir).ok();
}
