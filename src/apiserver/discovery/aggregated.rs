//! Aggregated discovery (`apidiscovery.k8s.io/v2`, and `v2beta1` which has
//! the same shape): every group, version and resource in one document, so
//! a client learns the whole API in one request instead of one per
//! group/version.
//!
//! The types mirror upstream's Go structs field for field (order and
//! omissions included); `/api` answers with a one-item list for the core
//! group, `/apis` with every named group.

use serde::Serialize;

use super::legacy::foreign_group_version;
use super::negotiate::{AGGREGATED_KIND, AggregatedVersion};
use crate::apiserver::registry::catalog::{CatalogSnapshot, GroupVersions};
use crate::apiserver::registry::resource::{ResourceDescriptor, Scope};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiGroupDiscoveryList {
    pub kind: &'static str,
    pub api_version: String,
    /// An empty `ListMeta`.
    pub metadata: EmptyMeta,
    pub items: Vec<ApiGroupDiscovery>,
}

/// Serialises as `{}`.
#[derive(Debug, Serialize)]
pub struct EmptyMeta {}

#[derive(Debug, Serialize)]
pub struct ApiGroupDiscovery {
    pub metadata: GroupMeta,
    pub versions: Vec<ApiVersionDiscovery>,
}

/// The `ObjectMeta` of a group entry: its name (absent for the core group)
/// and the `creationTimestamp: null` Go always writes for a zero time.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupMeta {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    pub creation_timestamp: (),
}

#[derive(Debug, Serialize)]
pub struct ApiVersionDiscovery {
    pub version: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ApiResourceDiscovery>,
    /// Always `Current`: keelson serves every group itself, so nothing is
    /// ever stale.
    pub freshness: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiResourceDiscovery {
    pub resource: String,
    pub response_kind: ResponseKind,
    pub scope: &'static str,
    pub singular_resource: String,
    pub verbs: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub short_names: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subresources: Vec<ApiSubresourceDiscovery>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiSubresourceDiscovery {
    pub subresource: String,
    pub response_kind: ResponseKind,
    pub verbs: Vec<&'static str>,
}

/// A group/version/kind; group and version are empty when they are the
/// enclosing group/version's (upstream writes the empty strings).
#[derive(Debug, Serialize)]
pub struct ResponseKind {
    pub group: String,
    pub version: String,
    pub kind: String,
}

/// The aggregated document for `/api` (`core`) or `/apis` (every other
/// group).
pub fn discovery_list(
    snapshot: &CatalogSnapshot,
    version: AggregatedVersion,
    core: bool,
) -> ApiGroupDiscoveryList {
    ApiGroupDiscoveryList {
        kind: AGGREGATED_KIND,
        api_version: version.api_version(),
        metadata: EmptyMeta {},
        items: snapshot
            .groups()
            .iter()
            .filter(|g| g.name.is_empty() == core)
            .map(|g| group_discovery(snapshot, g))
            .collect(),
    }
}

fn group_discovery(snapshot: &CatalogSnapshot, group: &GroupVersions) -> ApiGroupDiscovery {
    ApiGroupDiscovery {
        metadata: GroupMeta {
            name: group.name.clone(),
            creation_timestamp: (),
        },
        versions: group
            .versions
            .iter()
            .map(|version| ApiVersionDiscovery {
                version: version.clone(),
                resources: snapshot
                    .resources_in(&group.name, version)
                    .iter()
                    .map(resource_discovery)
                    .collect(),
                freshness: "Current",
            })
            .collect(),
    }
}

fn resource_discovery(r: &ResourceDescriptor) -> ApiResourceDiscovery {
    let mut subresources: Vec<ApiSubresourceDiscovery> = r
        .subresources
        .iter()
        .map(|s| {
            let (group, version) = foreign_group_version(r, &s.kind);
            ApiSubresourceDiscovery {
                subresource: s.name.clone(),
                response_kind: ResponseKind {
                    group,
                    version,
                    kind: s.kind.kind.clone(),
                },
                verbs: s.verbs.iter().map(|v| v.as_str()).collect(),
            }
        })
        .collect();
    // By name, as upstream lists them (it derives them from sorted paths).
    subresources.sort_by(|a, b| a.subresource.cmp(&b.subresource));
    ApiResourceDiscovery {
        resource: r.plural.clone(),
        response_kind: ResponseKind {
            group: String::new(),
            version: String::new(),
            kind: r.kind.clone(),
        },
        scope: match r.scope {
            Scope::Namespaced => "Namespaced",
            Scope::Cluster => "Cluster",
        },
        singular_resource: r.singular.clone(),
        verbs: r.verbs.iter().map(|v| v.as_str()).collect(),
        short_names: r.short_names.clone(),
        categories: r.categories.clone(),
        subresources,
    }
}
