//! The job secrets layer: backend choice, cache, serialized read-modify-write, validation.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};
use vdk_secrets::job::{BackendFuture, Backends, SecretsBackend};
use vdk_secrets::{Config, JobSecrets, SecretMap, Status};

fn config(value: Value) -> Config {
    Config::from_json(&value.to_string()).unwrap()
}

/// A backend that counts calls and can be slowed, wrapping the memory backend's semantics.
#[derive(Default)]
struct Counting {
    reads: AtomicUsize,
    writes: AtomicUsize,
    delay: Duration,
    stored: std::sync::Mutex<SecretMap>,
}

impl SecretsBackend for Counting {
    fn name(&self) -> &str {
        "counting"
    }
    fn read<'a>(&'a self, _: &'a str, _: &'a str, _: Option<Instant>) -> BackendFuture<'a, SecretMap> {
        Box::pin(async move {
            self.reads.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            Ok(self.stored.lock().unwrap().clone())
        })
    }
    fn write<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        secrets: &'a SecretMap,
        _: Option<Instant>,
    ) -> BackendFuture<'a, ()> {
        Box::pin(async move {
            self.writes.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            *self.stored.lock().unwrap() = secrets.clone();
            Ok(())
        })
    }
}

#[test]
fn backend_registration_follows_upstream() {
    let with_url = config(json!({"control_service_rest_api_url": "http://127.0.0.1:9"}));
    assert_eq!(
        Backends::from_config(&with_url).unwrap().names(),
        ["control-service", "default", "memory"]
    );
    assert_eq!(Backends::from_config(&config(json!({}))).unwrap().names(), ["memory"]);

    let job = JobSecrets::new("j", "t", &with_url).unwrap();
    assert_eq!(job.backend_name(), "default");
    let mut chosen = with_url.clone();
    chosen.secrets_default_type = Some("Control-Service".into());
    assert_eq!(
        JobSecrets::new("j", "t", &chosen).unwrap().backend_name(),
        "control-service"
    );
}

#[test]
fn no_backend_or_unknown_backend_fails_on_first_use() {
    let job = JobSecrets::new("j", "t", &config(json!({}))).unwrap();
    let e = job.get("k", None).unwrap_err();
    assert_eq!(e.status(), Status::Configuration);
    assert!(e.why().contains("memory"), "lists what is registered: {}", e.why());
    assert!(e.countermeasures().contains("control_service_rest_api_url"));

    let job = JobSecrets::new("j", "t", &config(json!({"secrets_default_type": "vault"}))).unwrap();
    let e = job.set("k", json!("v"), None).unwrap_err();
    assert_eq!(e.status(), Status::Configuration);
    assert!(e.why().contains("vault") && e.why().contains("memory"), "{}", e.why());
}

#[test]
fn memory_backend_is_shared_within_the_process() {
    let memory = config(json!({"secrets_default_type": "memory"}));
    let a = JobSecrets::new("mem-job", "mem-team", &memory).unwrap();
    a.set("api-key", json!(CANARY), None).unwrap();
    a.set("port", json!(5432), None).unwrap();
    let b = JobSecrets::new("mem-job", "mem-team", &memory).unwrap();
    assert_eq!(b.get("api-key", None).unwrap(), Some(json!(CANARY)));
    assert_eq!(b.get("missing", None).unwrap(), None);
    b.delete("api-key", None).unwrap();
    b.delete("never-there", None).unwrap();
    a.refresh(None).unwrap();
    assert_eq!(a.get_all(None).unwrap().as_map().keys().collect::<Vec<_>>(), ["port"]);
}

#[test]
fn reads_are_cached_until_a_write_or_refresh() {
    let backend = Arc::new(Counting::default());
    let job = JobSecrets::with_backend("j", "t", backend.clone(), None);
    for _ in 0..100 {
        assert_eq!(job.get("k", None).unwrap(), None);
    }
    assert_eq!(backend.reads.load(Ordering::SeqCst), 1);
    job.set("k", json!(1), None).unwrap();
    assert_eq!(job.get("k", None).unwrap(), Some(json!(1)));
    assert_eq!(
        backend.reads.load(Ordering::SeqCst),
        1,
        "set used the warm cache, get the updated one"
    );
    job.refresh(None).unwrap();
    assert_eq!(backend.reads.load(Ordering::SeqCst), 2);
}

#[test]
fn cache_time_to_live_expires() {
    let backend = Arc::new(Counting::default());
    let job = JobSecrets::with_backend("j", "t", backend.clone(), Some(Duration::from_millis(100)));
    job.get_all(None).unwrap();
    job.get_all(None).unwrap();
    assert_eq!(backend.reads.load(Ordering::SeqCst), 1);
    std::thread::sleep(Duration::from_millis(150));
    job.get_all(None).unwrap();
    assert_eq!(backend.reads.load(Ordering::SeqCst), 2);
}

#[test]
fn concurrent_cold_reads_cause_one_fetch() {
    let backend = Arc::new(Counting {
        delay: Duration::from_millis(100),
        ..Counting::default()
    });
    let job = Arc::new(JobSecrets::with_backend("j", "t", backend.clone(), None));
    let barrier = Arc::new(Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let (job, barrier) = (job.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                job.get("k", None).unwrap();
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(backend.reads.load(Ordering::SeqCst), 1);
}

#[test]
fn concurrent_sets_lose_no_update() {
    let service = authenticated_service();
    let job = Arc::new(JobSecrets::new("rmw", "team", &fast_config(&service, json!({}))).unwrap());
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let job = job.clone();
            std::thread::spawn(move || {
                for n in 0..10 {
                    job.set(&format!("key-{i}-{n}"), json!(n), None).unwrap();
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    // A fresh handle reads what the service holds: all 160 keys.
    let fresh = JobSecrets::new("rmw", "team", &fast_config(&service, json!({}))).unwrap();
    assert_eq!(fresh.get_all(None).unwrap().len(), 160);
}

#[test]
fn validation_refuses_before_writing() {
    let backend = Arc::new(Counting::default());
    let job = JobSecrets::with_backend("j", "t", backend.clone(), None);
    for bad in ["", "has space", "tab\there", "new\nline", "nbsp\u{a0}x"] {
        let e = job.set(bad, json!("v"), None).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument, "{bad:?}");
    }
    let e = job.set("big", json!("x".repeat(1024 * 1024 + 1)), None).unwrap_err();
    assert_eq!(e.status(), Status::UserError);
    assert!(e.why().contains("1048576"), "{}", e.why());
    let map = SecretMap::from_json(br#"{"ok": 1, "not ok": 2}"#).unwrap();
    assert_eq!(job.set_all(map, None).unwrap_err().status(), Status::InvalidArgument);
    assert_eq!(backend.writes.load(Ordering::SeqCst), 0, "nothing was written");
    assert_eq!(job.get("big", None).unwrap(), None, "the cache holds no refused value");
    for (job_name, team) in [("", "t"), ("j", ""), ("..", "t")] {
        assert!(JobSecrets::new(job_name, team, &config(json!({}))).is_err());
    }
}

#[test]
fn control_service_backend_round_trip_and_errors() {
    let service = authenticated_service();
    let cfg = fast_config(&service, json!({"control_http_total_retries": 1}));
    let job = JobSecrets::new("cs-job", "team", &cfg).unwrap();
    job.set_all(
        SecretMap::from_json(br#"{"a": "1", "b": {"c": [1, 2]}}"#).unwrap(),
        None,
    )
    .unwrap();
    job.set("d", json!(1u64 << 60), None).unwrap();
    job.delete("a", None).unwrap();
    let other = JobSecrets::new("cs-job", "team", &cfg).unwrap();
    assert_eq!(
        other.get_all(None).unwrap().as_map(),
        json!({"b": {"c": [1, 2]}, "d": 1u64 << 60}).as_object().unwrap()
    );

    let failing = JobSecrets::new("fault-status-503", "team", &cfg).unwrap();
    assert_eq!(failing.get("x", None).unwrap_err().status(), Status::ServiceError);
    let slow = JobSecrets::new("fault-slow-3000", "team", &cfg).unwrap();
    let start = Instant::now();
    let e = slow
        .get("x", Some(Instant::now() + Duration::from_millis(200)))
        .unwrap_err();
    assert_eq!(e.status(), Status::Network);
    assert!(start.elapsed() < Duration::from_secs(1));
}
