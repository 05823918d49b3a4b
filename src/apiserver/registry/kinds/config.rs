//! ConfigMaps and Secrets: valid data keys, the size limit, `immutable:
//! true` freezing the data, and for Secrets the default type `Opaque`, the
//! keys each well-known type requires, an unchangeable type, and the `type`
//! field selector.

use std::collections::BTreeSet;

use serde_json::Value;

use super::fields::{child_object, default_field, get, selectable, semantically_equal, string};
use crate::apiserver::object::ObjectExt;
use crate::apiserver::registry::strategy::{FieldLookup, Strategy};
use crate::apiserver::validation::FieldError;
use crate::apiserver::validation::values::config_key_errors;

/// The most data a ConfigMap or Secret may hold (1 MiB).
const MAX_DATA_BYTES: usize = 1024 * 1024;
const SERVICE_ACCOUNT_NAME_ANNOTATION: &str = "kubernetes.io/service-account.name";

pub struct ConfigMapStrategy;

pub struct SecretStrategy;

fn keys(object: &Value, field: &str) -> Vec<String> {
    get(object, field)
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Bytes a data value takes: strings as they are, Secret values (base64 on
/// the wire) decoded.
fn value_len(value: &Value, base64: bool) -> usize {
    let text = value.as_str().unwrap_or_default();
    if base64 {
        text.len() / 4 * 3
    } else {
        text.len()
    }
}

fn validate_keys(object: &Value, field: &str, errors: &mut Vec<FieldError>) {
    for key in keys(object, field) {
        for e in config_key_errors(&key) {
            errors.push(FieldError::invalid(
                format!("{field}[{key}]"),
                key.as_str(),
                e,
            ));
        }
    }
}

fn is_immutable(object: &Value) -> bool {
    object.get("immutable").and_then(Value::as_bool) == Some(true)
}

/// Once `immutable` is true neither it nor the named data fields change.
fn validate_immutability(
    object: &Value,
    old: &Value,
    data_fields: &[&str],
    errors: &mut Vec<FieldError>,
) {
    if !is_immutable(old) {
        return;
    }
    if !is_immutable(object) {
        errors.push(FieldError::forbidden(
            "immutable",
            "field is immutable when `immutable` is set",
        ));
    }
    for field in data_fields {
        if !semantically_equal(get(object, field), get(old, field)) {
            errors.push(FieldError::forbidden(
                *field,
                "field is immutable when `immutable` is set",
            ));
        }
    }
}

impl Strategy for ConfigMapStrategy {
    fn validate(&self, config_map: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        validate_keys(config_map, "data", &mut errors);
        validate_keys(config_map, "binaryData", &mut errors);
        let binary: BTreeSet<String> = keys(config_map, "binaryData").into_iter().collect();
        for key in keys(config_map, "data") {
            if binary.contains(&key) {
                errors.push(FieldError::invalid(
                    format!("data[{key}]"),
                    key.as_str(),
                    "duplicate of key present in binaryData",
                ));
            }
        }
        let total: usize = ["data", "binaryData"]
            .iter()
            .filter_map(|f| get(config_map, f).as_object())
            .flat_map(|m| m.iter())
            .map(|(k, v)| k.len() + value_len(v, false))
            .sum();
        if total > MAX_DATA_BYTES {
            errors.push(FieldError::too_long("", MAX_DATA_BYTES));
        }
        errors
    }

    fn validate_update(&self, config_map: &Value, old: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        validate_immutability(config_map, old, &["data", "binaryData"], &mut errors);
        errors
    }
}

/// The data keys each well-known Secret type must carry.
fn required_keys(secret_type: &str) -> &'static [&'static str] {
    match secret_type {
        "kubernetes.io/tls" => &["tls.crt", "tls.key"],
        "kubernetes.io/dockerconfigjson" => &[".dockerconfigjson"],
        "kubernetes.io/dockercfg" => &[".dockercfg"],
        "kubernetes.io/ssh-auth" => &["ssh-privatekey"],
        _ => &[],
    }
}

/// `stringData` is a write-only convenience: its entries replace those of
/// `data` (base64-encoded there) and it is never stored.
fn merge_string_data(secret: &mut Value) {
    use base64::Engine;
    let Some(string_data) = secret.as_object_mut().and_then(|m| m.remove("stringData")) else {
        return;
    };
    let Some(entries) = string_data.as_object().filter(|m| !m.is_empty()) else {
        return;
    };
    if let Some(data) = child_object(secret, "data") {
        for (key, value) in entries {
            let encoded = base64::engine::general_purpose::STANDARD
                .encode(value.as_str().unwrap_or_default());
            data.insert(key.clone(), Value::String(encoded));
        }
    }
}

impl Strategy for SecretStrategy {
    fn default(&self, secret: &mut Value) {
        default_field(secret, "type", "Opaque");
        merge_string_data(secret);
    }

    fn validate(&self, secret: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        validate_keys(secret, "data", &mut errors);
        let secret_type = string(secret, "type");
        let data = keys(secret, "data");
        let string_data = keys(secret, "stringData");
        let has = |key: &str| data.iter().chain(&string_data).any(|k| k == key);
        if secret_type == "kubernetes.io/service-account-token"
            && secret
                .meta_map("annotations")
                .get(SERVICE_ACCOUNT_NAME_ANNOTATION)
                .is_none_or(String::is_empty)
        {
            errors.push(FieldError::required(
                format!("metadata.annotations[{SERVICE_ACCOUNT_NAME_ANNOTATION}]"),
                "",
            ));
        }
        if secret_type == "kubernetes.io/basic-auth" && !has("username") && !has("password") {
            errors.push(FieldError::required("data[username]", ""));
            errors.push(FieldError::required("data[password]", ""));
        }
        for key in required_keys(secret_type) {
            if !has(key) {
                errors.push(FieldError::required(format!("data[{key}]"), ""));
            }
        }
        let total: usize = get(secret, "data")
            .as_object()
            .map(|m| m.iter().map(|(k, v)| k.len() + value_len(v, true)).sum())
            .unwrap_or(0);
        if total > MAX_DATA_BYTES {
            errors.push(FieldError::too_long("data", MAX_DATA_BYTES));
        }
        errors
    }

    fn validate_update(&self, secret: &Value, old: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if string(secret, "type") != string(old, "type") {
            errors.push(FieldError::immutable("type", string(secret, "type")));
        }
        validate_immutability(secret, old, &["data"], &mut errors);
        errors
    }

    fn field_value(&self, secret: &Value, field: &str) -> FieldLookup {
        match field {
            "type" => selectable(secret, "/type"),
            _ => FieldLookup::Unsupported,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lines(errors: &[FieldError]) -> Vec<String> {
        errors.iter().map(FieldError::line).collect()
    }

    #[test]
    fn config_map_keys() {
        let cm = json!({"data": {"a.txt": "x", "bad/key": "y", "both": "z"},
                        "binaryData": {"both": "AA=="}});
        assert_eq!(
            lines(&ConfigMapStrategy.validate(&cm)),
            [
                "data[bad/key]: Invalid value: \"bad/key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
                "data[both]: Invalid value: \"both\": duplicate of key present in binaryData",
            ]
        );
    }

    #[test]
    fn immutable_config_maps_keep_their_data() {
        let old = json!({"immutable": true, "data": {"a": "1"}});
        assert!(ConfigMapStrategy.validate_update(&old, &old).is_empty());
        let new = json!({"immutable": true, "data": {"a": "2"}});
        assert_eq!(
            lines(&ConfigMapStrategy.validate_update(&new, &old)),
            ["data: Forbidden: field is immutable when `immutable` is set"]
        );
        let new = json!({"data": {"a": "1"}});
        assert_eq!(
            lines(&ConfigMapStrategy.validate_update(&new, &old)),
            ["immutable: Forbidden: field is immutable when `immutable` is set"]
        );
        let mutable = json!({"data": {"a": "1"}});
        assert!(ConfigMapStrategy.validate_update(&new, &mutable).is_empty());
    }

    #[test]
    fn secret_type_defaults_and_is_fixed() {
        let mut secret = json!({"data": {"k": "dg=="}});
        SecretStrategy.default(&mut secret);
        assert_eq!(secret["type"], "Opaque");
        assert!(SecretStrategy.validate(&secret).is_empty());
        let mut tls = secret.clone();
        tls["type"] = json!("kubernetes.io/tls");
        assert_eq!(
            lines(&SecretStrategy.validate_update(&tls, &secret)),
            ["type: Invalid value: \"kubernetes.io/tls\": field is immutable"]
        );
        assert_eq!(
            lines(&SecretStrategy.validate(&tls)),
            [
                "data[tls.crt]: Required value",
                "data[tls.key]: Required value"
            ]
        );
        assert_eq!(
            SecretStrategy.field_value(&secret, "type"),
            FieldLookup::Value("Opaque".into())
        );
        assert_eq!(
            SecretStrategy.field_value(&secret, "data"),
            FieldLookup::Unsupported
        );
    }

    #[test]
    fn string_data_is_written_into_data() {
        let mut secret =
            json!({"data": {"a": "YQ==", "b": "Yg=="}, "stringData": {"b": "B", "c": "c"}});
        SecretStrategy.default(&mut secret);
        assert_eq!(
            secret["data"],
            json!({"a": "YQ==", "b": "Qg==", "c": "Yw=="})
        );
        assert!(secret.get("stringData").is_none());
    }

    #[test]
    fn service_account_tokens_name_their_account() {
        let token =
            json!({"type": "kubernetes.io/service-account-token", "metadata": {"name": "t"}});
        assert_eq!(
            lines(&SecretStrategy.validate(&token)),
            ["metadata.annotations[kubernetes.io/service-account.name]: Required value"]
        );
        let token = json!({"type": "kubernetes.io/service-account-token",
            "metadata": {"name": "t", "annotations": {"kubernetes.io/service-account.name": "default"}}});
        assert!(SecretStrategy.validate(&token).is_empty());
    }
}
