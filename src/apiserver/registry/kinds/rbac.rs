//! RBAC (Role, ClusterRole, RoleBinding, ClusterRoleBinding): names are
//! path segments (`system:controller:…`), rules must say what they allow,
//! bindings must point at a role and name their subjects, and a binding's
//! `roleRef` never changes.

use serde_json::Value;

use super::fields::{elements, get, string};
use crate::apiserver::registry::strategy::Strategy;
use crate::apiserver::validation::FieldError;
use crate::apiserver::validation::names::NameRule;

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// Roles (`namespaced`) and ClusterRoles.
pub struct RoleStrategy {
    pub namespaced: bool,
}

/// RoleBindings (`namespaced`) and ClusterRoleBindings.
pub struct BindingStrategy {
    pub namespaced: bool,
}

fn go_strings(values: &[Value]) -> String {
    let body: Vec<String> = values
        .iter()
        .map(|v| format!("{:?}", v.as_str().unwrap_or_default()))
        .collect();
    format!("[]string{{{}}}", body.join(", "))
}

fn validate_rule(rule: &Value, at: &str, namespaced: bool, errors: &mut Vec<FieldError>) {
    if elements(rule, "verbs").is_empty() {
        errors.push(FieldError::required(
            format!("{at}.verbs"),
            "verbs must contain at least one value",
        ));
    }
    let urls = elements(rule, "nonResourceURLs");
    if !urls.is_empty() {
        if namespaced {
            errors.push(FieldError::invalid_printed(
                format!("{at}.nonResourceURLs"),
                go_strings(urls),
                "namespaced rules cannot apply to non-resource URLs",
            ));
        }
        if ["apiGroups", "resources", "resourceNames"]
            .iter()
            .any(|f| !elements(rule, f).is_empty())
        {
            errors.push(FieldError::invalid_printed(
                format!("{at}.nonResourceURLs"),
                go_strings(urls),
                "rules cannot apply to both regular resources and non-resource URLs",
            ));
        }
        return;
    }
    if elements(rule, "apiGroups").is_empty() {
        errors.push(FieldError::required(
            format!("{at}.apiGroups"),
            "resource rules must supply at least one api group",
        ));
    }
    if elements(rule, "resources").is_empty() {
        errors.push(FieldError::required(
            format!("{at}.resources"),
            "resource rules must supply at least one resource",
        ));
    }
}

impl Strategy for RoleStrategy {
    fn name_rule(&self) -> NameRule {
        NameRule::PathSegment
    }

    fn validate(&self, role: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        // Aggregated ClusterRoles get their rules from the controller.
        if !self.namespaced && !get(role, "aggregationRule").is_null() {
            return errors;
        }
        for (i, rule) in elements(role, "rules").iter().enumerate() {
            validate_rule(rule, &format!("rules[{i}]"), self.namespaced, &mut errors);
        }
        errors
    }
}

fn go_role_ref(role_ref: &Value) -> String {
    format!(
        "rbac.RoleRef{{APIGroup:{:?}, Kind:{:?}, Name:{:?}}}",
        string(role_ref, "apiGroup"),
        string(role_ref, "kind"),
        string(role_ref, "name")
    )
}

impl Strategy for BindingStrategy {
    fn name_rule(&self) -> NameRule {
        NameRule::PathSegment
    }

    fn validate(&self, binding: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let role_ref = get(binding, "roleRef");
        let group = string(role_ref, "apiGroup");
        if group != RBAC_GROUP {
            errors.push(FieldError::not_supported(
                "roleRef.apiGroup",
                group,
                &[RBAC_GROUP],
            ));
        }
        let kind = string(role_ref, "kind");
        let kinds: &[&str] = if self.namespaced {
            &["Role", "ClusterRole"]
        } else {
            &["ClusterRole"]
        };
        if !kinds.contains(&kind) {
            errors.push(FieldError::not_supported("roleRef.kind", kind, kinds));
        }
        let name = string(role_ref, "name");
        if name.is_empty() {
            errors.push(FieldError::required("roleRef.name", ""));
        } else {
            for e in NameRule::PathSegment.errors(name, false) {
                errors.push(FieldError::invalid("roleRef.name", name, e));
            }
        }
        for (i, subject) in elements(binding, "subjects").iter().enumerate() {
            let at = format!("subjects[{i}]");
            if string(subject, "name").is_empty() {
                errors.push(FieldError::required(format!("{at}.name"), ""));
            }
            let api_group = string(subject, "apiGroup");
            match string(subject, "kind") {
                "ServiceAccount" => {
                    if !api_group.is_empty() {
                        errors.push(FieldError::not_supported(
                            format!("{at}.apiGroup"),
                            api_group,
                            &[""],
                        ));
                    }
                    if !self.namespaced && string(subject, "namespace").is_empty() {
                        errors.push(FieldError::required(format!("{at}.namespace"), ""));
                    }
                }
                "User" | "Group" => {
                    if api_group != RBAC_GROUP {
                        errors.push(FieldError::not_supported(
                            format!("{at}.apiGroup"),
                            api_group,
                            &[RBAC_GROUP],
                        ));
                    }
                }
                other => errors.push(FieldError::not_supported(
                    format!("{at}.kind"),
                    other,
                    &["ServiceAccount", "User", "Group"],
                )),
            }
        }
        errors
    }

    fn validate_update(&self, binding: &Value, old: &Value) -> Vec<FieldError> {
        let role_ref = get(binding, "roleRef");
        if role_ref != get(old, "roleRef") {
            return vec![FieldError::invalid_printed(
                "roleRef",
                go_role_ref(role_ref),
                "cannot change roleRef",
            )];
        }
        Vec::new()
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
    fn names_are_path_segments() {
        assert_eq!(
            RoleStrategy { namespaced: false }.name_rule(),
            NameRule::PathSegment
        );
        assert_eq!(
            BindingStrategy { namespaced: true }.name_rule(),
            NameRule::PathSegment
        );
    }

    #[test]
    fn rules_say_what_they_allow() {
        let role = json!({"rules": [
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
            {"resources": ["pods"]},
            {"nonResourceURLs": ["/healthz"], "verbs": ["get"]},
        ]});
        assert_eq!(
            lines(&RoleStrategy { namespaced: true }.validate(&role)),
            [
                "rules[1].verbs: Required value: verbs must contain at least one value",
                "rules[1].apiGroups: Required value: resource rules must supply at least one api group",
                "rules[2].nonResourceURLs: Invalid value: []string{\"/healthz\"}: namespaced rules cannot apply to non-resource URLs",
            ]
        );
        let cluster_role = json!({"rules": [{"nonResourceURLs": ["/healthz"], "verbs": ["get"]}]});
        assert!(
            RoleStrategy { namespaced: false }
                .validate(&cluster_role)
                .is_empty()
        );
    }

    #[test]
    fn bindings() {
        let binding = json!({"roleRef": {"apiGroup": RBAC_GROUP, "kind": "Role", "name": "r"},
            "subjects": [{"kind": "ServiceAccount", "name": "default"},
                         {"kind": "User", "name": "alice", "apiGroup": RBAC_GROUP},
                         {"kind": "Robot", "name": "r2"}]});
        let strategy = BindingStrategy { namespaced: true };
        assert_eq!(
            lines(&strategy.validate(&binding)),
            [
                "subjects[2].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\""
            ]
        );
        let cluster = BindingStrategy { namespaced: false };
        assert_eq!(
            lines(&cluster.validate(&binding))[..2],
            [
                "roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\""
                    .to_string(),
                "subjects[0].namespace: Required value".to_string(),
            ]
        );
        let mut changed = binding.clone();
        changed["roleRef"]["name"] = json!("other");
        assert_eq!(
            lines(&strategy.validate_update(&changed, &binding)),
            [
                "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"Role\", Name:\"other\"}: cannot change roleRef"
            ]
        );
    }
}
