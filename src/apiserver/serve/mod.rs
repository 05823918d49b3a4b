//! The API server's listener: TLS, HTTP/1.1 and HTTP/2 on one port,
//! authentication, then the [`Handler`].
//!
//! * [`tls`]: the rustls configuration (serving certificate, optional client
//!   certificates, ALPN);
//! * [`connection`]: one accepted connection, from handshake to close;
//! * [`request`]: one request: authenticate, call the handler;
//! * [`signals`]: stopping on SIGTERM and SIGINT.
//!
//! Shutdown is graceful: when the [`Lifecycle`] says shutdown has begun, the
//! listener closes, open connections finish their requests (HTTP/2 clients
//! get a GOAWAY), and after [`SHUTDOWN_GRACE`] whatever is left is dropped.

pub mod connection;
pub mod request;
pub mod signals;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::authn::Authenticator;
use super::http::Handler;
use super::lifecycle::Lifecycle;

/// How long open connections get to finish after shutdown begins.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// How long a client gets to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Concurrent HTTP/2 streams per connection: kube-apiserver's default.
/// client-go multiplexes every request and watch of a process over one
/// connection, so the Go default of 250 is too few for busy controllers.
const HTTP2_MAX_STREAMS: u32 = 1000;

/// After a failed `accept` (typically out of file descriptors), pause
/// before the next so that the loop does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// The remote address of a request's connection, in its extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerAddress(pub SocketAddr);

/// What every connection of one server shares.
pub struct ServerContext {
    pub authenticator: Authenticator,
    pub handler: Handler,
}

/// Serves `listener` until `lifecycle` begins shutdown, then drains open
/// connections for up to [`SHUTDOWN_GRACE`].
pub async fn serve(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    context: Arc<ServerContext>,
    lifecycle: Lifecycle,
) {
    let acceptor = TlsAcceptor::from(tls);
    let http = http_builder();
    let graceful = GracefulShutdown::new();
    let shutdown = lifecycle.shutdown_started();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tokio::spawn(connection::serve_connection(
                        stream,
                        peer,
                        acceptor.clone(),
                        http.clone(),
                        context.clone(),
                        graceful.watcher(),
                    ));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                }
            },
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("connections still open after {SHUTDOWN_GRACE:?}; closing them");
        }
    }
}

/// The HTTP side: HTTP/1.1 or HTTP/2, whichever the client speaks (with
/// TLS, ALPN has usually settled it; the connection preface decides).
fn http_builder() -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // A timer enables HTTP/1's header read timeout (30 s), so a client that
    // never finishes its headers cannot hold a connection forever.
    builder.http1().timer(TokioTimer::new());
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(HTTP2_MAX_STREAMS);
    builder
}
