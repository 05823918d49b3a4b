//! NamespaceLifecycle: no new objects in a namespace that does not exist
//! or is being deleted, and the namespaces the system needs cannot be
//! deleted.

use crate::apiserver::object::ObjectExt;
use crate::apiserver::registry::Registry;
use crate::apiserver::request::RequestInfo;
use crate::apiserver::status::ApiError;

/// Namespaces that always exist.
pub const IMMORTAL: [&str; 3] = ["default", "kube-system", "kube-public"];

/// Checks a request against the lifecycle of its namespace. `name` is the
/// object's name where the URL does not say it (a create's body does).
pub async fn admit(
    registry: &Registry,
    info: &RequestInfo,
    name: Option<&str>,
) -> Result<(), ApiError> {
    if info.resource == "namespaces" {
        if info.verb == "delete"
            && info.subresource.is_none()
            && let Some(name) = info.name.as_deref().filter(|n| IMMORTAL.contains(n))
        {
            return Err(ApiError::forbidden(
                "",
                "namespaces",
                name,
                format!("namespaces \"{name}\" is forbidden: this namespace may not be deleted"),
            ));
        }
        return Ok(());
    }
    if info.verb != "create" {
        return Ok(());
    }
    let Some(namespace) = info.namespace.as_deref() else {
        return Ok(());
    };
    let Some(namespaces) = registry.get("", "v1", "namespaces") else {
        return Ok(());
    };
    // A consistent read: a namespace created or deleted a moment ago may
    // not have reached the watch cache yet.
    let found = namespaces.get(None, namespace, None).await?;
    if found.object.deletion_timestamp().is_some() {
        let resource = crate::apiserver::status::qualified_resource(&info.group, &info.resource);
        let name = info.name.as_deref().or(name).unwrap_or_default();
        let subject = if name.is_empty() {
            format!("{resource} is forbidden")
        } else {
            format!("{resource} \"{name}\" is forbidden")
        };
        return Err(ApiError::forbidden(
            &info.group,
            &info.resource,
            name,
            format!(
                "{subject}: unable to create new content in namespace {namespace} because it is being terminated"
            ),
        ));
    }
    Ok(())
}
