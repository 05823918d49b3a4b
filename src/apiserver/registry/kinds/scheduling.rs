//! PriorityClasses: preemption by default, `system-` names reserved for
//! the two built-in classes, user values capped at one billion, and value
//! and preemption policy fixed once created.

use serde_json::Value;

use super::fields::{default_field, get, int, semantically_equal};
use crate::apiserver::object::ObjectExt;
use crate::apiserver::registry::strategy::Strategy;
use crate::apiserver::validation::FieldError;

/// The highest priority a user-defined class may have.
const HIGHEST_USER_PRIORITY: i64 = 1_000_000_000;
const SYSTEM_PREFIX: &str = "system-";
const SYSTEM_CLASSES: [(&str, i64); 2] = [
    ("system-node-critical", 2_000_001_000),
    ("system-cluster-critical", 2_000_000_000),
];

pub struct PriorityClassStrategy;

impl Strategy for PriorityClassStrategy {
    fn default(&self, class: &mut Value) {
        default_field(class, "preemptionPolicy", "PreemptLowerPriority");
    }

    fn validate(&self, class: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let name = class.name().unwrap_or_default();
        let value = int(class, "value").unwrap_or(0);
        if name.starts_with(SYSTEM_PREFIX) {
            let problem = match SYSTEM_CLASSES.iter().find(|(n, _)| *n == name) {
                None => Some(format!("{name} is not a known system priority class")),
                Some((_, expected)) if *expected != value => {
                    Some(format!("value of {name} PriorityClass must be {expected}"))
                }
                Some(_) => None,
            };
            if let Some(problem) = problem {
                errors.push(FieldError::forbidden(
                    "metadata.name",
                    format!("priority class names with '{SYSTEM_PREFIX}' prefix are reserved for system use only. error: {problem}"),
                ));
            }
        } else if value > HIGHEST_USER_PRIORITY {
            errors.push(FieldError::forbidden(
                "value",
                format!(
                    "maximum allowed value of a user defined priority is {HIGHEST_USER_PRIORITY}"
                ),
            ));
        }
        match get(class, "preemptionPolicy").as_str() {
            None | Some("PreemptLowerPriority") | Some("Never") => {}
            Some(other) => errors.push(FieldError::not_supported(
                "preemptionPolicy",
                other,
                &["Never", "PreemptLowerPriority"],
            )),
        }
        errors
    }

    fn validate_update(&self, class: &Value, old: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if int(class, "value") != int(old, "value") {
            errors.push(FieldError::forbidden(
                "value",
                "may not be changed in an update.",
            ));
        }
        if !semantically_equal(get(class, "preemptionPolicy"), get(old, "preemptionPolicy")) {
            errors.push(FieldError::immutable(
                "preemptionPolicy",
                get(class, "preemptionPolicy").clone(),
            ));
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn priority_classes() {
        let mut class = json!({"metadata": {"name": "high"}, "value": 1000});
        PriorityClassStrategy.default(&mut class);
        assert_eq!(class["preemptionPolicy"], "PreemptLowerPriority");
        assert!(PriorityClassStrategy.validate(&class).is_empty());
        let too_high = json!({"metadata": {"name": "high"}, "value": 2_000_000_000});
        assert_eq!(
            PriorityClassStrategy.validate(&too_high)[0].line(),
            "value: Forbidden: maximum allowed value of a user defined priority is 1000000000"
        );
        let reserved = json!({"metadata": {"name": "system-mine"}, "value": 1});
        assert_eq!(
            PriorityClassStrategy.validate(&reserved)[0].line(),
            "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class"
        );
        let mut changed = class.clone();
        changed["value"] = json!(5);
        assert_eq!(
            PriorityClassStrategy.validate_update(&changed, &class)[0].line(),
            "value: Forbidden: may not be changed in an update."
        );
    }
}
