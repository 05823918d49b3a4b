//! Label maps and `metav1.LabelSelector`s as fields of objects: their
//! validity (upstream's `ValidateLabels`, `ValidateLabelSelector`), what a
//! selector selects, and how upstream prints them inside messages (Go
//! syntax, since its messages print the Go values).

use std::collections::BTreeMap;

use serde_json::Value;

use super::FieldError;
use super::metadata::{is_name_part, qualified_name_errors};
use crate::apiserver::selector::label::{LabelSelector, Requirement};

const LABEL_VALUE_MAX: usize = 63;
const LABEL_VALUE_FORMAT: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/// Problems with `value` as a label value (empty when valid).
pub fn label_value_errors(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > LABEL_VALUE_MAX {
        errors.push(format!("must be no more than {LABEL_VALUE_MAX} characters"));
    }
    if !value.is_empty() && !is_name_part(value) {
        errors.push(LABEL_VALUE_FORMAT.into());
    }
    errors
}

/// Checks a label map found at `path` (`metadata.labels`,
/// `spec.selector.matchLabels`, …).
pub fn validate_labels(labels: &Value, path: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    match labels {
        Value::Null => {}
        Value::Object(labels) => {
            for (key, value) in labels {
                for e in qualified_name_errors(key) {
                    errors.push(FieldError::invalid(path, key.as_str(), e));
                }
                match value.as_str() {
                    Some(v) => {
                        for e in label_value_errors(v) {
                            errors.push(FieldError::invalid(path, v, e));
                        }
                    }
                    None => errors.push(FieldError::invalid(
                        format!("{path}.{key}"),
                        value.clone(),
                        "must be a string",
                    )),
                }
            }
        }
        other => errors.push(FieldError::invalid(
            path,
            other.clone(),
            "must be an object",
        )),
    }
    errors
}

/// Checks a `metav1.LabelSelector` found at `path`.
pub fn validate_label_selector(selector: &Value, path: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(match_labels) = selector.get("matchLabels") {
        errors.extend(validate_labels(
            match_labels,
            &format!("{path}.matchLabels"),
        ));
    }
    let expressions = selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (i, expression) in expressions.iter().enumerate() {
        let at = format!("{path}.matchExpressions[{i}]");
        let operator = expression
            .get("operator")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let values = expression
            .get("values")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        match operator {
            "In" | "NotIn" if values.is_empty() => errors.push(FieldError::required(
                format!("{at}.values"),
                "must be specified when `operator` is 'In' or 'NotIn'",
            )),
            "Exists" | "DoesNotExist" if !values.is_empty() => errors.push(FieldError::forbidden(
                format!("{at}.values"),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            )),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            other => errors.push(FieldError::invalid(
                format!("{at}.operator"),
                other,
                "not a valid selector operator",
            )),
        }
        let key = expression
            .get("key")
            .and_then(Value::as_str)
            .unwrap_or_default();
        for e in qualified_name_errors(key) {
            errors.push(FieldError::invalid(format!("{at}.key"), key, e));
        }
        for (j, value) in values.iter().enumerate() {
            let value = value.as_str().unwrap_or_default();
            for e in label_value_errors(value) {
                errors.push(FieldError::invalid(format!("{at}.values[{j}]"), value, e));
            }
        }
    }
    errors
}

fn strings(values: Option<&Value>) -> Vec<String> {
    values
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// What a `metav1.LabelSelector` selects, as upstream's
/// `LabelSelectorAsSelector`: an absent selector selects nothing (`None`),
/// an empty one everything.
pub fn as_selector(selector: &Value) -> Option<LabelSelector> {
    if selector.is_null() {
        return None;
    }
    let mut requirements = Vec::new();
    if let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) {
        for (key, value) in labels {
            requirements.push(Requirement::Equals(
                key.clone(),
                value.as_str().unwrap_or_default().to_owned(),
            ));
        }
    }
    let expressions = selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for expression in expressions {
        let key = expression
            .get("key")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let values = strings(expression.get("values"));
        requirements.push(match expression.get("operator").and_then(Value::as_str) {
            Some("In") => Requirement::In(key, values),
            Some("NotIn") => Requirement::NotIn(key, values),
            Some("Exists") => Requirement::Exists(key),
            Some("DoesNotExist") => Requirement::DoesNotExist(key),
            // Validation rejects anything else; select nothing.
            _ => return None,
        });
    }
    Some(LabelSelector { requirements })
}

/// A label map of a JSON object as strings.
pub fn string_map(labels: &Value) -> BTreeMap<String, String> {
    labels
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// A `map[string]string` as Go's `%#v` prints it (keys sorted).
pub fn go_string_map(map: &Value) -> String {
    match map.as_object() {
        None => "map[string]string(nil)".into(),
        Some(m) => {
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let body: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{k:?}:{:?}", v.as_str().unwrap_or_default()))
                .collect();
            format!("map[string]string{{{}}}", body.join(", "))
        }
    }
}

fn go_string_slice(values: Option<&Value>) -> String {
    match values.and_then(Value::as_array) {
        None => "[]string(nil)".into(),
        Some(a) => {
            let body: Vec<String> = a
                .iter()
                .map(|v| format!("{:?}", v.as_str().unwrap_or_default()))
                .collect();
            format!("[]string{{{}}}", body.join(", "))
        }
    }
}

/// A `*metav1.LabelSelector` as Go's `%#v` prints it in upstream messages.
pub fn go_label_selector(selector: &Value) -> String {
    if selector.is_null() {
        return "(*v1.LabelSelector)(nil)".into();
    }
    let expressions = match selector.get("matchExpressions").and_then(Value::as_array) {
        None => "[]v1.LabelSelectorRequirement(nil)".to_owned(),
        Some(list) => {
            let body: Vec<String> = list
                .iter()
                .map(|e| {
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{:?}, Operator:{:?}, Values:{}}}",
                        e.get("key").and_then(Value::as_str).unwrap_or_default(),
                        e.get("operator")
                            .and_then(Value::as_str)
                            .unwrap_or_default(),
                        go_string_slice(e.get("values"))
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", body.join(", "))
        }
    };
    format!(
        "v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{expressions}}}",
        go_string_map(selector.get("matchLabels").unwrap_or(&Value::Null))
    )
}

/// Whether a `metav1.LabelSelector` has no requirements at all.
pub fn selector_is_empty(selector: &Value) -> bool {
    let none = |key: &str| {
        selector.get(key).is_none_or(|v| {
            v.is_null()
                || v.as_object().is_some_and(|m| m.is_empty())
                || v.as_array().is_some_and(|a| a.is_empty())
        })
    };
    none("matchLabels") && none("matchExpressions")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_values() {
        assert!(label_value_errors("").is_empty());
        assert!(label_value_errors("web_1.x").is_empty());
        assert_eq!(
            label_value_errors("-x"),
            vec![LABEL_VALUE_FORMAT.to_string()]
        );
        assert_eq!(
            label_value_errors(&"a".repeat(64)),
            vec!["must be no more than 63 characters".to_string()]
        );
    }

    #[test]
    fn selectors_are_checked_like_upstream() {
        let bad = json!({"matchExpressions": [
            {"key": "a", "operator": "In"},
            {"key": "b", "operator": "Exists", "values": ["x"]},
            {"key": "c", "operator": "Near", "values": ["x"]},
        ]});
        let lines: Vec<String> = validate_label_selector(&bad, "spec.selector")
            .iter()
            .map(FieldError::line)
            .collect();
        assert_eq!(
            lines,
            [
                "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
                "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                "spec.selector.matchExpressions[2].operator: Invalid value: \"Near\": not a valid selector operator",
            ]
        );
        let errors = validate_label_selector(&json!({"matchLabels": {"app": "-"}}), "s");
        assert_eq!(errors[0].field, "s.matchLabels");
    }

    #[test]
    fn selectors_select() {
        let labels = BTreeMap::from([("app".to_string(), "web".to_string())]);
        let selector = json!({"matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]});
        assert!(as_selector(&selector).unwrap().matches(&labels));
        assert!(
            !as_selector(&json!({"matchLabels": {"app": "db"}}))
                .unwrap()
                .matches(&labels)
        );
        assert!(as_selector(&Value::Null).is_none());
        assert!(as_selector(&json!({})).unwrap().matches(&labels));
    }

    #[test]
    fn printed_as_go_prints_them() {
        assert_eq!(
            go_string_map(&json!({"b": "2", "a": "1"})),
            r#"map[string]string{"a":"1", "b":"2"}"#
        );
        assert_eq!(
            go_label_selector(&json!({"matchLabels": {"app": "web"}})),
            r#"v1.LabelSelector{MatchLabels:map[string]string{"app":"web"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}"#
        );
        assert!(selector_is_empty(&json!({"matchLabels": {}})));
        assert!(!selector_is_empty(&json!({"matchLabels": {"a": "b"}})));
    }
}
