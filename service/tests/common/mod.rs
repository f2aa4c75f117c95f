//! Helpers shared by the integration tests: an HTTP client, URL building, temp directories and
//! raw HTTP over TCP (for checks below the level of an HTTP client).
#![allow(dead_code)] // each test file uses a different subset

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vdk_control_service::{start, RunningService, ServiceConfig};

pub const API_TOKEN: &str = "test-refresh-token";

/// Everything but RFC 3986 unreserved characters is encoded, as a careful client would.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

pub fn encode(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

pub fn secrets_url(base: &str, team: &str, job: &str) -> String {
    format!(
        "{base}/data-jobs/for-team/{}/jobs/{}/deployments/TODO/secrets",
        encode(team),
        encode(job)
    )
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

pub async fn start_with(config: ServiceConfig) -> RunningService {
    start(config).await.expect("service starts")
}

pub async fn start_default() -> RunningService {
    start_with(ServiceConfig::default()).await
}

/// Exchanges the test API token for an access token.
pub async fn access_token(client: &reqwest::Client, token_url: &str) -> String {
    let response = client
        .post(token_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("grant_type=refresh_token&refresh_token={API_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = json(response).await;
    body["access_token"].as_str().unwrap().to_owned()
}

pub async fn put_json(client: &reqwest::Client, url: &str, body: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = client
        .put(url)
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

pub async fn get(client: &reqwest::Client, url: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// The JSON body (reqwest's `json` feature is kept off to match the client crate's build).
pub async fn json(response: reqwest::Response) -> serde_json::Value {
    let bytes = response.bytes().await.unwrap();
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&bytes)))
}

/// Asserts a VDK-style error body and returns it.
pub async fn assert_vdk_error(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body = json(response).await;
    for field in ["what", "why", "consequences", "countermeasures"] {
        assert!(body[field].as_str().is_some_and(|s| !s.is_empty()), "{field} in {body}");
    }
    body
}

/// A directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "vdk-cs-test-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Sends raw bytes and returns everything the server sends until it closes the connection.
pub async fn raw_exchange(addr: SocketAddr, request: &str) -> std::io::Result<Vec<u8>> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut response))
        .await
        .expect("server closes the connection")?;
    Ok(response)
}

/// The blocking twin of [`raw_exchange`].
pub fn raw_exchange_sync(addr: SocketAddr, request: &str) -> std::io::Result<Vec<u8>> {
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    Ok(response)
}
