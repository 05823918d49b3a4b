//! Routing for the non-resource paths this module serves, kept apart from
//! the resource API so the API router can try it first:
//!
//! ```ignore
//! if let Some(response) = endpoints.serve(&request) {
//!     return response.await;
//! }
//! // … the resource API …
//! ```

use std::sync::Arc;

use futures::future::BoxFuture;
use http::{Request, Response};

use super::health::HealthEndpoints;
use super::version::VersionInfo;
use crate::apiserver::http::ResponseBody;
use crate::apiserver::lifecycle::Lifecycle;
use crate::storage::Storage;

/// `/healthz`, `/livez`, `/readyz` (and their per-check paths) and
/// `/version`.
#[derive(Clone)]
pub struct NonResourceEndpoints {
    pub health: HealthEndpoints,
    pub version: VersionInfo,
}

impl NonResourceEndpoints {
    pub fn new(storage: Arc<dyn Storage>, lifecycle: Lifecycle) -> NonResourceEndpoints {
        NonResourceEndpoints {
            health: HealthEndpoints::new(storage, lifecycle),
            version: VersionInfo::current(),
        }
    }

    /// The response for `request` if its path is one of these, else `None`.
    ///
    /// Routing happens now; the returned future owns what it needs, so the
    /// caller does not hold `request` (whose body is not `Sync`) across it.
    pub fn serve<B>(
        &self,
        request: &Request<B>,
    ) -> Option<BoxFuture<'static, Response<ResponseBody>>> {
        let path = request.uri().path();
        if path == "/version" || path == "/version/" {
            let response = self.version.respond(request.method());
            return Some(Box::pin(async move { response }));
        }
        let route = self.health.route(path)?;
        let query = request.uri().query().map(str::to_owned);
        Some(Box::pin(
            async move { route.respond(query.as_deref()).await },
        ))
    }
}
