//! The secrets endpoints without authentication: reads, writes, limits, routing, encoding.

mod common;

use common::*;
use vdk_control_service::{start_in_background, ServiceConfig};

#[tokio::test]
async fn round_trip_and_put_replaces_the_map() {
    let service = start_default().await;
    let client = client();
    let url = secrets_url(&service.base_url(), "team", "job");

    let empty = get(&client, &url, None).await;
    assert_eq!(empty.status(), 200);
    assert_eq!(empty.headers()["content-type"], "application/json");
    assert_eq!(empty.text().await.unwrap(), "{}");

    let put = put_json(&client, &url, r#"{"user": "admin", "port": 5432}"#, None).await;
    assert_eq!(put.status(), 202);
    assert_eq!(put.text().await.unwrap(), "");
    let body = json(get(&client, &url, None).await).await;
    assert_eq!(body, serde_json::json!({"user": "admin", "port": 5432}));

    // The whole map is replaced, not merged.
    assert_eq!(put_json(&client, &url, r#"{"other": null}"#, None).await.status(), 202);
    let body = json(get(&client, &url, None).await).await;
    assert_eq!(body, serde_json::json!({"other": null}));

    let stats = service.stats();
    assert_eq!((stats.secrets_gets, stats.secrets_puts), (3, 2));
    service.shutdown().await;
}

#[tokio::test]
async fn values_come_back_byte_for_byte_minus_whitespace() {
    let service = start_default().await;
    let client = client();
    let url = secrets_url(&service.base_url(), "t", "exact");
    let sent = "{\n  \"z\": 1,\n  \"big\": 123456789012345678901234567890,\n  \"f\": 1.50,\n  \"s\": \"a \\\" b é\"\n}";
    assert_eq!(put_json(&client, &url, sent, None).await.status(), 202);
    let back = get(&client, &url, None).await.text().await.unwrap();
    assert_eq!(
        back,
        r#"{"z":1,"big":123456789012345678901234567890,"f":1.50,"s":"a \" b é"}"#
    );
    service.shutdown().await;
}

#[tokio::test]
async fn jobs_teams_and_deployments_are_separate() {
    let service = start_default().await;
    let client = client();
    let base = service.base_url();
    put_json(&client, &secrets_url(&base, "t1", "j"), r#"{"a":1}"#, None).await;
    assert_eq!(
        get(&client, &secrets_url(&base, "t2", "j"), None)
            .await
            .text()
            .await
            .unwrap(),
        "{}"
    );
    assert_eq!(
        get(&client, &secrets_url(&base, "t1", "k"), None)
            .await
            .text()
            .await
            .unwrap(),
        "{}"
    );
    let other_deployment = format!("{base}/data-jobs/for-team/t1/jobs/j/deployments/prod/secrets");
    assert_eq!(get(&client, &other_deployment, None).await.text().await.unwrap(), "{}");
    service.shutdown().await;
}

#[tokio::test]
async fn size_limit_applies_to_compact_json() {
    let service = start_with(ServiceConfig {
        max_secrets_bytes: 100,
        ..Default::default()
    })
    .await;
    let client = client();
    let url = secrets_url(&service.base_url(), "t", "big");

    // {"k":"…"} is 8 bytes plus the value: exactly 100 is accepted, 101 is not.
    let exact = format!(r#"{{"k":"{}"}}"#, "v".repeat(92));
    assert_eq!(exact.len(), 100);
    assert_eq!(put_json(&client, &url, &exact, None).await.status(), 202);
    let over = format!(r#"{{"k":"{}"}}"#, "v".repeat(93));
    let body = assert_vdk_error(put_json(&client, &url, &over, None).await, 413).await;
    assert!(body["why"].as_str().unwrap().contains("101"));

    // Whitespace does not count.
    let padded = format!("{{ \"k\" :\n\n \"{}\" }}", "v".repeat(92));
    assert_eq!(put_json(&client, &url, &padded, None).await.status(), 202);

    // A body far over the wire limit is refused, and the answer still arrives.
    let huge = format!(r#"{{"k":"{}"}}"#, "v".repeat(2 * 1024 * 1024));
    assert_vdk_error(put_json(&client, &url, &huge, None).await, 413).await;

    // The stored map is the last accepted one.
    assert_eq!(get(&client, &url, None).await.text().await.unwrap(), exact);
    service.shutdown().await;
}

#[tokio::test]
async fn default_limit_is_one_mebibyte() {
    let service = start_default().await;
    let client = client();
    let url = secrets_url(&service.base_url(), "t", "mib");
    let fits = format!(r#"{{"k":"{}"}}"#, "v".repeat(1024 * 1024 - 8));
    assert_eq!(put_json(&client, &url, &fits, None).await.status(), 202);
    let over = format!(r#"{{"k":"{}"}}"#, "v".repeat(1024 * 1024 - 7));
    assert_vdk_error(put_json(&client, &url, &over, None).await, 413).await;
    // The wire limit is well above axum's 2 MB default: 3 MB of indentation around a small
    // map is fine.
    let indented = format!("{{{}\"k\": 1}}", " ".repeat(3 * 1024 * 1024));
    assert_eq!(put_json(&client, &url, &indented, None).await.status(), 202);
    assert_eq!(get(&client, &url, None).await.text().await.unwrap(), r#"{"k":1}"#);
    service.shutdown().await;
}

#[tokio::test]
async fn bad_bodies_are_refused() {
    let service = start_default().await;
    let client = client();
    let url = secrets_url(&service.base_url(), "t", "bad");
    put_json(&client, &url, r#"{"keep":"me"}"#, None).await;

    for body in ["[1, 2]", "\"text\"", "42", "null", "{\"a\": ", "not json", "{} {}", ""] {
        let response = put_json(&client, &url, body, None).await;
        assert_vdk_error(response, 400).await;
    }
    let wrong_type = client
        .put(&url)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_vdk_error(wrong_type, 415).await;
    let no_type = client.put(&url).body("{}").send().await.unwrap();
    assert_vdk_error(no_type, 415).await;
    let with_charset = client
        .put(&url)
        .header("content-type", "application/json; charset=utf-8")
        .body(r#"{"keep":"me"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(with_charset.status(), 202);

    assert_eq!(get(&client, &url, None).await.text().await.unwrap(), r#"{"keep":"me"}"#);
    service.shutdown().await;
}

#[tokio::test]
async fn routes_work_under_any_prefix() {
    let service = start_default().await;
    let client = client();
    let base = service.base_url();
    let prefixed = secrets_url(&format!("{base}/api/v1"), "t", "prefixed");
    assert_eq!(put_json(&client, &prefixed, r#"{"p":1}"#, None).await.status(), 202);
    // The prefix is not part of the identity.
    let plain = secrets_url(&base, "t", "prefixed");
    assert_eq!(get(&client, &plain, None).await.text().await.unwrap(), r#"{"p":1}"#);
    let deep = secrets_url(&format!("{base}/a/b/data-jobs/for-team/x"), "t", "prefixed");
    assert_eq!(get(&client, &deep, None).await.text().await.unwrap(), r#"{"p":1}"#);
    service.shutdown().await;
}

#[tokio::test]
async fn percent_encoded_segments_are_decoded() {
    let service = start_default().await;
    let client = client();
    let base = service.base_url();
    let team = "my team/ünï 团队";
    let url = secrets_url(&base, team, "job with spaces");
    assert!(url.contains("my%20team%2F"));
    assert_eq!(put_json(&client, &url, r#"{"u":"ok"}"#, None).await.status(), 202);
    assert_eq!(get(&client, &url, None).await.text().await.unwrap(), r#"{"u":"ok"}"#);

    // Another encoding of the same names (lowercase hex, unencoded safe characters) is the
    // same job; the undecoded form is not.
    let lower = url.replace("%2F", "%2f");
    assert_eq!(get(&client, &lower, None).await.text().await.unwrap(), r#"{"u":"ok"}"#);
    let other = secrets_url(&base, "my team%2Fünï 团队", "job with spaces");
    assert_eq!(get(&client, &other, None).await.text().await.unwrap(), "{}");

    // Invalid UTF-8 and empty names.
    let invalid = format!("{base}/data-jobs/for-team/%FF/jobs/j/deployments/TODO/secrets");
    assert_vdk_error(get(&client, &invalid, None).await, 400).await;
    let empty = format!("{base}/data-jobs/for-team/t/jobs//deployments/TODO/secrets");
    assert_vdk_error(get(&client, &empty, None).await, 400).await;
    service.shutdown().await;
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let service = start_default().await;
    let client = client();
    let base = service.base_url();
    for path in [
        "/",
        "/data-jobs",
        "/data-jobs/for-team/t/jobs/j/secrets",
        "/__admin/stats",
    ] {
        let response = get(&client, &format!("{base}{path}"), None).await;
        assert_vdk_error(response, 404).await;
    }
    let url = secrets_url(&base, "t", "j");
    let delete = client.delete(&url).send().await.unwrap();
    assert_eq!(delete.headers()["allow"], "GET, PUT");
    assert_vdk_error(delete, 405).await;
    let token_get = get(&client, &service.token_url(), None).await;
    assert_vdk_error(token_get, 405).await;
    service.shutdown().await;
}

#[tokio::test]
async fn concurrent_writers_leave_one_complete_map() {
    let service = start_default().await;
    let client = client();
    let url = secrets_url(&service.base_url(), "t", "race");
    let writers = (0..24).map(|i| {
        let (client, url) = (client.clone(), url.clone());
        tokio::spawn(async move {
            let body = format!(r#"{{"writer":{i},"payload":"{}"}}"#, "x".repeat(1000));
            put_json(&client, &url, &body, None).await.status()
        })
    });
    for writer in writers.collect::<Vec<_>>() {
        assert_eq!(writer.await.unwrap(), 202);
    }
    let body = json(get(&client, &url, None).await).await;
    assert!(body["writer"].as_u64().unwrap() < 24);
    assert_eq!(body["payload"].as_str().unwrap().len(), 1000);
    service.shutdown().await;
}

#[test]
fn background_service_serves_synchronous_callers_and_stops_on_drop() {
    let service = start_in_background(ServiceConfig::default()).unwrap();
    let addr = service.addr();
    assert_eq!(service.base_url(), format!("http://{addr}"));
    let path = "/data-jobs/for-team/t/jobs/j/deployments/TODO/secrets";
    let body = r#"{"sync":true}"#;
    let put = raw_exchange_sync(
        addr,
        &format!(
            "PUT {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .unwrap();
    assert!(String::from_utf8_lossy(&put).starts_with("HTTP/1.1 202"));
    let got = raw_exchange_sync(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    )
    .unwrap();
    assert!(String::from_utf8_lossy(&got).ends_with(body));
    assert_eq!(service.stats().secrets_puts, 1);
    drop(service);
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "the port is closed after drop"
    );
}
