//! The opt-in caller-driven runtime (`VDK_SECRETS_RUNTIME=current_thread`): one test in its own
//! binary, since the runtime is chosen once per process.

mod common;

use common::*;
use serde_json::json;
use vdk_secrets::{SecretMap, Status};

#[test]
fn current_thread_runtime_serves_many_threads_and_faults() {
    std::env::set_var("VDK_SECRETS_RUNTIME", "current_thread");
    let service = authenticated_service();
    let client = client(&service, json!({"control_http_total_retries": 2}));
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let client = client.clone();
            std::thread::spawn(move || {
                let job = format!("caller-driven-{i}");
                for n in 0..20 {
                    let secrets = SecretMap::from_json(json!({"n": n}).to_string().as_bytes()).unwrap();
                    client.write_secrets_blocking(&job, "team", &secrets, None).unwrap();
                    assert_eq!(client.read_secrets_blocking(&job, "team", None).unwrap(), secrets);
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(service.stats().token_exchanges, 1);
    for (job, status) in [
        ("fault-status-503", Status::ServiceError),
        ("fault-drop", Status::Network),
    ] {
        assert_eq!(
            client.read_secrets_blocking(job, "team", None).unwrap_err().status(),
            status
        );
    }
    client
        .read_secrets_blocking("fault-flaky-2-503-cd", "team", None)
        .unwrap();
    // No worker threads were started for the library.
    let names: Vec<String> = std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .collect();
    assert!(!names.iter().any(|n| n.trim() == "vdk-secrets-wor"), "{names:?}");
}
