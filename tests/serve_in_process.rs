//! The serving layer in-process, with handlers made for the test: what
//! reaches the handler (the authenticated user), how responses travel
//! (streamed chunks flushed at once), and how failures and shutdown behave.

mod tls_client;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use http::{Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use keelson::apiserver::authn::Authenticator;
use keelson::apiserver::authn::token_file::StaticTokens;
use keelson::apiserver::http::{BoxError, Handler, ResponseBody, full};
use keelson::apiserver::lifecycle::Lifecycle;
use keelson::apiserver::serve::tls::{ServingCertificate, server_config};
use keelson::apiserver::serve::{self, ServerContext};
use keelson::pki::{CertificateAuthority, ServingNames};
use keelson::testing::poll_until;
use tls_client::{H2_AND_HTTP1, HTTP1_ONLY, HttpConnection, client_config, connect, get};
use tokio::sync::mpsc;

/// Where a streaming request's sender waits for the test to continue it.
type PendingStream = Arc<Mutex<Option<mpsc::Sender<Result<Frame<Bytes>, BoxError>>>>>;

struct TestServer {
    port: u16,
    ca: CertificateAuthority,
    lifecycle: Lifecycle,
    pending_stream: PendingStream,
    server: tokio::task::JoinHandle<()>,
}

/// A handler that answers:
/// * `/whoami`: the user and whether an Authorization header reached it;
/// * `/stream`: `first` at once, then whatever the test sends;
/// * `/panic`: a panic;
/// * anything else: `ok`.
fn test_handler(pending_stream: PendingStream) -> Handler {
    Arc::new(move |request, user| {
        let pending_stream = pending_stream.clone();
        Box::pin(async move {
            match request.uri().path() {
                "/whoami" => {
                    let body = serde_json::json!({
                        "name": user.name,
                        "uid": user.uid,
                        "groups": user.groups,
                        "sawAuthorization": request.headers().contains_key("authorization"),
                    });
                    Response::new(full(body.to_string()))
                }
                "/stream" => {
                    let (sender, receiver) = mpsc::channel(4);
                    sender
                        .send(Ok(Frame::data(Bytes::from_static(b"first"))))
                        .await
                        .unwrap();
                    *pending_stream.lock().unwrap() = Some(sender);
                    let stream = tokio_stream::wrappers::ReceiverStream::new(receiver);
                    let body: ResponseBody = StreamBody::new(stream).boxed_unsync();
                    Response::new(body)
                }
                "/panic" => panic!("handler bug"),
                _ => Response::new(full("ok")),
            }
        })
    })
}

async fn start_server() -> TestServer {
    let ca = CertificateAuthority::mint().unwrap();
    let names = ServingNames::for_apiserver(None, &[], "127.0.0.1".parse().unwrap());
    let serving = ca.issue(&names.spec()).unwrap();
    let tls = server_config(
        ServingCertificate::from_pem(&serving.cert_pem, &serving.key_pem, "test").unwrap(),
        &[ca.cert_der().clone()],
    )
    .unwrap();
    let tokens = StaticTokens::parse("s3cret,alice,1001,\"devs,ops\"\n", "test").unwrap();
    let pending_stream = PendingStream::default();
    let context = Arc::new(ServerContext {
        authenticator: Authenticator::new().with_token_authenticator(Arc::new(tokens)),
        handler: test_handler(pending_stream.clone()),
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let lifecycle = Lifecycle::new();
    let server = tokio::spawn(serve::serve(listener, tls, context, lifecycle.clone()));
    TestServer {
        port,
        ca,
        lifecycle,
        pending_stream,
        server,
    }
}

impl TestServer {
    async fn whoami(
        &self,
        identity: Option<(&str, &str)>,
        headers: &[(&str, &str)],
    ) -> serde_json::Value {
        let config = client_config(self.ca.cert_pem(), identity, H2_AND_HTTP1);
        let response = get(self.port, config, "/whoami", headers).await.unwrap();
        assert_eq!(response.status, 200, "{}", response.text());
        response.json()
    }

    /// The sender of the `/stream` request in flight, once it exists.
    async fn stream_sender(&self) -> mpsc::Sender<Result<Frame<Bytes>, BoxError>> {
        poll_until(
            "the streaming handler to start",
            Duration::from_secs(10),
            || {
                let taken = self.pending_stream.lock().unwrap().take();
                async move { taken }
            },
        )
        .await
        .unwrap()
    }
}

#[tokio::test]
async fn the_handler_sees_who_authenticated() {
    let server = start_server().await;

    let anonymous = server.whoami(None, &[]).await;
    assert_eq!(anonymous["name"], "system:anonymous");
    assert_eq!(
        anonymous["groups"],
        serde_json::json!(["system:unauthenticated"])
    );

    let admin = server
        .ca
        .issue_client("kubernetes-admin", &["system:masters"])
        .unwrap();
    let user = server
        .whoami(Some((&admin.cert_pem, &admin.key_pem)), &[])
        .await;
    assert_eq!(user["name"], "kubernetes-admin");
    assert_eq!(
        user["groups"],
        serde_json::json!(["system:masters", "system:authenticated"])
    );

    let node = server
        .ca
        .issue_client("system:node:n1", &["system:nodes"])
        .unwrap();
    let user = server
        .whoami(Some((&node.cert_pem, &node.key_pem)), &[])
        .await;
    assert_eq!(user["name"], "system:node:n1");
    assert_eq!(
        user["groups"],
        serde_json::json!(["system:nodes", "system:authenticated"])
    );

    let user = server
        .whoami(None, &[("authorization", "Bearer s3cret")])
        .await;
    assert_eq!(user["name"], "alice");
    assert_eq!(user["uid"], "1001");
    assert_eq!(
        user["groups"],
        serde_json::json!(["devs", "ops", "system:authenticated"])
    );
    assert_eq!(
        user["sawAuthorization"], false,
        "the credential is not passed on"
    );
}

/// Reads the first data frame of `response` within a deadline.
async fn first_chunk(body: &mut hyper::body::Incoming) -> Bytes {
    let frame = tokio::time::timeout(Duration::from_secs(10), body.frame())
        .await
        .expect("the first chunk must arrive while the response is still open")
        .unwrap()
        .unwrap();
    frame.into_data().unwrap()
}

async fn check_streaming(alpn: &[&[u8]], version: http::Version) {
    let server = start_server().await;
    let tls = connect(server.port, client_config(server.ca.cert_pem(), None, alpn))
        .await
        .unwrap();
    let mut connection = HttpConnection::over(tls).await.unwrap();
    let response = connection.send("/stream", &[]).await.unwrap();
    assert_eq!(response.version(), version);
    let mut body = response.into_body();
    // The handler holds the stream open; the first chunk must not wait for it.
    assert_eq!(first_chunk(&mut body).await, "first");
    let sender = server.stream_sender().await;
    sender
        .send(Ok(Frame::data(Bytes::from_static(b"second"))))
        .await
        .unwrap();
    assert_eq!(first_chunk(&mut body).await, "second");
    drop(sender);
    let rest = body.collect().await.unwrap().to_bytes();
    assert!(rest.is_empty());
}

#[tokio::test]
async fn streamed_chunks_are_flushed_at_once_over_http1() {
    check_streaming(HTTP1_ONLY, http::Version::HTTP_11).await;
}

#[tokio::test]
async fn streamed_chunks_are_flushed_at_once_over_http2() {
    check_streaming(H2_AND_HTTP1, http::Version::HTTP_2).await;
}

#[tokio::test]
async fn a_panicking_handler_costs_one_request_a_500() {
    let server = start_server().await;
    let tls = connect(
        server.port,
        client_config(server.ca.cert_pem(), None, H2_AND_HTTP1),
    )
    .await
    .unwrap();
    let mut connection = HttpConnection::over(tls).await.unwrap();
    let response = connection.get("/panic", &[]).await.unwrap();
    assert_eq!(response.status, StatusCode::INTERNAL_SERVER_ERROR);
    let status = response.json();
    assert_eq!(status["kind"], "Status");
    assert_eq!(status["reason"], "InternalError");
    // The same HTTP/2 connection keeps working.
    let after = connection.get("/ok", &[]).await.unwrap();
    assert_eq!(after.status, 200);
    assert_eq!(after.text(), "ok");
}

#[tokio::test]
async fn shutdown_refuses_new_connections_and_lets_open_requests_finish() {
    let server = start_server().await;
    let tls = connect(
        server.port,
        client_config(server.ca.cert_pem(), None, HTTP1_ONLY),
    )
    .await
    .unwrap();
    let mut connection = HttpConnection::over(tls).await.unwrap();
    let mut body = connection.send("/stream", &[]).await.unwrap().into_body();
    assert_eq!(first_chunk(&mut body).await, "first");
    let sender = server.stream_sender().await;

    server.lifecycle.begin_shutdown();
    let port = server.port;
    poll_until(
        "the listener to close",
        Duration::from_secs(10),
        || async move {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_err()
                .then_some(())
        },
    )
    .await
    .unwrap();
    assert!(!server.server.is_finished(), "a request is still open");

    sender
        .send(Ok(Frame::data(Bytes::from_static(b"last"))))
        .await
        .unwrap();
    drop(sender);
    let rest = body.collect().await.unwrap().to_bytes();
    assert_eq!(rest, "last");
    tokio::time::timeout(Duration::from_secs(10), server.server)
        .await
        .expect("serve returns once the last request is done")
        .unwrap();
}

#[tokio::test]
async fn many_concurrent_streams_share_one_http2_connection() {
    let server = start_server().await;
    let tls = connect(
        server.port,
        client_config(server.ca.cert_pem(), None, H2_AND_HTTP1),
    )
    .await
    .unwrap();
    let connection = HttpConnection::over(tls).await.unwrap();
    let requests = (0..200).map(|_| {
        let mut stream = connection.another_stream();
        async move { stream.get("/ok", &[]).await.unwrap().status }
    });
    let statuses: Vec<StatusCode> = futures::stream::iter(requests)
        .buffer_unordered(200)
        .collect()
        .await;
    assert_eq!(statuses.len(), 200);
    assert!(statuses.iter().all(|s| *s == StatusCode::OK));
}
