//! A CRD version's OpenAPI definition, as upstream's builder makes it: the
//! version's schema with `apiVersion`, `kind` and `metadata` (a reference
//! to ObjectMeta) filled in, named after the reversed group
//! (`com.example.stable.v1.CronTab`). `kubectl explain` reads it.

use serde_json::{Value, json};

use crate::apiserver::openapi::lists::{API_VERSION, KIND};

const METADATA: &str = "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const OBJECT_META: &str = "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/// The definition name of `kind` in `group`/`version`.
pub fn definition_name(group: &str, version: &str, kind: &str) -> String {
    let reversed: Vec<&str> = group.split('.').rev().collect();
    format!("{}.{version}.{kind}", reversed.join("."))
}

/// Drops what OpenAPI v2 cannot say and what clients need not see.
fn cleaned(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (key, value) in map {
                match key.as_str() {
                    "x-kubernetes-validations" | "nullable" => {}
                    "properties" | "patternProperties" | "definitions" => {
                        let inner = value
                            .as_object()
                            .map(|m| m.iter().map(|(k, v)| (k.clone(), cleaned(v))).collect())
                            .unwrap_or_default();
                        out.insert(key.clone(), Value::Object(inner));
                    }
                    "items" | "additionalProperties" | "not" => {
                        out.insert(key.clone(), cleaned(value));
                    }
                    "allOf" | "anyOf" | "oneOf" => {}
                    _ => {
                        out.insert(key.clone(), value.clone());
                    }
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// The definition of a custom resource whose version schema is `schema`
/// (`None`: an object that keeps anything).
pub fn definition(schema: Option<&Value>) -> Value {
    let mut definition = match schema {
        Some(schema) => cleaned(schema),
        None => json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
    };
    if !definition.get("properties").is_some_and(Value::is_object) {
        definition["properties"] = json!({});
    }
    let properties = &mut definition["properties"];
    properties["apiVersion"] = json!({"description": API_VERSION, "type": "string"});
    properties["kind"] = json!({"description": KIND, "type": "string"});
    properties["metadata"] = json!({"description": METADATA, "$ref": OBJECT_META});
    if definition.get("type").is_none() {
        definition["type"] = json!("object");
    }
    definition
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_type_meta() {
        assert_eq!(
            definition_name("stable.example.com", "v1", "CronTab"),
            "com.example.stable.v1.CronTab"
        );
        let d = definition(Some(&json!({
            "type": "object",
            "properties": {"spec": {"type": "object", "nullable": true,
                "x-kubernetes-validations": [{"rule": "true"}],
                "properties": {"size": {"type": "integer", "description": "How big."}}}}
        })));
        assert_eq!(d["properties"]["metadata"]["$ref"], OBJECT_META);
        assert_eq!(d["properties"]["kind"]["type"], "string");
        assert!(
            d["properties"]["spec"]
                .get("x-kubernetes-validations")
                .is_none()
        );
        assert_eq!(
            d["properties"]["spec"]["properties"]["size"]["description"],
            "How big."
        );
    }
}
