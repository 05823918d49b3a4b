//! A raw HTTPS client for the serving tests: explicit ALPN, optional client
//! certificate, HTTP/1.1 or HTTP/2 as negotiated, and the response exactly
//! as the server sent it (status, protocol version, headers, body).
#![allow(dead_code)]

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::ClientConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// Offer both, preferring HTTP/2 (what client-go offers).
pub const H2_AND_HTTP1: &[&[u8]] = &[b"h2", b"http/1.1"];
pub const HTTP1_ONLY: &[&[u8]] = &[b"http/1.1"];

pub struct RawResponse {
    pub status: http::StatusCode,
    pub version: http::Version,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// A client configuration trusting `ca_pem`, presenting `identity` (cert
/// and key PEM) if given, offering `alpn`.
pub fn client_config(
    ca_pem: &str,
    identity: Option<(&str, &str)>,
    alpn: &[&[u8]],
) -> Arc<ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let builder =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
    let mut config = match identity {
        Some((cert_pem, key_pem)) => {
            let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
            builder.with_client_auth_cert(chain, key).unwrap()
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// Connects to 127.0.0.1:`port` and completes the TLS handshake.
///
/// With TLS 1.3 the server judges a client certificate after the client
/// considers the handshake done, so a refused certificate shows up as an
/// error on the first request, not here.
pub async fn connect(
    port: u16,
    config: Arc<ClientConfig>,
) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
    let name = ServerName::try_from("127.0.0.1").unwrap().to_owned();
    TlsConnector::from(config).connect(name, tcp).await
}

/// An HTTP connection over `tls`, in the protocol ALPN chose.
pub enum HttpConnection {
    Http1(hyper::client::conn::http1::SendRequest<Empty<Bytes>>),
    Http2(hyper::client::conn::http2::SendRequest<Empty<Bytes>>),
}

impl HttpConnection {
    pub async fn over(tls: TlsStream<TcpStream>) -> hyper::Result<HttpConnection> {
        let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
        let io = TokioIo::new(tls);
        if h2 {
            let (sender, connection) =
                hyper::client::conn::http2::handshake(TokioExecutor::new(), io).await?;
            tokio::spawn(connection);
            Ok(HttpConnection::Http2(sender))
        } else {
            let (sender, connection) = hyper::client::conn::http1::handshake(io).await?;
            tokio::spawn(connection);
            Ok(HttpConnection::Http1(sender))
        }
    }

    /// A handle for another concurrent stream on this HTTP/2 connection.
    pub fn another_stream(&self) -> HttpConnection {
        match self {
            HttpConnection::Http2(sender) => HttpConnection::Http2(sender.clone()),
            HttpConnection::Http1(_) => panic!("HTTP/1.1 has one request in flight at a time"),
        }
    }

    /// Sends `GET path` with `headers`; the response head, body unread.
    pub async fn send(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> hyper::Result<http::Response<hyper::body::Incoming>> {
        let mut request = http::Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        match self {
            HttpConnection::Http1(sender) => {
                let request = request
                    .header("host", "127.0.0.1")
                    .body(Empty::new())
                    .unwrap();
                sender.send_request(request).await
            }
            HttpConnection::Http2(sender) => {
                // HTTP/2 carries scheme and authority in the request line.
                let uri = format!("https://127.0.0.1{path}");
                let mut request = request.body(Empty::new()).unwrap();
                *request.uri_mut() = uri.parse().unwrap();
                sender.send_request(request).await
            }
        }
    }

    /// `GET path` with `headers`, body read to the end.
    pub async fn get(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> hyper::Result<RawResponse> {
        let response = self.send(path, headers).await?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes().to_vec();
        Ok(RawResponse {
            status: parts.status,
            version: parts.version,
            headers: parts.headers,
            body,
        })
    }
}

/// One request on a fresh connection.
pub async fn get(
    port: u16,
    config: Arc<ClientConfig>,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<RawResponse, String> {
    let tls = connect(port, config)
        .await
        .map_err(|e| format!("TLS: {e}"))?;
    let mut connection = HttpConnection::over(tls)
        .await
        .map_err(|e| format!("HTTP handshake: {e}"))?;
    connection
        .get(path, headers)
        .await
        .map_err(|e| format!("request: {e}"))
}
