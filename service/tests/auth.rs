//! The token endpoint and bearer authentication of the secrets endpoints.

mod common;

use std::time::Duration;

use common::*;
use vdk_control_service::ServiceConfig;

fn with_token() -> ServiceConfig {
    ServiceConfig {
        api_token: Some(API_TOKEN.into()),
        ..Default::default()
    }
}

async fn token_request(client: &reqwest::Client, url: &str, form: &str) -> reqwest::Response {
    client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(form.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn token_exchange_issues_usable_tokens() {
    let service = start_with(with_token()).await;
    let client = client();
    let response = token_request(
        &client,
        &service.token_url(),
        &format!("grant_type=refresh_token&refresh_token={API_TOKEN}"),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body = json(response).await;
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(token.len(), 32);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["scope"], "openid");

    let url = secrets_url(&service.base_url(), "t", "j");
    assert_eq!(put_json(&client, &url, r#"{"a":1}"#, Some(token)).await.status(), 202);
    assert_eq!(
        get(&client, &url, Some(token)).await.text().await.unwrap(),
        r#"{"a":1}"#
    );

    // Each exchange gives a new token; the old one stays valid.
    let second = access_token(&client, &service.token_url()).await;
    assert_ne!(second, token);
    assert_eq!(get(&client, &url, Some(token)).await.status(), 200);
    assert_eq!(service.stats().token_exchanges, 2);
    service.shutdown().await;
}

#[tokio::test]
async fn token_endpoint_works_under_a_prefix_and_url_encoding() {
    let refresh = "a+b/c=d&e";
    let service = start_with(ServiceConfig {
        api_token: Some(refresh.into()),
        ..Default::default()
    })
    .await;
    let client = client();
    let url = format!("{}/auth/realms/x/oauth/token", service.base_url());
    let response = token_request(
        &client,
        &url,
        "grant_type=refresh_token&refresh_token=a%2Bb%2Fc%3Dd%26e",
    )
    .await;
    assert_eq!(response.status(), 200);
    service.shutdown().await;
}

#[tokio::test]
async fn token_errors_follow_rfc_6749() {
    let service = start_with(with_token()).await;
    let client = client();
    let url = service.token_url();

    let wrong = token_request(&client, &url, "grant_type=refresh_token&refresh_token=wrong").await;
    assert_eq!(wrong.status(), 400);
    let text = wrong.text().await.unwrap();
    assert!(!text.contains("wrong"), "the presented token is not echoed");
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(body["error_description"].is_string());
    assert!(!text.contains(API_TOKEN));

    let grant = token_request(&client, &url, &format!("grant_type=password&refresh_token={API_TOKEN}")).await;
    assert_eq!(grant.status(), 400);
    assert_eq!(json(grant).await["error"], "unsupported_grant_type");

    let missing = token_request(&client, &url, "grant_type=refresh_token").await;
    assert_eq!(json(missing).await["error"], "invalid_request");

    let not_form = client
        .post(&url)
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"grant_type":"refresh_token","refresh_token":"{API_TOKEN}"}}"#
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(not_form.status(), 400);
    assert_eq!(json(not_form).await["error"], "invalid_request");

    assert_eq!(service.stats().token_exchanges, 0);
    service.shutdown().await;
}

#[tokio::test]
async fn without_an_api_token_every_grant_is_invalid_and_no_auth_is_needed() {
    let service = start_default().await;
    let client = client();
    let response = token_request(
        &client,
        &service.token_url(),
        &format!("grant_type=refresh_token&refresh_token={API_TOKEN}"),
    )
    .await;
    assert_eq!(response.status(), 400);
    assert_eq!(json(response).await["error"], "invalid_grant");
    let url = secrets_url(&service.base_url(), "t", "j");
    assert_eq!(get(&client, &url, None).await.status(), 200);
    service.shutdown().await;
}

#[tokio::test]
async fn secrets_need_a_valid_bearer_token() {
    let service = start_with(with_token()).await;
    let client = client();
    let url = secrets_url(&service.base_url(), "t", "j");

    let missing = get(&client, &url, None).await;
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    assert_vdk_error(missing, 401).await;

    let bogus = get(&client, &url, Some("0123456789abcdef0123456789abcdef")).await;
    assert!(bogus.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    let body = assert_vdk_error(bogus, 401).await;
    assert!(!body.to_string().contains("0123456789abcdef"));

    // The refresh token itself is not an access token.
    assert_eq!(get(&client, &url, Some(API_TOKEN)).await.status(), 401);
    let basic = client.get(&url).basic_auth("user", Some("pass")).send().await.unwrap();
    assert_eq!(basic.status(), 401);

    let put = put_json(&client, &url, r#"{"a":1}"#, None).await;
    assert_eq!(put.status(), 401);
    assert_eq!(service.stats().rejected_auth, 5);

    // Nothing was written by the refused PUT.
    let token = access_token(&client, &service.token_url()).await;
    assert_eq!(get(&client, &url, Some(&token)).await.text().await.unwrap(), "{}");
    service.shutdown().await;
}

#[tokio::test]
async fn tokens_expire_after_their_lifetime() {
    let service = start_with(ServiceConfig {
        token_lifetime_secs: 1,
        ..with_token()
    })
    .await;
    let client = client();
    let response = token_request(
        &client,
        &service.token_url(),
        &format!("grant_type=refresh_token&refresh_token={API_TOKEN}"),
    )
    .await;
    let body = json(response).await;
    assert_eq!(body["expires_in"], 1);
    let token = body["access_token"].as_str().unwrap().to_owned();
    let url = secrets_url(&service.base_url(), "t", "j");
    assert_eq!(get(&client, &url, Some(&token)).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(get(&client, &url, Some(&token)).await.status(), 401);
    // A new exchange works again.
    let fresh = access_token(&client, &service.token_url()).await;
    assert_eq!(get(&client, &url, Some(&fresh)).await.status(), 200);
    service.shutdown().await;
}

#[tokio::test]
async fn revoking_tokens_from_the_handle() {
    let service = start_with(with_token()).await;
    let client = client();
    let url = secrets_url(&service.base_url(), "t", "j");
    let token = access_token(&client, &service.token_url()).await;
    assert_eq!(get(&client, &url, Some(&token)).await.status(), 200);
    service.revoke_all_tokens();
    assert_eq!(get(&client, &url, Some(&token)).await.status(), 401);
    service.shutdown().await;
}
