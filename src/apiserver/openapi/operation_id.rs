//! Operation IDs and tags as kube-apiserver derives them from a route's
//! name and path: the group and version go in after the verb
//! (`readNamespacedPod` at `/api/v1/…` is `readCoreV1NamespacedPod`), and
//! the tag is `<group>_<version>` (`core_v1`, `rbacAuthorization_v1`).

/// The verbs route names start with, longest first so that a longer verb
/// wins over its prefix.
const VERBS: &[&str] = &[
    "deletecollection",
    "replace",
    "connect",
    "create",
    "delete",
    "patch",
    "proxy",
    "watch",
    "list",
    "read",
    "get",
    "log",
];

/// Keeps letters, underscores and (not first) digits; the letter after a
/// dropped character, and the first one when `capitalize_first`, is upper
/// case.
fn valid_identifier(s: &str, capitalize_first: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut capitalize = capitalize_first;
    for (i, c) in s.chars().enumerate() {
        if c.is_alphabetic() || c == '_' || (i != 0 && c.is_ascii_digit()) {
            if capitalize {
                out.extend(c.to_uppercase());
                capitalize = false;
            } else {
                out.push(c);
            }
        } else {
            capitalize = true;
        }
    }
    out
}

/// The operation ID and tag of the route named `name` at `path`.
pub fn operation_id_and_tag(name: &str, path: &str) -> (String, Option<String>) {
    let Some(verb) = VERBS.iter().find(|v| name.starts_with(**v)) else {
        return (name.to_owned(), None);
    };
    let rest = &name[verb.len()..];
    let mut parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    if parts.first() == Some(&"api") {
        parts.splice(0..1, ["apis", "core"]);
    }
    let mut prefix = (*verb).to_owned();
    let tag;
    if parts.len() >= 2 && parts[0] == "apis" {
        let group = parts[1].trim_end_matches(".k8s.io");
        prefix.push_str(&valid_identifier(group, true));
        let mut group_tag = valid_identifier(group, false);
        if parts.len() > 2 {
            prefix.push_str(&valid_identifier(parts[2], true));
            group_tag = format!("{group_tag}_{}", valid_identifier(parts[2], false));
        }
        tag = Some(group_tag);
    } else {
        tag = parts
            .first()
            .filter(|p| !p.is_empty())
            .map(|p| valid_identifier(p, false));
    }
    (format!("{prefix}{}", valid_identifier(rest, true)), tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str, path: &str) -> (String, String) {
        let (id, tag) = operation_id_and_tag(name, path);
        (id, tag.unwrap_or_default())
    }

    #[test]
    fn upstream_operation_ids() {
        assert_eq!(
            id(
                "readNamespacedPod",
                "/api/v1/namespaces/{namespace}/pods/{name}"
            ),
            ("readCoreV1NamespacedPod".into(), "core_v1".into())
        );
        assert_eq!(
            id(
                "deleteCollectionNamespacedPod",
                "/api/v1/namespaces/{namespace}/pods"
            ),
            (
                "deleteCoreV1CollectionNamespacedPod".into(),
                "core_v1".into()
            )
        );
        assert_eq!(
            id(
                "listClusterRole",
                "/apis/rbac.authorization.k8s.io/v1/clusterroles"
            ),
            (
                "listRbacAuthorizationV1ClusterRole".into(),
                "rbacAuthorization_v1".into()
            )
        );
        assert_eq!(
            id(
                "patchFlowSchemaStatus",
                "/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas/{name}/status"
            ),
            (
                "patchFlowcontrolApiserverV1FlowSchemaStatus".into(),
                "flowcontrolApiserver_v1".into()
            )
        );
        assert_eq!(
            id("getAPIVersions", "/api/"),
            ("getCoreAPIVersions".into(), "core".into())
        );
        assert_eq!(
            id("getAPIGroup", "/apis/apps/"),
            ("getAppsAPIGroup".into(), "apps".into())
        );
        assert_eq!(
            id("getAPIVersions", "/apis/"),
            ("getAPIVersions".into(), "apis".into())
        );
        assert_eq!(
            id("getCodeVersion", "/version/"),
            ("getCodeVersion".into(), "version".into())
        );
        assert_eq!(
            id(
                "connectGetNamespacedPodProxyWithPath",
                "/api/v1/namespaces/{namespace}/pods/{name}/proxy/{path}"
            ),
            (
                "connectCoreV1GetNamespacedPodProxyWithPath".into(),
                "core_v1".into()
            )
        );
    }
}
