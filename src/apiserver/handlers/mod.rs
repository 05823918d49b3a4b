//! The API's request handling: authorization, then a non-resource path
//! (health and version: [`nonresource`]; discovery; the service-account
//! issuer's OIDC discovery) or a resource request ([`resource`], with the
//! subresources that are more than a part of their object in
//! `subresource`).

mod body;
pub mod health;
mod issuer_discovery;
mod negotiate;
pub mod nonresource;
mod options;
mod patch;
pub mod resource;
mod response;
mod subresource;
pub mod version;
pub mod watch;

use std::sync::Arc;

use http::{Request, Response};

use http::{HeaderValue, StatusCode, header};

use self::nonresource::NonResourceEndpoints;
use super::admission::resource_quota::ResourceQuotaAdmission;
use super::http::{Handler, RequestBody, ResponseBody, full};
use super::lifecycle::Lifecycle;
use super::registry::Registry;
use super::registry::catalog::Catalog;
use super::request::RequestInfo;
use super::reviews::Reviews;
use super::serviceaccount::ServiceAccountTokens;
use super::services::{self, ServiceNetwork};
use super::status::ApiError;
use super::user::UserInfo;
use super::{authz, bootstrap, crd, discovery, openapi};
use crate::storage::Storage;

/// Everything request handling needs.
pub struct Api {
    pub catalog: Arc<Catalog>,
    pub registry: Arc<Registry>,
    pub nonresource: NonResourceEndpoints,
    pub lifecycle: Lifecycle,
    /// Issues `serviceaccounts/token` and serves the issuer's discovery.
    pub service_accounts: Arc<ServiceAccountTokens>,
    /// The OpenAPI documents of what `catalog` serves.
    pub openapi: Arc<openapi::OpenApi>,
    /// Serves the custom resources the stored CRDs define.
    pub crds: Arc<crd::controller::CrdController>,
    /// Token and access reviews.
    pub reviews: Reviews,
}

impl Api {
    /// The API over `storage`: every built-in resource served, the system
    /// namespaces and the `kubernetes` Service in place (default Service
    /// network), service-account tokens signed by a key minted now (tests,
    /// embedding): see [`Api::start_with`].
    pub async fn start(storage: Arc<dyn Storage>, lifecycle: Lifecycle) -> Result<Api, ApiError> {
        let tokens = Arc::new(ServiceAccountTokens::ephemeral());
        Api::start_with(storage, lifecycle, &ServiceNetwork::default(), tokens).await
    }

    /// The API over `storage` with Services addressed as `network` says and
    /// service-account tokens issued by `service_accounts`.
    pub async fn start_with(
        storage: Arc<dyn Storage>,
        lifecycle: Lifecycle,
        network: &ServiceNetwork,
        service_accounts: Arc<ServiceAccountTokens>,
    ) -> Result<Api, ApiError> {
        let catalog = Arc::new(Catalog::builtin());
        let registry = Arc::new(Registry::new(storage.clone()));
        for descriptor in catalog.snapshot().resources() {
            registry.add_builtin(descriptor.clone());
        }
        bootstrap::ensure_namespaces(&registry).await?;
        services::install(&registry, network).await?;
        registry.install_admission(Arc::new(ResourceQuotaAdmission::new(&registry)));
        registry.start_caches();
        let openapi = Arc::new(openapi::OpenApi::new());
        let crds = crd::controller::CrdController::start(
            catalog.clone(),
            registry.clone(),
            openapi.clone(),
        )
        .await?;
        Ok(Api {
            catalog,
            reviews: Reviews::new(service_accounts.clone(), registry.clone()),
            registry,
            nonresource: NonResourceEndpoints::new(storage, lifecycle.clone()),
            lifecycle,
            service_accounts,
            openapi,
            crds,
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
        // Errors go back in the representation the client reads (client-go
        // typed clients ask for protobuf only), as upstream encodes them
        // with the negotiated serializer.
        let wants_protobuf = info.is_resource
            && matches!(
                negotiate::choose(request.headers()),
                Ok(negotiate::Representation::Protobuf)
            );
        let result = if info.is_resource {
            resource::serve(
                &self.registry,
                &self.service_accounts,
                &self.reviews,
                &user,
                &info,
                request,
                &self.lifecycle,
            )
            .await
        } else if let Some(response) = issuer_discovery::serve(&self.service_accounts, &request) {
            Ok(response)
        } else if let Some(response) = discovery::serve(&self.catalog, &request) {
            Ok(response)
        } else if let Some(response) = openapi::serve(
            &self.openapi,
            &self.catalog,
            request.method(),
            request.uri(),
            request.headers(),
        )
        .await
        {
            Ok(response)
        } else {
            Err(ApiError::no_route())
        };
        result.unwrap_or_else(|error| {
            if wants_protobuf {
                response::error_as_protobuf(error)
            } else {
                error.into_response()
            }
        })
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
