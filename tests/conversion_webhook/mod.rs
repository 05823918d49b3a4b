//! A CRD conversion webhook served by the test itself, over HTTPS on
//! loopback with a certificate from a CA of its own: `example.io`'s
//! `Endpoint` in `v1` keeps `spec.hostPort: "host:port"`, in `v2`
//! `spec.host` and `spec.port`.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use keelson::pki::{CertificateAuthority, CertificateSpec};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// A running webhook.
pub struct Webhook {
    /// `https://127.0.0.1:<port>/convert`.
    pub url: String,
    /// The CA that signed its certificate, base64 PEM (a CRD's `caBundle`).
    pub ca_bundle: String,
    /// How many ConversionReviews it answered.
    pub reviews: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Webhook {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One object converted to `api_version`.
fn convert(mut object: Value, api_version: &str) -> Value {
    let spec = object.get("spec").cloned().unwrap_or_else(|| json!({}));
    let converted = match api_version {
        "example.io/v2" => {
            let host_port = spec["hostPort"].as_str().unwrap_or_default().to_owned();
            let (host, port) = host_port.split_once(':').unwrap_or((&host_port, "0"));
            json!({"host": host, "port": port.parse::<i64>().unwrap_or(0)})
        }
        _ => json!({"hostPort": format!(
            "{}:{}",
            spec["host"].as_str().unwrap_or_default(),
            spec["port"].as_i64().unwrap_or(0)
        )}),
    };
    object["spec"] = converted;
    object["apiVersion"] = json!(api_version);
    object
}

/// The answer to one ConversionReview.
fn review(request: Value) -> Value {
    let desired = request["request"]["desiredAPIVersion"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let objects: Vec<Value> = request["request"]["objects"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|o| convert(o, &desired))
        .collect();
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "ConversionReview",
        "response": {
            "uid": request["request"]["uid"],
            "convertedObjects": objects,
            "result": {"status": "Success"},
        }
    })
}

/// Starts the webhook on a free loopback port.
pub async fn start() -> Webhook {
    let ca = CertificateAuthority::mint().expect("a CA");
    let serving = ca
        .issue(&CertificateSpec::server(
            "conversion-webhook",
            vec!["localhost".into()],
            vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
        ))
        .expect("a serving certificate");
    let chain = vec![CertificateDer::from_pem_slice(serving.cert_pem.as_bytes()).expect("cert")];
    let key = PrivateKeyDer::from_pem_slice(serving.key_pem.as_bytes()).expect("key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .expect("TLS config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let reviews = Arc::new(AtomicUsize::new(0));
    let counted = reviews.clone();
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let counted = counted.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let counted = counted.clone();
                    async move {
                        let body = request.into_body().collect().await?.to_bytes();
                        let answer = match serde_json::from_slice::<Value>(&body) {
                            Ok(request) => {
                                counted.fetch_add(1, Ordering::SeqCst);
                                review(request)
                            }
                            Err(_) => json!({}),
                        };
                        let bytes = Bytes::from(serde_json::to_vec(&answer).unwrap_or_default());
                        Ok::<_, hyper::Error>(
                            http::Response::builder()
                                .header("content-type", "application/json")
                                .body(Full::new(bytes))
                                .expect("response"),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    Webhook {
        url: format!("https://127.0.0.1:{port}/convert"),
        ca_bundle: base64::engine::general_purpose::STANDARD.encode(ca.cert_pem()),
        reviews,
        task,
    }
}

/// The `Endpoint` CRD converted by `webhook`.
pub fn endpoints_crd(webhook: &Webhook) -> Value {
    let schema = |properties: Value| {
        json!({"openAPIV3Schema": {"type": "object", "properties": {
            "spec": {"type": "object", "properties": properties}
        }}})
    };
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "endpoints.example.io"},
        "spec": {
            "group": "example.io",
            "scope": "Namespaced",
            "names": {"plural": "endpoints", "kind": "Endpoint"},
            "conversion": {
                "strategy": "Webhook",
                "webhook": {
                    "conversionReviewVersions": ["v1"],
                    "clientConfig": {"url": webhook.url, "caBundle": webhook.ca_bundle},
                },
            },
            "versions": [
                {"name": "v1", "served": true, "storage": true,
                 "schema": schema(json!({"hostPort": {"type": "string"}}))},
                {"name": "v2", "served": true, "storage": false,
                 "schema": schema(json!({"host": {"type": "string"}, "port": {"type": "integer"}}))},
            ],
        },
    })
}
