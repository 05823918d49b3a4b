//! The API's request handling: authorization, then a non-resource path
//! (health and version: [`nonresource`]; discovery) or a resource request
//! ([`resource`]).

mod body;
pub mod health;
mod negotiate;
pub mod nonresource;
mod patch;
pub mod resource;
mod response;
pub mod version;
pub mod watch;

use std::sync::Arc;

use http::{Request, Response};

use http::{HeaderValue, StatusCode, header};

use self::nonresource::NonResourceEndpoints;
use super::http::{Handler, RequestBody, ResponseBody, full};
use super::lifecycle::Lifecycle;
use super::registry::Registry;
use super::registry::catalog::Catalog;
use super::request::RequestInfo;
use super::status::ApiError;
use super::user::UserInfo;
use super::{authz, bootstrap, discovery, openapi};
use crate::storage::Storage;

/// Everything request handling needs.
pub struct Api {
    pub catalog: Arc<Catalog>,
    pub registry: Arc<Registry>,
    pub nonresource: NonResourceEndpoints,
    pub lifecycle: Lifecycle,
}

impl Api {
    /// The API over `storage`: every built-in resource served, the system
    /// namespaces in place.
    pub async fn start(storage: Arc<dyn Storage>, lifecycle: Lifecycle) -> Result<Api, ApiError> {
        let catalog = Arc::new(Catalog::builtin());
        let registry = Arc::new(Registry::new(storage.clone()));
        for descriptor in catalog.snapshot().resources() {
            registry.add_builtin(descriptor.clone());
        }
        bootstrap::ensure_namespaces(&registry).await?;
        registry.start_caches();
        Ok(Api {
            catalog,
            registry,
            nonresource: NonResourceEndpoints::new(storage, lifecycle.clone()),
            lifecycle,
        })
    }

    /// Serves one authenticated request.
    pub async fn handle(
        &self,
        request: Request<RequestBody>,
        user: UserInfo,
    ) -> Response<ResponseBody> {
        let info = RequestInfo::parse(
            request.method(),
            request.uri().path(),
            request.uri().query(),
        );
        if let Err(denied) = authz::authorize(&user, &info) {
            return denied.into_response();
        }
        if let Some(response) = self.nonresource.serve(&request) {
            return response.await;
        }
        let result = if info.is_resource {
            resource::serve(&self.registry, &info, request, &self.lifecycle).await
        } else if let Some(response) = discovery::serve(&self.catalog, &request) {
            Ok(response)
        } else if let Some(response) = openapi::serve(&self.catalog, &request) {
            Ok(response)
        } else {
            Err(ApiError::no_route())
        };
        result.unwrap_or_else(ApiError::into_response)
    }

    /// This API as the connection layer's [`Handler`].
    pub fn into_handler(self: Arc<Self>) -> Handler {
        Arc::new(move |request, user| {
            let api = self.clone();
            Box::pin(async move { api.handle(request, user).await })
        })
    }
}

/// A `text/plain` response, with the headers upstream sends on its plain
/// text endpoints.
pub(crate) fn plain_text(
    status: StatusCode,
    body: impl Into<bytes::Bytes>,
) -> Response<ResponseBody> {
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
