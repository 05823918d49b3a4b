//! The Swagger 2.0 document (`/openapi/v2`): every path and operation, and
//! every definition, in the shape kube-apiserver publishes.

use serde_json::{Map, Value, json};

use super::definitions::{Definitions, reference};
use super::json_writer::ObjectWriter;
use super::parameters::Parameter;
use super::path_items::{PathItem, path_items};
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

/// The path item of `item`.
fn path_item(item: &PathItem<'_>) -> Value {
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
    Value::Object(out)
}

/// The whole document: written piece by piece (each path item, each
/// definition) rather than held as one tree.
pub struct Document<'a> {
    routes: &'a [Route],
    pub definitions: &'a Definitions,
    version: &'a str,
}

impl<'a> Document<'a> {
    pub fn new(
        routes: &'a [Route],
        definitions: &'a Definitions,
        version: &'a str,
    ) -> Document<'a> {
        Document {
            routes,
            definitions,
            version,
        }
    }

    pub const SWAGGER: &'static str = "2.0";

    pub fn info(&self) -> Value {
        json!({ "title": "Kubernetes", "version": self.version })
    }

    /// Each path and its path item, made as they are asked for.
    pub fn paths(&self) -> impl Iterator<Item = (&'a str, Value)> + use<'a> {
        path_items(self.routes)
            .into_iter()
            .map(|(path, item)| (path, path_item(&item)))
    }

    pub fn security() -> Value {
        json!([{ "BearerToken": [] }])
    }

    pub fn security_definitions() -> Value {
        json!({
            "BearerToken": {
                "description": "Bearer Token authentication",
                "in": "header",
                "name": "authorization",
                "type": "apiKey",
            },
        })
    }

    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut document = ObjectWriter::new(&mut out);
        document.object("definitions", |definitions| {
            for (name, definition) in self.definitions.all() {
                definitions.raw(name, &definition.json);
            }
        });
        document.value("info", &self.info());
        document.object("paths", |paths| {
            for (path, item) in self.paths() {
                paths.value(path, &item);
            }
        });
        document.value("security", &Self::security());
        document.value("securityDefinitions", &Self::security_definitions());
        document.value("swagger", Self::SWAGGER);
        document.end();
        out
    }
}
