//! Checks of `metadata` that hold for every kind: name (by the kind's
//! rule), generateName, labels and annotations.

use serde_json::Value;

use super::FieldError;
use super::labels::validate_labels;
use super::names::{NameRule, subdomain_errors};
use crate::apiserver::object::ObjectExt;

const ANNOTATIONS_MAX_BYTES: usize = 256 * 1024;
const QUALIFIED_NAME_FORMAT: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

/// Whether `s` is a qualified name's name part (also a non-empty label
/// value).
pub(super) fn is_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// Problems with a qualified name (`prefix/name` label or annotation key).
pub fn qualified_name_errors(key: &str) -> Vec<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    let mut errors = Vec::new();
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            errors.push("prefix part must be non-empty".into());
        } else {
            errors.extend(
                subdomain_errors(prefix)
                    .into_iter()
                    .map(|e| format!("prefix part {e}")),
            );
        }
    }
    if name.is_empty() {
        errors.push("name part must be non-empty".into());
    } else {
        if name.len() > 63 {
            errors.push("name part must be no more than 63 characters".into());
        }
        if !is_name_part(name) {
            errors.push(QUALIFIED_NAME_FORMAT.into());
        }
    }
    errors
}

/// Validates the metadata of `object` for a kind whose names follow `rule`.
/// `creating` allows `generateName` in place of `name`.
pub fn validate(object: &Value, rule: NameRule, creating: bool) -> Vec<FieldError> {
    let mut errors = Vec::new();
    match (object.name(), object.generate_name()) {
        (Some(name), _) => {
            for e in rule.errors(name, false) {
                errors.push(FieldError::invalid("metadata.name", name, e));
            }
        }
        (None, Some(prefix)) if creating => {
            for e in rule.errors(prefix, true) {
                errors.push(FieldError::invalid("metadata.generateName", prefix, e));
            }
        }
        _ => errors.push(FieldError::required(
            "metadata.name",
            "name or generateName is required",
        )),
    }
    let meta = object.metadata();
    if let Some(labels) = meta.and_then(|m| m.get("labels")) {
        errors.extend(validate_labels(labels, "metadata.labels"));
    }
    if let Some(annotations) = meta.and_then(|m| m.get("annotations")) {
        match annotations.as_object() {
            Some(annotations) => {
                let mut total = 0;
                for (key, value) in annotations {
                    for e in qualified_name_errors(&key.to_ascii_lowercase()) {
                        errors.push(FieldError::invalid("metadata.annotations", key.as_str(), e));
                    }
                    total += key.len() + value.as_str().map_or(0, str::len);
                    if !value.is_string() {
                        errors.push(FieldError::invalid(
                            format!("metadata.annotations.{key}"),
                            value.clone(),
                            "must be a string",
                        ));
                    }
                }
                if total > ANNOTATIONS_MAX_BYTES {
                    errors.push(FieldError::too_long(
                        "metadata.annotations",
                        ANNOTATIONS_MAX_BYTES,
                    ));
                }
            }
            None if annotations.is_null() => {}
            None => errors.push(FieldError::invalid(
                "metadata.annotations",
                annotations.clone(),
                "must be an object",
            )),
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_labels_annotations() {
        let ok = json!({"metadata": {"name": "web", "labels": {"app.kubernetes.io/name": "x", "e": ""}}});
        assert!(validate(&ok, NameRule::Subdomain, true).is_empty());
        let generated = json!({"metadata": {"generateName": "web-"}});
        assert!(validate(&generated, NameRule::Subdomain, true).is_empty());
        assert_eq!(
            validate(&generated, NameRule::Subdomain, false)[0].field,
            "metadata.name"
        );
        let bad =
            json!({"metadata": {"name": "Bad_Name", "labels": {"-x": "y", "k": "bad value"}}});
        let fields: Vec<_> = validate(&bad, NameRule::Subdomain, true)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            ["metadata.name", "metadata.labels", "metadata.labels"]
        );
    }
}
