//! JSON values as upstream's patch code compares and cleans them: Go's
//! `==` on decoded values, its notion of "the same type", and the removal
//! of directives and nulls from values taken over from a patch.

use serde_json::{Map, Value};

use super::DIRECTIVE;

/// Go's `==` on two decoded JSON values: the same type and value
/// (`int64` and `float64` are different types). Maps and lists never
/// compare equal (Go cannot compare them).
pub fn go_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Number(a), Value::Number(b)) => match (a.is_f64(), b.is_f64()) {
            (true, true) => a.as_f64() == b.as_f64(),
            (false, false) => a == b,
            _ => false,
        },
        _ => false,
    }
}

/// Whether two values have the same Go type after decoding.
pub fn same_type(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => a.is_f64() == b.is_f64(),
        (Value::Object(_), Value::Object(_))
        | (Value::Array(_), Value::Array(_))
        | (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_)) => true,
        _ => false,
    }
}

/// A map's `$patch` directive, if it has one.
pub fn directive(value: &Value) -> Option<&Value> {
    value.as_object()?.get(DIRECTIVE)
}

/// `value` without the maps that carry a `$patch` directive (anywhere
/// inside it); `None` if `value` itself is one.
pub fn without_directives(value: Value) -> Option<Value> {
    match value {
        Value::Object(map) if map.contains_key(DIRECTIVE) => None,
        Value::Object(map) => Some(Value::Object(
            map.into_iter()
                .filter_map(|(k, v)| Some((k, without_directives(v)?)))
                .collect(),
        )),
        Value::Array(items) => Some(Value::Array(
            items.into_iter().filter_map(without_directives).collect(),
        )),
        other => Some(other),
    }
}

/// `value` without null map entries (anywhere inside it).
pub fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

/// A patch value taken as it is where the original has nothing to merge
/// with: nulls and directives dropped.
pub fn taken_over(value: Value) -> Option<Value> {
    without_directives(without_nulls(value))
}
