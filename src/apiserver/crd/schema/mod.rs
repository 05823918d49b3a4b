//! A CustomResourceDefinition version's `openAPIV3Schema`, read once into
//! the structural form every custom-resource operation walks: pruning
//! ([`prune`]), defaulting ([`default`]), validation with upstream's
//! messages ([`validate`]).
//!
//! The schema is kept as the CRD wrote it; value-validation keywords under
//! `allOf`/`anyOf`/`oneOf`/`not` only validate (as upstream: they may not
//! declare structure).

pub mod default;
pub mod prune;
pub mod validate;

use std::collections::BTreeMap;

use regex::Regex;
use serde_json::Value;

/// One `x-kubernetes-validations` rule, as written.
#[derive(Clone, Debug)]
pub struct RuleSpec {
    pub rule: String,
    pub message: Option<String>,
    pub message_expression: Option<String>,
    pub reason: Option<String>,
    pub field_path: Option<String>,
    pub optional_old_self: bool,
}

/// A node of a structural schema.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    /// `object`, `array`, `string`, `integer`, `number`, `boolean`, or
    /// none (int-or-string, preserved unknown fields).
    pub type_: Option<String>,
    pub format: Option<String>,
    pub description: Option<String>,
    pub nullable: bool,
    pub default: Option<Value>,
    pub enum_values: Option<Vec<Value>>,
    pub maximum: Option<f64>,
    pub exclusive_maximum: bool,
    pub minimum: Option<f64>,
    pub exclusive_minimum: bool,
    pub multiple_of: Option<f64>,
    pub max_length: Option<u64>,
    pub min_length: Option<u64>,
    pub pattern: Option<(String, Regex)>,
    pub max_items: Option<u64>,
    pub min_items: Option<u64>,
    pub max_properties: Option<u64>,
    pub min_properties: Option<u64>,
    pub required: Vec<String>,
    pub properties: BTreeMap<String, Schema>,
    pub items: Option<Box<Schema>>,
    /// `additionalProperties` as a schema; `true` is an empty schema that
    /// preserves what it holds.
    pub additional_properties: Option<Box<Schema>>,
    pub preserve_unknown_fields: bool,
    pub embedded_resource: bool,
    pub int_or_string: bool,
    pub list_type: Option<String>,
    pub list_map_keys: Vec<String>,
    pub map_type: Option<String>,
    pub validations: Vec<RuleSpec>,
    pub all_of: Vec<Schema>,
    pub any_of: Vec<Schema>,
    pub one_of: Vec<Schema>,
    pub not: Option<Box<Schema>>,
    /// The schema as the CRD wrote it (for the OpenAPI documents).
    pub raw: Value,
}

/// Why a schema could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaError {
    /// Path under `openAPIV3Schema` (`properties[spec].pattern`).
    pub path: String,
    pub message: String,
}

fn number(value: &Value, key: &str) -> Option<f64> {
    value.get(key).and_then(Value::as_f64)
}

fn count(value: &Value, key: &str) -> Option<u64> {
    value.get(key).and_then(Value::as_u64)
}

fn flag(value: &Value, key: &str) -> bool {
    value.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn strings(value: &Value, key: &str) -> Vec<String> {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

impl Schema {
    /// Reads a schema node (and everything below it).
    pub fn parse(raw: &Value) -> Result<Schema, SchemaError> {
        Self::parse_at(raw, "")
    }

    fn parse_at(raw: &Value, path: &str) -> Result<Schema, SchemaError> {
        let child = |name: &str| {
            if path.is_empty() {
                name.to_owned()
            } else {
                format!("{path}.{name}")
            }
        };
        let mut schema = Schema {
            type_: text(raw, "type").filter(|t| !t.is_empty()),
            format: text(raw, "format").filter(|f| !f.is_empty()),
            description: text(raw, "description"),
            nullable: flag(raw, "nullable"),
            default: raw.get("default").cloned(),
            enum_values: raw.get("enum").and_then(Value::as_array).cloned(),
            maximum: number(raw, "maximum"),
            exclusive_maximum: flag(raw, "exclusiveMaximum"),
            minimum: number(raw, "minimum"),
            exclusive_minimum: flag(raw, "exclusiveMinimum"),
            multiple_of: number(raw, "multipleOf"),
            max_length: count(raw, "maxLength"),
            min_length: count(raw, "minLength"),
            pattern: None,
            max_items: count(raw, "maxItems"),
            min_items: count(raw, "minItems"),
            max_properties: count(raw, "maxProperties"),
            min_properties: count(raw, "minProperties"),
            required: strings(raw, "required"),
            properties: BTreeMap::new(),
            items: None,
            additional_properties: None,
            preserve_unknown_fields: flag(raw, "x-kubernetes-preserve-unknown-fields"),
            embedded_resource: flag(raw, "x-kubernetes-embedded-resource"),
            int_or_string: flag(raw, "x-kubernetes-int-or-string"),
            list_type: text(raw, "x-kubernetes-list-type"),
            list_map_keys: strings(raw, "x-kubernetes-list-map-keys"),
            map_type: text(raw, "x-kubernetes-map-type"),
            validations: Vec::new(),
            all_of: Vec::new(),
            any_of: Vec::new(),
            one_of: Vec::new(),
            not: None,
            raw: raw.clone(),
        };
        if let Some(pattern) = text(raw, "pattern") {
            let compiled = Regex::new(&pattern).map_err(|e| SchemaError {
                path: child("pattern"),
                message: format!("must be a valid regular expression, but isn't: {e}"),
            })?;
            schema.pattern = Some((pattern, compiled));
        }
        if let Some(properties) = raw.get("properties").and_then(Value::as_object) {
            for (name, value) in properties {
                let parsed = Self::parse_at(value, &child(&format!("properties[{name}]")))?;
                schema.properties.insert(name.clone(), parsed);
            }
        }
        if let Some(items) = raw.get("items") {
            schema.items = Some(Box::new(Self::parse_at(items, &child("items"))?));
        }
        match raw.get("additionalProperties") {
            Some(Value::Bool(true)) => {
                schema.additional_properties = Some(Box::new(Schema {
                    preserve_unknown_fields: true,
                    ..Schema::default()
                }));
            }
            Some(value @ Value::Object(_)) => {
                schema.additional_properties = Some(Box::new(Self::parse_at(
                    value,
                    &child("additionalProperties"),
                )?));
            }
            _ => {}
        }
        for (key, list) in [
            ("allOf", &mut schema.all_of),
            ("anyOf", &mut schema.any_of),
            ("oneOf", &mut schema.one_of),
        ] {
            if let Some(array) = raw.get(key).and_then(Value::as_array) {
                for (i, value) in array.iter().enumerate() {
                    list.push(Self::parse_at(value, &child(&format!("{key}[{i}]")))?);
                }
            }
        }
        if let Some(not) = raw.get("not") {
            schema.not = Some(Box::new(Self::parse_at(not, &child("not"))?));
        }
        if let Some(rules) = raw
            .get("x-kubernetes-validations")
            .and_then(Value::as_array)
        {
            for rule in rules {
                schema.validations.push(RuleSpec {
                    rule: text(rule, "rule").unwrap_or_default(),
                    message: text(rule, "message").filter(|m| !m.is_empty()),
                    message_expression: text(rule, "messageExpression").filter(|m| !m.is_empty()),
                    reason: text(rule, "reason").filter(|r| !r.is_empty()),
                    field_path: text(rule, "fieldPath").filter(|p| !p.is_empty()),
                    optional_old_self: flag(rule, "optionalOldSelf"),
                });
            }
        }
        Ok(schema)
    }

    /// The schema of property `name` of an object node: a declared
    /// property, else `additionalProperties`.
    pub fn property(&self, name: &str) -> Option<&Schema> {
        self.properties
            .get(name)
            .or(self.additional_properties.as_deref())
    }

    /// Whether this node keeps fields it does not declare.
    pub fn keeps_unknown(&self) -> bool {
        self.preserve_unknown_fields
    }

    /// Whether any node at or below this one has CEL rules.
    pub fn has_rules(&self) -> bool {
        !self.validations.is_empty()
            || self.properties.values().any(Schema::has_rules)
            || self.items.as_deref().is_some_and(Schema::has_rules)
            || self
                .additional_properties
                .as_deref()
                .is_some_and(Schema::has_rules)
    }
}

/// Appends `.name` to a field path (`spec` + `replicas`).
pub fn child_path(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// Appends `[i]` to a field path.
pub fn index_path(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

/// Appends a map key to a field path as upstream's `field.Path.Key`.
pub fn key_path(path: &str, key: &str) -> String {
    format!("{path}[{key}]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_structure_and_extensions() {
        let schema = Schema::parse(&json!({
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "required": ["size"],
                    "properties": {
                        "size": {"type": "integer", "minimum": 1, "default": 3},
                        "name": {"type": "string", "pattern": "^[a-z]+$"},
                        "ports": {
                            "type": "array",
                            "x-kubernetes-list-type": "map",
                            "x-kubernetes-list-map-keys": ["port"],
                            "items": {"type": "object", "properties": {"port": {"type": "integer"}}}
                        },
                        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                        "anything": {"x-kubernetes-preserve-unknown-fields": true}
                    },
                    "x-kubernetes-validations": [{"rule": "self.size < 10", "message": "too big"}]
                }
            }
        }))
        .unwrap();
        let spec = &schema.properties["spec"];
        assert_eq!(spec.required, vec!["size"]);
        assert_eq!(spec.properties["size"].minimum, Some(1.0));
        assert_eq!(spec.properties["size"].default, Some(json!(3)));
        assert!(spec.properties["name"].pattern.is_some());
        assert_eq!(spec.properties["ports"].list_map_keys, vec!["port"]);
        assert!(
            spec.property("labels")
                .unwrap()
                .additional_properties
                .is_some()
        );
        assert!(spec.properties["anything"].keeps_unknown());
        assert_eq!(spec.validations[0].message.as_deref(), Some("too big"));
        assert!(schema.has_rules());
    }

    #[test]
    fn a_bad_pattern_is_an_error_with_its_path() {
        let error = Schema::parse(&json!({
            "type": "object",
            "properties": {"spec": {"type": "string", "pattern": "(["}}
        }))
        .unwrap_err();
        assert_eq!(error.path, "properties[spec].pattern");
    }
}
