//! A hostile server for leak tests: it answers every request with an error whose texts quote
//! everything the request carried (request line, headers with the `Authorization` header,
//! body) in the forms real servers echo: raw, JSON-escaped, `\uXXXX` for every character,
//! percent- and form-encoded, wrapped over lines, and cut in the middle. Clients must show none
//! of it. Plain threads and a raw socket: the point is to answer what no well-behaved server
//! would.
//!
//! The request path chooses the answer: `.../token/ok...` (or any token path without `status-`)
//! answers a valid token with [`ECHO_ACCESS_TOKEN`]; a path holding `status-<code>` answers that
//! code; `okthen-<code>` answers `{"cached": <ECHO_STORED_VALUE>}` to the first request of that
//! path and `<code>` with the stored value quoted afterwards (a server repeating what it
//! stores). The echo form rotates per request so a test that makes several calls sees them all.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use serde_json::json;

/// The access token the echo server issues: tests must find it in no output.
pub const ECHO_ACCESS_TOKEN: &str = "echo-access-token-5d1c8e0b7a924f63";
/// The value the echo server "stores" for `okthen-` paths: tests must find it in no error.
pub const ECHO_STORED_VALUE: &str = "stored-value-0b9e4c2a61f8d735";

/// How the request is quoted, one form per answer in turn.
const FORMS: [&str; 8] = [
    "raw",
    "json",
    "unicode",
    "percent",
    "form",
    "wrapped",
    "jsonwrapped",
    "cut",
];

/// A running echo server; it runs until the process ends.
pub struct EchoServer {
    addr: SocketAddr,
}

impl EchoServer {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Starts the echo server on 127.0.0.1, a free port.
pub fn start_echo_server() -> io::Result<EchoServer> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let answered = Arc::new(AtomicUsize::new(0));
    let paths_seen: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let answered = answered.clone();
            let paths_seen = paths_seen.clone();
            thread::spawn(move || {
                let _ = serve(stream, &answered, &paths_seen);
            });
        }
    });
    Ok(EchoServer { addr })
}

fn serve(stream: TcpStream, answered: &AtomicUsize, paths_seen: &Mutex<HashMap<String, u64>>) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        request.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length.min(1 << 20)];
    reader.read_exact(&mut body)?;
    request.push_str(&String::from_utf8_lossy(&body));
    let path = request.split(' ').nth(1).unwrap_or_default().to_string();
    let seen = {
        let mut seen = paths_seen.lock().unwrap_or_else(|p| p.into_inner());
        let count = seen.entry(path.clone()).or_default();
        *count += 1;
        *count - 1
    };
    let (status, body) = answer(&path, &request, seen, answered.fetch_add(1, Ordering::Relaxed));
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} Echo\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}

fn answer(path: &str, request: &str, seen: u64, turn: usize) -> (u16, String) {
    let code_after = |marker: &str| -> Option<u16> {
        let rest = &path[path.find(marker)? + marker.len()..];
        rest.get(..3)?.parse().ok()
    };
    if let Some(code) = code_after("okthen-") {
        if seen == 0 {
            return (200, json!({ "cached": ECHO_STORED_VALUE }).to_string());
        }
        let quoted = format!("{request}\nstored: {{\"cached\": \"{ECHO_STORED_VALUE}\"}}");
        return (code, echo_body(&quoted, turn));
    }
    if let Some(code) = code_after("status-") {
        return (code, echo_body(request, turn));
    }
    if path.contains("/token") {
        return (
            200,
            json!({"access_token": ECHO_ACCESS_TOKEN, "token_type": "bearer", "expires_in": 3600}).to_string(),
        );
    }
    (200, "{}".to_string())
}

/// A VDK error body whose every text quotes `request` in this turn's form; every fourth turn
/// uses the spec's `{"messages": [...]}` instead, every eighth a bare `message`.
fn echo_body(request: &str, turn: usize) -> String {
    let form = FORMS[turn % FORMS.len()];
    let quoted = quote(request, form);
    match (turn / FORMS.len()) % 3 {
        0 => json!({
            "what": format!("cannot take {quoted}"),
            "why": format!("the request was: {quoted}"),
            "consequences": quoted,
            "countermeasures": format!("send something other than {quoted}"),
        }),
        1 => json!({ "messages": [format!("bad request {quoted}"), quoted] }),
        _ => json!({ "message": format!("bad request {quoted}") }),
    }
    .to_string()
}

/// `text` in one of the forms servers echo.
pub fn quote(text: &str, form: &str) -> String {
    match form {
        "json" => json_escaped(text),
        "unicode" => text.encode_utf16().map(|u| format!("\\u{u:04x}")).collect(),
        "percent" => percent_encoded(text, false),
        "form" => percent_encoded(text, true),
        "wrapped" => wrap(text, 17, "\r\n"),
        "jsonwrapped" => wrap(&json_escaped(text), 23, "\n"),
        // Cut 300 characters in: inside the request line or headers, where the token sits,
        // or inside the body of a short request.
        "cut" => text.chars().take(300).collect(),
        _ => text.to_string(),
    }
}

fn json_escaped(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_default();
    quoted[1..quoted.len() - 1].to_string()
}

fn percent_encoded(text: &str, space_as_plus: bool) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        match b {
            b' ' if space_as_plus => out.push('+'),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn wrap(text: &str, width: usize, eol: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(width)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(eol)
}
