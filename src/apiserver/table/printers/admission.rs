//! `admissionregistration.k8s.io` kinds: webhook configurations and
//! (validating and mutating) admission policies and their bindings.

use serde_json::{Value, json};

use super::format::{UNSET, label_selector_dump, len, opt_text, text};
use super::{Column, Columns, age_cell, age_column, name_cell, name_column};

pub(super) fn for_kind(group: &str, kind: &str) -> Option<Columns> {
    if group != "admissionregistration.k8s.io" {
        return None;
    }
    let printer = match kind {
        "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration" => {
            Columns::new(webhook_columns, webhook_cells)
        }
        "ValidatingAdmissionPolicy" => Columns::new(validating_policy_columns, |p| {
            policy_cells(p, "/spec/validations")
        }),
        "MutatingAdmissionPolicy" => Columns::new(mutating_policy_columns, |p| {
            policy_cells(p, "/spec/mutations")
        }),
        "ValidatingAdmissionPolicyBinding" | "MutatingAdmissionPolicyBinding" => {
            Columns::new(binding_columns, binding_cells)
        }
        _ => return None,
    };
    Some(printer)
}

fn webhook_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new(
            "Webhooks",
            "integer",
            "Webhooks indicates the number of webhooks registered in this configuration",
        ),
        age_column(),
    ]
}

fn webhook_cells(configuration: &Value) -> Vec<Value> {
    vec![
        name_cell(configuration),
        json!(len(configuration, "/webhooks")),
        age_cell(configuration),
    ]
}

const PARAM_KIND_DESCRIPTION: &str =
    "ParamKind specifies the kind of resources used to parameterize this policy";

fn validating_policy_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new(
            "Validations",
            "integer",
            "Validations indicates the number of validation rules defined in this configuration",
        ),
        Column::new("ParamKind", "string", PARAM_KIND_DESCRIPTION),
        age_column(),
    ]
}

fn mutating_policy_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new(
            "Mutations",
            "integer",
            "Mutation indicates the number of mutations rules defined in this configuration",
        ),
        Column::new("ParamKind", "string", PARAM_KIND_DESCRIPTION),
        age_column(),
    ]
}

/// The rule count at `rules`, and `apiVersion/Kind` of the parameters.
fn policy_cells(policy: &Value, rules: &str) -> Vec<Value> {
    let param_kind = match policy.pointer("/spec/paramKind").filter(|p| p.is_object()) {
        Some(kind) => format!("{}/{}", text(kind, "/apiVersion"), text(kind, "/kind")),
        None => UNSET.into(),
    };
    vec![
        name_cell(policy),
        json!(len(policy, rules)),
        json!(param_kind),
        age_cell(policy),
    ]
}

fn binding_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new(
            "PolicyName",
            "string",
            "PolicyName indicates the policy definition which the policy binding binded to",
        ),
        Column::new(
            "ParamRef",
            "string",
            "ParamRef indicates the param resource which sets the configration param",
        ),
        age_column(),
    ]
}

/// The parameters as `namespace/name`, `*/name` when no namespace is given
/// (it may be cluster-scoped), or the selector as Go dumps it.
fn binding_cells(binding: &Value) -> Vec<Value> {
    let param = match binding.pointer("/spec/paramRef").filter(|p| p.is_object()) {
        None => UNSET.into(),
        Some(reference) => match (
            text(reference, "/name"),
            text(reference, "/namespace"),
            reference.pointer("/selector").filter(|s| s.is_object()),
        ) {
            ("", _, Some(selector)) => label_selector_dump(selector),
            ("", _, None) => UNSET.into(),
            (name, "", _) => format!("*/{name}"),
            (name, namespace, _) => format!("{namespace}/{name}"),
        },
    };
    vec![
        name_cell(binding),
        json!(opt_text(binding, "/spec/policyName").unwrap_or_default()),
        json!(param),
        age_cell(binding),
    ]
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{ago, cells, column_names};

    const GROUP: &str = "admissionregistration.k8s.io";

    #[test]
    fn webhook_configurations() {
        let configuration = json!({
            "metadata": {"name": "cert-manager-webhook", "creationTimestamp": ago(3 * 3600)},
            "webhooks": [{"name": "a.example.com"}, {"name": "b.example.com"}],
        });
        for kind in [
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ] {
            assert_eq!(column_names(GROUP, kind), ["Name", "Webhooks", "Age"]);
            assert_eq!(
                cells(GROUP, kind, &configuration),
                vec![json!("cert-manager-webhook"), json!(2), json!("3h")]
            );
        }
    }

    #[test]
    fn admission_policies() {
        let policy = json!({
            "metadata": {"name": "replicas-limit", "creationTimestamp": ago(3 * 3600)},
            "spec": {"paramKind": {"apiVersion": "rules.example.com/v1", "kind": "ReplicaLimit"},
                     "validations": [{"expression": "true"}, {"expression": "false"}]},
        });
        assert_eq!(
            column_names(GROUP, "ValidatingAdmissionPolicy"),
            ["Name", "Validations", "ParamKind", "Age"]
        );
        assert_eq!(
            cells(GROUP, "ValidatingAdmissionPolicy", &policy),
            vec![
                json!("replicas-limit"),
                json!(2),
                json!("rules.example.com/v1/ReplicaLimit"),
                json!("3h")
            ]
        );
        let mutating = json!({"metadata": {"name": "m"}, "spec": {"mutations": [{}]}});
        assert_eq!(
            cells(GROUP, "MutatingAdmissionPolicy", &mutating)[1..3],
            [json!(1), json!("<unset>")]
        );
        assert_eq!(
            column_names(GROUP, "MutatingAdmissionPolicy")[1],
            "Mutations"
        );
    }

    #[test]
    fn admission_policy_bindings() {
        let binding = |param: serde_json::Value| {
            json!({"metadata": {"name": "b", "creationTimestamp": ago(3 * 3600)},
                   "spec": {"policyName": "replicas-limit", "paramRef": param}})
        };
        let param =
            |b: &serde_json::Value| cells(GROUP, "ValidatingAdmissionPolicyBinding", b)[2].clone();
        assert_eq!(
            cells(
                GROUP,
                "ValidatingAdmissionPolicyBinding",
                &binding(json!({"name": "limits", "namespace": "prod"}))
            ),
            vec![
                json!("b"),
                json!("replicas-limit"),
                json!("prod/limits"),
                json!("3h")
            ]
        );
        assert_eq!(
            param(&binding(json!({"name": "limits"}))),
            json!("*/limits")
        );
        assert_eq!(
            param(&binding(
                json!({"selector": {"matchLabels": {"env": "prod"}}})
            )),
            json!(
                "&LabelSelector{MatchLabels:map[string]string{env: prod,},MatchExpressions:[]LabelSelectorRequirement{},}"
            )
        );
        assert_eq!(param(&binding(json!(null))), json!("<unset>"));
        assert_eq!(
            cells(
                GROUP,
                "MutatingAdmissionPolicyBinding",
                &binding(json!({"name": "x", "namespace": "y"}))
            )[2],
            json!("y/x")
        );
    }
}
