//! The operations the API serves, as kube-apiserver's installer describes
//! them: for each resource its collection, item and (deprecated) watch
//! paths, one operation per verb, its subresources; and the discovery and
//! version endpoints. Both document formats are written from these.
//!
//! [`resources`] has a resource's own operations, [`subresources`] its
//! subresources', [`discovery`] the discovery endpoints'.

use serde_json::Value;

use super::definitions::Definitions;
use super::operation_id::operation_id_and_tag;
use super::parameters::{self, Parameter};
use crate::apiserver::registry::catalog::CatalogSnapshot;
use crate::apiserver::registry::resource::{GroupVersionKind, ResourceDescriptor};

mod discovery;
mod resources;
mod subresources;

pub use discovery::discovery_routes;
pub use resources::resource_routes;

/// An HTTP method an operation is declared under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum HttpMethod {
    Get,
    Put,
    Post,
    Delete,
    Options,
    Head,
    Patch,
}

impl HttpMethod {
    /// The key of the operation in a path item.
    pub fn key(self) -> &'static str {
        match self {
            HttpMethod::Get => "get",
            HttpMethod::Put => "put",
            HttpMethod::Post => "post",
            HttpMethod::Delete => "delete",
            HttpMethod::Options => "options",
            HttpMethod::Head => "head",
            HttpMethod::Patch => "patch",
        }
    }

    /// `Get`, `Post`, …: how connect operation IDs name the method.
    pub(super) fn title(self) -> &'static str {
        match self {
            HttpMethod::Get => "Get",
            HttpMethod::Put => "Put",
            HttpMethod::Post => "Post",
            HttpMethod::Delete => "Delete",
            HttpMethod::Options => "Options",
            HttpMethod::Head => "Head",
            HttpMethod::Patch => "Patch",
        }
    }

    /// The methods a proxy subresource forwards.
    pub(super) const PROXY: [HttpMethod; 7] = [
        HttpMethod::Get,
        HttpMethod::Head,
        HttpMethod::Put,
        HttpMethod::Post,
        HttpMethod::Delete,
        HttpMethod::Patch,
        HttpMethod::Options,
    ];
}

/// What a body or a response carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// An object of the named definition.
    Definition(String),
    /// Text (logs, connect streams).
    Text,
}

/// One response an operation declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub code: u16,
    pub payload: Option<Payload>,
}

impl Response {
    pub fn description(&self) -> &'static str {
        match self.code {
            200 => "OK",
            201 => "Created",
            202 => "Accepted",
            _ => "Unauthorized",
        }
    }
}

/// One operation.
#[derive(Clone, Debug)]
pub struct Route {
    pub path: String,
    pub method: HttpMethod,
    pub operation_id: String,
    pub tag: Option<String>,
    pub description: String,
    /// `x-kubernetes-action`.
    pub action: Option<&'static str>,
    /// `x-kubernetes-group-version-kind`.
    pub gvk: Option<GroupVersionKind>,
    /// Non-body parameters, sorted by name.
    pub parameters: Vec<Parameter>,
    /// The body's definition and whether it is required.
    pub body: Option<(String, bool)>,
    pub consumes: &'static [&'static str],
    pub produces: &'static [&'static str],
    pub responses: Vec<Response>,
}

pub(super) const ANY: &[&str] = &["*/*"];
pub(super) const OBJECTS: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
];
pub(super) const STREAMS: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
    "application/json;stream=watch",
    "application/vnd.kubernetes.protobuf;stream=watch",
];
pub(super) const PATCHES: &[&str] = &[
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
];
/// What PATCH of a kind without a Go type takes (custom resources):
/// no strategic merge patch.
pub(super) const UNTYPED_PATCHES: &[&str] = &[
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
];

/// The patch media types PATCH of objects of `gvk` takes.
pub(super) fn patches_for(
    gvk: &crate::apiserver::registry::resource::GroupVersionKind,
) -> &'static [&'static str] {
    let typed = crate::apiserver::patch::schema::Shapes::get()
        .root(&gvk.api_version(), &gvk.kind)
        .is_some();
    if typed { PATCHES } else { UNTYPED_PATCHES }
}
pub(super) const LOGS: &[&str] = &[
    "text/plain",
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
];
/// `/api/v1` or `/apis/<group>/<version>`.
pub fn group_version_root(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    }
}

/// The article upstream's operation descriptions put before `noun`,
/// padded with spaces: none before a plural (`create Endpoints`), "an"
/// before a vowel (`create an Event`), "a" otherwise.
pub(super) fn article(noun: &str) -> &'static str {
    if noun.ends_with('s') && !noun.ends_with("ss") {
        " "
    } else if noun
        .chars()
        .next()
        .is_some_and(|c| "aeiou".contains(c.to_ascii_lowercase()))
    {
        " an "
    } else {
        " a "
    }
}

/// Go's `strings.Title` of a lower-case word.
pub(super) fn title(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

pub(super) fn responses(codes: &[u16], payload: &Payload) -> Vec<Response> {
    codes
        .iter()
        .map(|&code| Response {
            code,
            payload: Some(payload.clone()),
        })
        .chain([Response {
            code: 401,
            payload: None,
        }])
        .collect()
}

/// The pieces every operation of one resource shares.
pub(super) struct ResourceRoutes<'a> {
    pub(super) resource: &'a ResourceDescriptor,
    /// The definition of the resource's objects.
    pub(super) object: String,
    pub(super) routes: Vec<Route>,
}

/// What one operation is, before its ID and parameters are worked out.
pub(super) struct Operation<'a> {
    /// The route name, e.g. `readNamespacedPodStatus`.
    pub(super) name: String,
    pub(super) path: String,
    pub(super) method: HttpMethod,
    pub(super) description: String,
    pub(super) action: Option<&'static str>,
    pub(super) gvk: Option<&'a GroupVersionKind>,
    pub(super) parameters: Vec<Parameter>,
    pub(super) body: Option<(String, bool)>,
    pub(super) consumes: &'static [&'static str],
    pub(super) produces: &'static [&'static str],
    pub(super) responses: Vec<Response>,
}

impl ResourceRoutes<'_> {
    pub(super) fn add(&mut self, operation: Operation<'_>) {
        let (operation_id, tag) = operation_id_and_tag(&operation.name, &operation.path);
        let mut parameters = operation.parameters;
        if operation.action != Some("connect") {
            parameters.push(parameters::pretty());
        }
        parameters.sort_by(|a, b| (a.name, a.location).cmp(&(b.name, b.location)));
        self.routes.push(Route {
            path: operation.path,
            method: operation.method,
            operation_id,
            tag,
            description: operation.description,
            action: operation.action,
            gvk: operation.gvk.cloned(),
            parameters,
            body: operation.body,
            consumes: operation.consumes,
            produces: operation.produces,
            responses: operation.responses,
        });
    }
}

/// Path parameters of a path under `{namespace}` (if `namespaced`) and
/// naming an object of `kind` (if `named`).
pub(super) fn path_parameters(namespaced: bool, named: Option<&str>) -> Vec<Parameter> {
    let mut all = Vec::new();
    if namespaced {
        all.push(parameters::namespace());
    }
    if let Some(kind) = named {
        all.push(parameters::name(kind));
    }
    all
}

pub(super) fn with(mut base: Vec<Parameter>, more: Vec<Parameter>) -> Vec<Parameter> {
    base.extend(more);
    base
}

/// Every operation of what `snapshot` serves.
pub fn all_routes(snapshot: &CatalogSnapshot, definitions: &Definitions) -> Vec<Route> {
    let mut routes = discovery_routes(snapshot);
    for resource in snapshot.resources() {
        routes.extend(resource_routes(resource, definitions));
    }
    routes
}

/// The `x-kubernetes-group-version-kind` value of an operation.
pub fn gvk_extension(gvk: &GroupVersionKind) -> Value {
    serde_json::json!({ "group": gvk.group, "kind": gvk.kind, "version": gvk.version })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::openapi::custom::CustomSchemas;
    use crate::apiserver::openapi::definitions::meta;
    use crate::apiserver::registry::catalog::Catalog;

    fn routes() -> Vec<Route> {
        let snapshot = Catalog::builtin().snapshot();
        let definitions = Definitions::build(&snapshot, &CustomSchemas::default());
        all_routes(&snapshot, &definitions)
    }

    fn find<'a>(routes: &'a [Route], id: &str) -> &'a Route {
        routes
            .iter()
            .find(|r| r.operation_id == id)
            .unwrap_or_else(|| panic!("no {id}"))
    }

    fn names(route: &Route) -> Vec<&str> {
        route.parameters.iter().map(|p| p.name).collect()
    }

    #[test]
    fn pod_operations_are_upstreams() {
        let routes = routes();
        let read = find(&routes, "readCoreV1NamespacedPod");
        assert_eq!(read.path, "/api/v1/namespaces/{namespace}/pods/{name}");
        assert_eq!(read.action, Some("get"));
        assert_eq!(names(read), ["name", "namespace", "pretty"]);
        let patch = find(&routes, "patchCoreV1NamespacedPod");
        assert_eq!(patch.consumes, PATCHES);
        assert_eq!(
            names(patch),
            [
                "dryRun",
                "fieldManager",
                "fieldValidation",
                "force",
                "name",
                "namespace",
                "pretty"
            ]
        );
        let delete = find(&routes, "deleteCoreV1NamespacedPod");
        assert_eq!(
            delete.responses[0].payload,
            Some(Payload::Definition("io.k8s.api.core.v1.Pod".into()))
        );
        let all = find(&routes, "listCoreV1PodForAllNamespaces");
        assert_eq!(all.path, "/api/v1/pods");
        let watch = find(&routes, "watchCoreV1NamespacedPodList");
        assert_eq!(watch.path, "/api/v1/watch/namespaces/{namespace}/pods");
        let exec = find(&routes, "connectCoreV1PostNamespacedPodExec");
        assert_eq!(exec.description, "connect POST requests to exec of Pod");
        assert!(names(exec).contains(&"command"));
        let proxy = find(&routes, "connectCoreV1OptionsNodeProxyWithPath");
        assert_eq!(proxy.path, "/api/v1/nodes/{name}/proxy/{path}");
        let eviction = find(&routes, "createCoreV1NamespacedPodEviction");
        assert_eq!(
            eviction.gvk,
            Some(GroupVersionKind::new("policy", "v1", "Eviction"))
        );
        assert_eq!(eviction.description, "create eviction of a Pod");
        assert_eq!(
            find(&routes, "createCoreV1NamespacedEndpoints").description,
            "create Endpoints"
        );
        assert_eq!(
            find(&routes, "deleteApiregistrationV1APIService").description,
            "delete an APIService"
        );
        let log = find(&routes, "readCoreV1NamespacedPodLog");
        assert_eq!(log.responses[0].payload, Some(Payload::Text));
        let scale = find(&routes, "replaceAppsV1NamespacedDeploymentScale");
        let name = scale.parameters.iter().find(|p| p.name == "name").unwrap();
        assert_eq!(name.description, "name of the Scale");
        find(&routes, "replaceCoreV1NamespaceFinalize");
        find(
            &routes,
            "patchCertificatesV1CertificateSigningRequestApproval",
        );
        find(
            &routes,
            "createAuthorizationV1NamespacedLocalSubjectAccessReview",
        );
        find(&routes, "getAppsV1APIResources");
        find(&routes, "getCoreAPIVersions");
        let delete_deployment = find(&routes, "deleteAppsV1NamespacedDeployment");
        assert_eq!(
            delete_deployment.responses[0].payload,
            Some(Payload::Definition(meta("Status")))
        );
    }

    #[test]
    fn operation_ids_are_unique() {
        let routes = routes();
        let mut seen = std::collections::HashSet::new();
        for route in &routes {
            assert!(seen.insert(&route.operation_id), "{}", route.operation_id);
        }
    }
}
