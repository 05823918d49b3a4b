//! The fields Go's types always write. Upstream compares objects after
//! decoding them into Go structs, whose value structs (`spec`, a pod
//! template, …) are never missing and whose fields without `omitempty` are
//! written even when unset (`containers: null`). Two objects compared in
//! that form differ where upstream sees a difference: a list that starts
//! out `null` is not itself new, only its items are.

use serde_json::{Map, Value};

use crate::apiserver::patch::schema::{Element, Shapes, Type};

/// The object Go writes for a new, empty object of type `ty`.
pub fn zero_object(ty: Type) -> Value {
    filled(&Value::Object(Map::new()), ty)
}

/// `value` with the value structs and unset non-`omitempty` fields Go
/// would write filled in, everywhere in it.
pub fn filled(value: &Value, ty: Type) -> Value {
    match (ty, value) {
        (Type::Struct(s), Value::Object(map)) => {
            let message = Shapes::get().message(s);
            let mut out = Map::new();
            for (key, child) in map {
                let child_ty = message.field(key).map_or(Type::Untyped, |f| f.ty);
                out.insert(key.clone(), filled(child, child_ty));
            }
            for (name, field) in message.fields() {
                if out.contains_key(name) {
                    continue;
                }
                if field.value_struct {
                    out.insert(name.into(), zero_object(field.ty));
                } else if let Some(zero) = field.zero {
                    out.insert(name.into(), zero.value());
                }
            }
            Value::Object(out)
        }
        (
            Type::Map {
                value: Element::Struct(s),
                ..
            },
            Value::Object(map),
        ) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), filled(v, Type::Struct(s))))
                .collect(),
        ),
        (
            Type::List {
                item: Element::Struct(s),
                ..
            },
            Value::Array(items),
        ) => Value::Array(items.iter().map(|v| filled(v, Type::Struct(s))).collect()),
        (_, other) => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_new_deployment_is_what_go_writes_for_an_empty_one() {
        let ty = Shapes::get().root("apps/v1", "Deployment").unwrap();
        let zero = zero_object(ty);
        assert!(zero["metadata"].is_object());
        assert!(zero["status"].is_object());
        assert_eq!(zero["spec"]["template"]["spec"]["containers"], json!(null));
        assert!(zero["spec"]["strategy"].is_object());
        // A pointer without `omitempty` is written as null.
        assert_eq!(zero["spec"]["selector"], json!(null));
        assert!(zero["spec"].get("replicas").is_none());
        let pod = Shapes::get().root("v1", "Pod").unwrap();
        let filled = filled(&json!({"spec": {"containers": [{"name": "a"}]}}), pod);
        assert_eq!(filled["spec"]["containers"][0]["resources"], json!({}));
    }
}
