//! Descriptors grow with the calls in flight, not with the threads that ever made a call:
//! schedulers run hundreds of threads under a descriptor limit of 1,024. A thread that made a
//! call keeps no descriptor of its own; connections are pooled per client. Its own test binary,
//! since it counts the whole process's descriptors.

mod common;

use std::sync::{Barrier, Mutex};

use common::*;
use serde_json::json;

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn many_threads_one_call_at_a_time_keep_no_descriptor_each() {
    const THREADS: usize = 200;
    let service = authenticated_service();
    let client = client(&service, json!({}));
    client.read_secrets_blocking("fd-job", "team", None).unwrap();
    let before = open_descriptors();
    let one_at_a_time = Mutex::new(());
    let all_alive = Barrier::new(THREADS + 1);
    let during = std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                {
                    let _turn = one_at_a_time.lock().unwrap();
                    client.read_secrets_blocking("fd-job", "team", None).unwrap();
                }
                // Stay alive, so that anything a thread keeps is still held when counted.
                all_alive.wait();
                all_alive.wait();
            });
        }
        all_alive.wait();
        let during = open_descriptors();
        all_alive.wait();
        during
    });
    assert!(
        during <= before + 4,
        "{THREADS} live threads that each made one call hold {} more descriptors",
        during - before
    );
}
