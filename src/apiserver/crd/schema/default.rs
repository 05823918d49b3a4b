//! Defaulting: a property missing from an object (or `null` where the
//! schema does not allow null) takes its schema's `default`, then defaults
//! apply inside it too. Upstream applies this to request bodies and to
//! objects read from storage, so that a default added to a CRD shows on
//! objects stored before it.

use serde_json::Value;

use super::Schema;

/// Fills in the defaults of `schema` throughout `value`.
pub fn apply_defaults(value: &mut Value, schema: &Schema) {
    match value {
        Value::Object(map) => {
            for (name, property) in &schema.properties {
                let Some(default) = &property.default else {
                    continue;
                };
                let missing = match map.get(name) {
                    None => true,
                    Some(Value::Null) => !property.nullable,
                    Some(_) => false,
                };
                if missing {
                    map.insert(name.clone(), default.clone());
                }
            }
            for (name, child) in map.iter_mut() {
                if let Some(property) = schema.property(name) {
                    apply_defaults(child, property);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.items.as_deref() {
                for item in items.iter_mut() {
                    if item.is_null()
                        && !item_schema.nullable
                        && let Some(default) = &item_schema.default
                    {
                        *item = default.clone();
                    }
                    apply_defaults(item, item_schema);
                }
            }
        }
        _ => {}
    }
}

/// Whether any node of `schema` has a default (objects need no walk
/// otherwise).
pub fn has_defaults(schema: &Schema) -> bool {
    schema.default.is_some()
        || schema.properties.values().any(has_defaults)
        || schema.items.as_deref().is_some_and(has_defaults)
        || schema
            .additional_properties
            .as_deref()
            .is_some_and(has_defaults)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fills_missing_and_null_fields_recursively() {
        let schema = Schema::parse(&json!({
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "default": {},
                    "properties": {
                        "replicas": {"type": "integer", "default": 1},
                        "mode": {"type": "string", "default": "fast"},
                        "note": {"type": "string", "nullable": true, "default": "x"},
                        "ports": {"type": "array", "items": {
                            "type": "object",
                            "properties": {"protocol": {"type": "string", "default": "TCP"}}
                        }}
                    }
                }
            }
        }))
        .unwrap();
        assert!(has_defaults(&schema));
        let mut empty = json!({"metadata": {"name": "a"}});
        apply_defaults(&mut empty, &schema);
        assert_eq!(
            empty["spec"],
            json!({"replicas": 1, "mode": "fast", "note": "x"})
        );

        let mut given =
            json!({"spec": {"replicas": 5, "mode": null, "note": null, "ports": [{"port": 80}]}});
        apply_defaults(&mut given, &schema);
        assert_eq!(given["spec"]["replicas"], 5);
        assert_eq!(given["spec"]["mode"], "fast");
        assert_eq!(given["spec"]["note"], Value::Null);
        assert_eq!(given["spec"]["ports"][0]["protocol"], "TCP");
    }
}
