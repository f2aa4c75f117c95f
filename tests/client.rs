//! The Rust client against a real local Control Service: round trips, every failure class,
//! retries, deadlines, tokens, TLS and concurrency.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use vdk_secrets::{Config, SecretMap, SecretsClient, Status};

fn map(value: serde_json::Value) -> SecretMap {
    SecretMap::from_json(value.to_string().as_bytes()).unwrap()
}

#[test]
fn round_trip_keeps_every_json_type() {
    let service = authenticated_service();
    let client = client(&service, json!({}));
    let secrets = map(json!({
        "api-key": CANARY,
        "unicode": "Grüße 🚀 秘密",
        "big": 1u64 << 60,
        "negative": -42,
        "float": 2.5,
        "nested": {"list": [1, true, null, "x"], "map": {"deep": "y"}},
        "empty": "",
    }));
    client.write_secrets_blocking("job", "team", &secrets, None).unwrap();
    let read = client.read_secrets_blocking("job", "team", None).unwrap();
    assert_eq!(read, secrets);
    assert_eq!(read.get("big").unwrap().as_u64(), Some(1u64 << 60));
    assert!(read.get("float").unwrap().is_f64());
    // PUT replaces the whole map.
    client
        .write_secrets_blocking("job", "team", &map(json!({"only": "one"})), None)
        .unwrap();
    assert_eq!(
        client.read_secrets_blocking("job", "team", None).unwrap(),
        map(json!({"only": "one"}))
    );
    // Nothing stored reads as an empty map.
    assert!(client.read_secrets_blocking("other", "team", None).unwrap().is_empty());
}

#[test]
fn names_are_percent_encoded_and_isolated() {
    let service = authenticated_service();
    let client = client(&service, json!({}));
    let awkward = ["team/with/slashes", "a b?c#d%20", "ünï-cødé", "x..y"];
    for (i, team) in awkward.iter().enumerate() {
        client
            .write_secrets_blocking("job", team, &map(json!({"i": i})), None)
            .unwrap();
    }
    for (i, team) in awkward.iter().enumerate() {
        assert_eq!(
            client.read_secrets_blocking("job", team, None).unwrap(),
            map(json!({"i": i}))
        );
    }
    for bad in ["", ".", "..", "a\nb"] {
        let e = client.read_secrets_blocking(bad, "team", None).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument, "{bad:?}");
    }
}

#[test]
fn base_url_with_path_prefix_works() {
    let service = authenticated_service();
    let mut config = fast_config(&service, json!({}));
    config.rest_api_url = Some(format!("{}/some/prefix/", service.base_url()));
    let client = SecretsClient::new(config).unwrap();
    client
        .write_secrets_blocking("job", "team", &map(json!({"k": "v"})), None)
        .unwrap();
    assert_eq!(
        client.read_secrets_blocking("job", "team", None).unwrap(),
        map(json!({"k": "v"}))
    );
}

#[test]
fn large_maps_round_trip_and_oversized_ones_are_user_errors() {
    let service = authenticated_service();
    let client = client(&service, json!({}));
    let large = map(json!({"blob": "z".repeat(900 * 1024)}));
    client.write_secrets_blocking("large", "team", &large, None).unwrap();
    assert_eq!(client.read_secrets_blocking("large", "team", None).unwrap(), large);
    let too_large = map(json!({"blob": "z".repeat(1100 * 1024)}));
    let e = client
        .write_secrets_blocking("large", "team", &too_large, None)
        .unwrap_err();
    assert_eq!((e.status(), e.http_status()), (Status::UserError, 413));
    // The failed write lost nothing.
    assert_eq!(client.read_secrets_blocking("large", "team", None).unwrap(), large);
}

#[test]
fn http_failures_map_to_documented_statuses() {
    let service = authenticated_service();
    let client = client(&service, json!({"control_http_total_retries": 2}));
    let cases = [
        ("fault-status-401", Status::Authentication, 401),
        ("fault-status-403", Status::Authentication, 403),
        ("fault-status-404", Status::NotFound, 404),
        ("fault-status-413", Status::UserError, 413),
        ("fault-status-422", Status::UserError, 422),
        ("fault-messages-400", Status::UserError, 400),
        ("fault-status-500", Status::ServiceError, 500),
        ("fault-status-501", Status::ServiceError, 501),
        ("fault-plain-503", Status::ServiceError, 503),
        ("fault-malformed", Status::Protocol, 0),
        ("fault-notobject", Status::Protocol, 0),
        ("fault-drop", Status::Network, 0),
    ];
    for (job, status, http) in cases {
        let e = client.read_secrets_blocking(job, "team", None).unwrap_err();
        assert_eq!((e.status(), e.http_status()), (status, http), "{job}: {e}");
        assert!(!e.what().is_empty() && !e.why().is_empty(), "{job}");
        assert!(!e.consequences().is_empty() && !e.countermeasures().is_empty(), "{job}");
    }
    let e = client
        .read_secrets_blocking("fault-status-404", "team", None)
        .unwrap_err();
    assert!(e.countermeasures().contains("job and team"), "{}", e.countermeasures());
    let e = client
        .read_secrets_blocking("fault-messages-400", "team", None)
        .unwrap_err();
    assert!(e.why().contains("first message"), "{}", e.why());
    let e = client
        .read_secrets_blocking("fault-status-409", "team", None)
        .unwrap_err();
    assert!(!e.retryable());
}

#[test]
fn only_5xx_and_network_failures_are_retried() {
    let service = authenticated_service();
    let client = client(&service, json!({"control_http_total_retries": 5}));
    let before = service.stats().secrets_gets;
    client
        .read_secrets_blocking("fault-status-404", "team", None)
        .unwrap_err();
    assert_eq!(service.stats().secrets_gets - before, 1, "a 404 is not retried");
    let before = service.stats().secrets_gets;
    client
        .read_secrets_blocking("fault-status-501", "team", None)
        .unwrap_err();
    assert_eq!(service.stats().secrets_gets - before, 1, "a 501 is not retried");
    let before = service.stats().secrets_gets;
    client
        .read_secrets_blocking("fault-status-503", "team", None)
        .unwrap_err();
    assert_eq!(service.stats().secrets_gets - before, 6, "a 503 is tried 1 + 5 times");
}

#[test]
fn transient_failures_heal_by_retrying() {
    let service = authenticated_service();
    let client = client(&service, json!({}));
    for job in [
        "fault-flaky-3-503-a",
        "fault-flaky-2-502-a",
        "fault-flaky-1-500-a",
        "fault-flakydrop-2-a",
    ] {
        let secrets = map(json!({"job": job}));
        client.write_secrets_blocking(job, "team", &secrets, None).unwrap();
        assert_eq!(
            client.read_secrets_blocking(job, "team", None).unwrap(),
            secrets,
            "{job}"
        );
    }
}

#[test]
fn retry_after_is_honoured() {
    let service = authenticated_service();
    let client = client(&service, json!({}));
    let start = Instant::now();
    client
        .read_secrets_blocking("fault-retryafter-1-1-b", "team", None)
        .unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        start.elapsed()
    );
}

#[test]
fn retry_after_beyond_the_deadline_gives_up_at_once() {
    let service = authenticated_service();
    let client = client(&service, json!({"control_http_deadline_seconds": 2}));
    let start = Instant::now();
    let e = client
        .read_secrets_blocking("fault-retryafter-5-30-c", "team", None)
        .unwrap_err();
    assert_eq!(e.status(), Status::ServiceError);
    assert!(start.elapsed() < Duration::from_secs(2), "took {:?}", start.elapsed());
}

#[test]
fn persistent_503_ends_within_the_deadline() {
    let service = authenticated_service();
    let client = client(
        &service,
        json!({"control_http_total_retries": 1000, "control_http_deadline_seconds": 1.5, "control_http_backoff_factor_seconds": 0.1}),
    );
    let start = Instant::now();
    let e = client
        .read_secrets_blocking("fault-status-503", "team", None)
        .unwrap_err();
    assert_eq!((e.status(), e.http_status()), (Status::ServiceError, 503));
    assert!(e.retryable());
    assert!(
        start.elapsed() < Duration::from_millis(2500),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn slow_server_hits_the_read_timeout() {
    let service = authenticated_service();
    let client = client(
        &service,
        json!({"control_http_read_timeout_seconds": 0.3, "control_http_read_retries": 1}),
    );
    let start = Instant::now();
    let e = client
        .read_secrets_blocking("fault-slow-5000", "team", None)
        .unwrap_err();
    assert_eq!(e.status(), Status::Network);
    assert!(start.elapsed() < Duration::from_secs(2), "took {:?}", start.elapsed());
    // The same server within the timeout is fine.
    client.read_secrets_blocking("fault-slow-50", "team", None).unwrap();
}

#[test]
fn per_call_deadline_bounds_a_slow_call() {
    let service = authenticated_service();
    let client = client(&service, json!({}));
    let start = Instant::now();
    let e = client
        .read_secrets_blocking(
            "fault-slow-5000",
            "team",
            Some(Instant::now() + Duration::from_millis(300)),
        )
        .unwrap_err();
    assert_eq!(e.status(), Status::Network);
    assert!(start.elapsed() < Duration::from_secs(1), "took {:?}", start.elapsed());
}

#[test]
fn oversized_bodies_are_refused_without_reading_them_whole() {
    let service = authenticated_service();
    let client = client(&service, json!({"control_http_max_response_bytes": 1_000_000}));
    for job in ["fault-huge-50000000", "fault-hugelen-50000000"] {
        let start = Instant::now();
        let e = client.read_secrets_blocking(job, "team", None).unwrap_err();
        assert_eq!(e.status(), Status::Protocol, "{job}: {e}");
        assert!(e.why().contains("1000000"), "{}", e.why());
        // Reading 50 MB would take far longer than stopping at 1 MB.
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{job} took {:?}",
            start.elapsed()
        );
    }
}

#[test]
fn connection_refused_is_a_network_error() {
    let config = Config::from_json(
        r#"{"control_service_rest_api_url":"http://127.0.0.1:9","control_http_connect_retries":1,"control_http_backoff_factor_seconds":0.01}"#,
    )
    .unwrap();
    let client = SecretsClient::new(config).unwrap();
    let e = client.read_secrets_blocking("j", "t", None).unwrap_err();
    assert_eq!(e.status(), Status::Network);
    assert!(e.retryable());
}

#[test]
fn token_is_exchanged_once_for_many_threads() {
    let service = authenticated_service();
    let client = client(&service, json!({}));
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let client = client.clone();
            std::thread::spawn(move || {
                let job = format!("thread-{i}");
                for n in 0..25 {
                    let secrets = map(json!({"n": n, "thread": i}));
                    client.write_secrets_blocking(&job, "team", &secrets, None).unwrap();
                    assert_eq!(client.read_secrets_blocking(&job, "team", None).unwrap(), secrets);
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(service.stats().token_exchanges, 1);
}

#[test]
fn token_is_refreshed_ahead_of_expiry() {
    let service = service_with(|c| {
        c.api_token = Some(API_TOKEN.to_string());
        c.token_lifetime_secs = 2;
    });
    let client = client(&service, json!({}));
    client.read_secrets_blocking("j", "t", None).unwrap();
    client.read_secrets_blocking("j", "t", None).unwrap();
    assert_eq!(service.stats().token_exchanges, 1);
    std::thread::sleep(Duration::from_millis(1100));
    client.read_secrets_blocking("j", "t", None).unwrap();
    assert_eq!(
        service.stats().token_exchanges,
        2,
        "refreshed at half life, before expiry"
    );
    assert_eq!(service.stats().rejected_auth, 0, "never sent an expired token");
}

#[test]
fn revoked_token_is_refreshed_once_and_the_call_replayed() {
    let service = authenticated_service();
    let client = client(&service, json!({}));
    client.read_secrets_blocking("j", "t", None).unwrap();
    service.revoke_all_tokens();
    client
        .write_secrets_blocking("j", "t", &map(json!({"a": 1})), None)
        .unwrap();
    assert_eq!(service.stats().token_exchanges, 2);
    // A token that keeps being refused: one refresh, one replay, then AUTHENTICATION.
    let before = service.stats().token_exchanges;
    let e = client.read_secrets_blocking("fault-status-401", "t", None).unwrap_err();
    assert_eq!(e.status(), Status::Authentication);
    assert_eq!(service.stats().token_exchanges - before, 1);
}

#[test]
fn rejected_token_exchange_is_an_authentication_error() {
    let service = authenticated_service();
    let mut config = fast_config(&service, json!({}));
    config.api_token = Some(vdk_secrets::SecretString::new(CANARY.to_string()));
    let e = SecretsClient::new(config)
        .unwrap()
        .read_secrets_blocking("j", "t", None)
        .unwrap_err();
    assert_eq!((e.status(), e.http_status()), (Status::Authentication, 400));
    assert!(!e.message().contains(CANARY));
}

#[test]
fn no_token_against_a_protected_service() {
    let service = authenticated_service();
    let mut config = fast_config(&service, json!({}));
    config.api_token = None;
    let e = SecretsClient::new(config)
        .unwrap()
        .read_secrets_blocking("j", "t", None)
        .unwrap_err();
    assert_eq!((e.status(), e.http_status()), (Status::Authentication, 401));
    assert!(e.countermeasures().contains("api_token"));
}

#[test]
fn unauthenticated_service_needs_no_token() {
    let service = service_with(|_| {});
    let config = Config::from_json(&json!({"control_service_rest_api_url": service.base_url()}).to_string()).unwrap();
    let client = SecretsClient::new(config).unwrap();
    client
        .write_secrets_blocking("j", "t", &map(json!({"k": "v"})), None)
        .unwrap();
    assert_eq!(service.stats().token_exchanges, 0);
}

#[test]
fn client_new_does_no_network_io() {
    // Nothing listens there: construction must still succeed.
    let config = Config::from_json(
        r#"{"control_service_rest_api_url":"http://127.0.0.1:9","api_token":"x","api_token_authorization_url":"http://127.0.0.1:9/token"}"#,
    )
    .unwrap();
    SecretsClient::new(config).unwrap();
    let e = SecretsClient::new(Config::default()).unwrap_err();
    assert_eq!(e.status(), Status::Configuration);
}

#[test]
fn tls_needs_a_trusted_certificate() {
    let dir = temp_dir("tls");
    let (files, ca) = vdk_control_service::generate_test_certificates(&dir).unwrap();
    let service = service_with(|c| c.tls = Some(files));
    assert!(service.base_url().starts_with("https://"));
    let base = json!({"control_service_rest_api_url": service.base_url(), "control_http_connect_retries": 3});

    let client = SecretsClient::new(Config::from_json(&base.to_string()).unwrap()).unwrap();
    let start = Instant::now();
    let e = client.read_secrets_blocking("j", "t", None).unwrap_err();
    assert_eq!(e.status(), Status::Network);
    assert!(!e.retryable(), "a certificate problem does not heal by retrying: {e:?}");
    assert!(start.elapsed() < Duration::from_secs(2));

    let mut with_ca = base.clone();
    with_ca["control_http_ca_bundle"] = json!(ca);
    let client = SecretsClient::new(Config::from_json(&with_ca.to_string()).unwrap()).unwrap();
    client
        .write_secrets_blocking("j", "t", &map(json!({"k": "v"})), None)
        .unwrap();
    assert_eq!(
        client.read_secrets_blocking("j", "t", None).unwrap(),
        map(json!({"k": "v"}))
    );

    let mut insecure = base.clone();
    insecure["control_http_verify_ssl"] = json!(false);
    let client = SecretsClient::new(Config::from_json(&insecure.to_string()).unwrap()).unwrap();
    assert_eq!(
        client.read_secrets_blocking("j", "t", None).unwrap(),
        map(json!({"k": "v"}))
    );

    let mut bad_ca = base;
    bad_ca["control_http_ca_bundle"] = json!(dir.join("missing.pem"));
    let e = SecretsClient::new(Config::from_json(&bad_ca.to_string()).unwrap()).unwrap_err();
    assert_eq!(e.status(), Status::Configuration);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn blocking_call_inside_an_async_runtime_is_refused_not_a_panic() {
    let service = authenticated_service();
    let client = Arc::new(client(&service, json!({})));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let inner = client.clone();
    let e = rt
        .block_on(async move { inner.read_secrets_blocking("j", "t", None) })
        .unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument);
    // And the async API works there.
    let read = rt.block_on(client.read_secrets("j", "t")).unwrap();
    assert!(read.is_empty());
}

/// Async calls run on the library's runtime whatever executor awaits them (src/runtime.rs,
/// `run`), so blocking and async calls share one connection pool: mixing them costs no extra
/// connection, and a host runtime that shuts down takes no pooled connection with it.
#[test]
fn blocking_and_async_calls_share_one_pool() {
    let service = authenticated_service();
    let client = Arc::new(client(&service, json!({})));
    client
        .write_secrets_blocking("shared", "team", &map(json!({"k": "v"})), None)
        .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for _ in 0..3 {
        for _ in 0..10 {
            assert_eq!(client.read_secrets_blocking("shared", "team", None).unwrap().len(), 1);
        }
        let inner = client.clone();
        rt.block_on(async move {
            for _ in 0..10 {
                assert_eq!(inner.read_secrets("shared", "team").await.unwrap().len(), 1);
            }
        });
    }
    // One pool: calls one after the other reuse its kept-alive connection. (hyper hands a
    // connection back to the pool a moment after the answer is read, so a call that follows
    // at once may open a second one.)
    assert!(
        service.stats().connections <= 2,
        "60 calls in turn use one or two connections: {:?}",
        service.stats()
    );
    // And both kinds at once, from several threads and tasks.
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..25 {
                    assert_eq!(client.read_secrets_blocking("shared", "team", None).unwrap().len(), 1);
                }
            });
        }
        let inner = client.clone();
        s.spawn(move || {
            rt.block_on(async move {
                let tasks: Vec<_> = (0..4)
                    .map(|_| {
                        let c = inner.clone();
                        tokio::spawn(async move {
                            for _ in 0..25 {
                                assert_eq!(c.read_secrets("shared", "team").await.unwrap().len(), 1);
                            }
                        })
                    })
                    .collect();
                for task in tasks {
                    task.await.unwrap();
                }
            })
        });
    });
    // 8 calls at a time need at most 8 connections, plus the ones opened while a finished
    // call's connection was on its way back to the pool: a bound, not a count per call (260).
    assert!(service.stats().connections <= 2 * 8, "{:?}", service.stats());
    // The host runtime is gone now (dropped with its thread above); the pooled connections
    // were never its own, so calls go on without errors.
    assert_eq!(client.read_secrets_blocking("shared", "team", None).unwrap().len(), 1);
    let other = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(other.block_on(client.read_secrets("shared", "team")).unwrap().len(), 1);
}
