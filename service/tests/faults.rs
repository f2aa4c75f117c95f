//! Fault injection by job name, with authentication on (faults act in front of it).

mod common;

use std::time::{Duration, Instant};

use common::*;
use vdk_control_service::{RunningService, ServiceConfig, Stats};

struct Faulty {
    service: RunningService,
    client: reqwest::Client,
    token: String,
}

impl Faulty {
    async fn start() -> Faulty {
        let service = start_with(ServiceConfig {
            api_token: Some(API_TOKEN.into()),
            enable_faults: true,
            ..Default::default()
        })
        .await;
        let client = client();
        let token = access_token(&client, &service.token_url()).await;
        Faulty { service, client, token }
    }

    fn url(&self, job: &str) -> String {
        secrets_url(&self.service.base_url(), "team", job)
    }

    async fn get(&self, job: &str) -> reqwest::Response {
        get(&self.client, &self.url(job), Some(&self.token)).await
    }

    async fn try_get(&self, job: &str) -> reqwest::Result<reqwest::Response> {
        self.client.get(self.url(job)).bearer_auth(&self.token).send().await
    }

    async fn put(&self, job: &str, body: &str) -> reqwest::Response {
        put_json(&self.client, &self.url(job), body, Some(&self.token)).await
    }
}

#[tokio::test]
async fn status_faults_answer_every_time() {
    let f = Faulty::start().await;
    for _ in 0..2 {
        let body = assert_vdk_error(f.get("fault-status-503-a").await, 503).await;
        assert!(body["what"].as_str().unwrap().contains("503"));
    }
    assert_vdk_error(f.put("fault-status-500", "{}").await, 500).await;
    assert_vdk_error(f.get("fault-status-404").await, 404).await;
    let unauthorized = f.get("fault-status-401").await;
    assert_eq!(unauthorized.headers()["www-authenticate"], "Bearer");
    assert_vdk_error(unauthorized, 401).await;
    f.service.shutdown().await;
}

#[tokio::test]
async fn messages_and_plain_bodies() {
    let f = Faulty::start().await;
    let messages = f.get("fault-messages-404").await;
    assert_eq!(messages.status(), 404);
    assert_eq!(messages.headers()["content-type"], "application/json");
    assert_eq!(
        json(messages).await,
        serde_json::json!({"messages": ["first message", "second message"]})
    );

    let plain = f.get("fault-plain-502").await;
    assert_eq!(plain.status(), 502);
    assert_eq!(plain.headers()["content-type"], "text/plain");
    assert_eq!(plain.text().await.unwrap(), "plain failure");
    f.service.shutdown().await;
}

#[tokio::test]
async fn flaky_fails_n_times_then_works() {
    let f = Faulty::start().await;
    let job = "fault-flaky-2-503-t17";
    assert_vdk_error(f.put(job, r#"{"a":1}"#).await, 503).await;
    assert_vdk_error(f.put(job, r#"{"a":1}"#).await, 503).await;
    assert_eq!(f.put(job, r#"{"a":1}"#).await.status(), 202);
    assert_eq!(f.get(job).await.text().await.unwrap(), r#"{"a":1}"#);
    // Counts are per exact job name.
    assert_vdk_error(f.get("fault-flaky-2-503-t18").await, 503).await;
    let stats = f.service.stats();
    assert!(stats.connections >= 1);
    assert_eq!(
        stats,
        Stats {
            token_exchanges: 1,
            secrets_gets: 2,
            secrets_puts: 3,
            rejected_auth: 0,
            connections: stats.connections,
        }
    );
    f.service.shutdown().await;
}

#[tokio::test]
async fn retry_after_is_sent_then_normal() {
    let f = Faulty::start().await;
    let job = "fault-retryafter-1-7";
    let first = f.get(job).await;
    assert_eq!(first.headers()["retry-after"], "7");
    assert_vdk_error(first, 503).await;
    assert_eq!(f.get(job).await.status(), 200);
    f.service.shutdown().await;
}

#[tokio::test]
async fn slow_delays_the_answer() {
    let f = Faulty::start().await;
    let started = Instant::now();
    assert_eq!(f.put("fault-slow-300", r#"{"s":1}"#).await.status(), 202);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(f.get("fault-slow-300").await.text().await.unwrap(), r#"{"s":1}"#);
    f.service.shutdown().await;
}

#[tokio::test]
async fn latency_delays_the_answer() {
    let f = Faulty::start().await;
    assert_eq!(f.put("fault-latency-1500", r#"{"s":1}"#).await.status(), 202);
    // How close to 1.5 ms the answers come is a benchmark's business (benches/run.sh); here:
    // never early, and then the normal answer.
    for _ in 0..5 {
        let started = Instant::now();
        assert_eq!(f.get("fault-latency-1500").await.text().await.unwrap(), r#"{"s":1}"#);
        assert!(started.elapsed() >= Duration::from_micros(1500));
    }
    f.service.shutdown().await;
}

#[tokio::test]
async fn drop_closes_the_connection_before_any_byte() {
    let f = Faulty::start().await;
    let path = "/data-jobs/for-team/team/jobs/fault-drop/deployments/TODO/secrets";
    let raw = raw_exchange(
        f.service.addr(),
        &format!(
            "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n",
            f.token
        ),
    )
    .await;
    // Either a clean close or a reset, but never a response byte.
    assert!(raw.map_or(true, |bytes| bytes.is_empty()));
    assert!(f.try_get("fault-drop").await.is_err());
    let put = f.client.put(f.url("fault-drop")).bearer_auth(&f.token).body("{}");
    assert!(put.send().await.is_err());
    // Without a token, faults do not apply: the normal 401.
    let unauthenticated = f.client.put(f.url("fault-drop")).body("{}").send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);
    // The server is fine afterwards.
    assert_eq!(f.get("normal").await.status(), 200);
    f.service.shutdown().await;
}

#[tokio::test]
async fn flakydrop_drops_n_times_then_works() {
    let f = Faulty::start().await;
    let job = "fault-flakydrop-2-x";
    assert!(f.try_get(job).await.is_err());
    assert!(f.try_get(job).await.is_err());
    assert_eq!(f.get(job).await.status(), 200);
    assert_eq!(f.service.stats().secrets_gets, 3);
    f.service.shutdown().await;
}

#[tokio::test]
async fn malformed_and_not_object_bodies() {
    let f = Faulty::start().await;
    let malformed = f.get("fault-malformed").await;
    assert_eq!(malformed.status(), 200);
    assert_eq!(malformed.headers()["content-type"], "application/json");
    assert_eq!(malformed.text().await.unwrap(), r#"{"a": "#);
    let array = f.get("fault-notobject").await;
    assert_eq!(array.status(), 200);
    assert_eq!(array.text().await.unwrap(), "[1, 2, 3]");
    f.service.shutdown().await;
}

#[tokio::test]
async fn huge_bodies_with_and_without_length() {
    let f = Faulty::start().await;
    let chunked = f.get("fault-huge-300000").await;
    assert_eq!(chunked.status(), 200);
    assert!(chunked.headers().get("content-length").is_none());
    assert_eq!(chunked.headers()["transfer-encoding"], "chunked");
    let body = chunked.bytes().await.unwrap();
    assert_eq!(body.len(), 300_000);
    assert!(serde_json::from_slice::<serde_json::Value>(&body).unwrap().is_object());

    let sized = f.get("fault-hugelen-100000").await;
    assert_eq!(sized.headers()["content-length"], "100000");
    assert_eq!(sized.bytes().await.unwrap().len(), 100_000);

    // A client may stop reading a huge body; the server copes.
    let abandoned = f.get("fault-huge-1000000000").await;
    assert_eq!(abandoned.status(), 200);
    drop(abandoned);
    assert_eq!(f.get("normal").await.status(), 200);
    f.service.shutdown().await;
}

#[tokio::test]
async fn revoke_makes_the_first_request_fail_until_a_refresh() {
    let f = Faulty::start().await;
    let job = "fault-revoke-1";
    assert_vdk_error(f.put(job, r#"{"r":1}"#).await, 401).await;
    // The old token stays revoked; a refreshed one replays successfully.
    assert_eq!(f.put(job, r#"{"r":1}"#).await.status(), 401);
    let fresh = access_token(&f.client, &f.service.token_url()).await;
    let replay = put_json(&f.client, &f.url(job), r#"{"r":1}"#, Some(&fresh)).await;
    assert_eq!(replay.status(), 202);
    assert_eq!(
        get(&f.client, &f.url(job), Some(&fresh)).await.text().await.unwrap(),
        r#"{"r":1}"#
    );
    assert_eq!(f.service.stats().rejected_auth, 2);
    f.service.shutdown().await;
}

#[tokio::test]
async fn unknown_faults_are_refused() {
    let f = Faulty::start().await;
    assert_vdk_error(f.get("fault-nonsense").await, 400).await;
    assert_vdk_error(f.get("fault-status-abc").await, 400).await;
    assert_vdk_error(f.get("fault-status-99").await, 400).await;
    f.service.shutdown().await;
}

#[tokio::test]
async fn admin_endpoints() {
    let f = Faulty::start().await;
    let base = f.service.base_url();
    f.get("normal").await;
    let stats = json(
        f.client
            .get(format!("{base}/__admin/stats"))
            .bearer_auth(&f.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        stats,
        serde_json::json!({"token_exchanges": 1, "secrets_gets": 1, "secrets_puts": 0, "rejected_auth": 0,
                           "connections": stats["connections"].as_u64().filter(|n| *n >= 1).unwrap()})
    );

    let revoke = f
        .client
        .post(format!("{base}/__admin/revoke-tokens"))
        .bearer_auth(&f.token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 204);
    assert_eq!(f.get("normal").await.status(), 401);
    let wrong_method = f
        .client
        .get(format!("{base}/__admin/revoke-tokens"))
        .bearer_auth(&f.token)
        .send()
        .await
        .unwrap();
    assert_vdk_error(wrong_method, 405).await;
    f.service.shutdown().await;
}

#[tokio::test]
async fn fault_names_are_ordinary_when_faults_are_disabled() {
    let service = start_default().await;
    let client = client();
    let url = secrets_url(&service.base_url(), "t", "fault-status-503");
    assert_eq!(put_json(&client, &url, r#"{"f":0}"#, None).await.status(), 202);
    assert_eq!(get(&client, &url, None).await.text().await.unwrap(), r#"{"f":0}"#);
    let drop = secrets_url(&service.base_url(), "t", "fault-drop");
    assert_eq!(get(&client, &drop, None).await.status(), 200);
    service.shutdown().await;
}
