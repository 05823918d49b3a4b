//! Where `k8s-openapi`'s schemas differ from the ones kube-apiserver
//! publishes, and how to put upstream's back (Swagger 2.0 form; the v3
//! documents have their own forms of the two scalar wrappers, see
//! [`v3_scalar_wrapper`]).
//!
//! * `IntOrString` and `Quantity` are written as
//!   `x-kubernetes-int-or-string` (a CRD-schema extension); upstream's v2
//!   document types them as strings (`IntOrString` with format
//!   `int-or-string`), its v3 documents as `oneOf` the two JSON types.
//! * The apiextensions `JSON*` wrappers carry a type (or a `oneOf`, which
//!   Swagger 2.0 does not have); upstream leaves them untyped.
//! * `metadata` is listed as required wherever the Rust field is not an
//!   `Option`; upstream requires it only of the two Event kinds.

use serde_json::{Value, json};

const INT_OR_STRING: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";

/// Definitions upstream publishes with a description only (any JSON).
const UNTYPED: &[&str] = &[
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray",
];

/// Definitions whose `metadata` upstream requires.
const METADATA_REQUIRED: &[&str] = &["io.k8s.api.core.v1.Event", "io.k8s.api.events.v1.Event"];

fn description(schema: &Value) -> Value {
    schema.get("description").cloned().unwrap_or(Value::Null)
}

/// Rewrites definition `name` into upstream's Swagger 2.0 shape.
pub fn restore(name: &str, schema: &mut Value) {
    let description = description(schema);
    match name {
        INT_OR_STRING => {
            *schema =
                json!({ "description": description, "format": "int-or-string", "type": "string" });
        }
        QUANTITY => *schema = json!({ "description": description, "type": "string" }),
        _ if UNTYPED.contains(&name) => *schema = json!({ "description": description }),
        _ if METADATA_REQUIRED.contains(&name) => {}
        _ => drop_required(schema, "metadata"),
    }
}

fn drop_required(schema: &mut Value, field: &str) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(required)) = object.get_mut("required") {
        required.retain(|f| f != field);
        if required.is_empty() {
            object.remove("required");
        }
    }
}

/// The v3 form of the two scalar wrappers, for definition `name` with its
/// v2 `schema`; `None` for every other definition.
pub fn v3_scalar_wrapper(name: &str, schema: &Value) -> Option<Value> {
    let description = description(schema);
    match name {
        INT_OR_STRING => Some(json!({
            "description": description,
            "format": "int-or-string",
            "oneOf": [{ "type": "integer" }, { "type": "string" }],
        })),
        QUANTITY => Some(json!({
            "description": description,
            "oneOf": [{ "type": "string" }, { "type": "number" }],
        })),
        _ => None,
    }
}

/// What describes a custom resource nobody gave a schema: any object.
pub fn schemaless_object() -> Value {
    json!({ "type": "object", "x-kubernetes-preserve-unknown-fields": true })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_wrappers_take_upstreams_types() {
        let mut schema = json!({ "description": "d", "x-kubernetes-int-or-string": true });
        restore(INT_OR_STRING, &mut schema);
        assert_eq!(
            schema,
            json!({ "description": "d", "format": "int-or-string", "type": "string" })
        );
        assert_eq!(
            v3_scalar_wrapper(INT_OR_STRING, &schema).unwrap()["oneOf"],
            json!([{ "type": "integer" }, { "type": "string" }])
        );
        let mut quantity = json!({ "description": "q", "x-kubernetes-int-or-string": true });
        restore(QUANTITY, &mut quantity);
        assert_eq!(quantity, json!({ "description": "q", "type": "string" }));
    }

    #[test]
    fn metadata_is_required_only_of_events() {
        let object = json!({ "required": ["metadata"], "properties": {} });
        let mut pod = object.clone();
        restore("io.k8s.api.core.v1.Pod", &mut pod);
        assert!(pod.get("required").is_none());
        let mut event = json!({ "required": ["metadata", "involvedObject"] });
        restore("io.k8s.api.core.v1.Event", &mut event);
        assert_eq!(event["required"], json!(["metadata", "involvedObject"]));
        let mut template = json!({ "required": ["metadata", "spec"] });
        restore(
            "io.k8s.api.core.v1.PersistentVolumeClaimTemplate",
            &mut template,
        );
        assert_eq!(template["required"], json!(["spec"]));
    }
}
