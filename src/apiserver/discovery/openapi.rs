//! A minimal `/openapi/v3`: the root lists every served group-version, and
//! each group-version's document has, per resource, the PATCH operation
//! with its `x-kubernetes-group-version-kind` and the `fieldValidation`
//! query parameter — no schemas yet.
//!
//! That is what kubectl (1.27+) reads before `create -f`, `replace -f` and
//! `apply` to learn that the server validates fields itself; without it,
//! kubectl falls back to client-side validation, which needs
//! `/openapi/v2`, and fails ("failed to download openapi").

use http::{HeaderValue, Method, Request, Response, header};
use serde_json::{Map, Value, json};

use super::super::http::{ResponseBody, empty, full};
use super::super::registry::catalog::CatalogSnapshot;
use super::super::registry::resource::{ResourceDescriptor, Scope, Verb};
use super::super::status::ApiError;

/// Answers `/openapi/v3` and `/openapi/v3/<api/v1 | apis/<group>/<version>>`;
/// `None` for every other path.
pub fn serve<B>(snapshot: &CatalogSnapshot, req: &Request<B>) -> Option<Response<ResponseBody>> {
    let path = req.uri().path();
    let path = path.strip_suffix('/').unwrap_or(path);
    let rest = path.strip_prefix("/openapi/v3")?;
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Some(ApiError::method_not_allowed().into_response());
    }
    let document = if rest.is_empty() {
        Some(root(snapshot))
    } else {
        let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
        match segments.as_slice() {
            ["api", version] => group_version(snapshot, "", version),
            ["apis", group, version] if !group.is_empty() => {
                group_version(snapshot, group, version)
            }
            _ => None,
        }
    };
    let Some(document) = document else {
        return Some(ApiError::no_route().into_response());
    };
    let body = match req.method() {
        &Method::HEAD => empty(),
        _ => full(serde_json::to_vec(&document).unwrap_or_default()),
    };
    let mut response = Response::new(body);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Some(response)
}

/// The path of a group-version under `/openapi/v3/`: `api/v1`,
/// `apis/apps/v1`.
fn relative(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

fn root(snapshot: &CatalogSnapshot) -> Value {
    let mut paths = Map::new();
    for group in snapshot.groups() {
        for version in &group.versions {
            let path = relative(&group.name, version);
            paths.insert(
                path.clone(),
                json!({ "serverRelativeURL": format!("/openapi/v3/{path}") }),
            );
        }
    }
    json!({ "paths": paths })
}

fn group_version(snapshot: &CatalogSnapshot, group: &str, version: &str) -> Option<Value> {
    let served = snapshot
        .group(group)
        .is_some_and(|g| g.versions.iter().any(|v| v == version));
    if !served {
        return None;
    }
    let mut paths = Map::new();
    for resource in snapshot.resources_in(group, version) {
        if resource.supports(Verb::Patch) {
            paths.insert(item_path(resource), json!({ "patch": patch(resource) }));
        }
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": { "title": "Kubernetes", "version": "v1.33.0" },
        "paths": paths,
        "components": { "schemas": {} },
    }))
}

fn item_path(resource: &ResourceDescriptor) -> String {
    let prefix = if resource.group.is_empty() {
        format!("/api/{}", resource.version)
    } else {
        format!("/apis/{}/{}", resource.group, resource.version)
    };
    match resource.scope {
        Scope::Namespaced => format!(
            "{prefix}/namespaces/{{namespace}}/{}/{{name}}",
            resource.plural
        ),
        Scope::Cluster => format!("{prefix}/{}/{{name}}", resource.plural),
    }
}

fn patch(resource: &ResourceDescriptor) -> Value {
    json!({
        "description": format!("partially update the specified {}", resource.kind),
        "parameters": [
            {
                "name": "dryRun",
                "in": "query",
                "description": "When present, indicates that modifications should not be persisted.",
                "schema": { "type": "string", "uniqueItems": true },
            },
            {
                "name": "fieldManager",
                "in": "query",
                "description": "fieldManager is a name associated with the actor or entity that is making these changes.",
                "schema": { "type": "string", "uniqueItems": true },
            },
            {
                "name": "fieldValidation",
                "in": "query",
                "description": "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn (the default), Strict.",
                "schema": { "type": "string", "uniqueItems": true },
            },
        ],
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": {
            "group": resource.group,
            "version": resource.version,
            "kind": resource.kind,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::registry::catalog::Catalog;

    fn get(path: &str) -> (u16, Value) {
        let catalog = Catalog::builtin();
        let request = Request::get(path).body(()).unwrap();
        let response = serve(&catalog.snapshot(), &request).expect("an openapi path");
        let status = response.status().as_u16();
        let body =
            futures::executor::block_on(http_body_util::BodyExt::collect(response.into_body()))
                .unwrap()
                .to_bytes();
        (status, serde_json::from_slice(&body).unwrap())
    }

    #[test]
    fn the_root_lists_core_and_named_group_versions() {
        let (status, root) = get("/openapi/v3");
        assert_eq!(status, 200);
        assert_eq!(
            root["paths"]["api/v1"]["serverRelativeURL"],
            "/openapi/v3/api/v1"
        );
        assert_eq!(
            root["paths"]["apis/apps/v1"]["serverRelativeURL"],
            "/openapi/v3/apis/apps/v1"
        );
    }

    #[test]
    fn patch_operations_carry_the_kind_and_field_validation() {
        let (status, doc) = get("/openapi/v3/api/v1");
        assert_eq!(status, 200);
        let patch = &doc["paths"]["/api/v1/namespaces/{namespace}/configmaps/{name}"]["patch"];
        assert_eq!(
            patch["x-kubernetes-group-version-kind"],
            json!({"group": "", "version": "v1", "kind": "ConfigMap"})
        );
        assert!(
            patch["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "fieldValidation" && p["in"] == "query")
        );
        let (_, apps) = get("/openapi/v3/apis/apps/v1");
        assert_eq!(
            apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]["x-kubernetes-group-version-kind"]
                ["kind"],
            "Deployment"
        );
        assert!(doc["paths"]["/api/v1/namespaces/{name}"]["patch"].is_object());
    }

    #[test]
    fn unknown_group_versions_are_404() {
        assert_eq!(get("/openapi/v3/apis/nope/v1").0, 404);
        assert_eq!(get("/openapi/v3/api/v9").0, 404);
    }
}
