//! The API server's request handler: everything after authentication.

use std::sync::Arc;

use super::handlers::Api;
use super::http::Handler;
use super::lifecycle::Lifecycle;
use super::status::ApiError;
use crate::storage::Storage;

/// Builds the handler for an API server on `storage` with default settings
/// (see [`Api::start`]): health, version, discovery and every built-in
/// resource. Creates the system namespaces and the `kubernetes` Service if
/// they are missing.
pub async fn build_handler(
    storage: Arc<dyn Storage>,
    lifecycle: Lifecycle,
) -> Result<Handler, ApiError> {
    Ok(Arc::new(Api::start(storage, lifecycle).await?).into_handler())
}
