//! Blocking calls that wait on their own sockets.
//!
//! `Runtime::block_on` from an ordinary thread parks the caller on a futex while a runtime
//! worker sits in `epoll_wait`: every answer from the server wakes the worker, which then
//! wakes the caller. Two sleeps and two wake-ups per exchange; on virtual machines, where a
//! wake-up costs tens of microseconds, that hand-off was a quarter of a read's CPU
//! (BENCHMARKS.md). Here the caller polls the call's future itself, inside the runtime's
//! context (timers, spawned work and token refreshes still run on the one global runtime), and
//! sockets opened for a blocking call are not registered with the runtime's reactor: when one
//! would block, it records its descriptor with `wait_for`, and the caller sleeps in `poll(2)`
//! on those descriptors plus the call's wake-up socket. The kernel wakes the caller directly when
//! the answer arrives, as it wakes `wrk` or any blocking client. Everything else that can
//! complete the future (a timer, a channel) wakes it through an ordinary `Waker`, which writes
//! to the wake-up socket if the caller is asleep.
//!
//! Such sockets only make progress while a thread inside `block_on` polls them, so they are
//! created and pooled only for blocking calls (`is_active`), and refuse to be polled anywhere
//! else instead of hanging.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use super::spin;

/// Held by one call at a time (see `IDLE_SIGNALS`): how wakers reach a caller asleep in `poll`.
struct Signal {
    notified: AtomicBool,
    sleeping: AtomicBool,
    /// Written by wakers (any thread); read by the owning thread. Non-blocking both ends.
    wake_tx: UnixStream,
    wake_rx: UnixStream,
    generation: u64,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Paired with the caller's store of `sleeping` then load of `notified` (both SeqCst):
        // either the caller sees `notified` and does not sleep, or we see `sleeping` and write.
        self.notified.store(true, Ordering::SeqCst);
        if self.sleeping.load(Ordering::SeqCst) {
            // A full socket already holds a wake-up; nothing else can go wrong that matters.
            let _ = (&self.wake_tx).write(&[1]);
        }
    }
}

impl Signal {
    fn new(generation: u64) -> std::io::Result<Arc<Signal>> {
        let (wake_tx, wake_rx) = UnixStream::pair()?;
        wake_tx.set_nonblocking(true)?;
        wake_rx.set_nonblocking(true)?;
        Ok(Arc::new(Signal {
            notified: AtomicBool::new(false),
            sleeping: AtomicBool::new(false),
            wake_tx,
            wake_rx,
            generation,
        }))
    }

    fn drain(&self) {
        let mut sink = [0u8; 64];
        while matches!((&self.wake_rx).read(&mut sink), Ok(n) if n > 0) {}
    }
}

/// Wake-up socket pairs of finished calls, for the next ones. A call holds one for its
/// duration, so a process has as many pairs as it had calls in flight at its busiest (at most
/// `MAX_IDLE_SIGNALS` kept idle), not one per thread that ever made a call: schedulers run
/// hundreds of threads under a descriptor limit of 1,024.
static IDLE_SIGNALS: Mutex<Vec<Arc<Signal>>> = Mutex::new(Vec::new());
const MAX_IDLE_SIGNALS: usize = 64;

thread_local! {
    /// Descriptors the future being polled is waiting for, refilled at every poll.
    static INTEREST: RefCell<Vec<libc::pollfd>> = const { RefCell::new(Vec::new()) };
    /// What the last `poll(2)` reported for those descriptors, until the future is polled.
    static READY: RefCell<Vec<libc::pollfd>> = const { RefCell::new(Vec::new()) };
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    /// The array handed to `poll(2)`, kept between calls so a call does not allocate one.
    static POLL_SET: Cell<Vec<libc::pollfd>> = const { Cell::new(Vec::new()) };
}

/// Whether the last `poll(2)` of this thread saw `fd` ready for `events` (or failed on it,
/// which the next read or write will report). Consumes the report: one attempt per wake-up.
fn take_ready(fd: RawFd, events: libc::c_short) -> bool {
    READY.with(|ready| {
        let mut ready = ready.borrow_mut();
        let Some(entry) = ready.iter_mut().find(|p| p.fd == fd) else {
            return false;
        };
        let reported = entry.revents & (events | libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0;
        entry.revents &= !events;
        reported
    })
}

/// Whether this thread is inside `block_on`: only then may caller-polled sockets be used.
pub(crate) fn is_active() -> bool {
    ACTIVE.with(Cell::get)
}

/// Called by a caller-polled socket that would block: the caller will sleep until `fd` is
/// ready for `events` (`libc::POLLIN` / `libc::POLLOUT`) or a waker fires.
pub(crate) fn wait_for(fd: RawFd, events: libc::c_short) -> std::io::Result<()> {
    if !is_active() {
        return Err(std::io::Error::other(
            "a socket of a blocking call was polled outside that call",
        ));
    }
    INTEREST.with(|interest| {
        let mut interest = interest.borrow_mut();
        match interest.iter_mut().find(|p| p.fd == fd) {
            Some(entry) => entry.events |= events,
            None => interest.push(libc::pollfd { fd, events, revents: 0 }),
        }
    });
    Ok(())
}

fn take_signal(generation: u64) -> std::io::Result<Arc<Signal>> {
    let mut idle = IDLE_SIGNALS.lock().unwrap_or_else(|p| p.into_inner());
    while let Some(signal) = idle.pop() {
        // In a forked child the parent's pairs are shared with the parent: draining one could
        // steal the parent's wake-ups. They are dropped (closing only the child's descriptors).
        if signal.generation == generation {
            return Ok(signal);
        }
    }
    drop(idle);
    Signal::new(generation)
}

/// Back to the pool once the call is over. Wakers of the finished call may still fire (a
/// pooled connection keeps the last one it was given): the next call that takes this pair
/// then polls its future once more than needed, nothing worse.
fn give_back_signal(signal: Arc<Signal>) {
    signal.drain();
    signal.notified.store(false, Ordering::SeqCst);
    let mut idle = IDLE_SIGNALS.lock().unwrap_or_else(|p| p.into_inner());
    if idle.len() < MAX_IDLE_SIGNALS {
        idle.push(signal);
    }
}

/// Restores the thread's state when `block_on` returns or unwinds.
struct ActiveGuard {
    was_active: bool,
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        ACTIVE.with(|a| a.set(self.was_active));
        INTEREST.with(|i| i.borrow_mut().clear());
        READY.with(|r| r.borrow_mut().clear());
    }
}

/// Polls `future` on this thread until it completes, sleeping in `poll(2)` in between. The
/// caller must have entered the runtime's context (timers and the reactor come from there).
pub(crate) fn block_on<F: Future>(future: F, generation: u64) -> std::io::Result<F::Output> {
    let signal = take_signal(generation)?;
    let _in_flight = spin::CallInFlight::enter();
    let guard = ActiveGuard {
        was_active: ACTIVE.with(|a| a.replace(true)),
    };
    let waker = Waker::from(signal.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    let mut fds = POLL_SET.take();
    loop {
        INTEREST.with(|i| i.borrow_mut().clear());
        signal.notified.store(false, Ordering::SeqCst);
        let polled = future.as_mut().poll(&mut cx);
        READY.with(|r| r.borrow_mut().clear());
        if let Poll::Ready(output) = polled {
            drop(guard);
            give_back_signal(signal);
            POLL_SET.set(fds);
            return Ok(output);
        }
        if signal.notified.load(Ordering::SeqCst) {
            continue;
        }
        fds.clear();
        fds.push(libc::pollfd {
            fd: signal.wake_rx.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        });
        INTEREST.with(|i| fds.extend_from_slice(&i.borrow()));
        if !spin::until_ready(&mut fds, &signal.notified) {
            signal.sleeping.store(true, Ordering::SeqCst);
            if !signal.notified.load(Ordering::SeqCst) {
                // SAFETY: `fds` is a live, correctly sized array of pollfd. EINTR and other
                // failures just mean polling the future again, which re-derives everything.
                unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) };
            }
            signal.sleeping.store(false, Ordering::SeqCst);
        }
        if fds[0].revents != 0 {
            signal.drain();
        }
        READY.with(|r| r.borrow_mut().extend_from_slice(&fds[1..]));
    }
}

/// A TCP socket of a blocking call: non-blocking, not registered with the reactor, waited
/// for by the calling thread (see the module docs).
pub(crate) struct CallerPolledTcp {
    stream: std::net::TcpStream,
    /// The last read (write) would have blocked, and `poll(2)` has not reported the socket
    /// readable (writable) since. hyper polls its connection far more often than bytes arrive:
    /// this spares the system calls that would only say "not yet", as the reactor's readiness
    /// tracking does for registered sockets.
    read_blocked: bool,
    write_blocked: bool,
}

impl CallerPolledTcp {
    /// Takes over a connected socket; it must already be deregistered from any reactor.
    pub fn new(stream: std::net::TcpStream) -> std::io::Result<Self> {
        stream.set_nonblocking(true)?;
        Ok(CallerPolledTcp {
            stream,
            read_blocked: false,
            write_blocked: false,
        })
    }

    fn attempt<T>(
        &mut self,
        events: libc::c_short,
        mut op: impl FnMut(&std::net::TcpStream) -> std::io::Result<T>,
    ) -> Poll<std::io::Result<T>> {
        let fd = self.stream.as_raw_fd();
        let blocked = if events == libc::POLLIN {
            &mut self.read_blocked
        } else {
            &mut self.write_blocked
        };
        if *blocked && !take_ready(fd, events) {
            return match wait_for(fd, events) {
                Ok(()) => Poll::Pending,
                Err(e) => Poll::Ready(Err(e)),
            };
        }
        loop {
            match op(&self.stream) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    *blocked = true;
                    return match wait_for(fd, events) {
                        Ok(()) => Poll::Pending,
                        Err(e) => Poll::Ready(Err(e)),
                    };
                }
                result => {
                    *blocked = false;
                    return Poll::Ready(result);
                }
            }
        }
    }
}

impl tokio::io::AsyncRead for CallerPolledTcp {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        // SAFETY: only written to by read(2), and only the `n` bytes it reports are marked
        // initialised. (Zeroing hyper's whole read buffer before every read would be waste.)
        let unfilled = unsafe { buf.unfilled_mut() };
        let wanted = unfilled.len();
        let read = |s: &std::net::TcpStream| {
            // SAFETY: a valid descriptor and a writable region of the given length.
            let n = unsafe { libc::read(s.as_raw_fd(), unfilled.as_mut_ptr().cast(), unfilled.len()) };
            if n < 0 {
                Err(std::io::Error::last_os_error())
            } else {
                Ok(n as usize)
            }
        };
        let this = self.get_mut();
        match this.attempt(libc::POLLIN, read) {
            Poll::Ready(Ok(n)) => {
                // Less than asked for: the socket was drained at that moment. Whatever comes
                // next, `poll(2)` will report; a read now would only say EAGAIN. (The
                // reactor's sockets make the same inference.)
                if n > 0 && n < wanted {
                    this.read_blocked = true;
                }
                // SAFETY: read(2) initialised these `n` bytes.
                unsafe { buf.assume_init(n) };
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl tokio::io::AsyncWrite for CallerPolledTcp {
    fn poll_write(self: std::pin::Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.get_mut().attempt(libc::POLLOUT, |mut s| s.write(buf))
    }

    fn poll_write_vectored(
        self: std::pin::Pin<&mut Self>,
        _: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        self.get_mut().attempt(libc::POLLOUT, |mut s| s.write_vectored(bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(match self.stream.shutdown(std::net::Shutdown::Write) {
            Err(e) if e.kind() == ErrorKind::NotConnected => Ok(()),
            result => result,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncRead, ReadBuf};

    async fn read_some(socket: &mut CallerPolledTcp, buf: &mut [u8]) -> std::io::Result<usize> {
        std::future::poll_fn(|cx| {
            let mut read_buf = ReadBuf::new(buf);
            match std::pin::Pin::new(&mut *socket).poll_read(cx, &mut read_buf) {
                Poll::Ready(Ok(())) => Poll::Ready(Ok(read_buf.filled().len())),
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }

    fn connected_pair() -> (CallerPolledTcp, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (CallerPolledTcp::new(client).unwrap(), server)
    }

    #[test]
    fn the_caller_sleeps_until_its_socket_has_data() {
        let (mut socket, mut server) = connected_pair();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            server.write_all(b"answer").unwrap();
            server
        });
        let started = Instant::now();
        let mut buf = [0u8; 6];
        let n = block_on(read_some(&mut socket, &mut buf), 0).unwrap().unwrap();
        assert_eq!(&buf[..n], b"answer");
        assert!(started.elapsed() >= Duration::from_millis(45));
        drop(writer.join());
    }

    #[test]
    fn a_waker_from_another_thread_ends_the_wait_on_a_silent_socket() {
        let (mut socket, _server) = connected_pair();
        let (tx, rx) = tokio::sync::oneshot::channel::<u8>();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            tx.send(7).unwrap();
        });
        let mut buf = [0u8; 1];
        let outcome = block_on(
            async {
                tokio::select! {
                    read = read_some(&mut socket, &mut buf) => Err(read.map(|_| ())),
                    value = rx => Ok(value.unwrap()),
                }
            },
            0,
        )
        .unwrap();
        assert_eq!(outcome.unwrap(), 7);
    }

    #[test]
    fn polled_outside_a_blocking_call_it_fails_instead_of_hanging() {
        let (mut socket, _server) = connected_pair();
        let mut cx = Context::from_waker(Waker::noop());
        let mut buf = [0u8; 1];
        let mut read = std::pin::pin!(read_some(&mut socket, &mut buf));
        match read.as_mut().poll(&mut cx) {
            Poll::Ready(Err(e)) => assert!(e.to_string().contains("outside that call"), "{e}"),
            other => panic!("expected an error, got {other:?}"),
        }
    }
}
