//! Servers that misbehave on purpose, scripted byte by byte over raw TCP on 127.0.0.1: absurd
//! `Retry-After` values, endless interim answers, bytes that arrive on an idle keep-alive
//! connection, and a `Content-Length` far beyond what is sent. Each must end the call with a
//! documented status, on time, without a panic, a spinning core, a stranger's answer or a
//! buffer sized by the server's word. Its own test binary: it counts allocations process-wide.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use vdk_secrets::{Config, SecretsClient, Status};

/// Records the largest single allocation made while `TRACKING` is on.
struct LargestAllocation;

static TRACKING: AtomicBool = AtomicBool::new(false);
static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for LargestAllocation {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if TRACKING.load(Ordering::Relaxed) {
            LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        }
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if TRACKING.load(Ordering::Relaxed) {
            LARGEST.fetch_max(new_size, Ordering::Relaxed);
        }
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: LargestAllocation = LargestAllocation;

/// Every test here takes this lock: one of them measures the whole process's CPU time, which
/// another test's servers would add to.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

/// Accepts connections for ever, each served on its own thread by `handle(stream, index)`.
fn serve(handle: impl Fn(TcpStream, usize) + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = Arc::new(handle);
    std::thread::spawn(move || {
        for (index, stream) in listener.incoming().enumerate() {
            let Ok(stream) = stream else { return };
            let handle = handle.clone();
            std::thread::spawn(move || handle(stream, index));
        }
    });
    url
}

/// Reads one request (head and `Content-Length` body); `None` when the client hung up.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<String> {
    let mut head = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(head)
}

fn answer(json: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{json}",
        json.len()
    )
}

fn client(url: &str, extra: serde_json::Value) -> SecretsClient {
    let mut config = json!({
        "control_service_rest_api_url": url,
        "control_http_backoff_factor_seconds": 0.01,
        "control_http_read_timeout_seconds": 5,
    });
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    SecretsClient::new(Config::from_json(&config.to_string()).unwrap()).unwrap()
}

/// CPU time of the whole process (`RUSAGE_SELF`) or of the calling thread (`RUSAGE_THREAD`).
fn cpu(who: libc::c_int) -> Duration {
    // SAFETY: getrusage fills the struct we hand it.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut usage);
        usage
    };
    let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    Duration::from_micros(micros(usage.ru_utime) + micros(usage.ru_stime))
}

/// CPU spent by the scripted servers' threads, to be told apart from the client's.
static SERVER_CPU_MICROS: AtomicUsize = AtomicUsize::new(0);

#[test]
fn any_retry_after_ends_the_call_with_the_last_service_error_before_the_deadline() {
    let _serial = one_at_a_time();
    for retry_after in [
        "18446744073709551615",
        "9223372036854775807",
        "99999999999999999999999999",
        "-1",
        "-9223372036854775808",
        "soon, maybe",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "",
    ] {
        let reply = format!(
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: {retry_after}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let url = serve(move |stream, _| {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if read_request(&mut reader).is_some() {
                let _ = (&stream).write_all(reply.as_bytes());
            }
        });
        let c = client(
            &url,
            json!({"control_http_total_retries": 3, "control_http_deadline_seconds": 2}),
        );
        let started = Instant::now();
        let e = c.read_secrets_blocking("j", "t", None).unwrap_err();
        assert_eq!(
            (e.status(), e.http_status()),
            (Status::ServiceError, 503),
            "Retry-After {retry_after:?}: {e}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "Retry-After {retry_after:?}: took {:?}",
            started.elapsed()
        );
    }
}

/// `100 Continue` every 5 ms, never a final answer.
fn endless_interim_answers() -> String {
    serve(|stream, _| {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        if read_request(&mut reader).is_none() {
            return;
        }
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            if (&stream).write_all(b"HTTP/1.1 100 Continue\r\n\r\n").is_err() {
                break; // the client gave up and closed
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let spent = cpu(libc::RUSAGE_THREAD).as_micros() as usize;
        SERVER_CPU_MICROS.fetch_add(spent, Ordering::SeqCst);
    })
}

/// The client's CPU is the process's minus the server threads' (which report when they end,
/// a moment after the client closes: hence the short wait).
fn assert_ends_in(url: &str, extra: serde_json::Value, expected: Duration) {
    let c = client(url, extra);
    let (wall, process, server) = (
        Instant::now(),
        cpu(libc::RUSAGE_SELF),
        SERVER_CPU_MICROS.load(Ordering::SeqCst),
    );
    let e = c.read_secrets_blocking("j", "t", None).unwrap_err();
    let wall = wall.elapsed();
    std::thread::sleep(Duration::from_millis(100));
    let server = Duration::from_micros((SERVER_CPU_MICROS.load(Ordering::SeqCst) - server) as u64);
    let cpu = (cpu(libc::RUSAGE_SELF) - process).saturating_sub(server);
    assert_eq!(e.status(), Status::Network, "{e}");
    assert!(
        wall >= expected && wall < expected + Duration::from_millis(1500),
        "ended after {wall:?}, expected about {expected:?}: {e}"
    );
    assert!(
        cpu.as_secs_f64() < 0.10 * wall.as_secs_f64(),
        "{cpu:?} of CPU in {wall:?} of waiting"
    );
}

/// One test for both cases: CPU is measured for the whole process, so nothing else may run.
#[test]
fn endless_interim_answers_end_at_the_read_timeout_or_the_deadline_without_spinning() {
    let _serial = one_at_a_time();
    let url = endless_interim_answers();
    assert_ends_in(
        &url,
        json!({"control_http_read_timeout_seconds": 1, "control_http_read_retries": 0, "control_http_deadline_seconds": 10}),
        Duration::from_secs(1),
    );
    assert_ends_in(
        &url,
        json!({"control_http_read_timeout_seconds": 10, "control_http_deadline_seconds": 1}),
        Duration::from_secs(1),
    );
}

/// Answers each request on a connection with the job it asked for; 50 ms after the first
/// answer, writes a complete answer nobody asked for on the idle connection.
fn server_with_stale_bytes() -> String {
    serve(|stream, _| {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut first = true;
        while let Some(head) = read_request(&mut reader) {
            let job = head
                .split("/jobs/")
                .nth(1)
                .and_then(|r| r.split('/').next())
                .unwrap_or("?")
                .to_string();
            if (&stream)
                .write_all(answer(&format!("{{\"job\":\"{job}\"}}")).as_bytes())
                .is_err()
            {
                return;
            }
            if first {
                first = false;
                std::thread::sleep(Duration::from_millis(50));
                let _ = (&stream).write_all(answer(r#"{"job":"stale, meant for nobody"}"#).as_bytes());
            }
        }
    })
}

#[test]
fn bytes_on_an_idle_connection_never_answer_a_later_request() {
    let _serial = one_at_a_time();
    let url = server_with_stale_bytes();
    // No retries at all: replacing the poisoned connection must not need one.
    let c = client(
        &url,
        json!({"control_http_total_retries": 0, "control_http_read_retries": 0, "control_http_connect_retries": 0}),
    );
    for (i, job) in ["first-job", "second-job", "third-job"].iter().enumerate() {
        let read = c
            .read_secrets_blocking(job, "team", None)
            .unwrap_or_else(|e| panic!("call {i}: {e}"));
        assert_eq!(read.get("job").and_then(|v| v.as_str()), Some(*job), "call {i}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_content_length_never_sizes_a_buffer() {
    let _serial = one_at_a_time();
    const DECLARED: usize = 64 << 20;
    let url = serve(|stream, _| {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        if read_request(&mut reader).is_some() {
            // 200 KB of a real body first, past the initial buffer, then silence.
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {DECLARED}\r\nConnection: close\r\n\r\n{{\"a\":\"");
            let _ = (&stream).write_all(head.as_bytes());
            let _ = (&stream).write_all(&[b'x'; 200 * 1024]);
        }
    });
    let c = client(
        &url,
        json!({"control_http_max_response_bytes": 1u64 << 40, "control_http_total_retries": 0, "control_http_read_retries": 0}),
    );
    TRACKING.store(true, Ordering::SeqCst);
    let e = c.read_secrets_blocking("j", "t", None).unwrap_err();
    TRACKING.store(false, Ordering::SeqCst);
    assert_eq!(e.status(), Status::Network, "a truncated answer: {e}");
    let largest = LARGEST.load(Ordering::SeqCst);
    assert!(
        largest < 1 << 20,
        "the largest allocation during the call was {largest} bytes; the server announced {DECLARED}"
    );
}
