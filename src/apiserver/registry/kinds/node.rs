//! Nodes (cluster-scoped): taints checked as upstream checks them, pod
//! CIDRs that may only be set once, and the `spec.unschedulable` field
//! selector.

use std::collections::BTreeSet;

use serde_json::Value;

use super::fields::{elements, get, selectable_bool, string};
use crate::apiserver::registry::strategy::{FieldLookup, Strategy};
use crate::apiserver::validation::FieldError;
use crate::apiserver::validation::labels::label_value_errors;
use crate::apiserver::validation::metadata::qualified_name_errors;

pub struct NodeStrategy;

fn validate_taints(spec: &Value, errors: &mut Vec<FieldError>) {
    let mut seen = BTreeSet::new();
    for (i, taint) in elements(spec, "taints").iter().enumerate() {
        let at = format!("spec.taints[{i}]");
        let key = string(taint, "key");
        for e in qualified_name_errors(key) {
            errors.push(FieldError::invalid(format!("{at}.key"), key, e));
        }
        let value = string(taint, "value");
        for e in label_value_errors(value) {
            errors.push(FieldError::invalid(format!("{at}.value"), value, e));
        }
        let effect = string(taint, "effect");
        match effect {
            "NoSchedule" | "PreferNoSchedule" | "NoExecute" => {}
            "" => errors.push(FieldError::required(format!("{at}.effect"), "")),
            other => errors.push(FieldError::not_supported(
                format!("{at}.effect"),
                other,
                &["NoSchedule", "PreferNoSchedule", "NoExecute"],
            )),
        }
        if !seen.insert((key, effect)) {
            errors.push(FieldError::duplicate(at, format!("{key}:{effect}")));
        }
    }
}

impl Strategy for NodeStrategy {
    fn keeps_status_on_create(&self) -> bool {
        true
    }

    fn validate(&self, node: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        validate_taints(get(node, "spec"), &mut errors);
        errors
    }

    fn validate_update(&self, node: &Value, old: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let old_cidrs = elements(get(old, "spec"), "podCIDRs");
        let new_cidrs = elements(get(node, "spec"), "podCIDRs");
        if !old_cidrs.is_empty() && old_cidrs != new_cidrs {
            errors.push(FieldError::forbidden(
                "spec.podCIDRs",
                "node updates may not change podCIDR except from \"\" to valid",
            ));
        }
        errors
    }

    fn field_value(&self, node: &Value, field: &str) -> FieldLookup {
        match field {
            "spec.unschedulable" => selectable_bool(node, "/spec/unschedulable"),
            _ => FieldLookup::Unsupported,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unschedulable_selector() {
        assert_eq!(
            NodeStrategy.field_value(
                &json!({"spec": {"unschedulable": true}}),
                "spec.unschedulable"
            ),
            FieldLookup::Value("true".into())
        );
        assert_eq!(
            NodeStrategy.field_value(&json!({}), "spec.unschedulable"),
            FieldLookup::Value("false".into())
        );
        assert_eq!(
            NodeStrategy.field_value(&json!({}), "spec.podCIDR"),
            FieldLookup::Unsupported
        );
    }

    #[test]
    fn taints_and_pod_cidrs() {
        let node = json!({"spec": {"taints": [{"key": "k", "effect": "Sometimes"}]}});
        assert_eq!(
            NodeStrategy.validate(&node)[0].line(),
            "spec.taints[0].effect: Unsupported value: \"Sometimes\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\""
        );
        let old = json!({"spec": {"podCIDRs": ["10.244.0.0/24"]}});
        let new = json!({"spec": {"podCIDRs": ["10.244.1.0/24"]}});
        assert_eq!(NodeStrategy.validate_update(&new, &old).len(), 1);
        assert!(
            NodeStrategy
                .validate_update(&old, &json!({"spec": {}}))
                .is_empty()
        );
    }
}
