//! The API server's request handler: everything after authentication.

use std::sync::Arc;

use super::handlers::Api;
use super::http::Handler;
use super::lifecycle::Lifecycle;
use super::services::ServiceNetwork;
use super::status::ApiError;
use crate::storage::Storage;

/// Builds the handler for an API server on `storage`: health, version,
/// discovery and every built-in resource. Creates the system namespaces
/// and the `kubernetes` Service if they are missing.
pub async fn build_handler(
    storage: Arc<dyn Storage>,
    lifecycle: Lifecycle,
) -> Result<Handler, ApiError> {
    build_handler_with(storage, lifecycle, &ServiceNetwork::default()).await
}

/// [`build_handler`] with Services addressed as `network` says.
pub async fn build_handler_with(
    storage: Arc<dyn Storage>,
    lifecycle: Lifecycle,
    network: &ServiceNetwork,
) -> Result<Handler, ApiError> {
    Ok(Arc::new(Api::start_with(storage, lifecycle, network).await?).into_handler())
}
