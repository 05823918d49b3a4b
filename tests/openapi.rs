//! Issue 4 item 3: `/openapi/v2` and `/openapi/v3` as clients read them.
//!
//! In-process (`TestApi`): the documents' shape (upstream's definitions,
//! extensions and operations), the v2 protobuf decoded with the gnostic
//! messages declared below and compared with the JSON, hashes, ETags, 304s
//! and redirects, every `$ref` resolving, and a resource added at runtime
//! showing up under a new hash. Against `keelson up`: `kubectl explain`
//! (v3 with 1.32, v2 and v3 with 1.27), kubectl 1.27's default validation,
//! and the strict-decoding error kubectl 1.27, 1.32 and 1.33 print for an
//! unknown field.

mod cluster;

use bytes::Bytes;
use cluster::{Cluster, KUBECTL, KUBECTL_1_27, KUBECTL_1_33, configmap};
use http::{Method, StatusCode, header};
use keelson::apiserver::registry::resource::{
    GroupVersionKind, ResourceDescriptor, Scope, Storage, Verb,
};
use keelson::testing::api::{Reply, TestApi};
use prost::Message;
use serde_json::{Map, Value, json};

const PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

/// The part of gnostic's `openapi.v2` messages (`OpenAPIv2.proto`) that
/// keelson's documents use, with gnostic's field numbers.
mod gnostic {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Document {
        #[prost(string, tag = "1")]
        pub swagger: String,
        #[prost(message, optional, tag = "2")]
        pub info: Option<Info>,
        #[prost(message, optional, tag = "8")]
        pub paths: Option<Paths>,
        #[prost(message, optional, tag = "9")]
        pub definitions: Option<Definitions>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Info {
        #[prost(string, tag = "1")]
        pub title: String,
        #[prost(string, tag = "2")]
        pub version: String,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Paths {
        #[prost(message, repeated, tag = "2")]
        pub path: Vec<NamedPathItem>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct NamedPathItem {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(message, optional, tag = "2")]
        pub value: Option<PathItem>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PathItem {
        #[prost(message, optional, tag = "2")]
        pub get: Option<Operation>,
        #[prost(message, optional, tag = "3")]
        pub put: Option<Operation>,
        #[prost(message, optional, tag = "4")]
        pub post: Option<Operation>,
        #[prost(message, optional, tag = "5")]
        pub delete: Option<Operation>,
        #[prost(message, optional, tag = "6")]
        pub options: Option<Operation>,
        #[prost(message, optional, tag = "7")]
        pub head: Option<Operation>,
        #[prost(message, optional, tag = "8")]
        pub patch: Option<Operation>,
        #[prost(message, repeated, tag = "9")]
        pub parameters: Vec<ParametersItem>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Operation {
        #[prost(string, repeated, tag = "1")]
        pub tags: Vec<String>,
        #[prost(string, tag = "3")]
        pub description: String,
        #[prost(string, tag = "5")]
        pub operation_id: String,
        #[prost(string, repeated, tag = "6")]
        pub produces: Vec<String>,
        #[prost(string, repeated, tag = "7")]
        pub consumes: Vec<String>,
        #[prost(message, repeated, tag = "8")]
        pub parameters: Vec<ParametersItem>,
        #[prost(message, optional, tag = "9")]
        pub responses: Option<Responses>,
        #[prost(string, repeated, tag = "10")]
        pub schemes: Vec<String>,
        #[prost(message, repeated, tag = "13")]
        pub vendor_extension: Vec<NamedAny>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ParametersItem {
        #[prost(message, optional, tag = "1")]
        pub parameter: Option<Parameter>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Parameter {
        #[prost(message, optional, tag = "1")]
        pub body_parameter: Option<BodyParameter>,
        #[prost(message, optional, tag = "2")]
        pub non_body_parameter: Option<NonBodyParameter>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct BodyParameter {
        #[prost(string, tag = "1")]
        pub description: String,
        #[prost(string, tag = "2")]
        pub name: String,
        #[prost(string, tag = "3")]
        pub r#in: String,
        #[prost(bool, tag = "4")]
        pub required: bool,
        #[prost(message, optional, tag = "5")]
        pub schema: Option<Schema>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct NonBodyParameter {
        #[prost(message, optional, tag = "3")]
        pub query_parameter_sub_schema: Option<QueryParameterSubSchema>,
        #[prost(message, optional, tag = "4")]
        pub path_parameter_sub_schema: Option<PathParameterSubSchema>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct QueryParameterSubSchema {
        #[prost(bool, tag = "1")]
        pub required: bool,
        #[prost(string, tag = "2")]
        pub r#in: String,
        #[prost(string, tag = "3")]
        pub description: String,
        #[prost(string, tag = "4")]
        pub name: String,
        #[prost(string, tag = "6")]
        pub r#type: String,
        #[prost(bool, tag = "20")]
        pub unique_items: bool,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PathParameterSubSchema {
        #[prost(bool, tag = "1")]
        pub required: bool,
        #[prost(string, tag = "2")]
        pub r#in: String,
        #[prost(string, tag = "3")]
        pub description: String,
        #[prost(string, tag = "4")]
        pub name: String,
        #[prost(string, tag = "5")]
        pub r#type: String,
        #[prost(bool, tag = "19")]
        pub unique_items: bool,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Responses {
        #[prost(message, repeated, tag = "1")]
        pub response_code: Vec<NamedResponseValue>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct NamedResponseValue {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(message, optional, tag = "2")]
        pub value: Option<ResponseValue>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ResponseValue {
        #[prost(message, optional, tag = "1")]
        pub response: Option<Response>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Response {
        #[prost(string, tag = "1")]
        pub description: String,
        #[prost(message, optional, tag = "2")]
        pub schema: Option<SchemaItem>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct SchemaItem {
        #[prost(message, optional, tag = "1")]
        pub schema: Option<Schema>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Definitions {
        #[prost(message, repeated, tag = "1")]
        pub additional_properties: Vec<NamedSchema>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct NamedSchema {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(message, optional, tag = "2")]
        pub value: Option<Schema>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Schema {
        #[prost(string, tag = "1")]
        pub r#ref: String,
        #[prost(string, tag = "2")]
        pub format: String,
        #[prost(string, tag = "4")]
        pub description: String,
        #[prost(string, repeated, tag = "19")]
        pub required: Vec<String>,
        #[prost(message, optional, boxed, tag = "21")]
        pub additional_properties: Option<Box<AdditionalPropertiesItem>>,
        #[prost(message, optional, tag = "22")]
        pub r#type: Option<TypeItem>,
        #[prost(message, optional, tag = "23")]
        pub items: Option<ItemsItem>,
        #[prost(message, optional, tag = "25")]
        pub properties: Option<Properties>,
        #[prost(message, repeated, tag = "31")]
        pub vendor_extension: Vec<NamedAny>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct AdditionalPropertiesItem {
        #[prost(message, optional, tag = "1")]
        pub schema: Option<Schema>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TypeItem {
        #[prost(string, repeated, tag = "1")]
        pub value: Vec<String>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ItemsItem {
        #[prost(message, repeated, tag = "1")]
        pub schema: Vec<Schema>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Properties {
        #[prost(message, repeated, tag = "1")]
        pub additional_properties: Vec<NamedSchema>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct NamedAny {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(message, optional, tag = "2")]
        pub value: Option<Any>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Any {
        #[prost(string, tag = "2")]
        pub yaml: String,
    }
}

/// Puts `value` under `key` unless it is empty, as the JSON omits empties.
fn put(out: &mut Map<String, Value>, key: &str, value: Value) {
    let empty = match &value {
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Bool(b) => !b,
        Value::Null => true,
        _ => false,
    };
    if !empty {
        out.insert(key.into(), value);
    }
}

/// Vendor extensions back as JSON (gnostic carries them as YAML).
fn extensions(out: &mut Map<String, Value>, all: &[gnostic::NamedAny]) {
    for extension in all {
        let yaml = &extension.value.as_ref().unwrap().yaml;
        let value: Value = serde_yaml::from_str(yaml).unwrap();
        out.insert(extension.name.clone(), value);
    }
}

/// A decoded schema as the JSON it came from.
fn schema_json(schema: &gnostic::Schema) -> Value {
    let mut out = Map::new();
    put(&mut out, "$ref", json!(schema.r#ref));
    put(&mut out, "format", json!(schema.format));
    put(&mut out, "description", json!(schema.description));
    put(&mut out, "required", json!(schema.required));
    if let Some(additional) = &schema.additional_properties {
        out.insert(
            "additionalProperties".into(),
            schema_json(additional.schema.as_ref().unwrap()),
        );
    }
    if let Some(ty) = &schema.r#type {
        assert_eq!(ty.value.len(), 1);
        out.insert("type".into(), json!(ty.value[0]));
    }
    if let Some(items) = &schema.items {
        assert_eq!(items.schema.len(), 1);
        out.insert("items".into(), schema_json(&items.schema[0]));
    }
    if let Some(properties) = &schema.properties {
        let properties: Map<String, Value> = properties
            .additional_properties
            .iter()
            .map(|p| (p.name.clone(), schema_json(p.value.as_ref().unwrap())))
            .collect();
        out.insert("properties".into(), Value::Object(properties));
    }
    extensions(&mut out, &schema.vendor_extension);
    Value::Object(out)
}

fn parameter_json(item: &gnostic::ParametersItem) -> Value {
    let parameter = item.parameter.as_ref().unwrap();
    let mut out = Map::new();
    if let Some(body) = &parameter.body_parameter {
        put(&mut out, "in", json!(body.r#in));
        put(&mut out, "name", json!(body.name));
        put(&mut out, "required", json!(body.required));
        out.insert("schema".into(), schema_json(body.schema.as_ref().unwrap()));
        return Value::Object(out);
    }
    let non_body = parameter.non_body_parameter.as_ref().unwrap();
    let (required, location, description, name, ty, unique) = match (
        &non_body.query_parameter_sub_schema,
        &non_body.path_parameter_sub_schema,
    ) {
        (Some(q), None) => (
            q.required,
            &q.r#in,
            &q.description,
            &q.name,
            &q.r#type,
            q.unique_items,
        ),
        (None, Some(p)) => (
            p.required,
            &p.r#in,
            &p.description,
            &p.name,
            &p.r#type,
            p.unique_items,
        ),
        other => panic!("not one query or path parameter: {other:?}"),
    };
    put(&mut out, "description", json!(description));
    put(&mut out, "in", json!(location));
    put(&mut out, "name", json!(name));
    put(&mut out, "required", json!(required));
    put(&mut out, "type", json!(ty));
    put(&mut out, "uniqueItems", json!(unique));
    Value::Object(out)
}

fn operation_json(operation: &gnostic::Operation) -> Value {
    let mut out = Map::new();
    put(&mut out, "consumes", json!(operation.consumes));
    put(&mut out, "description", json!(operation.description));
    put(&mut out, "operationId", json!(operation.operation_id));
    put(
        &mut out,
        "parameters",
        Value::Array(operation.parameters.iter().map(parameter_json).collect()),
    );
    put(&mut out, "produces", json!(operation.produces));
    let responses: Map<String, Value> = operation
        .responses
        .as_ref()
        .unwrap()
        .response_code
        .iter()
        .map(|named| {
            let response = named.value.as_ref().unwrap().response.as_ref().unwrap();
            let mut out = Map::new();
            put(&mut out, "description", json!(response.description));
            if let Some(item) = &response.schema {
                out.insert("schema".into(), schema_json(item.schema.as_ref().unwrap()));
            }
            (named.name.clone(), Value::Object(out))
        })
        .collect();
    out.insert("responses".into(), Value::Object(responses));
    put(&mut out, "schemes", json!(operation.schemes));
    put(&mut out, "tags", json!(operation.tags));
    extensions(&mut out, &operation.vendor_extension);
    Value::Object(out)
}

fn path_item_json(item: &gnostic::PathItem) -> Value {
    let mut out = Map::new();
    for (method, operation) in [
        ("get", &item.get),
        ("put", &item.put),
        ("post", &item.post),
        ("delete", &item.delete),
        ("options", &item.options),
        ("head", &item.head),
        ("patch", &item.patch),
    ] {
        if let Some(operation) = operation {
            out.insert(method.into(), operation_json(operation));
        }
    }
    put(
        &mut out,
        "parameters",
        Value::Array(item.parameters.iter().map(parameter_json).collect()),
    );
    Value::Object(out)
}

async fn get(api: &TestApi, path: &str, headers: &[(&str, &str)]) -> Reply {
    api.call_with(Method::GET, path, headers, Bytes::new())
        .await
}

fn etag(reply: &Reply) -> String {
    reply.headers[header::ETAG].to_str().unwrap().to_owned()
}

fn header_of(reply: &Reply, name: header::HeaderName) -> &str {
    reply
        .headers
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_default()
}

/// Every `$ref` in `value` names a key of `targets` (under `prefix`).
fn assert_references_resolve(value: &Value, prefix: &str, targets: &Map<String, Value>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "$ref"
                    && let Some(r) = v.as_str()
                {
                    let name = r.strip_prefix(prefix).unwrap_or_else(|| panic!("{r}"));
                    assert!(targets.contains_key(name), "unresolved {r}");
                } else {
                    assert_references_resolve(v, prefix, targets);
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|v| assert_references_resolve(v, prefix, targets)),
        _ => {}
    }
}

#[tokio::test]
async fn v2_json_has_upstreams_definitions_extensions_and_operations() {
    let api = TestApi::start().await;
    let reply = get(&api, "/openapi/v2", &[]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(header_of(&reply, header::CONTENT_TYPE), "application/json");
    let v2 = reply.json();
    assert_eq!(v2["swagger"], "2.0");
    assert_eq!(v2["info"]["title"], "Kubernetes");
    let definitions = v2["definitions"].as_object().unwrap();
    assert_references_resolve(&v2, "#/definitions/", definitions);

    let pod = &definitions["io.k8s.api.core.v1.Pod"];
    assert_eq!(
        pod["x-kubernetes-group-version-kind"],
        json!([{ "group": "", "kind": "Pod", "version": "v1" }])
    );
    assert_eq!(
        pod["properties"]["spec"]["$ref"],
        "#/definitions/io.k8s.api.core.v1.PodSpec"
    );
    assert_eq!(
        definitions["io.k8s.api.core.v1.PodList"]["x-kubernetes-group-version-kind"],
        json!([{ "group": "", "kind": "PodList", "version": "v1" }])
    );
    let containers = &definitions["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
    assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
    assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
    assert_eq!(containers["x-kubernetes-list-type"], "map");
    assert_eq!(containers["x-kubernetes-list-map-keys"], json!(["name"]));
    assert_eq!(
        definitions["io.k8s.api.core.v1.PodSpec"]["properties"]["nodeSelector"]["x-kubernetes-map-type"],
        "atomic"
    );
    assert_eq!(
        definitions["io.k8s.api.core.v1.ServiceSpec"]["properties"]["ports"]["x-kubernetes-list-map-keys"],
        json!(["port", "protocol"])
    );
    for meta in ["DeleteOptions", "WatchEvent"] {
        let tags = definitions[&format!("io.k8s.apimachinery.pkg.apis.meta.v1.{meta}")]
            ["x-kubernetes-group-version-kind"]
            .as_array()
            .unwrap();
        for (group, version) in [
            ("", "v1"),
            ("apps", "v1"),
            ("batch", "v1"),
            ("autoscaling", "v2"),
        ] {
            assert!(
                tags.contains(&json!({ "group": group, "kind": meta, "version": version })),
                "{meta} {group}/{version}"
            );
        }
    }

    let pods = &v2["paths"]["/api/v1/namespaces/{namespace}/pods"];
    assert_eq!(pods["get"]["operationId"], "listCoreV1NamespacedPod");
    assert_eq!(pods["get"]["x-kubernetes-action"], "list");
    assert_eq!(pods["post"]["operationId"], "createCoreV1NamespacedPod");
    assert_eq!(
        pods["delete"]["operationId"],
        "deleteCoreV1CollectionNamespacedPod"
    );
    let names = |operation: &Value| -> Vec<String> {
        operation["parameters"]
            .as_array()
            .map(|all| {
                all.iter()
                    .map(|p| p["name"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(names(pods), ["namespace", "pretty"]);
    assert_eq!(
        names(&pods["get"]),
        [
            "allowWatchBookmarks",
            "continue",
            "fieldSelector",
            "labelSelector",
            "limit",
            "resourceVersion",
            "resourceVersionMatch",
            "sendInitialEvents",
            "timeoutSeconds",
            "watch"
        ]
    );
    assert_eq!(
        names(&pods["post"]),
        ["body", "dryRun", "fieldManager", "fieldValidation"]
    );
    let deployment = &v2["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"];
    assert_eq!(
        deployment["put"]["x-kubernetes-group-version-kind"],
        json!({ "group": "apps", "kind": "Deployment", "version": "v1" })
    );
    assert_eq!(
        names(&deployment["patch"]),
        ["body", "dryRun", "fieldManager", "fieldValidation", "force"]
    );
    assert_eq!(
        deployment["patch"]["consumes"],
        json!([
            "application/json-patch+json",
            "application/merge-patch+json",
            "application/strategic-merge-patch+json",
            "application/apply-patch+yaml"
        ])
    );
    let scale =
        &v2["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]["get"];
    assert_eq!(scale["operationId"], "readAppsV1NamespacedDeploymentScale");
    assert_eq!(
        scale["x-kubernetes-group-version-kind"],
        json!({ "group": "autoscaling", "kind": "Scale", "version": "v1" })
    );
    assert_eq!(
        v2["paths"]["/api/v1/namespaces/{namespace}/pods/{name}/log"]["get"]["operationId"],
        "readCoreV1NamespacedPodLog"
    );
    assert_eq!(
        v2["paths"]["/api/v1/watch/namespaces/{namespace}/pods/{name}"]["get"]["x-kubernetes-action"],
        "watch"
    );
}

#[tokio::test]
async fn v2_protobuf_decodes_and_agrees_with_the_json() {
    let api = TestApi::start().await;
    let json_reply = get(&api, "/openapi/v2", &[]).await;
    let reply = get(&api, "/openapi/v2", &[("accept", PROTOBUF)]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        header_of(&reply, header::CONTENT_TYPE),
        "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    );
    assert_eq!(etag(&reply), etag(&json_reply));
    let document = gnostic::Document::decode(reply.body.as_ref()).unwrap();
    let v2 = json_reply.json();
    assert_eq!(document.swagger, "2.0");
    assert_eq!(json!(document.info.unwrap().version), v2["info"]["version"]);

    let definitions = document.definitions.unwrap().additional_properties;
    assert_eq!(
        definitions.len(),
        v2["definitions"].as_object().unwrap().len()
    );
    for named in &definitions {
        assert_eq!(
            schema_json(named.value.as_ref().unwrap()),
            v2["definitions"][&named.name],
            "{}",
            named.name
        );
    }
    let paths = document.paths.unwrap().path;
    assert_eq!(paths.len(), v2["paths"].as_object().unwrap().len());
    for named in &paths {
        assert_eq!(
            path_item_json(named.value.as_ref().unwrap()),
            v2["paths"][&named.name],
            "{}",
            named.name
        );
    }

    // What kubectl 1.27 looks for: the PATCH of the kind, tagged with its
    // group-version-kind, declaring fieldValidation.
    let patch = paths
        .iter()
        .find(|p| p.name == "/apis/apps/v1/namespaces/{namespace}/deployments/{name}")
        .and_then(|p| p.value.as_ref()?.patch.as_ref())
        .unwrap();
    let gvk = patch
        .vendor_extension
        .iter()
        .find(|e| e.name == "x-kubernetes-group-version-kind")
        .unwrap();
    let gvk: std::collections::BTreeMap<String, String> =
        serde_yaml::from_str(&gvk.value.as_ref().unwrap().yaml).unwrap();
    assert_eq!(gvk["kind"], "Deployment");
    assert_eq!(gvk["group"], "apps");
    assert!(patch.parameters.iter().any(|p| {
        p.parameter
            .as_ref()
            .and_then(|p| p.non_body_parameter.as_ref())
            .and_then(|p| p.query_parameter_sub_schema.as_ref())
            .is_some_and(|q| q.name == "fieldValidation")
    }));
}

#[tokio::test]
async fn etags_not_modified_and_negotiation() {
    let api = TestApi::start().await;
    let first = get(&api, "/openapi/v2", &[]).await;
    let tag = etag(&first);
    assert!(tag.starts_with('"') && tag.len() == 130, "{tag}");
    assert_eq!(header_of(&first, header::VARY), "Accept");
    let again = get(&api, "/openapi/v2", &[("if-none-match", &tag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(etag(&again), tag);
    let changed = get(&api, "/openapi/v2", &[("if-none-match", "\"other\"")]).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_eq!(changed.body, first.body);
    let head = api
        .call_with(Method::HEAD, "/openapi/v2", &[], Bytes::new())
        .await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    assert_eq!(etag(&head), tag);
    let refused = get(&api, "/openapi/v2", &[("accept", "text/html")]).await;
    assert_eq!(refused.status, StatusCode::NOT_ACCEPTABLE);

    let index = get(&api, "/openapi/v3", &[]).await;
    assert_eq!(index.status, StatusCode::OK);
    let index_tag = etag(&index);
    assert_eq!(
        get(&api, "/openapi/v3", &[("if-none-match", &index_tag)])
            .await
            .status,
        StatusCode::NOT_MODIFIED
    );
    let posted = api
        .call_with(Method::POST, "/openapi/v2", &[], Bytes::new())
        .await;
    assert_eq!(posted.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        get(&api, "/openapi/v3/apis/nope.example.com/v1", &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn v3_index_links_hashed_documents_whose_refs_resolve() {
    let api = TestApi::start().await;
    let index = get(&api, "/openapi/v3", &[]).await.json();
    let paths = index["paths"].as_object().unwrap();
    for key in [
        "api",
        "api/v1",
        "apis",
        "apis/apps",
        "apis/apps/v1",
        "apis/autoscaling/v2",
        "apis/flowcontrol.apiserver.k8s.io/v1",
        "version",
    ] {
        assert!(paths.contains_key(key), "{key}");
    }
    for (key, entry) in paths {
        let link = entry["serverRelativeURL"].as_str().unwrap();
        let (path, hash) = link.split_once("?hash=").unwrap();
        assert_eq!(path, format!("/openapi/v3/{key}"));
        assert_eq!(hash.len(), 128);
        let reply = get(&api, link, &[]).await;
        assert_eq!(reply.status, StatusCode::OK, "{link}");
        assert_eq!(etag(&reply), format!("\"{hash}\""), "{link}");
        assert_eq!(
            header_of(&reply, header::CACHE_CONTROL),
            "public, immutable"
        );
        assert!(!header_of(&reply, header::EXPIRES).is_empty());
        let document = reply.json();
        assert_eq!(document["openapi"], "3.0.0");
        let schemas = document["components"]["schemas"].as_object().unwrap();
        assert_references_resolve(&document, "#/components/schemas/", schemas);
        for path in document["paths"].as_object().unwrap().keys() {
            assert!(path.starts_with(&format!("/{key}/")), "{path} in {key}");
        }
    }

    let apps_link = paths["apis/apps/v1"]["serverRelativeURL"].as_str().unwrap();
    let (apps_path, apps_hash) = apps_link.split_once("?hash=").unwrap();
    let apps = get(&api, apps_path, &[]).await;
    assert_eq!(header_of(&apps, header::CACHE_CONTROL), "no-cache, private");
    let apps = apps.json();
    let schemas = apps["components"]["schemas"].as_object().unwrap();
    assert!(schemas.contains_key("io.k8s.api.apps.v1.Deployment"));
    assert!(!schemas.contains_key("io.k8s.api.batch.v1.Job"));
    assert_eq!(
        schemas["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["template"]["allOf"],
        json!([{ "$ref": "#/components/schemas/io.k8s.api.core.v1.PodTemplateSpec" }])
    );
    assert_eq!(
        schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["oneOf"],
        json!([{ "type": "integer" }, { "type": "string" }])
    );
    let patch = &apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
    assert_eq!(patch["requestBody"]["required"], true);
    assert_eq!(
        patch["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/io.k8s.api.apps.v1.Deployment"
    );
    let not_modified = get(
        &api,
        apps_link,
        &[("if-none-match", &format!("\"{apps_hash}\""))],
    )
    .await;
    assert_eq!(not_modified.status, StatusCode::NOT_MODIFIED);

    let stale = get(&api, &format!("{apps_path}?hash=0123"), &[]).await;
    assert_eq!(stale.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(header_of(&stale, header::LOCATION), apps_link);
}

/// A namespaced `stable.example.com/v1` CronTab, as a CRD will add it.
fn crontabs() -> ResourceDescriptor {
    ResourceDescriptor {
        group: "stable.example.com".into(),
        version: "v1".into(),
        kind: "CronTab".into(),
        plural: "crontabs".into(),
        singular: "crontab".into(),
        short_names: vec![],
        categories: vec![],
        scope: Scope::Namespaced,
        verbs: Verb::ALL.to_vec(),
        subresources: vec![],
        storage: Storage::Stored {
            path: "stable.example.com/crontabs".into(),
            version: GroupVersionKind::new("stable.example.com", "v1", "CronTab"),
        },
    }
}

#[tokio::test]
async fn a_resource_added_at_runtime_gets_documents_under_new_hashes() {
    let api = TestApi::start().await;
    let before = get(&api, "/openapi/v3", &[]).await.json();
    let v2_before = etag(&get(&api, "/openapi/v2", &[]).await);
    assert!(before["paths"].get("apis/stable.example.com/v1").is_none());

    api.api.catalog.upsert(vec![crontabs()]);
    api.api.openapi.set_schema(
        &GroupVersionKind::new("stable.example.com", "v1", "CronTab"),
        "com.example.stable.v1.CronTab",
        &json!({
            "description": "A table of jobs.",
            "type": "object",
            "properties": {
                "metadata": { "$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" },
                "spec": {
                    "type": "object",
                    "properties": { "cronSpec": { "type": "string", "description": "When." } },
                },
            },
        }),
    );

    let after = get(&api, "/openapi/v3", &[]).await.json();
    let link = after["paths"]["apis/stable.example.com/v1"]["serverRelativeURL"]
        .as_str()
        .unwrap();
    let document = get(&api, link, &[]).await.json();
    let crontab = &document["components"]["schemas"]["com.example.stable.v1.CronTab"];
    assert_eq!(
        crontab["x-kubernetes-group-version-kind"],
        json!([{ "group": "stable.example.com", "kind": "CronTab", "version": "v1" }])
    );
    assert_eq!(
        crontab["properties"]["spec"]["properties"]["cronSpec"]["description"],
        "When."
    );
    assert_eq!(
        document["paths"]["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}"]["patch"]
            ["operationId"],
        "patchStableExampleComV1NamespacedCronTab"
    );
    let v2 = get(&api, "/openapi/v2", &[]).await;
    assert_ne!(etag(&v2), v2_before);
    assert!(
        v2.json()["definitions"]
            .get("com.example.stable.v1.CronTabList")
            .is_some()
    );

    // A changed schema changes the hash; the old link now redirects.
    api.api.openapi.set_schema(
        &GroupVersionKind::new("stable.example.com", "v1", "CronTab"),
        "com.example.stable.v1.CronTab",
        &json!({ "type": "object", "description": "Changed." }),
    );
    let moved = get(&api, link, &[]).await;
    assert_eq!(moved.status, StatusCode::MOVED_PERMANENTLY);
    let location = header_of(&moved, header::LOCATION).to_owned();
    assert_ne!(location, link);
    let changed = get(&api, &location, &[]).await.json();
    assert_eq!(
        changed["components"]["schemas"]["com.example.stable.v1.CronTab"]["description"],
        "Changed."
    );
    // The other group versions did not change.
    assert_eq!(
        after["paths"]["apis/apps/v1"],
        before["paths"]["apis/apps/v1"]
    );
}

/// The lines of `kubectl explain` output, trailing spaces dropped.
fn lines(output: &str) -> Vec<&str> {
    output.lines().map(str::trim_end).collect()
}

#[tokio::test]
async fn kubectl_explain_prints_upstreams_descriptions() {
    let cluster = Cluster::embedded().await;
    let containers = cluster.kubectl(&["explain", "pod.spec.containers"]);
    let containers = lines(containers.ok());
    assert_eq!(
        containers[..13],
        [
            "KIND:       Pod",
            "VERSION:    v1",
            "",
            "FIELD: containers <[]Container>",
            "",
            "",
            "DESCRIPTION:",
            "    List of containers belonging to the pod. Containers cannot currently be",
            "    added or removed. There must be at least one container in a Pod. Cannot be",
            "    updated.",
            "    A single application container that you want to run within a pod.",
            "",
            "FIELDS:",
        ]
    );
    assert!(
        containers.contains(&"  name\t<string> -required-"),
        "{containers:?}"
    );
    assert!(
        containers.contains(&"  ports\t<[]ContainerPort>"),
        "{containers:?}"
    );

    let strategy_lines = [
        "DESCRIPTION:",
        "    The deployment strategy to use to replace existing pods with new ones.",
        "    DeploymentStrategy describes how to replace existing pods with new ones.",
        "",
        "FIELDS:",
        "  rollingUpdate\t<RollingUpdateDeployment>",
        "    Rolling update config params. Present only if DeploymentStrategyType =",
        "    RollingUpdate.",
        "",
        "  type\t<string>",
        "    Type of deployment. Can be \"Recreate\" or \"RollingUpdate\". Default is",
        "    RollingUpdate.",
    ];
    let v3 = cluster.run(KUBECTL_1_27, &["explain", "deployment.spec.strategy"]);
    let v3 = lines(v3.ok());
    assert_eq!(
        v3[..5],
        [
            "GROUP:      apps",
            "KIND:       Deployment",
            "VERSION:    v1",
            "",
            "FIELD: strategy <DeploymentStrategy>"
        ]
    );
    assert_eq!(v3[6..18], strategy_lines);

    // kubectl 1.27 reading the v2 document (protobuf).
    let v2 = cluster.run(
        KUBECTL_1_27,
        &[
            "explain",
            "deployment.spec.strategy",
            "--output=plaintext-openapiv2",
        ],
    );
    assert_eq!(
        lines(v2.ok()),
        [
            "KIND:     Deployment",
            "VERSION:  apps/v1",
            "",
            "RESOURCE: strategy <Object>",
            "",
            "DESCRIPTION:",
            "     The deployment strategy to use to replace existing pods with new ones.",
            "",
            "     DeploymentStrategy describes how to replace existing pods with new ones.",
            "",
            "FIELDS:",
            "   rollingUpdate\t<Object>",
            "     Rolling update config params. Present only if DeploymentStrategyType =",
            "     RollingUpdate.",
            "",
            "   type\t<string>",
            "     Type of deployment. Can be \"Recreate\" or \"RollingUpdate\". Default is",
            "     RollingUpdate.",
            "",
        ]
    );
}

/// A Deployment whose container has a field no Container has.
const DEPLOYMENT_WITH_UNKNOWN_FIELD: &str = "apiVersion: apps/v1\nkind: Deployment\n\
    metadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n\
    \x20   metadata:\n      labels: {app: web}\n    spec:\n      containers:\n\
    \x20     - name: web\n        image: nginx:1.27\n        bogusField: 3\n";

on_both_backends! {
    async fn kubectl_1_27_creates_and_applies_with_default_validation(cluster: Cluster) {
        let run = |args: &[&str]| cluster.run(KUBECTL_1_27, args);
        let file = cluster.file("settings.yaml", &configmap("settings", None, "blue"));
        assert_eq!(run(&["create", "-f", &file]).ok(), "configmap/settings created\n");
        let applied = cluster.file("applied.yaml", &configmap("applied", None, "red"));
        assert_eq!(run(&["apply", "-f", &applied]).ok(), "configmap/applied created\n");
        assert_eq!(run(&["apply", "-f", &applied]).ok(), "configmap/applied unchanged\n");
        let changed = cluster.file("applied.yaml", &configmap("applied", None, "green"));
        assert_eq!(run(&["apply", "-f", &changed]).ok(), "configmap/applied configured\n");
        assert_eq!(
            run(&["get", "cm", "applied", "-o", "jsonpath={.data.k}"]).ok(),
            "green"
        );
    }

    async fn unknown_fields_get_upstreams_strict_decoding_error(cluster: Cluster) {
        let configmap = cluster.file(
            "bogus.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: u\nbogus: 1\n",
        );
        let deployment = cluster.file("deployment.yaml", DEPLOYMENT_WITH_UNKNOWN_FIELD);
        for binary in [KUBECTL_1_27, KUBECTL, KUBECTL_1_33] {
            assert_eq!(
                cluster.run(binary, &["create", "-f", &configmap]).failed(),
                format!(
                    "Error from server (BadRequest): error when creating \"{configmap}\": \
                     ConfigMap in version \"v1\" cannot be handled as a ConfigMap: \
                     strict decoding error: unknown field \"bogus\"\n"
                ),
                "{binary}"
            );
            assert_eq!(
                cluster.run(binary, &["apply", "-f", &deployment]).failed(),
                format!(
                    "Error from server (BadRequest): error when creating \"{deployment}\": \
                     Deployment in version \"v1\" cannot be handled as a Deployment: \
                     strict decoding error: unknown field \"spec.template.spec.containers[0].bogusField\"\n"
                ),
                "{binary}"
            );
        }
        assert!(
            cluster.kubectl(&["get", "deploy,cm", "-o", "name"]).ok().lines().all(|l| l != "deployment.apps/web" && l != "configmap/u")
        );
    }
}
