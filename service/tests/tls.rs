//! HTTPS with generated test certificates.

mod common;

use common::*;
use vdk_control_service::{generate_test_certificates, ServiceConfig};

fn trusting(ca_pem: &std::path::Path) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(&std::fs::read(ca_pem).unwrap()).unwrap();
    reqwest::Client::builder()
        .no_proxy()
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca)
        .build()
        .unwrap()
}

#[tokio::test]
async fn serves_https_with_generated_certificates() {
    let dir = TempDir::new("tls");
    let (files, ca) = generate_test_certificates(dir.path()).unwrap();
    for name in ["ca.pem", "cert.pem", "key.pem"] {
        assert!(dir.path().join(name).is_file());
    }
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&files.key_pem).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let service = start_with(ServiceConfig {
        tls: Some(files),
        api_token: Some(API_TOKEN.into()),
        ..Default::default()
    })
    .await;
    let base = service.base_url();
    assert_eq!(base, format!("https://localhost:{}", service.addr().port()));
    assert!(service.token_url().starts_with("https://localhost:"));

    let client = trusting(&ca);
    let token = access_token(&client, &service.token_url()).await;
    let url = secrets_url(&base, "t", "j");
    assert_eq!(
        put_json(&client, &url, r#"{"tls":1}"#, Some(&token)).await.status(),
        202
    );
    assert_eq!(
        get(&client, &url, Some(&token)).await.text().await.unwrap(),
        r#"{"tls":1}"#
    );

    // The certificate is also valid for 127.0.0.1.
    let by_ip = secrets_url(&format!("https://127.0.0.1:{}", service.addr().port()), "t", "j");
    assert_eq!(get(&client, &by_ip, Some(&token)).await.status(), 200);

    // A client that does not trust the test CA refuses the server.
    let untrusting = reqwest::Client::builder().no_proxy().build().unwrap();
    assert!(untrusting.get(&url).send().await.is_err());
    // Plain HTTP on the TLS port gets no HTTP answer.
    let plain = raw_exchange(service.addr(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(plain.map_or(true, |bytes| !bytes.starts_with(b"HTTP/")));
    service.shutdown().await;
}

#[tokio::test]
async fn bad_tls_files_fail_the_start() {
    let dir = TempDir::new("badtls");
    let (mut files, _) = generate_test_certificates(dir.path()).unwrap();
    files.key_pem = dir.path().join("missing.pem");
    let result = vdk_control_service::start(ServiceConfig {
        tls: Some(files),
        ..Default::default()
    })
    .await;
    assert!(result.is_err());
}
