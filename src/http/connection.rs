//! Keep-alive HTTP/1.1 connections that the calling task drives itself.
//!
//! hyper's connection-level API instead of a client that spawns a task per connection: the
//! future of a call polls its connection directly, so a blocking call from C does not bounce
//! between the caller's thread and a runtime worker at every step of the exchange (see
//! BENCHMARKS.md). Idle connections wait in a small pool keyed by origin; one that the server
//! closed meanwhile fails on its next use and the retry loop dials a fresh one.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1::{self, Connection, SendRequest};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use url::Url;

use crate::runtime::{self, CallerPolledTcp};

/// Plain TCP or TLS over TCP, behind one type for hyper.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

type Io = TokioIo<Box<dyn Stream>>;
/// The future that moves a connection's bytes; polled by whichever call is using it.
type Driver = Pin<Box<Connection<Io, Full<Bytes>>>>;

/// Where a connection goes; connections are reused only for the same origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    pub https: bool,
    pub host: String,
    pub port: u16,
}

impl Origin {
    pub fn of(url: &Url) -> Option<Origin> {
        Some(Origin {
            https: url.scheme() == "https",
            host: url
                .host_str()?
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port: url.port_or_known_default()?,
        })
    }
}

pub(crate) struct Conn {
    origin: Origin,
    /// Waited on by the calling thread rather than the reactor: usable by blocking calls only.
    caller_polled: bool,
    /// When it went back to the pool; old idle connections are not trusted (see `Idle::take`).
    idle_since: Option<std::time::Instant>,
    pub sender: SendRequest<Full<Bytes>>,
    /// `None` once the connection has ended: a finished future must not be polled again.
    driver: Option<Driver>,
}

/// Why dialling failed.
pub(crate) enum DialError {
    Io(std::io::Error),
    TimedOut,
    /// The TLS handshake failed (certificate or protocol): retrying will not help.
    Tls(std::io::Error),
    Handshake(hyper::Error),
}

pub(crate) async fn dial(
    origin: &Origin,
    tls: &tokio_rustls::TlsConnector,
    connect_timeout: Duration,
) -> Result<Conn, DialError> {
    let tcp = tokio::time::timeout(connect_timeout, TcpStream::connect((origin.host.as_str(), origin.port)))
        .await
        .map_err(|_| DialError::TimedOut)?
        .map_err(DialError::Io)?;
    let _ = tcp.set_nodelay(true);
    // Inside a blocking call the calling thread waits on the socket itself (see
    // `runtime::caller_wait`): it leaves the reactor, and only blocking calls will reuse it.
    let caller_polled = runtime::caller_waits();
    let tcp: Box<dyn Stream> = if caller_polled {
        Box::new(CallerPolledTcp::new(tcp.into_std().map_err(DialError::Io)?).map_err(DialError::Io)?)
    } else {
        Box::new(tcp)
    };
    let stream: Box<dyn Stream> = if origin.https {
        let name = ServerName::try_from(origin.host.clone())
            .map_err(|e| DialError::Io(std::io::Error::new(std::io::ErrorKind::InvalidInput, e)))?;
        let tls_stream = tokio::time::timeout(connect_timeout, tls.connect(name, tcp))
            .await
            .map_err(|_| DialError::TimedOut)?
            .map_err(DialError::Tls)?;
        Box::new(tls_stream)
    } else {
        Box::new(tcp)
    };
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(DialError::Handshake)?;
    Ok(Conn {
        origin: origin.clone(),
        caller_polled,
        idle_since: None,
        sender,
        driver: Some(Box::pin(connection)),
    })
}

impl Conn {
    /// Runs `work` while also driving the connection, which moves the bytes `work` waits for.
    pub async fn drive<F: Future>(&mut self, work: F) -> Result<F::Output, hyper::Error> {
        let mut work = std::pin::pin!(work);
        let driver = &mut self.driver;
        std::future::poll_fn(|cx| {
            if let Poll::Ready(out) = work.as_mut().poll(cx) {
                return Poll::Ready(Ok(out));
            }
            if let Some(connection) = driver.as_mut() {
                match connection.as_mut().poll(cx) {
                    Poll::Ready(Ok(())) => {
                        *driver = None;
                        // The connection ended; `work` sees that on its next poll.
                        return match work.as_mut().poll(cx) {
                            Poll::Ready(out) => Poll::Ready(Ok(out)),
                            Poll::Pending => Poll::Pending,
                        };
                    }
                    Poll::Ready(Err(e)) => {
                        *driver = None;
                        return Poll::Ready(Err(e));
                    }
                    Poll::Pending => {}
                }
            }
            Poll::Pending
        })
        .await
    }

    /// Whether the connection can carry another request: alive and idle.
    fn reusable(&mut self) -> bool {
        // One poll lets hyper notice the end of the last message.
        if let Some(connection) = self.driver.as_mut() {
            let waker = std::task::Waker::noop();
            let mut cx = std::task::Context::from_waker(waker);
            match connection.as_mut().poll(&mut cx) {
                Poll::Pending => {}
                Poll::Ready(_) => self.driver = None,
            }
        }
        self.driver.is_some() && self.sender.is_ready()
    }
}

/// Idle keep-alive connections.
#[derive(Default)]
pub(crate) struct Idle {
    conns: Mutex<Vec<Conn>>,
}

/// More idle connections than this are closed: enough for the threads of a busy host.
const MAX_IDLE: usize = 64;
/// Servers commonly close idle connections after 60 s or more; older ones are dropped rather
/// than tried.
const MAX_IDLE_AGE: Duration = Duration::from_secs(30);

impl Idle {
    /// The most recently used idle connection to `origin` that this thread can drive (see
    /// `Conn::caller_polled`), if any is young enough.
    pub fn take(&self, origin: &Origin) -> Option<Conn> {
        let caller_polled = runtime::caller_waits();
        let now = std::time::Instant::now();
        let mut conns = self.conns.lock().unwrap_or_else(|p| p.into_inner());
        conns.retain(|c| {
            c.idle_since
                .is_some_and(|t| now.saturating_duration_since(t) < MAX_IDLE_AGE)
        });
        let at = conns
            .iter()
            .rposition(|c| &c.origin == origin && c.caller_polled == caller_polled)?;
        Some(conns.swap_remove(at))
    }

    pub fn give_back(&self, mut conn: Conn) {
        if !conn.reusable() {
            return;
        }
        conn.idle_since = Some(std::time::Instant::now());
        let mut conns = self.conns.lock().unwrap_or_else(|p| p.into_inner());
        if conns.len() < MAX_IDLE {
            conns.push(conn);
        }
    }
}
