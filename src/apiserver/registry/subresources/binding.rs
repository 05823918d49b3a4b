//! `pods/binding` (and the legacy `bindings` resource): assigns a pod to a
//! node, as the scheduler does. The write goes straight to storage (a pod
//! update may not change `spec.nodeName`): the pod must exist, match the
//! Binding's uid and resourceVersion preconditions if given, not be
//! terminating, not be bound already and have no scheduling gates left.
//! The node name is set, the Binding's annotations are copied onto the pod
//! and its `PodScheduled` condition becomes `True`.

use serde_json::{Value, json};

use super::conditions::update_pod_condition;
use crate::apiserver::object::ObjectExt;
use crate::apiserver::registry::store::ResourceStore;
use crate::apiserver::status::ApiError;
use crate::apiserver::validation::FieldError;

/// Upstream's binding validation: a target node by name.
fn validate(binding: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let kind = binding
        .pointer("/target/kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !kind.is_empty() && kind != "Node" {
        errors.push(FieldError::not_supported(
            "target.kind",
            kind,
            &["Node", "<empty>"],
        ));
    }
    let node = binding
        .pointer("/target/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if node.is_empty() {
        errors.push(FieldError::required("target.name", ""));
    }
    errors
}

/// A conflict upstream reports against `pods/binding`.
fn conflict(name: &str, why: String) -> ApiError {
    ApiError::conflict("", "pods/binding", name, &why)
}

/// Binds pod `name` in `namespace` as `binding` (a v1 Binding) says.
pub async fn bind(
    pods: &ResourceStore,
    namespace: &str,
    name: &str,
    binding: &Value,
    dry_run: bool,
) -> Result<(), ApiError> {
    let errors = validate(binding);
    if !errors.is_empty() {
        return Err(ApiError::invalid(
            "",
            "Binding",
            name,
            errors.iter().map(FieldError::to_cause).collect(),
        ));
    }
    let node = binding
        .pointer("/target/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let annotations = binding
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let precondition_uid = binding.uid().map(str::to_owned);
    let precondition_version = binding.resource_version().map(str::to_owned);
    pods.storage_update(Some(namespace), name, dry_run, |current| {
        let precondition_failed = |what: &str, wanted: &str, actual: &str| {
            ApiError::conflict(
                "",
                "pods",
                name,
                &format!(
                    "Precondition failed: {what} in precondition: {wanted}, {what} in object meta: {actual}"
                ),
            )
        };
        if let Some(uid) = &precondition_uid
            && current.uid() != Some(uid)
        {
            return Err(precondition_failed(
                "UID",
                uid,
                current.uid().unwrap_or_default(),
            ));
        }
        if let Some(version) = &precondition_version
            && current.resource_version() != Some(version)
        {
            return Err(precondition_failed(
                "ResourceVersion",
                version,
                current.resource_version().unwrap_or_default(),
            ));
        }
        if current.deletion_timestamp().is_some() {
            return Err(conflict(
                name,
                format!("pod {name} is being deleted, cannot be assigned to a host"),
            ));
        }
        let assigned = current
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !assigned.is_empty() {
            return Err(conflict(
                name,
                format!("pod {name} is already assigned to node {assigned:?}"),
            ));
        }
        let gated = current
            .pointer("/spec/schedulingGates")
            .and_then(Value::as_array)
            .is_some_and(|gates| !gates.is_empty());
        if gated {
            return Err(conflict(
                name,
                format!("pod {name} has non-empty .spec.schedulingGates"),
            ));
        }
        let mut pod = current.clone();
        pod["spec"]["nodeName"] = Value::String(node.clone());
        let meta = pod.metadata_mut();
        let merged = meta
            .entry("annotations")
            .or_insert_with(|| json!({}));
        if !merged.is_object() {
            *merged = json!({});
        }
        for (key, value) in &annotations {
            merged[key] = value.clone();
        }
        if merged.as_object().is_some_and(|m| m.is_empty()) {
            meta.remove("annotations");
        }
        update_pod_condition(
            &mut pod,
            json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null}),
        );
        Ok(pod)
    })
    .await
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binding_names_a_node() {
        assert!(validate(&json!({"target": {"name": "n1"}})).is_empty());
        assert!(validate(&json!({"target": {"kind": "Node", "name": "n1"}})).is_empty());
        let lines: Vec<String> = validate(&json!({"target": {"kind": "Pod"}}))
            .iter()
            .map(FieldError::line)
            .collect();
        assert_eq!(
            lines,
            [
                "target.kind: Unsupported value: \"Pod\": supported values: \"Node\", \"<empty>\"",
                "target.name: Required value",
            ]
        );
    }
}
