//! One accepted TCP connection: TLS handshake, the client certificate's
//! user (once per connection), then HTTP until either side closes or
//! shutdown drains it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::Watcher;
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

use super::{HANDSHAKE_TIMEOUT, ServerContext, request};
use crate::apiserver::authn::x509::user_from_certificate;

pub async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    http: auto::Builder<TokioExecutor>,
    context: Arc<ServerContext>,
    watcher: Watcher,
) {
    // Small writes (watch events, short answers) go out at once.
    let _ = stream.set_nodelay(true);
    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::debug!(%peer, error = %e, "TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake timed out");
            return;
        }
    };
    // The verifier has checked the chain; the leaf names the user.
    let certificate_user = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .and_then(|leaf| user_from_certificate(leaf));
    let certificate_user = Arc::new(certificate_user);
    let service = hyper::service::service_fn(move |incoming: hyper::Request<Incoming>| {
        let context = context.clone();
        let certificate_user = certificate_user.clone();
        async move {
            Ok::<_, Infallible>(
                request::respond(incoming, peer, certificate_user.as_ref().as_ref(), &context)
                    .await,
            )
        }
    });
    // Upgrades stay possible (exec, attach and port-forward use them).
    let connection = http
        .serve_connection_with_upgrades(TokioIo::new(tls), service)
        .into_owned();
    if let Err(e) = watcher.watch(connection).await {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}
