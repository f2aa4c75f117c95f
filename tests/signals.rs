//! A host's signals (schedulers live on SIGCHLD, profilers on SIGPROF) interrupt a blocking
//! call's sleep: without SA_RESTART the interrupted system call returns EINTR. The call must
//! carry on to its normal end. Its own test binary, since it installs a process-wide signal handler.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

static HANDLED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn count_signal(_: libc::c_int) {
    HANDLED.fetch_add(1, Ordering::Relaxed);
}

#[test]
fn calls_interrupted_by_signals_carry_on() {
    let service = authenticated_service();
    let client = client(&service, json!({}));
    // SAFETY: installing a handler that only touches an atomic; no SA_RESTART, so every
    // interrupted system call fails with EINTR.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = count_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()), 0);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        let caller = s.spawn(|| {
            // SAFETY: the calling thread's own id.
            tx.send(unsafe { libc::pthread_self() }).unwrap();
            let started = Instant::now();
            let slow = client.read_secrets_blocking("fault-slow-300", "team", None);
            let quick: Vec<_> = (0..200)
                .map(|_| client.read_secrets_blocking("signals", "team", None))
                .collect();
            (slow, quick, started.elapsed())
        });
        let target = rx.recv().unwrap();
        let give_up = Instant::now() + Duration::from_secs(60);
        while !caller.is_finished() && Instant::now() < give_up {
            // SAFETY: the thread is not joined before this loop ends, so its id stays valid.
            unsafe { libc::pthread_kill(target, libc::SIGUSR1) };
            std::thread::sleep(Duration::from_millis(2));
        }
        let (slow, quick, elapsed) = caller.join().unwrap();
        assert!(slow.unwrap().is_empty());
        assert!(quick.into_iter().all(|r| r.unwrap().is_empty()));
        assert!(elapsed >= Duration::from_millis(300));
    });
    assert!(
        HANDLED.load(Ordering::Relaxed) >= 50,
        "only {} signals arrived",
        HANDLED.load(Ordering::Relaxed)
    );
}
