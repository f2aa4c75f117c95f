//! What goes on the wire, and what a hostile server gets back, checked with a raw TCP server
//! on 127.0.0.1 that records each request and answers with scripted bytes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use serde_json::json;
use vdk_secrets::{Config, SecretMap, SecretsClient, Status};

struct RawServer {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

/// Answers every connection with `answer`, recording the request head and body.
fn raw_server(answer: &'static [u8]) -> RawServer {
    raw_server_closing_after(answer, std::time::Duration::ZERO)
}

/// As `raw_server`, but keeps each connection open for `linger` after answering, then closes
/// it: a keep-alive connection that dies while the client holds it idle.
fn raw_server_closing_after(answer: &'static [u8], linger: std::time::Duration) -> RawServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let recorded = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                let end = line == "\r\n";
                head.push_str(&line);
                if end {
                    break;
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            head.push_str(&String::from_utf8_lossy(&body));
            recorded.lock().unwrap().push(head);
            let _ = stream.write_all(answer);
            std::thread::sleep(linger);
        }
    });
    RawServer { url, requests }
}

fn client(url: &str, extra: serde_json::Value) -> SecretsClient {
    let mut config = json!({
        "control_service_rest_api_url": url,
        "control_http_total_retries": 2,
        "control_http_backoff_factor_seconds": 0.01,
        "control_http_read_timeout_seconds": 2,
    });
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    SecretsClient::new(Config::from_json(&config.to_string()).unwrap()).unwrap()
}

const OK_EMPTY: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";

#[test]
fn requests_look_like_upstream() {
    let server = raw_server(OK_EMPTY);
    let prefixed = format!("{}/api/v1", server.url);
    let c = client(&prefixed, json!({}));
    c.read_secrets_blocking("job/with slash", "team ü", None).unwrap();
    let map = SecretMap::from_json(br#"{"b":2,"a":"x"}"#).unwrap();
    let put = raw_server(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    client(&put.url, json!({}))
        .write_secrets_blocking("j", "t", &map, None)
        .unwrap();

    let get = server.requests.lock().unwrap()[0].clone();
    let lower = get.to_ascii_lowercase();
    assert!(
        get.starts_with("GET /api/v1/data-jobs/for-team/team%20%C3%BC/jobs/job%2Fwith%20slash/deployments/TODO/secrets HTTP/1.1\r\n"),
        "{get}"
    );
    assert!(lower.contains("accept: application/json\r\n"), "{get}");
    assert!(
        lower.contains(&format!("user-agent: vdk-secrets/{}\r\n", env!("CARGO_PKG_VERSION"))),
        "{get}"
    );
    let opid = lower.split("x-opid: ").nth(1).unwrap().split("\r\n").next().unwrap();
    assert!(
        opid.len() == 16 && opid.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
        "{opid}"
    );
    assert!(
        !lower.contains("authorization"),
        "no token configured, none sent: {get}"
    );

    let put = put.requests.lock().unwrap()[0].clone();
    assert!(
        put.starts_with("PUT /data-jobs/for-team/t/jobs/j/deployments/TODO/secrets HTTP/1.1\r\n"),
        "{put}"
    );
    assert!(
        put.to_ascii_lowercase().contains("content-type: application/json\r\n"),
        "{put}"
    );
    assert!(
        put.ends_with("\r\n\r\n{\"a\":\"x\",\"b\":2}"),
        "compact JSON body: {put}"
    );
}

#[test]
fn header_overrides_and_deployment_id() {
    let server = raw_server(OK_EMPTY);
    let c = client(
        &server.url,
        json!({"op_id_override": "my-op-id", "control_service_user_agent": "scheduler/7", "deployment_id": "prod 1"}),
    );
    c.read_secrets_blocking("j", "t", None).unwrap();
    let get = server.requests.lock().unwrap()[0].to_ascii_lowercase();
    assert!(
        get.contains("x-opid: my-op-id\r\n") && get.contains("user-agent: scheduler/7\r\n"),
        "{get}"
    );
    assert!(
        get.starts_with("get /data-jobs/for-team/t/jobs/j/deployments/prod%201/secrets "),
        "{get}"
    );
}

#[test]
fn an_answer_that_is_not_http_is_a_protocol_error_and_not_retried() {
    let server = raw_server(b"HELLO, this is not HTTP\r\n\r\n");
    let e = client(&server.url, json!({}))
        .read_secrets_blocking("j", "t", None)
        .unwrap_err();
    assert_eq!(e.status(), Status::Protocol, "{e}");
    assert_eq!(server.requests.lock().unwrap().len(), 1);
}

#[test]
fn a_redirect_is_not_followed() {
    let server = raw_server(
        b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/steal\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    let e = client(&server.url, json!({}))
        .read_secrets_blocking("j", "t", None)
        .unwrap_err();
    assert_eq!((e.status(), e.http_status()), (Status::Protocol, 302));
    assert_eq!(server.requests.lock().unwrap().len(), 1);
}

#[test]
fn a_truncated_body_is_retried_then_a_network_error() {
    let server = raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"a\":");
    let e = client(&server.url, json!({}))
        .read_secrets_blocking("j", "t", None)
        .unwrap_err();
    assert_eq!(e.status(), Status::Network, "{e}");
    assert_eq!(server.requests.lock().unwrap().len(), 3, "one try and two retries");
}

#[test]
fn error_bodies_that_echo_secrets_are_redacted() {
    let server = raw_server(
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 62\r\nConnection: close\r\n\r\n{\"what\":\"bad\",\"why\":\"value sk-canary-7f3a9c1d is not allowed\"}",
    );
    let map = SecretMap::from_json(br#"{"k":"sk-canary-7f3a9c1d"}"#).unwrap();
    let e = client(&server.url, json!({}))
        .write_secrets_blocking("j", "t", &map, None)
        .unwrap_err();
    assert_eq!(e.status(), Status::UserError);
    assert!(e.why().contains("value *** is not allowed"), "{}", e.why());
    assert!(!format!("{e:?} {e}").contains("sk-canary-7f3a9c1d"));
}

#[test]
fn a_pooled_connection_closed_by_the_server_costs_no_retry() {
    // Keep-alive answers, but the server closes each connection 10 ms later, while the client
    // holds it in its pool.
    let server = raw_server_closing_after(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        std::time::Duration::from_millis(10),
    );
    let c = client(
        &server.url,
        json!({"control_http_total_retries": 0, "control_http_read_retries": 0}),
    );
    for _ in 0..5 {
        std::thread::sleep(std::time::Duration::from_millis(40));
        c.read_secrets_blocking("j", "t", None).unwrap();
    }
    assert_eq!(server.requests.lock().unwrap().len(), 5);
}
