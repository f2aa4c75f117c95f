//! Accepting connections and serving each with hyper, with graceful shutdown.
//!
//! We run our own accept loop instead of `axum::serve` for two reasons: TLS (the acceptor
//! wraps each stream), and the `fault-drop` injections, which must close a connection before
//! any response byte is written. A handler cannot do that through a response, so each
//! connection carries a [`ConnectionControl`] in its requests' extensions, and the connection
//! task drops the whole connection when a handler asks for it.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::state::{AppState, StatsCounters};
use tower::ServiceExt;

/// How long in-flight requests may take to finish after shutdown was asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// A TLS handshake that takes longer than this is abandoned.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Lets a handler close the connection its request came on.
#[derive(Clone, Default)]
pub struct ConnectionControl(Arc<Notify>);

impl ConnectionControl {
    pub fn drop_connection(&self) {
        // notify_one keeps a permit if the connection task is not waiting at this instant.
        self.0.notify_one();
    }

    async fn dropped(&self) {
        self.0.notified().await;
    }
}

/// Serves `listener` until `shutdown` changes (or its sender is dropped), then lets open
/// connections finish their current request (bounded by [`SHUTDOWN_GRACE`]) and returns.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    router: Router,
    state: Arc<AppState>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    StatsCounters::bump(&state.stats.connections);
                    connections.spawn(serve_connection(stream, tls.clone(), router.clone(), shutdown.clone()));
                }
                // Typically out of file descriptors: wait rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            // Reap finished connections so the set does not grow for the server's lifetime.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

async fn serve_connection(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    // Small request/response exchanges: do not let Nagle delay them.
    let _ = stream.set_nodelay(true);
    let Some(acceptor) = tls else {
        return serve_io(stream, router, shutdown).await;
    };
    let handshake = tokio::select! {
        result = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)) => result,
        _ = shutdown.changed() => return,
    };
    if let Ok(Ok(stream)) = handshake {
        serve_io(stream, router, shutdown).await;
    }
}

async fn serve_io<I>(io: I, router: Router, mut shutdown: watch::Receiver<bool>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let control = ConnectionControl::default();
    let service = {
        let control = control.clone();
        hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(control.clone());
            router.clone().oneshot(request.map(Body::new))
        })
    };
    let connection = http1::Builder::new().serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);

    // Returning drops the connection, which closes the socket without writing anything more.
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = control.dropped() => return,
        _ = shutdown.changed() => connection.as_mut().graceful_shutdown(),
    }
    let finishing = async {
        tokio::select! {
            _ = connection.as_mut() => {}
            _ = control.dropped() => {}
        }
    };
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, finishing).await;
}
