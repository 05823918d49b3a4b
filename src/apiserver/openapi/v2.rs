//! The Swagger 2.0 document (`/openapi/v2`): every path and operation, and
//! every definition, in the shape kube-apiserver publishes.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::definitions::{Definitions, reference};
use super::parameters::Parameter;
use super::path_items::path_items;
use super::routes::{Payload, Route, gvk_extension};

fn parameter(p: &Parameter) -> Value {
    let mut out = json!({
        "description": p.description,
        "in": p.location.as_str(),
        "name": p.name,
        "type": p.ty,
        "uniqueItems": true,
    });
    if p.required {
        out["required"] = json!(true);
    }
    out
}

fn payload_schema(payload: &Payload) -> Value {
    match payload {
        Payload::Definition(name) => reference(name),
        Payload::Text => json!({ "type": "string" }),
    }
}

fn operation(route: &Route, own: &[&Parameter]) -> Value {
    let mut parameters: Vec<(String, Value)> = own
        .iter()
        .map(|p| (p.name.to_owned(), parameter(p)))
        .collect();
    if let Some((definition, required)) = &route.body {
        let mut body = json!({ "in": "body", "name": "body", "schema": reference(definition) });
        if *required {
            body["required"] = json!(true);
        }
        parameters.push(("body".into(), body));
    }
    parameters.sort_by(|a, b| a.0.cmp(&b.0));
    let responses: Map<String, Value> = route
        .responses
        .iter()
        .map(|r| {
            let mut response = json!({ "description": r.description() });
            if let Some(payload) = &r.payload {
                response["schema"] = payload_schema(payload);
            }
            (r.code.to_string(), response)
        })
        .collect();
    let mut out = json!({
        "consumes": route.consumes,
        "description": route.description,
        "operationId": route.operation_id,
        "produces": route.produces,
        "responses": responses,
        "schemes": ["https"],
    });
    if !parameters.is_empty() {
        out["parameters"] = Value::Array(parameters.into_iter().map(|(_, p)| p).collect());
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

/// The paths object of `routes`.
fn paths(routes: &[Route]) -> Map<String, Value> {
    path_items(routes)
        .into_iter()
        .map(|(path, item)| {
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
            (path.to_owned(), Value::Object(out))
        })
        .collect()
}

/// The whole document. It borrows the definitions rather than copying
/// them into one tree: it is serialized (to JSON and to protobuf) once and
/// dropped.
#[derive(Serialize)]
pub struct Document<'a> {
    pub definitions: &'a BTreeMap<String, Value>,
    pub info: Value,
    pub paths: Map<String, Value>,
    pub security: Value,
    #[serde(rename = "securityDefinitions")]
    pub security_definitions: Value,
    pub swagger: &'static str,
}

impl<'a> Document<'a> {
    pub fn new(routes: &[Route], definitions: &'a Definitions, version: &str) -> Document<'a> {
        Document {
            definitions: definitions.all(),
            info: json!({ "title": "Kubernetes", "version": version }),
            paths: paths(routes),
            security: json!([{ "BearerToken": [] }]),
            security_definitions: json!({
                "BearerToken": {
                    "description": "Bearer Token authentication",
                    "in": "header",
                    "name": "authorization",
                    "type": "apiKey",
                },
            }),
            swagger: "2.0",
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}
