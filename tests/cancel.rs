//! Cancelling an asynchronous call stops the request itself: a raw TCP server on 127.0.0.1
//! that never answers sees its connection closed right after the cancel, and no retry
//! arrives. Driven through the C ABI's `_async` calls and `vdk_call_cancel`.

use std::ffi::{c_char, c_void, CString};
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vdk_secrets::ffi::call::{vdk_call_cancel, vdk_call_free, VdkCall};
use vdk_secrets::ffi::client::{
    vdk_client_free, vdk_client_new, vdk_client_read_secrets_async, vdk_client_write_secrets_async, VdkClient,
};
use vdk_secrets::ffi::error::vdk_error_free;
use vdk_secrets::ffi::string::vdk_string_free;
use vdk_secrets::ffi::{VdkError, VdkStatus};

/// What the server saw on each connection: when its request arrived and when the client
/// closed it.
#[derive(Default)]
struct Seen {
    requests: Vec<Instant>,
    closed: Vec<Instant>,
}

/// Reads each request and never answers; records when the client hangs up.
fn silent_server() -> (String, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let record = record.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 0 {
                    if line == "\r\n" {
                        record.lock().unwrap().requests.push(Instant::now());
                    }
                    line.clear();
                }
                // EOF (or reset): the client closed the connection. Drain anything else.
                let _ = reader.read_to_end(&mut Vec::new());
                record.lock().unwrap().closed.push(Instant::now());
            });
        }
    });
    (url, seen)
}

struct Done {
    status: VdkStatus,
    at: Instant,
}

extern "C" fn on_complete(
    user_data: *mut c_void,
    _: *mut VdkCall,
    status: VdkStatus,
    json: *mut c_char,
    error: *mut VdkError,
) {
    vdk_string_free(json);
    vdk_error_free(error);
    // SAFETY: user_data is the Sender leaked for this one call below; taken back exactly once.
    let sender = unsafe { Box::from_raw(user_data as *mut Sender<Done>) };
    let _ = sender.send(Done {
        status,
        at: Instant::now(),
    });
}

fn client(url: &str) -> *mut VdkClient {
    let config = CString::new(format!(
        r#"{{"control_service_rest_api_url": "{url}", "control_http_read_timeout_seconds": 30, "control_http_backoff_factor_seconds": 0.01}}"#
    ))
    .unwrap();
    let mut client = std::ptr::null_mut();
    assert_eq!(
        vdk_client_new(config.as_ptr(), &mut client, std::ptr::null_mut()),
        VdkStatus::VDK_STATUS_OK
    );
    client
}

fn start(client: *mut VdkClient, write: bool) -> (*mut VdkCall, Receiver<Done>) {
    let (sender, receiver) = channel();
    let user_data = Box::into_raw(Box::new(sender)) as *mut c_void;
    let (job, team, body) = (c"job", c"team", c"{\"k\": \"sk-canary-7f3a9c1d\"}");
    let mut call = std::ptr::null_mut();
    let status = if write {
        vdk_client_write_secrets_async(
            client,
            job.as_ptr(),
            team.as_ptr(),
            body.as_ptr(),
            0,
            Some(on_complete),
            user_data,
            &mut call,
            std::ptr::null_mut(),
        )
    } else {
        vdk_client_read_secrets_async(
            client,
            job.as_ptr(),
            team.as_ptr(),
            0,
            Some(on_complete),
            user_data,
            &mut call,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(status, VdkStatus::VDK_STATUS_OK);
    (call, receiver)
}

#[test]
fn a_cancelled_call_closes_its_connection_and_sends_no_retry() {
    let (url, seen) = silent_server();
    let client = client(&url);
    for write in [false, true] {
        let before = seen.lock().unwrap().requests.len();
        let (call, done) = start(client, write);
        let waited = Instant::now();
        while seen.lock().unwrap().requests.len() == before {
            assert!(waited.elapsed() < Duration::from_secs(5), "the request never arrived");
            std::thread::sleep(Duration::from_millis(5));
        }
        let cancelled_at = Instant::now();
        assert!(vdk_call_cancel(call));
        let done = done.recv_timeout(Duration::from_secs(5)).expect("the completion runs");
        assert_eq!(done.status, VdkStatus::VDK_STATUS_CANCELLED);
        assert!(
            done.at - cancelled_at < Duration::from_millis(50),
            "callback {:?} after the cancel",
            done.at - cancelled_at
        );
        vdk_call_free(call);
        // The server sees the connection closed at once, and nothing more arrives.
        let waited = Instant::now();
        while {
            let seen = seen.lock().unwrap();
            seen.closed.len() < seen.requests.len()
        } {
            assert!(
                waited.elapsed() < Duration::from_secs(2),
                "the connection was not closed"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let closed_after = *seen.lock().unwrap().closed.last().unwrap() - cancelled_at;
        assert!(
            closed_after < Duration::from_millis(200),
            "closed {closed_after:?} after the cancel"
        );
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(
            seen.lock().unwrap().requests.len(),
            before + 1,
            "no retry after a cancel (write: {write})"
        );
    }
    vdk_client_free(client);
}
