//! Go's zero values for the fields a body leaves out.
//!
//! Upstream decodes a body into Go structs, where a missing field is its
//! type's zero value (`""`, `0`, `false`, an empty struct) and validation
//! then reports it (`provisioner: Required value`). keelson reads bodies
//! through k8s-openapi's types, which make those same fields mandatory and
//! would refuse the body as undecodable instead. Filling in the zero values
//! first gives the Go answer: the object decodes, and the kind's validation
//! says which field is required.
//!
//! Only fields the type table marks `required` (no `omitempty` upstream,
//! not an `Option` in k8s-openapi) are filled. Types whose JSON is a scalar
//! of its own (`Time`, `Quantity`, `IntOrString`, raw JSON) are left out:
//! their zero values have no JSON spelling that both sides accept.

use serde_json::{Map, Value};

use super::{Field, META_V1, Schema};

/// Messages whose JSON form is not an object of their fields.
fn has_own_json_form(message: &str) -> bool {
    let short = message.rsplit('.').next().unwrap_or(message);
    let package = message
        .strip_suffix(short)
        .and_then(|p| p.strip_suffix('.'))
        .unwrap_or_default();
    matches!(
        (package, short),
        (
            META_V1,
            "Time" | "MicroTime" | "Duration" | "FieldsV1" | "Verbs"
        ) | ("k8s.io.apimachinery.pkg.runtime", "RawExtension")
            | ("k8s.io.apimachinery.pkg.api.resource", "Quantity")
            | ("k8s.io.apimachinery.pkg.util.intstr", "IntOrString")
    ) || package.starts_with("k8s.io.apiextensions_apiserver.")
        && matches!(
            short,
            "JSON"
                | "JSONSchemaPropsOrArray"
                | "JSONSchemaPropsOrBool"
                | "JSONSchemaPropsOrStringArray"
        )
        || short == "ExtraValue"
}

/// The zero value of a field, if it has a JSON spelling.
fn zero_value(field: &Field) -> Option<Value> {
    if field.repeated {
        return Some(Value::Array(Vec::new()));
    }
    if field.map {
        return Some(Value::Object(Map::new()));
    }
    Some(match field.ty.as_str() {
        "string" | "bytes" => Value::String(String::new()),
        "int32" | "int64" => Value::from(0),
        "double" => Value::from(0.0),
        "bool" => Value::Bool(false),
        message if has_own_json_form(message) => return None,
        _ => Value::Object(Map::new()),
    })
}

/// Fills the required fields `object` (of message `message`) lacks, at
/// every depth, with their Go zero values.
pub fn fill_required(object: &mut Value, message: &str) {
    let schema = Schema::get();
    let Some(fields) = schema.message(message) else {
        return;
    };
    let Some(map) = object.as_object_mut() else {
        return;
    };
    for field in fields {
        if field.inline {
            // An embedded struct's fields sit in the outer object.
            let mut inner = Value::Object(std::mem::take(map));
            fill_required(&mut inner, &field.ty);
            if let Value::Object(inner) = inner {
                *map = inner;
            }
            continue;
        }
        if field.required
            && !map.contains_key(&field.name)
            && let Some(zero) = zero_value(field)
        {
            map.insert(field.name.clone(), zero);
        }
        if !field.is_message() || has_own_json_form(&field.ty) {
            continue;
        }
        match map.get_mut(&field.name) {
            Some(Value::Array(items)) if field.repeated => {
                for item in items {
                    fill_required(item, &field.ty);
                }
            }
            Some(Value::Object(entries)) if field.map => {
                for value in entries.values_mut() {
                    fill_required(value, &field.ty);
                }
            }
            Some(value @ Value::Object(_)) if !field.repeated && !field.map => {
                fill_required(value, &field.ty);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_required_scalars_become_go_zero_values() {
        let mut class = json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass"});
        fill_required(&mut class, "k8s.io.api.storage.v1.StorageClass");
        assert_eq!(class["provisioner"], "");
        let mut priority = json!({"metadata": {"name": "p"}});
        fill_required(&mut priority, "k8s.io.api.scheduling.v1.PriorityClass");
        assert_eq!(priority["value"], 0);
    }

    #[test]
    fn nested_items_are_filled_and_present_values_kept() {
        let mut pod = json!({"spec": {"containers": [{"image": "busybox"}, {"name": "b"}]}});
        fill_required(&mut pod, "k8s.io.api.core.v1.Pod");
        assert_eq!(pod["spec"]["containers"][0]["name"], "");
        assert_eq!(pod["spec"]["containers"][1]["name"], "b");
        // Optional fields stay absent.
        assert!(pod["spec"]["containers"][0].get("image").is_some());
        assert!(pod["spec"].get("nodeName").is_none());
    }

    #[test]
    fn inlined_structs_are_filled_in_place_and_scalar_types_left_alone() {
        let mut volume = json!({"name": "v", "secret": {}});
        fill_required(&mut volume, "k8s.io.api.core.v1.Volume");
        assert!(volume.get("volumeSource").is_none(), "{volume}");
        let mut lease = json!({"spec": {}});
        fill_required(&mut lease, "k8s.io.api.coordination.v1.Lease");
        assert!(lease["spec"].get("renewTime").is_none());
    }
}
