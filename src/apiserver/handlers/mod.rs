//! The API's request handling: authorization, then either a non-resource
//! path or a resource request ([`resource`]).

mod body;
mod negotiate;
pub mod resource;
mod response;
pub mod watch;

use std::sync::Arc;

use http::{Request, Response};

use super::http::{Handler, RequestBody, ResponseBody};
use super::registry::Registry;
use super::registry::catalog::Catalog;
use super::request::RequestInfo;
use super::status::ApiError;
use super::user::UserInfo;
use super::{authz, bootstrap, discovery};
use crate::storage::Storage;

/// Everything request handling needs.
pub struct Api {
    pub catalog: Arc<Catalog>,
    pub registry: Arc<Registry>,
}

impl Api {
    /// The API over `storage`: every built-in resource served, the system
    /// namespaces in place.
    pub async fn start(storage: Arc<dyn Storage>) -> Result<Api, ApiError> {
        let catalog = Arc::new(Catalog::builtin());
        let registry = Arc::new(Registry::new(storage));
        for descriptor in catalog.snapshot().resources() {
            registry.add_builtin(descriptor.clone());
        }
        bootstrap::ensure_namespaces(&registry).await?;
        Ok(Api { catalog, registry })
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
        let result = if info.is_resource {
            resource::serve(&self.registry, &info, request).await
        } else if let Some(response) = discovery::serve(&self.catalog, &request) {
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
