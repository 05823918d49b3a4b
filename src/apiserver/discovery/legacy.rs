//! The classic discovery documents: `APIVersions` (`/api`), `APIGroupList`
//! (`/apis`), `APIGroup` (`/apis/<group>`) and `APIResourceList`
//! (`/api/v1`, `/apis/<group>/<version>`).
//!
//! The types mirror upstream's Go structs field for field, in the same
//! order and with the same omissions (`omitempty`), so the JSON is what
//! kube-apiserver writes: e.g. `/api` and `/api/v1` carry no `apiVersion`,
//! while the `/apis` documents say `"apiVersion": "v1"`.

use base64::Engine;
use serde::Serialize;

use crate::apiserver::registry::catalog::{CatalogSnapshot, GroupVersions};
use crate::apiserver::registry::resource::{
    GroupVersionKind, ResourceDescriptor, Storage, api_version,
};

/// `/api`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiVersions {
    pub kind: &'static str,
    pub versions: Vec<String>,
    #[serde(rename = "serverAddressByClientCIDRs")]
    pub server_address_by_client_cidrs: Vec<ServerAddressByClientCidr>,
}

/// Where a client in `client_cidr` should reach the server.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerAddressByClientCidr {
    #[serde(rename = "clientCIDR")]
    pub client_cidr: String,
    pub server_address: String,
}

/// `/apis`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiGroupList {
    pub kind: &'static str,
    pub api_version: &'static str,
    pub groups: Vec<ApiGroup>,
}

/// `/apis/<group>`, and each entry of `/apis` (which has no `kind` or
/// `apiVersion` of its own).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiGroup {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<&'static str>,
    pub name: String,
    pub versions: Vec<GroupVersionForDiscovery>,
    pub preferred_version: GroupVersionForDiscovery,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupVersionForDiscovery {
    pub group_version: String,
    pub version: String,
}

/// `/api/v1`, `/apis/<group>/<version>`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiResourceList {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<&'static str>,
    pub group_version: String,
    pub resources: Vec<ApiResource>,
}

/// One resource or subresource (`pods/status`) of an `APIResourceList`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiResource {
    pub name: String,
    /// Empty for subresources, as upstream leaves it.
    pub singular_name: String,
    pub namespaced: bool,
    /// Set only when the kind is from another group/version than the list
    /// (`pods/eviction` → `policy`, `deployments/scale` → `autoscaling`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version: String,
    pub kind: String,
    pub verbs: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub short_names: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub storage_version_hash: String,
}

/// `/api`: the core group's versions and where to reach the server.
pub fn api_versions(snapshot: &CatalogSnapshot, server_address: &str) -> ApiVersions {
    ApiVersions {
        kind: "APIVersions",
        versions: snapshot
            .group("")
            .map(|g| g.versions.clone())
            .unwrap_or_default(),
        server_address_by_client_cidrs: vec![ServerAddressByClientCidr {
            client_cidr: "0.0.0.0/0".into(),
            server_address: server_address.into(),
        }],
    }
}

/// `/apis`: every named group, in listing order.
pub fn api_group_list(snapshot: &CatalogSnapshot) -> ApiGroupList {
    ApiGroupList {
        kind: "APIGroupList",
        api_version: "v1",
        groups: snapshot
            .groups()
            .iter()
            .filter(|g| !g.name.is_empty())
            .map(|g| api_group(g, false))
            .collect(),
    }
}

/// `/apis/<group>` (`standalone`), or one entry of `/apis`.
pub fn api_group(group: &GroupVersions, standalone: bool) -> ApiGroup {
    let entry = |version: &str| GroupVersionForDiscovery {
        group_version: api_version(&group.name, version),
        version: version.to_owned(),
    };
    ApiGroup {
        kind: standalone.then_some("APIGroup"),
        api_version: standalone.then_some("v1"),
        name: group.name.clone(),
        versions: group.versions.iter().map(|v| entry(v)).collect(),
        preferred_version: entry(group.preferred()),
    }
}

/// `/api/v1` or `/apis/<group>/<version>`: each resource followed by its
/// subresources, sorted by name as upstream sorts its paths.
pub fn api_resource_list(
    snapshot: &CatalogSnapshot,
    group: &str,
    version: &str,
) -> ApiResourceList {
    let mut resources = Vec::new();
    for r in snapshot.resources_in(group, version) {
        resources.push(ApiResource {
            name: r.plural.clone(),
            singular_name: r.singular.clone(),
            namespaced: r.namespaced(),
            group: String::new(),
            version: String::new(),
            kind: r.kind.clone(),
            verbs: r.verbs.iter().map(|v| v.as_str()).collect(),
            short_names: r.short_names.clone(),
            categories: r.categories.clone(),
            storage_version_hash: storage_version_hash(r).unwrap_or_default(),
        });
        for s in &r.subresources {
            let (group, version) = foreign_group_version(r, &s.kind);
            resources.push(ApiResource {
                name: format!("{}/{}", r.plural, s.name),
                singular_name: String::new(),
                namespaced: r.namespaced(),
                group,
                version,
                kind: s.kind.kind.clone(),
                verbs: s.verbs.iter().map(|v| v.as_str()).collect(),
                short_names: Vec::new(),
                categories: Vec::new(),
                storage_version_hash: String::new(),
            });
        }
    }
    resources.sort_by(|a, b| a.name.cmp(&b.name));
    ApiResourceList {
        kind: "APIResourceList",
        // The core group's list is written without one; named groups' with.
        api_version: (!group.is_empty()).then_some("v1"),
        group_version: api_version(group, version),
        resources,
    }
}

/// The group and version to name for a subresource's kind: empty when it
/// is the parent's own group/version (upstream names only foreign ones).
pub fn foreign_group_version(
    parent: &ResourceDescriptor,
    kind: &GroupVersionKind,
) -> (String, String) {
    if kind.group == parent.group && kind.version == parent.version {
        (String::new(), String::new())
    } else {
        (kind.group.clone(), kind.version.clone())
    }
}

/// Upstream's `storageVersionHash`: the first 8 bytes of the SHA-256 of
/// `<group>/<version>/<kind>` of the storage version, base64-encoded. It
/// changes exactly when the encoding at rest changes, which is what storage
/// migrators watch for. `None` for resources that are not stored.
pub fn storage_version_hash(resource: &ResourceDescriptor) -> Option<String> {
    let Storage::Stored { version, .. } = &resource.storage else {
        return None;
    };
    let input = format!("{}/{}/{}", version.group, version.version, version.kind);
    let digest = ring::digest::digest(&ring::digest::SHA256, input.as_bytes());
    Some(base64::engine::general_purpose::STANDARD.encode(&digest.as_ref()[..8]))
}
