//! A short busy-poll before a blocking call goes to sleep.
//!
//! On virtual machines a vCPU with nothing to run halts, and waking it (the server's thread to
//! handle our request, then ours for the answer) costs a VM exit and an inter-processor
//! interrupt: measured on our CI machines it doubles a loopback round trip (about 45 µs of 90,
//! BENCHMARKS.md). Polling the call's sockets without sleeping for a few tens of microseconds
//! keeps our vCPU running across a fast server's answer. It is bounded three ways, so that a
//! host does not pay for it where it does not help:
//!   - at most `VDK_SECRETS_SPIN_MICROS` per wait (default 100, at most 1000; 0 turns it off);
//!   - only while few blocking calls are in flight (no more than the cores minus one): under
//!     concurrency the cores are busy anyway, and belong to the other callers and the server;
//!   - per thread, after a few spins in a row that ended without an answer (a remote or slow
//!     server), only every 64th wait spins, to notice when answers become fast again.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const DEFAULT_BUDGET: Duration = Duration::from_micros(100);
const MAX_BUDGET: Duration = Duration::from_millis(1);
/// Consecutive fruitless spins after which a thread mostly stops spinning.
const GIVE_UP_AFTER: u32 = 4;
const PROBE_EVERY: u32 = 64;

struct Policy {
    budget: Duration,
    max_in_flight: usize,
}

fn policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| Policy {
        budget: std::env::var("VDK_SECRETS_SPIN_MICROS")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(DEFAULT_BUDGET, Duration::from_micros)
            .min(MAX_BUDGET),
        max_in_flight: std::thread::available_parallelism()
            .map_or(1, |n| n.get().saturating_sub(1))
            .max(1),
    })
}

/// Blocking calls in flight in the process.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static FRUITLESS: Cell<u32> = const { Cell::new(0) };
    static WAITS: Cell<u32> = const { Cell::new(0) };
}

/// Counts a blocking call for as long as it lives.
pub(super) struct CallInFlight(());

impl CallInFlight {
    pub fn enter() -> Self {
        IN_FLIGHT.fetch_add(1, Ordering::Relaxed);
        CallInFlight(())
    }
}

impl Drop for CallInFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::Relaxed);
    }
}

fn worth_spinning(policy: &Policy, in_flight: usize, fruitless: u32, waits: u32) -> bool {
    !policy.budget.is_zero()
        && in_flight <= policy.max_in_flight
        && (fruitless < GIVE_UP_AFTER || waits % PROBE_EVERY == 0)
}

/// Polls `fds` without sleeping until one is ready, `notified` is set, or the budget is spent.
/// True when the caller should poll its future again instead of sleeping; `fds` then holds the
/// readiness found.
pub(super) fn until_ready(fds: &mut [libc::pollfd], notified: &AtomicBool) -> bool {
    let policy = policy();
    let fruitless = FRUITLESS.get();
    let waits = WAITS.get().wrapping_add(1);
    WAITS.set(waits);
    if !worth_spinning(policy, IN_FLIGHT.load(Ordering::Relaxed), fruitless, waits) {
        return false;
    }
    let fruitful = spin(fds, notified, policy.budget);
    FRUITLESS.set(if fruitful { 0 } else { fruitless.saturating_add(1) });
    fruitful
}

fn spin(fds: &mut [libc::pollfd], notified: &AtomicBool, budget: Duration) -> bool {
    let started = Instant::now();
    loop {
        if notified.load(Ordering::SeqCst) {
            fds.iter_mut().for_each(|p| p.revents = 0);
            return true;
        }
        // SAFETY: `fds` is a live, correctly sized array of pollfd; a zero timeout never sleeps.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 0) };
        if ready > 0 {
            return true;
        }
        if ready < 0 || started.elapsed() >= budget {
            return false;
        }
        std::hint::spin_loop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    fn policy(budget_micros: u64, max_in_flight: usize) -> Policy {
        Policy {
            budget: Duration::from_micros(budget_micros),
            max_in_flight,
        }
    }

    #[test]
    fn spins_only_when_allowed_few_calls_are_in_flight_and_spinning_pays() {
        assert!(worth_spinning(&policy(100, 1), 1, 0, 1));
        assert!(!worth_spinning(&policy(0, 1), 1, 0, 1), "0 turns it off");
        assert!(!worth_spinning(&policy(100, 1), 2, 0, 1), "busy cores belong to others");
        assert!(worth_spinning(&policy(100, 3), 3, GIVE_UP_AFTER - 1, 1));
        let after_giving_up: Vec<bool> = (1..=2 * PROBE_EVERY)
            .map(|w| worth_spinning(&policy(100, 1), 1, GIVE_UP_AFTER, w))
            .collect();
        assert_eq!(
            after_giving_up.iter().filter(|s| **s).count(),
            2,
            "one probe per {PROBE_EVERY} waits"
        );
    }

    #[test]
    fn returns_as_soon_as_a_socket_is_ready_or_a_waker_fires() {
        let (mut tx, rx) = UnixStream::pair().unwrap();
        let mut fds = [libc::pollfd {
            fd: rx.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        let notified = AtomicBool::new(false);
        let budget = Duration::from_micros(100);
        assert!(
            !spin(&mut fds, &notified, budget),
            "nothing to read: the budget runs out"
        );
        tx.write_all(b"x").unwrap();
        assert!(spin(&mut fds, &notified, budget));
        assert_ne!(fds[0].revents & libc::POLLIN, 0);
        let (_tx2, rx2) = UnixStream::pair().unwrap();
        let mut silent = [libc::pollfd {
            fd: rx2.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        notified.store(true, Ordering::SeqCst);
        assert!(spin(&mut silent, &notified, Duration::from_secs(3600)));
    }
}
