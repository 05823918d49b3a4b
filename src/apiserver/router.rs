//! The API server's request handler: everything after authentication.

use std::sync::Arc;

use super::handlers::nonresource::NonResourceEndpoints;
use super::http::Handler;
use super::lifecycle::Lifecycle;
use super::status::ApiError;
use crate::storage::Storage;

/// Builds the handler for an API server on `storage`.
///
/// Today it serves the health and version endpoints and answers every
/// other path 404 `NotFound`; the resource API takes over the fallback.
pub fn build_handler(storage: Arc<dyn Storage>, lifecycle: Lifecycle) -> Handler {
    let endpoints = Arc::new(NonResourceEndpoints::new(storage, lifecycle));
    Arc::new(move |request, _user| match endpoints.serve(&request) {
        Some(response) => response,
        None => Box::pin(async { ApiError::no_route().into_response() }),
    })
}
