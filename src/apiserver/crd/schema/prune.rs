//! Pruning: fields a structural schema does not declare are dropped, as
//! upstream drops them, and reported by path (for `fieldValidation`
//! warnings and Strict's errors).
//!
//! What survives: declared properties; everything under
//! `x-kubernetes-preserve-unknown-fields: true` (declared properties below
//! it are still pruned inside); every key of a map
//! (`additionalProperties`); `apiVersion`, `kind` and `metadata` of the
//! root and of embedded resources.

use serde_json::Value;

use super::{Schema, child_path, index_path};

/// Prunes `object` (a whole custom resource) in place; returns the paths
/// of what was dropped.
pub fn prune_object(object: &mut Value, schema: &Schema) -> Vec<String> {
    let mut dropped = Vec::new();
    prune_node(object, schema, "", true, &mut dropped);
    dropped
}

fn prune_node(
    value: &mut Value,
    schema: &Schema,
    path: &str,
    root: bool,
    dropped: &mut Vec<String>,
) {
    match value {
        Value::Object(map) => {
            let keeps_type_meta = root || schema.embedded_resource;
            let names: Vec<String> = map.keys().cloned().collect();
            for name in names {
                if keeps_type_meta && matches!(name.as_str(), "apiVersion" | "kind" | "metadata") {
                    // Metadata is the store's to check; an embedded
                    // object's is kept whole.
                    continue;
                }
                let field_path = child_path(path, &name);
                match schema.properties.get(&name) {
                    Some(property) => {
                        if let Some(v) = map.get_mut(&name) {
                            prune_node(v, property, &field_path, false, dropped);
                        }
                    }
                    None => match schema.additional_properties.as_deref() {
                        Some(values) => {
                            if let Some(v) = map.get_mut(&name) {
                                prune_node(v, values, &field_path, false, dropped);
                            }
                        }
                        None if schema.preserve_unknown_fields => {}
                        None => {
                            map.remove(&name);
                            dropped.push(field_path);
                        }
                    },
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.items.as_deref() {
                for (i, item) in items.iter_mut().enumerate() {
                    prune_node(item, item_schema, &index_path(path, i), false, dropped);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Schema {
        Schema::parse(&json!({
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "properties": {
                        "size": {"type": "integer"},
                        "items": {"type": "array", "items": {
                            "type": "object", "properties": {"name": {"type": "string"}}
                        }},
                        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                                 "properties": {"inner": {"type": "object", "properties": {"a": {"type": "string"}}}}},
                        "template": {"type": "object", "x-kubernetes-embedded-resource": true,
                                     "x-kubernetes-preserve-unknown-fields": true}
                    }
                }
            }
        }))
        .unwrap()
    }

    #[test]
    fn drops_and_reports_undeclared_fields() {
        let mut object = json!({
            "apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "a"},
            "extra": 1,
            "spec": {
                "size": 1, "color": "red",
                "items": [{"name": "a", "bogus": true}],
                "labels": {"any": "x"},
                "free": {"what": "ever", "inner": {"a": "x", "b": "y"}},
                "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}}
            }
        });
        let dropped = prune_object(&mut object, &schema());
        assert_eq!(
            dropped,
            vec![
                "extra",
                "spec.color",
                "spec.free.inner.b",
                "spec.items[0].bogus"
            ]
        );
        assert_eq!(object["metadata"]["name"], "a");
        assert_eq!(object["spec"]["free"]["what"], "ever");
        assert_eq!(object["spec"]["labels"]["any"], "x");
        assert_eq!(object["spec"]["template"]["kind"], "Pod");
        assert!(object["spec"]["items"][0].get("bogus").is_none());
    }
}
