//! The documents as clients read them, built straight from the catalog.

use http::{Request, StatusCode};
use serde_json::{Value, json};

use super::custom::CustomSchemas;
use super::documents::{build_v2, build_v3};
use super::{OpenApi, serve};
use crate::apiserver::registry::catalog::Catalog;

fn v2() -> Value {
    let snapshot = Catalog::builtin().snapshot();
    let built = build_v2(&snapshot, &CustomSchemas::default(), "v1.33.0");
    serde_json::from_slice(&built.json.bytes).unwrap()
}

/// The keys a Swagger 2.0 schema may have (gnostic rejects others).
const SWAGGER_SCHEMA_KEYS: &[&str] = &[
    "$ref",
    "format",
    "title",
    "description",
    "default",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxProperties",
    "minProperties",
    "required",
    "enum",
    "additionalProperties",
    "type",
    "items",
    "allOf",
    "properties",
    "discriminator",
    "readOnly",
    "xml",
    "externalDocs",
    "example",
];

fn check_swagger_schema(path: &str, schema: &Value) {
    let Some(object) = schema.as_object() else {
        panic!("{path} is not an object");
    };
    for (key, value) in object {
        assert!(
            key.starts_with("x-") || SWAGGER_SCHEMA_KEYS.contains(&key.as_str()),
            "{path} has {key}"
        );
        match key.as_str() {
            "properties" => {
                for (name, property) in value.as_object().unwrap() {
                    check_swagger_schema(&format!("{path}.{name}"), property);
                }
            }
            "items" | "additionalProperties" if value.is_object() => {
                check_swagger_schema(&format!("{path}[]"), value)
            }
            _ => {}
        }
    }
}

#[test]
fn v2_definitions_are_swagger_schemas() {
    let document = v2();
    let definitions = document["definitions"].as_object().unwrap();
    assert!(definitions.len() > 500, "{}", definitions.len());
    for (name, schema) in definitions {
        check_swagger_schema(name, schema);
    }
}

#[test]
fn v2_has_upstreams_definitions_and_extensions() {
    let document = v2();
    assert_eq!(document["swagger"], "2.0");
    let definitions = &document["definitions"];
    let deployment = &definitions["io.k8s.api.apps.v1.Deployment"];
    assert_eq!(
        deployment["x-kubernetes-group-version-kind"],
        json!([{ "group": "apps", "kind": "Deployment", "version": "v1" }])
    );
    assert!(deployment.get("required").is_none());
    let strategy = &definitions["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["strategy"];
    assert_eq!(
        strategy["$ref"],
        "#/definitions/io.k8s.api.apps.v1.DeploymentStrategy"
    );
    assert_eq!(
        strategy["x-kubernetes-patch-strategy"], "retainKeys",
        "{strategy}"
    );
    let containers = &definitions["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
    assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
    assert_eq!(
        definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"],
        "int-or-string"
    );
    let patch =
        &document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
    assert_eq!(patch["operationId"], "patchAppsV1NamespacedDeployment");
    assert_eq!(
        patch["consumes"],
        json!([
            "application/json-patch+json",
            "application/merge-patch+json",
            "application/strategic-merge-patch+json",
            "application/apply-patch+yaml"
        ])
    );
    let names: Vec<&str> = patch["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["body", "dryRun", "fieldManager", "fieldValidation", "force"]
    );
}

#[test]
fn v3_documents_carry_the_schemas_they_reach() {
    let snapshot = Catalog::builtin().snapshot();
    let built = build_v3(&snapshot, &CustomSchemas::default(), "v1.33.0");
    let index: Value = serde_json::from_slice(&built.index.bytes).unwrap();
    for key in [
        "api",
        "api/v1",
        "apis",
        "apis/apps",
        "apis/apps/v1",
        "version",
    ] {
        let link = index["paths"][key]["serverRelativeURL"].as_str().unwrap();
        assert_eq!(
            link,
            format!("/openapi/v3/{key}?hash={}", built.documents[key].etag)
        );
    }
    let coordination: Value =
        serde_json::from_slice(&built.documents["apis/coordination.k8s.io/v1"].bytes).unwrap();
    let schemas = coordination["components"]["schemas"].as_object().unwrap();
    assert!(schemas.contains_key("io.k8s.api.coordination.v1.Lease"));
    assert!(schemas.contains_key("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
    assert!(!schemas.contains_key("io.k8s.api.core.v1.Pod"));
    let lease = &schemas["io.k8s.api.coordination.v1.Lease"];
    assert_eq!(
        lease["properties"]["spec"]["allOf"],
        json!([{ "$ref": "#/components/schemas/io.k8s.api.coordination.v1.LeaseSpec" }])
    );
    let patch = &coordination["paths"]["/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}"]
        ["patch"];
    assert_eq!(
        patch["x-kubernetes-group-version-kind"],
        json!({ "group": "coordination.k8s.io", "kind": "Lease", "version": "v1" })
    );
    assert!(
        patch["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "fieldValidation" && p["in"] == "query")
    );
    assert_eq!(
        patch["requestBody"]["content"]["application/apply-patch+yaml"]["schema"]["$ref"],
        "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"
    );
}

#[tokio::test]
async fn unknown_documents_and_methods() {
    let catalog = Catalog::builtin();
    let openapi = OpenApi::new();
    let status = |path: &str, method: &str| {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(())
            .unwrap();
        let openapi = &openapi;
        let catalog = &catalog;
        async move {
            serve(
                openapi,
                catalog,
                request.method(),
                request.uri(),
                request.headers(),
            )
            .await
            .map(|response| response.status())
        }
    };
    assert_eq!(
        status("/openapi/v3/apis/nope/v1", "GET").await,
        Some(StatusCode::NOT_FOUND)
    );
    assert_eq!(
        status("/openapi/v2", "POST").await,
        Some(StatusCode::METHOD_NOT_ALLOWED)
    );
    assert_eq!(status("/apis", "GET").await, None);
    assert_eq!(status("/openapi/v2x", "GET").await, None);
}
