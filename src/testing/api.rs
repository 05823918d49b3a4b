//! The API in-process, without TLS: requests straight into the handler,
//! for tests of API semantics that do not need a real client.

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::Value;

use crate::apiserver::authn::Authenticator;
use crate::apiserver::authn::service_account::ServiceAccountAuthenticator;
use crate::apiserver::handlers::Api;
use crate::apiserver::http::{BoxError, RequestBody};
use crate::apiserver::status::ApiError;
use crate::apiserver::user::{UserInfo, wellknown};
use crate::storage::Storage;
use crate::storage::embedded::EmbeddedStorage;

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as JSON (panics with the body if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The `Warning` headers' texts.
    pub fn warnings(&self) -> Vec<String> {
        self.headers
            .get_all(http::header::WARNING)
            .iter()
            .filter_map(|v| v.to_str().ok().map(Into::into))
            .collect()
    }
}

/// An API on a fresh embedded store in a temp directory.
pub struct TestApi {
    pub api: Arc<Api>,
    pub storage: Arc<dyn Storage>,
    _dir: tempfile::TempDir,
}

/// The cluster administrator (`system:masters`).
pub fn admin() -> UserInfo {
    UserInfo {
        name: "kubernetes-admin".into(),
        groups: vec![wellknown::MASTERS.into(), wellknown::AUTHENTICATED.into()],
        ..Default::default()
    }
}

fn body(bytes: Bytes) -> RequestBody {
    Full::new(bytes)
        .map_err(|never| -> BoxError { match never {} })
        .boxed_unsync()
}

impl TestApi {
    pub async fn start() -> TestApi {
        let dir = tempfile::tempdir().expect("temp dir");
        let storage: Arc<dyn Storage> =
            Arc::new(EmbeddedStorage::open(dir.path()).expect("open the store"));
        let api = Arc::new(
            Api::start(
                storage.clone(),
                crate::apiserver::lifecycle::Lifecycle::new(),
            )
            .await
            .expect("start the API"),
        );
        TestApi {
            api,
            storage,
            _dir: dir,
        }
    }

    /// Sends a request as `user` with `headers` and a raw body.
    pub async fn send(
        &self,
        user: UserInfo,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        payload: Bytes,
    ) -> http::Response<crate::apiserver::http::ResponseBody> {
        let mut request = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(body(payload)).expect("request");
        self.api.handle(request, user).await
    }

    /// Sends a request as the admin, with an optional JSON body, and reads
    /// the whole answer.
    pub async fn call(&self, method: Method, uri: &str, json: Option<Value>) -> Reply {
        let (payload, headers): (Bytes, &[(&str, &str)]) = match &json {
            Some(v) => (
                serde_json::to_vec(v).unwrap().into(),
                &[("content-type", "application/json")],
            ),
            None => (Bytes::new(), &[]),
        };
        self.call_with(method, uri, headers, payload).await
    }

    pub async fn call_with(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        payload: Bytes,
    ) -> Reply {
        let response = self.send(admin(), method, uri, headers, payload).await;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("read the body").to_bytes();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// Sends a request as `user`, with an optional JSON body, and reads the
    /// whole answer.
    pub async fn call_as(
        &self,
        user: UserInfo,
        method: Method,
        uri: &str,
        json: Option<Value>,
    ) -> Reply {
        let payload = json
            .map(|v| Bytes::from(serde_json::to_vec(&v).unwrap()))
            .unwrap_or_default();
        let headers: &[(&str, &str)] = &[("content-type", "application/json")];
        let response = self.send(user, method, uri, headers, payload).await;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("read the body").to_bytes();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// Who a bearer token is, as the server's authentication chain (with
    /// this API's service-account tokens) decides.
    pub async fn authenticate(&self, token: &str) -> Result<UserInfo, ApiError> {
        let service_accounts = ServiceAccountAuthenticator::new(
            self.api.service_accounts.clone(),
            self.api.registry.clone(),
        );
        let chain = Authenticator::new().with_token_authenticator(Arc::new(service_accounts));
        let mut headers = HeaderMap::new();
        let value = http::HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| ApiError::unauthorized())?;
        headers.insert(http::header::AUTHORIZATION, value);
        chain.authenticate(None, &mut headers).await
    }

    /// Opens a watch and returns its events as JSON values.
    pub async fn watch(
        &self,
        uri: &str,
    ) -> (StatusCode, futures::stream::BoxStream<'static, Value>) {
        let response = self
            .send(admin(), Method::GET, uri, &[], Bytes::new())
            .await;
        let status = response.status();
        (status, json_lines(response.into_body().into_data_stream()))
    }
}

/// Splits a stream of body frames into JSON values, one per line.
fn json_lines<S>(frames: S) -> futures::stream::BoxStream<'static, Value>
where
    S: futures::Stream<Item = Result<Bytes, BoxError>> + Send + 'static,
{
    let mut buffer = Vec::new();
    frames
        .filter_map(|chunk| async move { chunk.ok() })
        .flat_map(move |chunk| {
            buffer.extend_from_slice(&chunk);
            let mut lines = Vec::new();
            while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = buffer.drain(..=end).collect();
                if let Ok(value) = serde_json::from_slice::<Value>(&line) {
                    lines.push(value);
                }
            }
            futures::stream::iter(lines)
        })
        .boxed()
}
