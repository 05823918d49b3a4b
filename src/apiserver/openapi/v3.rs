//! The OpenAPI 3.0 documents (`/openapi/v3/<key>`): one per group version
//! (`api/v1`, `apis/apps/v1`), per group (`apis/apps`, its discovery
//! endpoint) and for `api`, `apis` and `version`, each with the paths
//! under it and, in `components.schemas`, only the schemas those paths
//! reach.
//!
//! The schemas are the Swagger 2.0 definitions rewritten: references point
//! into `#/components/schemas/`, a reference with siblings (a field's
//! description) is wrapped in `allOf` as OpenAPI 3.0 requires, and the
//! scalar wrappers take their v3 forms.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::definitions::{Definitions, REF_PREFIX};
use super::json_writer::ObjectWriter;
use super::parameters::Parameter;
use super::path_items::path_items;
use super::routes::{Payload, Route, gvk_extension};
use super::upstream_shapes::v3_scalar_wrapper;

const SCHEMAS: &str = "#/components/schemas/";

/// The document a path belongs to: `api`, `api/v1`, `apis`, `apis/apps`,
/// `apis/apps/v1`, `version`.
pub fn document_key(path: &str) -> String {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["api", version, ..] => format!("api/{version}"),
        ["apis", group, version, ..] => format!("apis/{group}/{version}"),
        ["apis", group] => format!("apis/{group}"),
        [first, ..] => (*first).to_owned(),
        [] => String::new(),
    }
}

fn v3_reference(name: &str) -> Value {
    json!({ "$ref": format!("{SCHEMAS}{name}") })
}

/// A schema in v3 form.
fn schema(value: &Value) -> Value {
    let Value::Object(object) = value else {
        return value.clone();
    };
    let mut out = Map::new();
    let mut reference = None;
    for (key, v) in object {
        let converted = match key.as_str() {
            "$ref" => {
                let name = v.as_str().unwrap_or_default();
                reference = Some(v3_reference(name.strip_prefix(REF_PREFIX).unwrap_or(name)));
                continue;
            }
            "properties" => Value::Object(
                v.as_object()
                    .into_iter()
                    .flatten()
                    .map(|(name, property)| (name.clone(), schema(property)))
                    .collect(),
            ),
            "items" | "additionalProperties" if v.is_object() => schema(v),
            "allOf" | "oneOf" | "anyOf" => {
                Value::Array(v.as_array().into_iter().flatten().map(schema).collect())
            }
            _ => v.clone(),
        };
        out.insert(key.clone(), converted);
    }
    match reference {
        Some(r) if out.is_empty() => r,
        Some(r) => {
            out.insert("allOf".into(), json!([r]));
            Value::Object(out)
        }
        None => Value::Object(out),
    }
}

fn parameter(p: &Parameter) -> Value {
    let mut out = json!({
        "description": p.description,
        "in": p.location.as_str(),
        "name": p.name,
        "schema": { "type": p.ty, "uniqueItems": true },
    });
    if p.required {
        out["required"] = json!(true);
    }
    out
}

fn content(media: &[&str], payload: &Payload) -> Value {
    let schema = match payload {
        Payload::Definition(name) => v3_reference(name),
        Payload::Text => json!({ "type": "string" }),
    };
    Value::Object(
        media
            .iter()
            .map(|m| ((*m).to_owned(), json!({ "schema": schema })))
            .collect(),
    )
}

fn operation(route: &Route, own: &[&Parameter]) -> Value {
    let responses: Map<String, Value> = route
        .responses
        .iter()
        .map(|r| {
            let mut response = json!({ "description": r.description() });
            if let Some(payload) = &r.payload {
                response["content"] = content(route.produces, payload);
            }
            (r.code.to_string(), response)
        })
        .collect();
    let mut out = json!({
        "description": route.description,
        "operationId": route.operation_id,
        "responses": responses,
    });
    if !own.is_empty() {
        out["parameters"] = Value::Array(own.iter().map(|p| parameter(p)).collect());
    }
    if let Some((definition, required)) = &route.body {
        let mut body = json!({
            "content": content(route.consumes, &Payload::Definition(definition.clone())),
        });
        if *required {
            body["required"] = json!(true);
        }
        out["requestBody"] = body;
    }
    if let Some(tag) = &route.tag {
        out["tags"] = json!([tag]);
    }
    if let Some(action) = route.action {
        out["x-kubernetes-action"] = json!(action);
    }
    if let Some(gvk) = &route.gvk {
        out["x-kubernetes-group-version-kind"] = gvk_extension(gvk);
    }
    out
}

/// One document: `routes` (all under one key) and the schemas they reach,
/// written a path item and a schema at a time.
fn document(routes: &[&Route], definitions: &Definitions, version: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut document = ObjectWriter::new(&mut out);
    document.object("components", |components| {
        components.object("schemas", |schemas| {
            for name in definitions.closure(named_definitions(routes)) {
                let Some(v2) = definitions.value(&name) else {
                    continue;
                };
                let v3 = v3_scalar_wrapper(&name, &v2).unwrap_or_else(|| schema(&v2));
                schemas.value(&name, &v3);
            }
        });
        components.value(
            "securitySchemes",
            &json!({
                "BearerToken": {
                    "description": "Bearer Token authentication",
                    "in": "header",
                    "name": "authorization",
                    "type": "apiKey",
                },
            }),
        );
    });
    document.value(
        "info",
        &json!({ "title": "Kubernetes", "version": version }),
    );
    document.value("openapi", "3.0.0");
    document.object("paths", |paths| {
        for (path, item) in path_items(routes.iter().copied()) {
            let mut out = Map::new();
            for (route, own) in &item.operations {
                out.insert(route.method.key().into(), operation(route, own));
            }
            if !item.common.is_empty() {
                out.insert(
                    "parameters".into(),
                    Value::Array(item.common.iter().map(parameter).collect()),
                );
            }
            paths.value(path, &out);
        }
    });
    document.value("security", &json!([{ "BearerToken": [] }]));
    document.end();
    out
}

/// The definitions `routes` take or answer with.
fn named_definitions<'a>(routes: &[&'a Route]) -> Vec<&'a str> {
    let mut out = Vec::new();
    for route in routes {
        if let Some((definition, _)) = &route.body {
            out.push(definition.as_str());
        }
        for response in &route.responses {
            if let Some(Payload::Definition(name)) = &response.payload {
                out.push(name.as_str());
            }
        }
    }
    out
}

/// Every document, by key, serialized.
pub fn documents(
    routes: &[Route],
    definitions: &Definitions,
    version: &str,
) -> BTreeMap<String, Vec<u8>> {
    let mut by_key: BTreeMap<String, Vec<&Route>> = BTreeMap::new();
    for route in routes {
        by_key
            .entry(document_key(&route.path))
            .or_default()
            .push(route);
    }
    by_key
        .into_iter()
        .map(|(key, routes)| {
            let bytes = document(&routes, definitions, version);
            (key, bytes)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_upstreams_split() {
        assert_eq!(document_key("/api/"), "api");
        assert_eq!(
            document_key("/api/v1/namespaces/{namespace}/pods"),
            "api/v1"
        );
        assert_eq!(document_key("/apis/"), "apis");
        assert_eq!(document_key("/apis/apps/"), "apis/apps");
        assert_eq!(document_key("/apis/apps/v1/deployments"), "apis/apps/v1");
        assert_eq!(document_key("/version/"), "version");
    }

    #[test]
    fn references_with_siblings_are_wrapped() {
        let v2 = json!({
            "properties": {
                "metadata": { "$ref": "#/definitions/M", "description": "d" },
                "items": { "type": "array", "items": { "$ref": "#/definitions/I" } },
                "$ref": { "type": "string" },
            },
            "type": "object",
        });
        let v3 = schema(&v2);
        assert_eq!(
            v3["properties"]["metadata"],
            json!({ "allOf": [{ "$ref": "#/components/schemas/M" }], "description": "d" })
        );
        assert_eq!(
            v3["properties"]["items"]["items"],
            json!({ "$ref": "#/components/schemas/I" })
        );
        assert_eq!(v3["properties"]["$ref"], json!({ "type": "string" }));
    }
}
