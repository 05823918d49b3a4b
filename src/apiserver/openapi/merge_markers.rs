//! Upstream's merge extensions on fields: `x-kubernetes-patch-merge-key`,
//! `x-kubernetes-patch-strategy` (strategic merge patch, which kubectl
//! reads from the OpenAPI document), `x-kubernetes-list-type`,
//! `x-kubernetes-list-map-keys` and `x-kubernetes-map-type` (server-side
//! apply), taken from the Go markers the type table keeps per protobuf
//! message and JSON field ([`crate::apiserver::types`]).

use serde_json::{Value, json};

use super::definitions::properties_mut;
use crate::apiserver::types::{Field, Schema};

/// The protobuf message of definition `name`: `io.k8s.api.core.v1.Pod` is
/// `k8s.io.api.core.v1.Pod`, and the dashes of `apiextensions-apiserver`
/// and `kube-aggregator` are underscores in proto package names.
pub fn proto_message(name: &str) -> Option<String> {
    let rest = name.strip_prefix("io.k8s.")?;
    Some(format!("k8s.io.{}", rest.replace('-', "_")))
}

/// The field of `message` whose JSON name is `json_name`, looking through
/// fields that JSON inlines (`Volume.volumeSource`).
fn field<'a>(schema: &'a Schema, message: &str, json_name: &str) -> Option<&'a Field> {
    let fields = schema.message(message)?;
    fields
        .iter()
        .find(|f| !f.inline && f.name == json_name)
        .or_else(|| {
            fields
                .iter()
                .filter(|f| f.inline)
                .find_map(|f| field(schema, &f.ty, json_name))
        })
}

/// Adds the merge extensions to the properties of definition `name`.
pub fn annotate(name: &str, definition: &mut Value) {
    let Some(message) = proto_message(name) else {
        return;
    };
    let table = Schema::get();
    if table.message(&message).is_none() {
        return;
    }
    let Some(properties) = properties_mut(definition) else {
        return;
    };
    for (json_name, property) in properties.iter_mut() {
        let (Some(field), Some(property)) =
            (field(table, &message, json_name), property.as_object_mut())
        else {
            continue;
        };
        if let Some(key) = &field.patch_merge_key {
            property.insert("x-kubernetes-patch-merge-key".into(), json!(key));
        }
        if let Some(strategy) = &field.patch_strategy {
            property.insert("x-kubernetes-patch-strategy".into(), json!(strategy));
        }
        if let Some(list_type) = &field.list_type {
            property.insert("x-kubernetes-list-type".into(), json!(list_type));
        }
        if !field.list_map_keys.is_empty() {
            property.insert(
                "x-kubernetes-list-map-keys".into(),
                json!(field.list_map_keys),
            );
        }
        if let Some(map_type) = &field.map_type {
            property.insert("x-kubernetes-map-type".into(), json!(map_type));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_onto_proto_messages() {
        assert_eq!(
            proto_message("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON")
                .as_deref(),
            Some("k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSON")
        );
        assert_eq!(proto_message("com.example.v1.Widget"), None);
    }

    #[test]
    fn pod_spec_fields_get_their_markers() {
        let mut spec = json!({ "properties": {
            "containers": { "type": "array" },
            "volumes": { "type": "array" },
            "nodeSelector": { "type": "object" },
            "hostname": { "type": "string" },
        }});
        annotate("io.k8s.api.core.v1.PodSpec", &mut spec);
        let containers = &spec["properties"]["containers"];
        assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
        assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
        assert_eq!(containers["x-kubernetes-list-type"], "map");
        assert_eq!(containers["x-kubernetes-list-map-keys"], json!(["name"]));
        assert_eq!(
            spec["properties"]["volumes"]["x-kubernetes-patch-strategy"],
            "merge,retainKeys"
        );
        assert_eq!(
            spec["properties"]["nodeSelector"]["x-kubernetes-map-type"],
            "atomic"
        );
        assert_eq!(spec["properties"]["hostname"], json!({ "type": "string" }));
    }
}
