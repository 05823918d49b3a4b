//! OpenAPI v3: `/openapi/v3` (the index of group-versions, each with a
//! `?hash=` link) and `/openapi/v3/<api|apis/group>/<version>` (the paths and
//! operations of every resource in that group-version).
//!
//! What clients rely on today: kubectl decides whether to validate
//! server-side by finding, in the group-version's document, the PATCH
//! operation of the object's kind (`x-kubernetes-group-version-kind`) and
//! a `fieldValidation` query parameter on it. With that declared, kubectl
//! sends `fieldValidation=Strict` and lets the server reject unknown
//! fields; without it, kubectl refuses to create anything until told
//! `--validate=false`. Schemas (`components.schemas`, for `kubectl explain`)
//! come with the OpenAPI issue.

use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use serde_json::{Value, json};

use super::http::{ResponseBody, full};
use super::registry::catalog::{Catalog, CatalogSnapshot};
use super::registry::resource::{ResourceDescriptor, Verb};
use super::status::ApiError;

const PREFIX: &str = "/openapi/v3";

/// The index key of a group-version: `api/v1` or `apis/<group>/<version>`.
fn group_version_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

fn hash(document: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA512, document);
    digest
        .as_ref()
        .iter()
        .take(32)
        .map(|b| format!("{b:02X}"))
        .collect()
}

fn json_response(body: Vec<u8>, etag: Option<String>) -> Response<ResponseBody> {
    let mut response = Response::new(full(body));
    *response.status_mut() = StatusCode::OK;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(etag) = etag.and_then(|e| HeaderValue::from_str(&format!("\"{e}\"")).ok()) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// A query parameter as upstream declares it.
fn query_parameter(name: &str, kind: &str, description: &str) -> Value {
    json!({
        "name": name,
        "in": "query",
        "description": description,
        "schema": { "type": kind, "uniqueItems": true },
    })
}

/// The parameters every write operation declares.
fn write_parameters() -> Vec<Value> {
    vec![
        query_parameter(
            "dryRun",
            "string",
            "When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed",
        ),
        query_parameter(
            "fieldManager",
            "string",
            "fieldManager is a name associated with the actor or entity that is making these changes.",
        ),
        query_parameter(
            "fieldValidation",
            "string",
            "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn (default) - Strict",
        ),
    ]
}

fn operation(
    resource: &ResourceDescriptor,
    action: &str,
    id: &str,
    parameters: Vec<Value>,
) -> Value {
    json!({
        "operationId": id,
        "parameters": parameters,
        "responses": { "200": { "description": "OK" }, "401": { "description": "Unauthorized" } },
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {
            "group": resource.group,
            "version": resource.version,
            "kind": resource.kind,
        },
    })
}

/// The paths of one resource.
fn resource_paths(resource: &ResourceDescriptor, paths: &mut serde_json::Map<String, Value>) {
    let base = format!(
        "/{}",
        group_version_path(&resource.group, &resource.version)
    );
    let collection = if resource.namespaced() {
        format!("{base}/namespaces/{{namespace}}/{}", resource.plural)
    } else {
        format!("{base}/{}", resource.plural)
    };
    let item = format!("{collection}/{{name}}");
    let id = |verb: &str| format!("{verb}{}", resource.kind);
    let mut collection_ops = serde_json::Map::new();
    let mut item_ops = serde_json::Map::new();
    for verb in &resource.verbs {
        match verb {
            Verb::List => {
                collection_ops.insert(
                    "get".into(),
                    operation(resource, "list", &id("list"), vec![]),
                );
            }
            Verb::Create => {
                collection_ops.insert(
                    "post".into(),
                    operation(resource, "post", &id("create"), write_parameters()),
                );
            }
            Verb::DeleteCollection => {
                collection_ops.insert(
                    "delete".into(),
                    operation(
                        resource,
                        "deletecollection",
                        &id("deleteCollection"),
                        vec![],
                    ),
                );
            }
            Verb::Get => {
                item_ops.insert(
                    "get".into(),
                    operation(resource, "get", &id("read"), vec![]),
                );
            }
            Verb::Update => {
                item_ops.insert(
                    "put".into(),
                    operation(resource, "put", &id("replace"), write_parameters()),
                );
            }
            Verb::Patch => {
                let mut parameters = write_parameters();
                parameters.push(query_parameter(
                    "force",
                    "boolean",
                    "Force is going to \"force\" Apply requests.",
                ));
                item_ops.insert(
                    "patch".into(),
                    operation(resource, "patch", &id("patch"), parameters),
                );
            }
            Verb::Delete => {
                item_ops.insert(
                    "delete".into(),
                    operation(resource, "delete", &id("delete"), vec![]),
                );
            }
            Verb::Watch => {}
        }
    }
    if !collection_ops.is_empty() {
        paths.insert(collection, Value::Object(collection_ops));
    }
    if !item_ops.is_empty() {
        paths.insert(item, Value::Object(item_ops));
    }
}

/// The document of one group-version.
fn group_version_document(
    snapshot: &CatalogSnapshot,
    group: &str,
    version: &str,
) -> Option<Vec<u8>> {
    let resources = snapshot.resources_in(group, version);
    if resources.is_empty() {
        return None;
    }
    let mut paths = serde_json::Map::new();
    for resource in resources {
        resource_paths(resource, &mut paths);
    }
    let document = json!({
        "openapi": "3.0.0",
        "info": { "title": "Kubernetes", "version": "v1.33.0" },
        "paths": paths,
        "components": {},
    });
    serde_json::to_vec(&document).ok()
}

/// Serves `/openapi/v3` and below; `None` for other paths.
pub fn serve<B>(catalog: &Catalog, request: &Request<B>) -> Option<Response<ResponseBody>> {
    let path = request.uri().path().trim_end_matches('/');
    let rest = path.strip_prefix(PREFIX)?;
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return Some(ApiError::method_not_allowed().into_response());
    }
    let snapshot = catalog.snapshot();
    if rest.is_empty() {
        let mut index = serde_json::Map::new();
        for group in snapshot.groups() {
            for version in &group.versions {
                if let Some(document) = group_version_document(&snapshot, &group.name, version) {
                    let key = group_version_path(&group.name, version);
                    index.insert(
                        key.clone(),
                        json!({ "serverRelativeURL": format!("{PREFIX}/{key}?hash={}", hash(&document)) }),
                    );
                }
            }
        }
        let body = serde_json::to_vec(&json!({ "paths": index })).unwrap_or_default();
        return Some(json_response(body, None));
    }
    let key = rest.trim_start_matches('/');
    let (group, version) = match key.split('/').collect::<Vec<_>>().as_slice() {
        ["api", version] => (String::new(), (*version).to_owned()),
        ["apis", group, version] => ((*group).to_owned(), (*version).to_owned()),
        _ => return Some(ApiError::no_route().into_response()),
    };
    Some(match group_version_document(&snapshot, &group, &version) {
        Some(document) => {
            let etag = hash(&document);
            json_response(document, Some(etag))
        }
        None => ApiError::no_route().into_response(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(catalog: &Catalog, path: &str) -> Value {
        let request = Request::get(path).body(()).unwrap();
        let response = serve(catalog, &request).expect("an OpenAPI path");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let body =
            futures::executor::block_on(http_body_util::BodyExt::collect(response.into_body()))
                .unwrap()
                .to_bytes();
        serde_json::from_slice(&body).unwrap()
    }

    #[test]
    fn kubectl_finds_field_validation_on_patch() {
        let catalog = Catalog::builtin();
        let index = get(&catalog, "/openapi/v3");
        let link = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
            .as_str()
            .unwrap();
        assert!(link.starts_with("/openapi/v3/apis/apps/v1?hash="), "{link}");
        assert!(index["paths"]["api/v1"].is_object());
        let apps = get(&catalog, link.split('?').next().unwrap());
        let patch =
            &apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        assert_eq!(
            patch["x-kubernetes-group-version-kind"]["kind"],
            "Deployment"
        );
        assert!(
            patch["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "fieldValidation" && p["in"] == "query")
        );
        let core = get(&catalog, "/openapi/v3/api/v1");
        assert!(core["paths"]["/api/v1/nodes/{name}"]["patch"].is_object());
        assert!(
            serve(
                &catalog,
                &Request::get("/openapi/v3/apis/nope/v1").body(()).unwrap()
            )
            .is_some_and(|r| r.status() == StatusCode::NOT_FOUND)
        );
        assert!(serve(&catalog, &Request::get("/apis").body(()).unwrap()).is_none());
    }
}
