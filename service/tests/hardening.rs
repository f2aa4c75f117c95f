//! The local service is a development server, but it keeps secrets: its data directory must
//! not be writable by others, its admin and fault endpoints obey authentication, its store key
//! can live outside the data directory, and guessing the API token costs time.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use common::*;
use vdk_control_service::{start, ServiceConfig};

#[tokio::test]
async fn a_data_dir_writable_by_others_is_refused() {
    for mode in [0o770, 0o702, 0o777] {
        let dir = TempDir::new(&format!("writable-{mode:o}"));
        std::fs::create_dir(dir.path()).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        let started = start(ServiceConfig {
            data_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        })
        .await;
        let Err(error) = started else {
            panic!("mode {mode:o} was accepted");
        };
        let text = error.to_string();
        assert!(text.contains("writable by group or others"), "{text}");
        assert!(text.contains("chmod 700"), "{text}");
        assert!(!dir.path().join("store.key").exists(), "nothing written into it");
    }
    // 0700 and 0750 are fine.
    for mode in [0o700, 0o750] {
        let dir = TempDir::new(&format!("private-{mode:o}"));
        std::fs::create_dir(dir.path()).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        let service = start_with(ServiceConfig {
            data_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        })
        .await;
        service.shutdown().await;
    }
}

#[tokio::test]
async fn admin_endpoints_and_faults_require_a_token_when_auth_is_on() {
    let service = start_with(ServiceConfig {
        api_token: Some(API_TOKEN.into()),
        enable_faults: true,
        ..Default::default()
    })
    .await;
    let client = client();
    let base = service.base_url();
    let stats = format!("{base}/__admin/stats");
    let revoke = format!("{base}/__admin/revoke-tokens");
    assert_vdk_error(client.get(&stats).send().await.unwrap(), 401).await;
    assert_vdk_error(client.post(&revoke).send().await.unwrap(), 401).await;
    let wrong = client.get(&stats).bearer_auth("not-a-token").send().await.unwrap();
    assert_vdk_error(wrong, 401).await;
    // Fault injection is no way around authentication either.
    let fault = secrets_url(&base, "team", "fault-status-502");
    assert_vdk_error(get(&client, &fault, None).await, 401).await;
    let slow = secrets_url(&base, "team", "fault-slow-3000");
    let started = Instant::now();
    assert_vdk_error(get(&client, &slow, None).await, 401).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "no fault delay without a token"
    );

    let token = access_token(&client, &service.token_url()).await;
    assert_eq!(
        client.get(&stats).bearer_auth(&token).send().await.unwrap().status(),
        200
    );
    assert_eq!(get(&client, &fault, Some(&token)).await.status(), 502);
    assert_eq!(
        client.post(&revoke).bearer_auth(&token).send().await.unwrap().status(),
        204
    );
    assert_vdk_error(client.get(&stats).bearer_auth(&token).send().await.unwrap(), 401).await;
    // A revoked token still shows the caller held the API token: faults act before the checks.
    assert_eq!(get(&client, &fault, Some(&token)).await.status(), 502);
    assert_vdk_error(get(&client, &fault, Some("never-issued")).await, 401).await;
    service.shutdown().await;

    // Without authentication, the admin endpoints are open as before.
    let open = start_with(ServiceConfig {
        enable_faults: true,
        ..Default::default()
    })
    .await;
    let response = client
        .get(format!("{}/__admin/stats", open.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    open.shutdown().await;
}

#[tokio::test]
async fn the_store_key_can_live_outside_the_data_directory() {
    let data = TempDir::new("key-outside-data");
    let keys = TempDir::new("key-outside-keys");
    std::fs::create_dir(keys.path()).unwrap();
    let key_file = keys.path().join("store.key");
    let config = ServiceConfig {
        data_dir: Some(data.path().to_path_buf()),
        key_file: Some(key_file.clone()),
        ..Default::default()
    };
    let service = start_with(config.clone()).await;
    let client = client();
    let url = secrets_url(&service.base_url(), "team", "job");
    assert_eq!(put_json(&client, &url, r#"{"k":"v"}"#, None).await.status(), 202);
    service.shutdown().await;
    assert!(!data.path().join("store.key").exists(), "no key in the data directory");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the key file is private");
    assert_eq!(std::fs::read(&key_file).unwrap().len(), 32);

    // The same key opens the same store again.
    let service = start_with(config).await;
    let url = secrets_url(&service.base_url(), "team", "job");
    assert_eq!(
        json(get(&client, &url, None).await).await,
        serde_json::json!({"k": "v"})
    );
    service.shutdown().await;
}

#[tokio::test]
async fn failed_token_requests_are_slowed_down() {
    let service = start_with(ServiceConfig {
        api_token: Some(API_TOKEN.into()),
        ..Default::default()
    })
    .await;
    let client = client();
    let guess = |token: &'static str| {
        let client = client.clone();
        let url = service.token_url();
        async move {
            let started = Instant::now();
            let response = client
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("grant_type=refresh_token&refresh_token={token}"))
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), started.elapsed())
        }
    };
    let mut waits = Vec::new();
    for _ in 0..6 {
        let (status, took) = guess("wrong-guess").await;
        assert_eq!(status, 400);
        waits.push(took);
    }
    assert!(
        waits[5] >= Duration::from_millis(500),
        "the sixth failure waited {:?}",
        waits[5]
    );
    assert!(waits[5] > waits[0], "waits grow: {waits:?}");
    // The right token is answered at once, and clears the count.
    let (status, took) = guess(API_TOKEN).await;
    assert_eq!(status, 200);
    assert!(took < Duration::from_millis(300), "{took:?}");
    let (_, took) = guess("wrong-guess").await;
    assert!(
        took < Duration::from_millis(300),
        "after a success the count starts over: {took:?}"
    );
    service.shutdown().await;
}
