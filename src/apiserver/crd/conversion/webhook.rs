//! A CRD's conversion webhook: a `ConversionReview` (v1, or v1beta1 when
//! the CRD accepts only that) POSTed over HTTPS to the webhook's `url` (or
//! its Service's `https://<name>.<namespace>.svc:<port><path>`), trusting
//! the CRD's `caBundle` (the system roots without one).
//!
//! The answer must carry the request's uid, `Success`, and one converted
//! object per object sent, in the version asked for; conversion may not
//! change an object's metadata beyond labels and annotations (the rest is
//! kept from the object sent), as upstream enforces.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use serde_json::{Value, json};
use tokio::net::TcpStream;

use crate::apiserver::status::ApiError;

/// How long one conversion call may take (upstream's webhook timeout).
const TIMEOUT: Duration = Duration::from_secs(30);

/// Where and how to call a conversion webhook.
pub struct Webhook {
    /// The CRD's name, for error messages.
    crd: String,
    host: String,
    port: u16,
    path: String,
    tls: Arc<rustls::ClientConfig>,
    review_version: &'static str,
}

fn internal(crd: &str, why: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("conversion webhook for {crd} failed: {why}"))
}

impl Webhook {
    /// The webhook of CRD `crd` from its `clientConfig`.
    pub fn new(
        crd: &str,
        client_config: &Value,
        review_versions: &[String],
    ) -> Result<Webhook, String> {
        let (host, port, path) = match client_config.get("url").and_then(Value::as_str) {
            Some(url) => parse_url(url)?,
            None => {
                let service = client_config
                    .get("service")
                    .ok_or("clientConfig needs a url or a service")?;
                let text = |k: &str| service.get(k).and_then(Value::as_str).unwrap_or_default();
                let port = service.get("port").and_then(Value::as_u64).unwrap_or(443) as u16;
                let path = match text("path") {
                    "" => "/".to_owned(),
                    p => p.to_owned(),
                };
                (
                    format!("{}.{}.svc", text("name"), text("namespace")),
                    port,
                    path,
                )
            }
        };
        let mut roots = rustls::RootCertStore::empty();
        match client_config.get("caBundle").and_then(Value::as_str) {
            Some(bundle) if !bundle.is_empty() => {
                let pem = base64::engine::general_purpose::STANDARD
                    .decode(bundle)
                    .map_err(|e| format!("caBundle is not base64: {e}"))?;
                for cert in CertificateDer::pem_slice_iter(&pem) {
                    let cert = cert.map_err(|e| format!("caBundle: {e}"))?;
                    roots.add(cert).map_err(|e| format!("caBundle: {e}"))?;
                }
            }
            _ => {}
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let review_version =
            if review_versions.iter().any(|v| v == "v1") || review_versions.is_empty() {
                "v1"
            } else {
                "v1beta1"
            };
        Ok(Webhook {
            crd: crd.to_owned(),
            host,
            port,
            path,
            tls: Arc::new(tls),
            review_version,
        })
    }

    /// `objects` converted to `api_version` by the webhook.
    pub async fn convert(
        &self,
        objects: Vec<Value>,
        api_version: &str,
    ) -> Result<Vec<Value>, ApiError> {
        let uid = uuid::Uuid::new_v4().to_string();
        let review = json!({
            "apiVersion": format!("apiextensions.k8s.io/{}", self.review_version),
            "kind": "ConversionReview",
            "request": {
                "uid": uid,
                "desiredAPIVersion": api_version,
                "objects": objects,
            },
        });
        let body = serde_json::to_vec(&review).map_err(|e| internal(&self.crd, e))?;
        let answer = tokio::time::timeout(TIMEOUT, self.post(Bytes::from(body)))
            .await
            .map_err(|_| internal(&self.crd, "the webhook did not answer in time"))??;
        let response = answer
            .get("response")
            .ok_or_else(|| internal(&self.crd, "no response in the ConversionReview"))?;
        if response.get("uid").and_then(Value::as_str) != Some(uid.as_str()) {
            return Err(internal(
                &self.crd,
                format!(
                    "expected response uid {uid:?}, got {:?}",
                    response
                        .get("uid")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                ),
            ));
        }
        let result = response.pointer("/result/status").and_then(Value::as_str);
        if result != Some("Success") {
            let message = response
                .pointer("/result/message")
                .and_then(Value::as_str)
                .unwrap_or("the webhook did not report success");
            return Err(internal(&self.crd, message));
        }
        let converted = response
            .get("convertedObjects")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if converted.len() != objects.len() {
            return Err(internal(
                &self.crd,
                format!(
                    "returned {} objects, expected {}",
                    converted.len(),
                    objects.len()
                ),
            ));
        }
        objects
            .iter()
            .zip(converted)
            .map(|(sent, mut got)| {
                if got.get("apiVersion").and_then(Value::as_str) != Some(api_version) {
                    return Err(internal(
                        &self.crd,
                        format!(
                            "invalid apiVersion {:?}, expected {api_version:?}",
                            got.get("apiVersion")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                        ),
                    ));
                }
                keep_metadata(sent, &mut got);
                Ok(got)
            })
            .collect()
    }

    async fn post(&self, body: Bytes) -> Result<Value, ApiError> {
        let fail = |why: String| internal(&self.crd, why);
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| fail(format!("connecting to {}:{}: {e}", self.host, self.port)))?;
        let name = ServerName::try_from(self.host.clone()).map_err(|e| fail(e.to_string()))?;
        let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| fail(format!("TLS with {}: {e}", self.host)))?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                .await
                .map_err(|e| fail(e.to_string()))?;
        tokio::spawn(connection);
        let request = http::Request::post(self.path.as_str())
            .header(http::header::HOST, format!("{}:{}", self.host, self.port))
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::ACCEPT, "application/json")
            .body(Full::new(body))
            .map_err(|e| fail(e.to_string()))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| fail(e.to_string()))?
            .to_bytes();
        if !status.is_success() {
            return Err(fail(format!("the webhook answered {status}")));
        }
        serde_json::from_slice(&bytes)
            .map_err(|e| fail(format!("reading the ConversionReview: {e}")))
    }
}

/// Conversion may only change labels and annotations of metadata.
fn keep_metadata(sent: &Value, got: &mut Value) {
    let mut metadata = sent.get("metadata").cloned().unwrap_or_else(|| json!({}));
    for field in ["labels", "annotations"] {
        match got.pointer(&format!("/metadata/{field}")) {
            Some(value) => metadata[field] = value.clone(),
            None => {
                if let Some(map) = metadata.as_object_mut() {
                    map.remove(field);
                }
            }
        }
    }
    got["metadata"] = metadata;
}

/// `https://host:port/path` → its parts.
fn parse_url(url: &str) -> Result<(String, u16, String), String> {
    let rest = url
        .strip_prefix("https://")
        .ok_or_else(|| format!("url {url:?} must use https"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_owned()),
        None => (rest, "/".to_owned()),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => (
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port.parse().map_err(|_| format!("url {url:?}: bad port"))?,
        ),
        _ => (authority.to_owned(), 443),
    };
    Ok((host, port, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("https://127.0.0.1:8443/convert").unwrap(),
            ("127.0.0.1".into(), 8443, "/convert".into())
        );
        assert_eq!(
            parse_url("https://hook.example.com").unwrap(),
            ("hook.example.com".into(), 443, "/".into())
        );
        assert!(parse_url("http://x").is_err());
    }

    #[test]
    fn metadata_changes_are_limited_to_labels_and_annotations() {
        let sent = json!({"metadata": {"name": "a", "uid": "u", "labels": {"x": "1"}}});
        let mut got =
            json!({"metadata": {"name": "b", "labels": {"y": "2"}, "annotations": {"n": "o"}}});
        keep_metadata(&sent, &mut got);
        assert_eq!(
            got["metadata"],
            json!({"name": "a", "uid": "u", "labels": {"y": "2"}, "annotations": {"n": "o"}})
        );
    }
}
