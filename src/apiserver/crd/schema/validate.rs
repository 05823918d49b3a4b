//! Validation of a custom resource against its structural schema, with the
//! messages and field paths upstream's OpenAPI validator gives (kube-openapi
//! words a failure as `<path> in body <reason>`; apiextensions turns it into
//! a field error on that path).
//!
//! A node whose type is wrong gets that one error and is not looked into
//! further, as upstream.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Schema, child_path, index_path};
use crate::apiserver::patch::go_format;
use crate::apiserver::validation::FieldError;

/// Validates a whole custom resource (its `metadata` is the store's to
/// check). Errors come ordered by field path, as upstream reports them.
pub fn validate_object(object: &Value, schema: &Schema) -> Vec<FieldError> {
    let mut errors = validate_root(object, schema);
    errors.sort_by(|a, b| a.field.cmp(&b.field));
    errors
}

fn validate_root(object: &Value, schema: &Schema) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let Some(map) = object.as_object() else {
        return errors;
    };
    for name in &schema.required {
        if !map.contains_key(name) {
            errors.push(FieldError::required(name.clone(), ""));
        }
    }
    for (name, value) in map {
        if matches!(name.as_str(), "apiVersion" | "kind" | "metadata") {
            continue;
        }
        if let Some(property) = schema.property(name) {
            validate_node(value, property, name, &mut errors);
        }
    }
    errors
}

/// The JSON type name of a value as upstream's validator infers it
/// (numbers without a fraction are integers).
fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::String(_) => "string",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The types a node accepts, as upstream lists them in messages.
fn declared_types(schema: &Schema) -> Option<String> {
    if schema.int_or_string {
        return Some("integer,string".into());
    }
    schema.type_.clone()
}

fn type_matches(value: &Value, schema: &Schema) -> bool {
    let actual = type_of(value);
    if schema.int_or_string {
        return matches!(actual, "integer" | "string")
            || (actual == "number" && value.as_f64().is_some_and(|f| f.fract() == 0.0));
    }
    match schema.type_.as_deref() {
        None => true,
        Some("number") => matches!(actual, "number" | "integer"),
        Some("integer") => {
            actual == "integer"
                || (actual == "number" && value.as_f64().is_some_and(|f| f.fract() == 0.0))
        }
        Some(t) => t == actual,
    }
}

/// `<path> in body <what>`: how kube-openapi words a failure.
fn in_body(path: &str, what: impl std::fmt::Display) -> String {
    format!("{path} in body {what}")
}

/// Go's `%v` of a float64 bound.
fn bound(f: f64) -> String {
    go_format::value(&Value::from(f))
}

/// Whether two decoded JSON values are equal as upstream compares enum
/// members (numbers by value).
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

fn validate_node(value: &Value, schema: &Schema, path: &str, errors: &mut Vec<FieldError>) {
    if value.is_null() {
        if schema.nullable {
            return;
        }
        if let Some(types) = declared_types(schema) {
            errors.push(FieldError::type_invalid(
                path,
                "null",
                in_body(path, format!("must be of type {types}: \"null\"")),
            ));
        }
        return;
    }
    if !type_matches(value, schema) {
        let types = declared_types(schema).unwrap_or_default();
        let actual = type_of(value);
        errors.push(FieldError::type_invalid(
            path,
            actual,
            in_body(path, format!("must be of type {types}: {actual:?}")),
        ));
        return;
    }
    combinators(value, schema, path, errors);
    match value {
        Value::String(s) => strings(s, value, schema, path, errors),
        Value::Number(_) => numbers(value, schema, path, errors),
        Value::Array(items) => arrays(items, value, schema, path, errors),
        Value::Object(_) => {}
        Value::Bool(_) | Value::Null => {}
    }
    if let Some(members) = &schema.enum_values
        && !members.iter().any(|m| json_equal(m, value))
    {
        let supported: Vec<String> = members
            .iter()
            .map(|m| match m {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        let supported: Vec<&str> = supported.iter().map(String::as_str).collect();
        errors.push(FieldError::not_supported(path, value.clone(), &supported));
    }
    if let Value::Object(map) = value {
        objects(map, schema, path, errors);
    }
}

fn strings(s: &str, value: &Value, schema: &Schema, path: &str, errors: &mut Vec<FieldError>) {
    let length = s.chars().count() as u64;
    if let Some(max) = schema.max_length
        && length > max
    {
        errors.push(FieldError::too_long(path, max as usize));
    }
    if let Some(min) = schema.min_length
        && length < min
    {
        errors.push(FieldError::invalid(
            path,
            value.clone(),
            in_body(path, format!("should be at least {min} chars long")),
        ));
    }
    if let Some((pattern, regex)) = &schema.pattern
        && !regex.is_match(s)
    {
        errors.push(FieldError::invalid(
            path,
            value.clone(),
            in_body(path, format!("should match '{pattern}'")),
        ));
    }
    if let Some(format) = &schema.format
        && !super::super::formats::valid(format, s)
    {
        errors.push(FieldError::type_invalid(
            path,
            value.clone(),
            in_body(path, format!("must be of type {format}: {s:?}")),
        ));
    }
}

fn numbers(value: &Value, schema: &Schema, path: &str, errors: &mut Vec<FieldError>) {
    let Some(n) = value.as_f64() else { return };
    if let Some(max) = schema.maximum {
        let (fails, what) = if schema.exclusive_maximum {
            (n >= max, "should be less than")
        } else {
            (n > max, "should be less than or equal to")
        };
        if fails {
            errors.push(FieldError::invalid(
                path,
                value.clone(),
                in_body(path, format!("{what} {}", bound(max))),
            ));
        }
    }
    if let Some(min) = schema.minimum {
        let (fails, what) = if schema.exclusive_minimum {
            (n <= min, "should be greater than")
        } else {
            (n < min, "should be greater than or equal to")
        };
        if fails {
            errors.push(FieldError::invalid(
                path,
                value.clone(),
                in_body(path, format!("{what} {}", bound(min))),
            ));
        }
    }
    if let Some(factor) = schema.multiple_of
        && factor > 0.0
        && (n / factor).fract() != 0.0
    {
        errors.push(FieldError::invalid(
            path,
            value.clone(),
            in_body(path, format!("should be a multiple of {}", bound(factor))),
        ));
    }
}

fn arrays(
    items: &[Value],
    value: &Value,
    schema: &Schema,
    path: &str,
    errors: &mut Vec<FieldError>,
) {
    let length = items.len() as u64;
    if let Some(max) = schema.max_items
        && length > max
    {
        errors.push(FieldError::too_many(path, length as i64, max as i64));
    }
    if let Some(min) = schema.min_items
        && length < min
    {
        errors.push(FieldError::invalid(
            path,
            length,
            in_body(path, format!("should have at least {min} items")),
        ));
    }
    let _ = value;
    if let Some(item_schema) = schema.items.as_deref() {
        for (i, item) in items.iter().enumerate() {
            validate_node(item, item_schema, &index_path(path, i), errors);
        }
    }
    list_type(items, schema, path, errors);
}

/// `x-kubernetes-list-type`: `set` items and `map` keys are unique.
fn list_type(items: &[Value], schema: &Schema, path: &str, errors: &mut Vec<FieldError>) {
    match schema.list_type.as_deref() {
        Some("set") => {
            let mut seen: Vec<&Value> = Vec::new();
            for (i, item) in items.iter().enumerate() {
                if seen.iter().any(|s| json_equal(s, item)) {
                    errors.push(FieldError::duplicate(index_path(path, i), item.clone()));
                } else {
                    seen.push(item);
                }
            }
        }
        Some("map") if !schema.list_map_keys.is_empty() => {
            let mut seen = BTreeSet::new();
            for (i, item) in items.iter().enumerate() {
                let key: Vec<String> = schema
                    .list_map_keys
                    .iter()
                    .map(|k| {
                        item.get(k)
                            .or_else(|| {
                                schema
                                    .items
                                    .as_deref()
                                    .and_then(|s| s.properties.get(k))
                                    .and_then(|s| s.default.as_ref())
                            })
                            .map(Value::to_string)
                            .unwrap_or_default()
                    })
                    .collect();
                if !seen.insert(key) {
                    let shown: serde_json::Map<String, Value> = schema
                        .list_map_keys
                        .iter()
                        .filter_map(|k| Some((k.clone(), item.get(k)?.clone())))
                        .collect();
                    errors.push(FieldError::duplicate_printed(
                        index_path(path, i),
                        go_format::go_syntax(&Value::Object(shown)),
                    ));
                }
            }
        }
        _ => {}
    }
}

fn objects(
    map: &serde_json::Map<String, Value>,
    schema: &Schema,
    path: &str,
    errors: &mut Vec<FieldError>,
) {
    let size = map.len() as u64;
    if let Some(max) = schema.max_properties
        && size > max
    {
        errors.push(FieldError::too_many(path, size as i64, max as i64));
    }
    if let Some(min) = schema.min_properties
        && size < min
    {
        errors.push(FieldError::invalid(
            path,
            size,
            in_body(path, format!("should have at least {min} properties")),
        ));
    }
    for name in &schema.required {
        if !map.contains_key(name) {
            errors.push(FieldError::required(child_path(path, name), ""));
        }
    }
    let embedded = schema.embedded_resource;
    for (name, value) in map {
        if embedded && matches!(name.as_str(), "apiVersion" | "kind" | "metadata") {
            continue;
        }
        if let Some(property) = schema.property(name) {
            validate_node(value, property, &child_path(path, name), errors);
        }
    }
    if embedded {
        for required in ["apiVersion", "kind"] {
            match map.get(required) {
                Some(Value::String(s)) if !s.is_empty() => {}
                _ => errors.push(FieldError::required(child_path(path, required), "")),
            }
        }
    }
}

/// `allOf`, `anyOf`, `oneOf` and `not`: value validations only.
fn combinators(value: &Value, schema: &Schema, path: &str, errors: &mut Vec<FieldError>) {
    let passes = |s: &Schema| {
        let mut found = Vec::new();
        validate_node(value, s, path, &mut found);
        found.is_empty()
    };
    for s in &schema.all_of {
        validate_node(value, s, path, errors);
    }
    if !schema.any_of.is_empty() && !schema.any_of.iter().any(passes) {
        errors.push(FieldError::invalid(
            path,
            value.clone(),
            in_body(path, "must validate at least one schema (anyOf)"),
        ));
    }
    if !schema.one_of.is_empty() {
        let matching = schema.one_of.iter().filter(|s| passes(s)).count();
        if matching != 1 {
            errors.push(FieldError::invalid(
                path,
                value.clone(),
                in_body(path, "must validate one and only one schema (oneOf)"),
            ));
        }
    }
    if let Some(not) = schema.not.as_deref()
        && passes(not)
    {
        errors.push(FieldError::invalid(
            path,
            value.clone(),
            in_body(path, "must not validate the schema (not)"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lines(object: Value, schema: Value) -> Vec<String> {
        let schema = Schema::parse(&schema).unwrap();
        validate_object(&object, &schema)
            .iter()
            .map(FieldError::line)
            .collect()
    }

    fn spec(properties: Value) -> Value {
        json!({"type": "object", "properties": {"spec": {"type": "object", "properties": properties}}})
    }

    #[test]
    fn types_and_nulls() {
        let schema = spec(json!({
            "replicas": {"type": "integer"},
            "port": {"x-kubernetes-int-or-string": true},
            "ratio": {"type": "number"},
            "name": {"type": "string", "nullable": true}
        }));
        assert_eq!(
            lines(
                json!({"spec": {"replicas": "three", "port": true, "ratio": 2, "name": null}}),
                schema.clone()
            ),
            vec![
                "spec.port: Invalid value: \"boolean\": spec.port in body must be of type integer,string: \"boolean\"",
                "spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"",
            ]
        );
        assert_eq!(
            lines(json!({"spec": {"replicas": null, "port": "80"}}), schema),
            vec![
                "spec.replicas: Invalid value: \"null\": spec.replicas in body must be of type integer: \"null\""
            ]
        );
    }

    #[test]
    fn bounds_lengths_patterns_enums() {
        let schema = spec(json!({
            "replicas": {"type": "integer", "minimum": 1, "maximum": 10},
            "big": {"type": "integer", "exclusiveMaximum": true, "maximum": 1000000},
            "name": {"type": "string", "minLength": 2, "maxLength": 4, "pattern": "^[a-z]+$"},
            "mode": {"type": "string", "enum": ["fast", "slow"]}
        }));
        assert_eq!(
            lines(
                json!({"spec": {"replicas": 20, "big": 1000000, "name": "A", "mode": "medium"}}),
                schema
            ),
            vec![
                "spec.big: Invalid value: 1000000: spec.big in body should be less than 1e+06",
                "spec.mode: Unsupported value: \"medium\": supported values: \"fast\", \"slow\"",
                "spec.name: Invalid value: \"A\": spec.name in body should be at least 2 chars long",
                "spec.name: Invalid value: \"A\": spec.name in body should match '^[a-z]+$'",
                "spec.replicas: Invalid value: 20: spec.replicas in body should be less than or equal to 10",
            ]
        );
    }

    #[test]
    fn required_items_and_list_types() {
        let schema = json!({
            "type": "object",
            "required": ["spec"],
            "properties": {"spec": {
                "type": "object",
                "required": ["host"],
                "properties": {
                    "host": {"type": "string"},
                    "tags": {"type": "array", "maxItems": 2, "x-kubernetes-list-type": "set",
                             "items": {"type": "string"}},
                    "ports": {"type": "array", "x-kubernetes-list-type": "map",
                              "x-kubernetes-list-map-keys": ["port"],
                              "items": {"type": "object", "required": ["port"],
                                        "properties": {"port": {"type": "integer"}}}}
                }
            }}
        });
        assert_eq!(
            lines(json!({}), schema.clone()),
            vec!["spec: Required value"]
        );
        assert_eq!(
            lines(
                json!({"spec": {"tags": ["a", "b", "a"], "ports": [{"port": 1}, {"port": 1}, {}]}}),
                schema
            ),
            vec![
                "spec.host: Required value",
                "spec.ports[1]: Duplicate value: map[string]interface {}{\"port\":1}",
                "spec.ports[2].port: Required value",
                "spec.tags: Too many: 3: must have at most 2 items",
                "spec.tags[2]: Duplicate value: \"a\"",
            ]
        );
    }
}
