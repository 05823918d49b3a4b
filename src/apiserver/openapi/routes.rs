//! The operations the API serves, as kube-apiserver's installer describes
//! them: for each resource its collection, item and (deprecated) watch
//! paths, one operation per verb, its subresources; and the discovery and
//! version endpoints. Both document formats are written from these.

use serde_json::Value;

use super::definitions::{Definitions, meta};
use super::operation_id::operation_id_and_tag;
use super::parameters::{self, Parameter};
use crate::apiserver::registry::catalog::CatalogSnapshot;
use crate::apiserver::registry::resource::{
    GroupVersionKind, ResourceDescriptor, SubresourceDescriptor, Verb,
};

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
    fn title(self) -> &'static str {
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
    const PROXY: [HttpMethod; 7] = [
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

const ANY: &[&str] = &["*/*"];
const OBJECTS: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
];
const STREAMS: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
    "application/json;stream=watch",
    "application/vnd.kubernetes.protobuf;stream=watch",
];
const PATCHES: &[&str] = &[
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
];
const LOGS: &[&str] = &[
    "text/plain",
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
];

/// Resources whose `delete` answers with the deleted object (their
/// registries return it) rather than a `Status`.
const DELETE_RETURNS_OBJECT: &[(&str, &str)] = &[
    ("", "persistentvolumeclaims"),
    ("", "persistentvolumes"),
    ("", "pods"),
    ("", "podtemplates"),
    ("", "resourcequotas"),
    ("", "serviceaccounts"),
    ("storage.k8s.io", "csidrivers"),
    ("storage.k8s.io", "csinodes"),
    ("storage.k8s.io", "storageclasses"),
    ("storage.k8s.io", "volumeattachments"),
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
fn article(noun: &str) -> &'static str {
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
fn title(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn responses(codes: &[u16], payload: &Payload) -> Vec<Response> {
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
struct ResourceRoutes<'a> {
    resource: &'a ResourceDescriptor,
    /// The definition of the resource's objects.
    object: String,
    routes: Vec<Route>,
}

/// What one operation is, before its ID and parameters are worked out.
struct Operation<'a> {
    /// The route name, e.g. `readNamespacedPodStatus`.
    name: String,
    path: String,
    method: HttpMethod,
    description: String,
    action: Option<&'static str>,
    gvk: Option<&'a GroupVersionKind>,
    parameters: Vec<Parameter>,
    body: Option<(String, bool)>,
    consumes: &'static [&'static str],
    produces: &'static [&'static str],
    responses: Vec<Response>,
}

impl ResourceRoutes<'_> {
    fn add(&mut self, operation: Operation<'_>) {
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
fn path_parameters(namespaced: bool, named: Option<&str>) -> Vec<Parameter> {
    let mut all = Vec::new();
    if namespaced {
        all.push(parameters::namespace());
    }
    if let Some(kind) = named {
        all.push(parameters::name(kind));
    }
    all
}

fn with(mut base: Vec<Parameter>, more: Vec<Parameter>) -> Vec<Parameter> {
    base.extend(more);
    base
}

/// Every operation of `resource`.
pub fn resource_routes(resource: &ResourceDescriptor, definitions: &Definitions) -> Vec<Route> {
    let Some(object) = definitions.name_of(&resource.gvk()) else {
        return Vec::new();
    };
    let mut out = ResourceRoutes {
        resource,
        object: object.to_owned(),
        routes: Vec::new(),
    };
    let gvk = resource.gvk();
    let kind = &resource.kind;
    let root = group_version_root(&resource.group, &resource.version);
    let namespaced = resource.namespaced();
    let ns = if namespaced { "Namespaced" } else { "" };
    let scope = if namespaced {
        "/namespaces/{namespace}"
    } else {
        ""
    };
    let collection = format!("{root}{scope}/{}", resource.plural);
    let item = format!("{collection}/{{name}}");
    let watch_collection = format!("{root}/watch{scope}/{}", resource.plural);
    let object = Payload::Definition(out.object.clone());
    let list = Payload::Definition(format!("{}List", out.object));
    let status = Payload::Definition(meta("Status"));
    let watch_event = Payload::Definition(meta("WatchEvent"));
    let delete_options = (meta("DeleteOptions"), false);
    let watcher = resource.supports(Verb::Watch);

    for verb in &resource.verbs {
        match verb {
            Verb::List => {
                let description = if watcher {
                    format!("list or watch objects of kind {kind}")
                } else {
                    format!("list objects of kind {kind}")
                };
                out.add(Operation {
                    name: format!("list{ns}{kind}"),
                    path: collection.clone(),
                    method: HttpMethod::Get,
                    description: description.clone(),
                    action: Some("list"),
                    gvk: Some(&gvk),
                    parameters: with(path_parameters(namespaced, None), parameters::list()),
                    body: None,
                    consumes: ANY,
                    produces: STREAMS,
                    responses: responses(&[200], &list),
                });
                if namespaced {
                    out.add(Operation {
                        name: format!("list{kind}ForAllNamespaces"),
                        path: format!("{root}/{}", resource.plural),
                        method: HttpMethod::Get,
                        description,
                        action: Some("list"),
                        gvk: Some(&gvk),
                        parameters: parameters::list(),
                        body: None,
                        consumes: ANY,
                        produces: STREAMS,
                        responses: responses(&[200], &list),
                    });
                }
            }
            Verb::Create => out.add(Operation {
                name: format!("create{ns}{kind}"),
                path: collection.clone(),
                method: HttpMethod::Post,
                description: format!("create{}{kind}", article(kind)),
                action: Some("post"),
                gvk: Some(&gvk),
                parameters: with(path_parameters(namespaced, None), parameters::write()),
                body: Some((out.object.clone(), true)),
                consumes: ANY,
                produces: OBJECTS,
                responses: responses(&[200, 201, 202], &object),
            }),
            Verb::DeleteCollection => out.add(Operation {
                name: format!("deleteCollection{ns}{kind}"),
                path: collection.clone(),
                method: HttpMethod::Delete,
                description: format!("delete collection of {kind}"),
                action: Some("deletecollection"),
                gvk: Some(&gvk),
                parameters: with(
                    path_parameters(namespaced, None),
                    parameters::delete_collection(),
                ),
                body: Some(delete_options.clone()),
                consumes: ANY,
                produces: OBJECTS,
                responses: responses(&[200], &status),
            }),
            Verb::Get => out.add(Operation {
                name: format!("read{ns}{kind}"),
                path: item.clone(),
                method: HttpMethod::Get,
                description: format!("read the specified {kind}"),
                action: Some("get"),
                gvk: Some(&gvk),
                parameters: path_parameters(namespaced, Some(kind)),
                body: None,
                consumes: ANY,
                produces: OBJECTS,
                responses: responses(&[200], &object),
            }),
            Verb::Update => out.add(Operation {
                name: format!("replace{ns}{kind}"),
                path: item.clone(),
                method: HttpMethod::Put,
                description: format!("replace the specified {kind}"),
                action: Some("put"),
                gvk: Some(&gvk),
                parameters: with(path_parameters(namespaced, Some(kind)), parameters::write()),
                body: Some((out.object.clone(), true)),
                consumes: ANY,
                produces: OBJECTS,
                responses: responses(&[200, 201], &object),
            }),
            Verb::Patch => out.add(Operation {
                name: format!("patch{ns}{kind}"),
                path: item.clone(),
                method: HttpMethod::Patch,
                description: format!("partially update the specified {kind}"),
                action: Some("patch"),
                gvk: Some(&gvk),
                parameters: with(path_parameters(namespaced, Some(kind)), parameters::patch()),
                body: Some((meta("Patch"), true)),
                consumes: PATCHES,
                produces: OBJECTS,
                responses: responses(&[200, 201], &object),
            }),
            Verb::Delete => {
                let returned = if DELETE_RETURNS_OBJECT
                    .contains(&(resource.group.as_str(), resource.plural.as_str()))
                {
                    &object
                } else {
                    &status
                };
                out.add(Operation {
                    name: format!("delete{ns}{kind}"),
                    path: item.clone(),
                    method: HttpMethod::Delete,
                    description: format!("delete{}{kind}", article(kind)),
                    action: Some("delete"),
                    gvk: Some(&gvk),
                    parameters: with(
                        path_parameters(namespaced, Some(kind)),
                        parameters::delete(),
                    ),
                    body: Some(delete_options.clone()),
                    consumes: ANY,
                    produces: OBJECTS,
                    responses: responses(&[200, 202], returned),
                });
            }
            Verb::Watch => {
                let deprecated =
                    "deprecated: use the 'watch' parameter with a list operation instead";
                out.add(Operation {
                    name: format!("watch{ns}{kind}List"),
                    path: watch_collection.clone(),
                    method: HttpMethod::Get,
                    description: format!(
                        "watch individual changes to a list of {kind}. {deprecated}."
                    ),
                    action: Some("watchlist"),
                    gvk: Some(&gvk),
                    parameters: with(path_parameters(namespaced, None), parameters::list()),
                    body: None,
                    consumes: ANY,
                    produces: STREAMS,
                    responses: responses(&[200], &watch_event),
                });
                out.add(Operation {
                    name: format!("watch{ns}{kind}"),
                    path: format!("{watch_collection}/{{name}}"),
                    method: HttpMethod::Get,
                    description: format!(
                        "watch changes to an object of kind {kind}. {deprecated}, filtered to a single item with the 'fieldSelector' parameter."
                    ),
                    action: Some("watch"),
                    gvk: Some(&gvk),
                    parameters: with(path_parameters(namespaced, Some(kind)), parameters::list()),
                    body: None,
                    consumes: ANY,
                    produces: STREAMS,
                    responses: responses(&[200], &watch_event),
                });
                if namespaced {
                    out.add(Operation {
                        name: format!("watch{kind}ListForAllNamespaces"),
                        path: format!("{root}/watch/{}", resource.plural),
                        method: HttpMethod::Get,
                        description: format!(
                            "watch individual changes to a list of {kind}. {deprecated}."
                        ),
                        action: Some("watchlist"),
                        gvk: Some(&gvk),
                        parameters: parameters::list(),
                        body: None,
                        consumes: ANY,
                        produces: STREAMS,
                        responses: responses(&[200], &watch_event),
                    });
                }
            }
        }
    }
    for sub in &resource.subresources {
        subresource_routes(&mut out, sub, &item, definitions);
    }
    out.routes
}

/// The operations of one subresource of `out.resource`, under `item`.
fn subresource_routes(
    out: &mut ResourceRoutes<'_>,
    sub: &SubresourceDescriptor,
    item: &str,
    definitions: &Definitions,
) {
    let resource = out.resource;
    let kind = resource.kind.clone();
    let namespaced = resource.namespaced();
    let ns = if namespaced { "Namespaced" } else { "" };
    let name = &sub.name;
    let path = format!("{item}/{name}");
    let suffix = title(name);
    let sub_kind = sub.kind.kind.as_str();

    if sub_kind.ends_with("Options") {
        let methods: Vec<HttpMethod> = if name == "proxy" {
            HttpMethod::PROXY.to_vec()
        } else {
            let mut methods = Vec::new();
            if sub.verbs.contains(&Verb::Get) {
                methods.push(HttpMethod::Get);
            }
            if sub.verbs.contains(&Verb::Create) {
                methods.push(HttpMethod::Post);
            }
            methods
        };
        let forms: &[(&str, &str)] = if name == "proxy" {
            &[("", ""), ("/{path}", "WithPath")]
        } else {
            &[("", "")]
        };
        for (tail, with_path) in forms {
            for method in &methods {
                let mut parameters = with(
                    path_parameters(namespaced, Some(sub_kind)),
                    parameters::connect(sub_kind),
                );
                if !tail.is_empty() {
                    parameters.push(parameters::proxy_path());
                }
                out.add(Operation {
                    name: format!("connect{}{ns}{kind}{suffix}{with_path}", method.title()),
                    path: format!("{path}{tail}"),
                    method: *method,
                    description: format!(
                        "connect {} requests to {name} of {kind}",
                        method.title().to_uppercase()
                    ),
                    action: Some("connect"),
                    gvk: Some(&sub.kind),
                    parameters,
                    body: None,
                    consumes: ANY,
                    produces: ANY,
                    responses: responses(&[200], &Payload::Text),
                });
            }
        }
        return;
    }

    let Some(sub_object) = definitions.name_of(&sub.kind).map(str::to_owned) else {
        return;
    };
    let payload = Payload::Definition(sub_object.clone());
    if name == "log" {
        out.add(Operation {
            name: format!("read{ns}{kind}Log"),
            path,
            method: HttpMethod::Get,
            description: format!("read log of the specified {kind}"),
            action: Some("get"),
            gvk: Some(&sub.kind),
            parameters: with(
                path_parameters(namespaced, Some(sub_kind)),
                parameters::pod_log(),
            ),
            body: None,
            consumes: ANY,
            produces: LOGS,
            responses: responses(&[200], &Payload::Text),
        });
        return;
    }
    for verb in &sub.verbs {
        let named = path_parameters(namespaced, Some(sub_kind));
        let operation = match verb {
            Verb::Get => Operation {
                name: format!("read{ns}{kind}{suffix}"),
                path: path.clone(),
                method: HttpMethod::Get,
                description: format!("read {name} of the specified {kind}"),
                action: Some("get"),
                gvk: Some(&sub.kind),
                parameters: named,
                body: None,
                consumes: ANY,
                produces: OBJECTS,
                responses: responses(&[200], &payload),
            },
            Verb::Update => Operation {
                name: format!("replace{ns}{kind}{suffix}"),
                path: path.clone(),
                method: HttpMethod::Put,
                description: format!("replace {name} of the specified {kind}"),
                action: Some("put"),
                gvk: Some(&sub.kind),
                parameters: with(named, parameters::write()),
                body: Some((sub_object.clone(), true)),
                consumes: ANY,
                produces: OBJECTS,
                responses: responses(&[200, 201], &payload),
            },
            Verb::Patch => Operation {
                name: format!("patch{ns}{kind}{suffix}"),
                path: path.clone(),
                method: HttpMethod::Patch,
                description: format!("partially update {name} of the specified {kind}"),
                action: Some("patch"),
                gvk: Some(&sub.kind),
                parameters: with(named, parameters::patch()),
                body: Some((meta("Patch"), true)),
                consumes: PATCHES,
                produces: OBJECTS,
                responses: responses(&[200, 201], &payload),
            },
            Verb::Create => Operation {
                name: format!("create{ns}{kind}{suffix}"),
                path: path.clone(),
                method: HttpMethod::Post,
                description: format!("create {name} of{}{kind}", article(&kind)),
                action: Some("post"),
                gvk: Some(&sub.kind),
                parameters: with(named, parameters::write()),
                body: Some((sub_object.clone(), true)),
                consumes: ANY,
                produces: OBJECTS,
                responses: responses(&[200, 201, 202], &payload),
            },
            _ => continue,
        };
        out.add(operation);
    }
}

/// The discovery endpoints of what `snapshot` serves and `/version/`.
pub fn discovery_routes(snapshot: &CatalogSnapshot) -> Vec<Route> {
    let mut routes = Vec::new();
    let mut add = |name: &str,
                   path: String,
                   description: &str,
                   answer: String,
                   media: &'static [&'static str]| {
        let (operation_id, tag) = operation_id_and_tag(name, &path);
        routes.push(Route {
            path,
            method: HttpMethod::Get,
            operation_id,
            tag,
            description: description.to_owned(),
            action: None,
            gvk: None,
            parameters: Vec::new(),
            body: None,
            consumes: media,
            produces: media,
            responses: responses(&[200], &Payload::Definition(answer)),
        });
    };
    for group in snapshot.groups() {
        if group.name.is_empty() {
            add(
                "getAPIVersions",
                "/api/".into(),
                "get available API versions",
                meta("APIVersions"),
                OBJECTS,
            );
        } else {
            add(
                "getAPIGroup",
                format!("/apis/{}/", group.name),
                "get information of a group",
                meta("APIGroup"),
                OBJECTS,
            );
        }
        for version in &group.versions {
            add(
                "getAPIResources",
                format!("{}/", group_version_root(&group.name, version)),
                "get available resources",
                meta("APIResourceList"),
                OBJECTS,
            );
        }
    }
    add(
        "getAPIVersions",
        "/apis/".into(),
        "get available API versions",
        meta("APIGroupList"),
        OBJECTS,
    );
    add(
        "getCodeVersion",
        "/version/".into(),
        "get the code version",
        "io.k8s.apimachinery.pkg.version.Info".into(),
        &["application/json"],
    );
    routes
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
