//! An applied configuration checked against the schema as upstream checks
//! it before merging: fields the type does not declare, values of the
//! wrong kind, list items that cannot be identified or appear twice. Each
//! error is `<path>: <message>` in upstream's words.

use std::collections::BTreeSet;

use serde_json::Value;

use super::items::item_element;
use super::{Atom, atom};
use crate::apiserver::patch::fieldpath::{PathElement, display};
use crate::apiserver::patch::go_format;
use crate::apiserver::patch::schema::{ListKind, Scalar, Type};

/// The errors of `value`, empty if it fits `ty`.
pub fn validate(value: &Value, ty: Type) -> Vec<String> {
    let mut errors = Vec::new();
    walk(value, ty, &mut Vec::new(), &mut errors);
    errors
}

/// How upstream prints a value inside its own wrapper (`&{1}`).
fn wrapped(value: &Value) -> String {
    format!("&{{{}}}", go_format::value(value))
}

fn error(path: &[PathElement], message: String, errors: &mut Vec<String>) {
    let path = display(path);
    errors.push(if path.is_empty() {
        message
    } else {
        format!("{path}: {message}")
    });
}

fn walk(value: &Value, ty: Type, path: &mut Vec<PathElement>, errors: &mut Vec<String>) {
    if value.is_null() {
        return;
    }
    match atom(ty, Some(value)) {
        Atom::Scalar(kind) => {
            let message = match (kind, value) {
                (Scalar::Numeric, Value::Number(_))
                | (Scalar::String, Value::String(_))
                | (Scalar::Boolean, Value::Bool(_))
                | (Scalar::Untyped, Value::Number(_) | Value::String(_) | Value::Bool(_)) => return,
                (Scalar::Numeric, other) => format!(
                    "expected numeric (int or float), got {}",
                    go_format::type_name(other)
                ),
                (Scalar::String, other) => format!(
                    "expected string, got &value.valueUnstructured{{Value:{}}}",
                    go_format::go_syntax(other)
                ),
                (Scalar::Boolean, other) => format!("expected boolean, got {}", wrapped(other)),
                (Scalar::Untyped, other) => format!("expected any scalar, got {}", wrapped(other)),
            };
            error(path, message, errors);
        }
        Atom::List { item, kind } => {
            let Value::Array(items) = value else {
                return error(
                    path,
                    format!("expected list, got {}", wrapped(value)),
                    errors,
                );
            };
            let mut seen = BTreeSet::new();
            for (i, child) in items.iter().enumerate() {
                let name = match item_element(kind, item, child, i) {
                    Ok(name) => name,
                    Err(message) => {
                        return error(path, format!("element {i}: {message}"), errors);
                    }
                };
                if kind != ListKind::Atomic && !seen.insert(name.clone()) {
                    error(path, format!("duplicate entries for key {name}"), errors);
                }
                path.push(name);
                walk(child, item.into(), path, errors);
                path.pop();
            }
        }
        Atom::Map { shape, .. } => {
            let Value::Object(map) = value else {
                return error(
                    path,
                    format!("expected map, got {}", wrapped(value)),
                    errors,
                );
            };
            for (key, child) in map {
                path.push(PathElement::Field(key.clone()));
                if let super::MapShape::Struct(message) = shape
                    && message.field(key).is_none()
                {
                    error(path, "field not declared in schema".into(), errors);
                    path.pop();
                    return;
                }
                walk(child, shape.child(key), path, errors);
                path.pop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::patch::schema::Shapes;
    use serde_json::json;

    #[test]
    fn reports_what_upstream_reports() {
        let ty = Shapes::get().root("v1", "ConfigMap").unwrap();
        assert!(validate(&json!({"metadata": {"name": "c"}, "data": {"k": "v"}}), ty).is_empty());
        assert_eq!(
            validate(&json!({"data": {"k": 1}}), ty),
            [".data.k: expected string, got &value.valueUnstructured{Value:1}"]
        );
        assert_eq!(
            validate(&json!({"spec": {}}), ty),
            [".spec: field not declared in schema"]
        );
        let pod = Shapes::get().root("v1", "Pod").unwrap();
        assert_eq!(
            validate(
                &json!({"spec": {"containers": [{"name": "a"}, {"name": "a"}]}}),
                pod
            ),
            [".spec.containers: duplicate entries for key [name=\"a\"]"]
        );
    }
}
