//! What a fresh cluster has before anyone asks: the system namespaces.

use serde_json::json;

use super::registry::Registry;
use super::registry::store::WriteOptions;
use super::status::ApiError;

/// The namespaces upstream creates at start.
pub const SYSTEM_NAMESPACES: [&str; 4] =
    ["default", "kube-system", "kube-public", "kube-node-lease"];

/// Creates the system namespaces that do not exist yet.
pub async fn ensure_namespaces(registry: &Registry) -> Result<(), ApiError> {
    let namespaces = registry
        .get("", "v1", "namespaces")
        .ok_or_else(|| ApiError::internal("namespaces are not served"))?;
    for name in SYSTEM_NAMESPACES {
        let object = json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": { "name": name },
        });
        match namespaces
            .create(None, object, &WriteOptions::default())
            .await
        {
            Ok(_) => {}
            Err(e) if e.reason == "AlreadyExists" => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
