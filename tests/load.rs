//! 64 threads hammer one client while the service injects faults: every call must end with a
//! documented status within its deadline, and every job must end up holding exactly the last
//! map whose write was acknowledged.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use vdk_secrets::{SecretMap, Status};

const THREADS: usize = 64;
const ROUNDS: usize = 6;
const DEADLINE: Duration = Duration::from_millis(1500);

/// Job names per thread: healthy ones and ones whose service misbehaves now and then.
fn job_for(thread: usize, round: usize) -> String {
    match thread % 8 {
        0 => format!("healthy-{thread}"),
        1 => format!("fault-flaky-1-503-{thread}-{round}"),
        2 => format!("fault-flakydrop-1-{thread}-{round}"),
        3 => format!("fault-slow-150-{thread}"),
        4 => format!("fault-retryafter-1-0-{thread}-{round}"),
        5 => format!("fault-status-503-{thread}"),
        6 => format!("fault-slow-5000-{thread}"),
        _ => format!("healthy-b-{thread}"),
    }
}

#[test]
fn sixty_four_threads_under_faults() {
    let service = service_with(|c| {
        c.api_token = Some(API_TOKEN.to_string());
        c.token_lifetime_secs = 2;
    });
    let client = client(
        &service,
        json!({
            "control_http_deadline_seconds": DEADLINE.as_secs_f64(),
            "control_http_read_timeout_seconds": 0.5,
            "control_http_total_retries": 4,
            "control_http_backoff_factor_seconds": 0.05,
        }),
    );
    let acknowledged: Arc<Mutex<HashMap<String, SecretMap>>> = Arc::default();
    let outcomes: Arc<Mutex<HashMap<Status, usize>>> = Arc::default();
    let revoker = {
        let service_handle = service.handle();
        std::thread::spawn(move || {
            for _ in 0..4 {
                std::thread::sleep(Duration::from_millis(400));
                service_handle.revoke_all_tokens();
            }
        })
    };
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (client, acknowledged, outcomes) = (client.clone(), acknowledged.clone(), outcomes.clone());
            std::thread::spawn(move || {
                for round in 0..ROUNDS {
                    let job = job_for(t, round);
                    let secrets =
                        SecretMap::from_json(json!({"thread": t, "round": round}).to_string().as_bytes()).unwrap();
                    let start = Instant::now();
                    let result = client.write_secrets_blocking(&job, "load", &secrets, None);
                    let took = start.elapsed();
                    assert!(
                        took < DEADLINE + Duration::from_millis(500),
                        "{job}: write took {took:?}"
                    );
                    let status = match &result {
                        Ok(()) => Status::Ok,
                        Err(e) => e.status(),
                    };
                    assert!(
                        matches!(status, Status::Ok | Status::ServiceError | Status::Network),
                        "{job}: unexpected {status:?}: {result:?}"
                    );
                    if result.is_ok() {
                        acknowledged.lock().unwrap().insert(job.clone(), secrets);
                    }
                    *outcomes.lock().unwrap().entry(status).or_default() += 1;

                    let start = Instant::now();
                    let read = client.read_secrets_blocking(&job, "load", None);
                    assert!(
                        start.elapsed() < DEADLINE + Duration::from_millis(500),
                        "{job}: read too slow"
                    );
                    if let Err(e) = &read {
                        assert!(
                            matches!(e.status(), Status::ServiceError | Status::Network),
                            "{job}: {e:?}"
                        );
                    }
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    revoker.join().unwrap();

    // Each job holds exactly its last acknowledged map: nothing lost, nothing stale.
    let verify = common::client(&service, json!({}));
    let acknowledged = acknowledged.lock().unwrap();
    for (job, expected) in acknowledged.iter() {
        if job.starts_with("fault-slow-5000") || job.starts_with("fault-status-503") {
            continue; // never acknowledged, and reading them would only time out again
        }
        let stored = verify
            .read_secrets_blocking(job, "load", None)
            .unwrap_or_else(|e| panic!("{job}: {e}"));
        assert_eq!(&stored, expected, "{job}");
    }
    let outcomes = outcomes.lock().unwrap();
    println!("write outcomes: {outcomes:?}; {} jobs verified", acknowledged.len());
    assert!(
        outcomes.get(&Status::Ok).copied().unwrap_or(0) >= THREADS * ROUNDS / 2,
        "{outcomes:?}"
    );
    assert!(
        outcomes.get(&Status::ServiceError).copied().unwrap_or(0) >= 8 * ROUNDS,
        "{outcomes:?}"
    );
    assert!(
        outcomes.get(&Status::Network).copied().unwrap_or(0) >= 8 * ROUNDS,
        "{outcomes:?}"
    );
}
