//! Small helpers the kind strategies share for reading, defaulting and
//! comparing JSON objects. Defaulting follows Go's notion of "unset": a
//! missing field, `null`, and for strings the empty string (upstream's
//! fields are plain Go strings, so `""` and absent are the same there).

use serde_json::{Map, Value};

use crate::apiserver::registry::strategy::FieldLookup;

/// The string at `pointer`, or `""` when missing or not a string.
pub fn str_at<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// A field selector's answer from the string at `pointer`.
pub fn selectable(object: &Value, pointer: &str) -> FieldLookup {
    FieldLookup::Value(str_at(object, pointer).to_owned())
}

/// A field selector's answer from the boolean at `pointer` (`false` when
/// missing, as Go's zero value).
pub fn selectable_bool(object: &Value, pointer: &str) -> FieldLookup {
    let value = object
        .pointer(pointer)
        .and_then(Value::as_bool)
        .unwrap_or(false);
    FieldLookup::Value(value.to_string())
}

/// Whether a field holds nothing in Go's sense.
pub fn is_unset(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        _ => false,
    }
}

/// Sets `key` of the object `target` to `value` unless it holds something.
/// Does nothing if `target` is not an object.
pub fn default_field(target: &mut Value, key: &str, value: impl Into<Value>) {
    if let Some(map) = target.as_object_mut()
        && is_unset(map.get(key))
    {
        map.insert(key.to_owned(), value.into());
    }
}

/// As [`default_field`], also replacing a `0` (Go `int32` fields that are
/// not pointers treat zero as unset).
pub fn default_nonzero(target: &mut Value, key: &str, value: i64) {
    if let Some(map) = target.as_object_mut()
        && (is_unset(map.get(key)) || map.get(key).and_then(Value::as_i64) == Some(0))
    {
        map.insert(key.to_owned(), value.into());
    }
}

/// The object at `key` of `target`, created empty when missing or null.
/// `None` if `target` is not an object or the field is not one.
pub fn child_object<'a>(target: &'a mut Value, key: &str) -> Option<&'a mut Map<String, Value>> {
    let map = target.as_object_mut()?;
    let child = map
        .entry(key.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if child.is_null() {
        *child = Value::Object(Map::new());
    }
    child.as_object_mut()
}

/// The elements of the array at `key` of `target`, if any, for changing.
pub fn elements_mut<'a>(target: &'a mut Value, key: &str) -> impl Iterator<Item = &'a mut Value> {
    target
        .get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}

/// The elements of the array at `key` of `target`, if any.
pub fn elements<'a>(target: &'a Value, key: &str) -> &'a [Value] {
    target
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// The integer at `key` of `target`.
pub fn int(target: &Value, key: &str) -> Option<i64> {
    target.get(key).and_then(Value::as_i64)
}

/// The string at `key` of `target`, `""` when missing.
pub fn string<'a>(target: &'a Value, key: &str) -> &'a str {
    target.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The value at `key` of `target`, `null` when missing.
pub fn get<'a>(target: &'a Value, key: &str) -> &'a Value {
    target.get(key).unwrap_or(&Value::Null)
}

/// Whether two values are the same once Go's zero values are taken as
/// absent: `null`, `""`, `false`, `0`, `[]` and `{}` compare equal to a
/// missing field. Upstream compares decoded structs, where these cannot be
/// told apart.
pub fn semantically_equal(a: &Value, b: &Value) -> bool {
    fn is_zero(v: &Value) -> bool {
        match v {
            Value::Null => true,
            Value::Bool(b) => !b,
            Value::Number(n) => n.as_f64() == Some(0.0),
            Value::String(s) => s.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Object(_) => false,
        }
    }
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            let keys = a.keys().chain(b.keys());
            for key in keys {
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) if semantically_equal(x, y) => {}
                    (Some(x), None) | (None, Some(x)) if is_zero(x) => {}
                    _ => return false,
                }
            }
            true
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| semantically_equal(x, y))
        }
        (a, b) => a == b || (is_zero(a) && is_zero(b)),
    }
}

/// The paths (`a.b[1].c`) where `new` differs from `old`, for messages
/// that say what changed.
pub fn differences(old: &Value, new: &Value, path: &str, out: &mut Vec<String>) {
    if semantically_equal(old, new) {
        return;
    }
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                differences(get(old, key), get(new, key), &child, out);
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differences(x, y, &format!("{path}[{i}]"), out);
            }
        }
        _ => out.push(path.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_fill_only_what_is_unset() {
        let mut v = json!({"a": "", "b": "x", "c": null, "n": 0});
        default_field(&mut v, "a", "A");
        default_field(&mut v, "b", "B");
        default_field(&mut v, "c", 1);
        default_field(&mut v, "d", true);
        default_nonzero(&mut v, "n", 3);
        assert_eq!(v, json!({"a": "A", "b": "x", "c": 1, "d": true, "n": 3}));
        child_object(&mut v, "e")
            .unwrap()
            .insert("f".into(), json!(1));
        assert_eq!(v["e"], json!({"f": 1}));
    }

    #[test]
    fn zero_values_equal_absence() {
        assert!(semantically_equal(
            &json!({"a": 1, "b": [], "c": false}),
            &json!({"a": 1})
        ));
        assert!(!semantically_equal(&json!({"a": 1}), &json!({"a": 2})));
        let mut out = Vec::new();
        differences(
            &json!({"spec": {"x": [1, 2], "y": "a"}}),
            &json!({"spec": {"x": [1, 3], "y": "a", "z": true}}),
            "",
            &mut out,
        );
        assert_eq!(out, ["spec.x[1]", "spec.z"]);
    }
}
