//! `scale`: a replicated object seen as an `autoscaling/v1 Scale` — its
//! `spec.replicas`, observed `status.replicas` and label selector (as the
//! string an autoscaler lists pods with) — and a Scale written back as the
//! object's new `spec.replicas`.

use serde_json::{Value, json};

use crate::apiserver::object::ObjectExt;
use crate::apiserver::registry::resource::ResourceDescriptor;
use crate::apiserver::selector::label::{LabelSelector, Requirement};
use crate::apiserver::status::ApiError;
use crate::apiserver::validation::labels::as_selector;
use crate::apiserver::validation::names::NameRule;
use crate::apiserver::validation::{FieldError, metadata};

/// The group of the Scale kind.
const GROUP: &str = "autoscaling";

/// Where a custom resource keeps what its Scale shows (its CRD's
/// `specReplicasPath`, `statusReplicasPath`, `labelSelectorPath`), as field
/// names from the object's root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaPaths {
    pub spec_replicas: Vec<String>,
    pub status_replicas: Vec<String>,
    pub label_selector: Option<Vec<String>>,
}

fn at<'a>(object: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(object, |v, field| v.get(field))
}

/// `object` with `value` at `path`, creating the objects on the way.
fn set_at(object: &mut Value, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut current = object;
    for field in parents {
        if !current.get(field).is_some_and(Value::is_object) {
            current[field.as_str()] = json!({});
        }
        current = &mut current[field.as_str()];
    }
    current[last.as_str()] = value;
}

/// Upstream's string form of a selector: requirements by key, `in` and
/// `notin` values sorted.
pub fn selector_string(selector: &LabelSelector) -> String {
    let mut requirements: Vec<&Requirement> = selector.requirements.iter().collect();
    let key = |r: &Requirement| match r {
        Requirement::Equals(k, _)
        | Requirement::NotEquals(k, _)
        | Requirement::In(k, _)
        | Requirement::NotIn(k, _)
        | Requirement::Exists(k)
        | Requirement::DoesNotExist(k)
        | Requirement::GreaterThan(k, _)
        | Requirement::LessThan(k, _) => k.clone(),
    };
    requirements.sort_by_key(|r| key(r));
    let sorted = |values: &[String]| {
        let mut values = values.to_vec();
        values.sort();
        values.join(",")
    };
    requirements
        .into_iter()
        .map(|r| match r {
            Requirement::Equals(k, v) => format!("{k}={v}"),
            Requirement::NotEquals(k, v) => format!("{k}!={v}"),
            Requirement::In(k, vs) => format!("{k} in ({})", sorted(vs)),
            Requirement::NotIn(k, vs) => format!("{k} notin ({})", sorted(vs)),
            Requirement::Exists(k) => k.clone(),
            Requirement::DoesNotExist(k) => format!("!{k}"),
            Requirement::GreaterThan(k, n) => format!("{k}>{n}"),
            Requirement::LessThan(k, n) => format!("{k}<{n}"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The selector of a replicated object as a string: a ReplicationController's
/// is a plain label map, the apps/v1 kinds' a `LabelSelector`.
fn selector_of(object: &Value, kind: &str) -> String {
    let selector = object.pointer("/spec/selector").unwrap_or(&Value::Null);
    let parsed = if kind == "ReplicationController" {
        let requirements = selector
            .as_object()
            .map(|labels| {
                labels
                    .iter()
                    .map(|(k, v)| {
                        Requirement::Equals(k.clone(), v.as_str().unwrap_or_default().to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(LabelSelector { requirements })
    } else {
        as_selector(selector)
    };
    parsed.map(|s| selector_string(&s)).unwrap_or_default()
}

/// The Scale of `object`, a `descriptor` object whose replicas are where
/// `paths` says (custom resources) or, without paths, where the built-in
/// workloads keep them.
pub fn scale_of(
    descriptor: &ResourceDescriptor,
    paths: Option<&ReplicaPaths>,
    object: &Value,
) -> Value {
    let mut metadata = json!({});
    for field in [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
    ] {
        if let Some(value) = object.metadata().and_then(|m| m.get(field)) {
            metadata[field] = value.clone();
        }
    }
    if let Some(paths) = paths {
        return custom_scale(paths, metadata, object);
    }
    let replicas = object
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    // Upstream's ScaleSpec omits a zero replica count.
    let spec = if replicas == 0 {
        json!({})
    } else {
        json!({ "replicas": replicas })
    };
    let mut status = json!({
        "replicas": object.pointer("/status/replicas").and_then(Value::as_i64).unwrap_or(0),
    });
    let selector = selector_of(object, &descriptor.kind);
    if !selector.is_empty() {
        status["selector"] = Value::String(selector);
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": metadata,
        "spec": spec,
        "status": status,
    })
}

/// A custom resource's Scale: missing replica counts are 0, as upstream
/// reads them.
fn custom_scale(paths: &ReplicaPaths, metadata: Value, object: &Value) -> Value {
    let replicas = at(object, &paths.spec_replicas)
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let spec = if replicas == 0 {
        json!({})
    } else {
        json!({ "replicas": replicas })
    };
    let mut status = json!({
        "replicas": at(object, &paths.status_replicas).and_then(Value::as_i64).unwrap_or(0),
    });
    if let Some(selector) = paths
        .label_selector
        .as_ref()
        .and_then(|p| at(object, p))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        status["selector"] = Value::String(selector.to_owned());
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": metadata,
        "spec": spec,
        "status": status,
    })
}

/// `object` with the replicas `scale` asks for, after upstream's checks: a
/// valid Scale (replicas not negative), a uid precondition that holds.
/// The Scale's resourceVersion becomes the object's, so that a stale one
/// is a conflict.
pub fn apply_scale(
    descriptor: &ResourceDescriptor,
    paths: Option<&ReplicaPaths>,
    object: &Value,
    scale: &Value,
) -> Result<Value, ApiError> {
    let name = object.name().unwrap_or_default();
    let mut errors = metadata::validate(scale, NameRule::Subdomain, false);
    let replicas = scale
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if replicas < 0 {
        errors.push(FieldError::invalid(
            "spec.replicas",
            replicas,
            "must be greater than or equal to 0",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(
            GROUP,
            "Scale",
            name,
            errors.iter().map(FieldError::to_cause).collect(),
        ));
    }
    if let Some(uid) = scale.uid()
        && Some(uid) != object.uid()
    {
        return Err(ApiError::conflict(
            &descriptor.group,
            &format!("{}/scale", descriptor.plural),
            name,
            &format!(
                "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                object.uid().unwrap_or_default()
            ),
        ));
    }
    let mut updated = object.clone();
    match paths {
        Some(paths) => set_at(&mut updated, &paths.spec_replicas, json!(replicas)),
        None => updated["spec"]["replicas"] = json!(replicas),
    }
    match scale.resource_version() {
        Some(rv) => updated.set_meta("resourceVersion", rv.to_owned()),
        None => {
            updated.remove_meta("resourceVersion");
        }
    }
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::registry::builtin::builtin_resources;

    fn descriptor(kind: &str) -> ResourceDescriptor {
        builtin_resources()
            .into_iter()
            .find(|d| d.kind == kind)
            .unwrap()
    }

    #[test]
    fn selectors_print_as_upstream_prints_them() {
        let selector = as_selector(&json!({
            "matchLabels": {"tier": "web", "app": "shop"},
            "matchExpressions": [
                {"key": "env", "operator": "In", "values": ["prod", "dev"]},
                {"key": "canary", "operator": "DoesNotExist"},
                {"key": "zone", "operator": "Exists"},
            ],
        }))
        .unwrap();
        assert_eq!(
            selector_string(&selector),
            "app=shop,!canary,env in (dev,prod),tier=web,zone"
        );
    }

    #[test]
    fn a_deployment_as_a_scale() {
        let deployment = json!({
            "metadata": {"name": "web", "namespace": "ns", "uid": "u1", "resourceVersion": "7",
                "creationTimestamp": "2024-01-01T00:00:00Z", "labels": {"x": "y"}, "generation": 3},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}},
            "status": {"replicas": 1},
        });
        let scale = scale_of(&descriptor("Deployment"), None, &deployment);
        assert_eq!(
            scale,
            json!({
                "kind": "Scale", "apiVersion": "autoscaling/v1",
                "metadata": {"name": "web", "namespace": "ns", "uid": "u1", "resourceVersion": "7",
                    "creationTimestamp": "2024-01-01T00:00:00Z"},
                "spec": {"replicas": 2},
                "status": {"replicas": 1, "selector": "app=web"},
            })
        );
        let zero = scale_of(
            &descriptor("Deployment"),
            None,
            &json!({"spec": {"replicas": 0}, "metadata": {"name": "w"}}),
        );
        assert_eq!(zero["spec"], json!({}));
        assert_eq!(zero["status"], json!({"replicas": 0}));
    }

    #[test]
    fn a_custom_resource_scale_follows_its_paths() {
        let paths = ReplicaPaths {
            spec_replicas: vec!["spec".into(), "size".into()],
            status_replicas: vec!["status".into(), "ready".into()],
            label_selector: Some(vec!["status".into(), "selector".into()]),
        };
        let d = descriptor("Deployment");
        let object = json!({"metadata": {"name": "c"}, "spec": {}, "status": {"ready": 2, "selector": "app=c"}});
        let scale = scale_of(&d, Some(&paths), &object);
        assert_eq!(scale["spec"], json!({}));
        assert_eq!(scale["status"], json!({"replicas": 2, "selector": "app=c"}));
        let updated = apply_scale(
            &d,
            Some(&paths),
            &json!({"metadata": {"name": "c"}}),
            &json!({"metadata": {"name": "c"}, "spec": {"replicas": 4}}),
        )
        .unwrap();
        assert_eq!(updated["spec"]["size"], 4);
    }

    #[test]
    fn a_replication_controller_selector_is_a_label_map() {
        let rc = json!({"metadata": {"name": "rc"}, "spec": {"replicas": 1,
            "selector": {"b": "2", "a": "1"}}});
        assert_eq!(
            scale_of(&descriptor("ReplicationController"), None, &rc)["status"]["selector"],
            "a=1,b=2"
        );
    }

    #[test]
    fn writing_a_scale_sets_replicas_and_checks_it() {
        let d = descriptor("Deployment");
        let deployment = json!({"metadata": {"name": "web", "uid": "u1", "resourceVersion": "7"},
            "spec": {"replicas": 2}});
        let updated = apply_scale(
            &d,
            None,
            &deployment,
            &json!({"metadata": {"name": "web", "resourceVersion": "7"}, "spec": {"replicas": 5}}),
        )
        .unwrap();
        assert_eq!(updated["spec"]["replicas"], 5);
        assert_eq!(updated.resource_version(), Some("7"));
        let zero = apply_scale(
            &d,
            None,
            &deployment,
            &json!({"metadata": {"name": "web"}, "spec": {}}),
        )
        .unwrap();
        assert_eq!(zero["spec"]["replicas"], 0);
        assert_eq!(zero.resource_version(), None, "no precondition");

        let negative = apply_scale(
            &d,
            None,
            &deployment,
            &json!({"metadata": {"name": "web"}, "spec": {"replicas": -1}}),
        )
        .unwrap_err();
        assert_eq!(
            negative.message,
            "Scale.autoscaling \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
        let stale_uid = apply_scale(
            &d,
            None,
            &deployment,
            &json!({"metadata": {"name": "web", "uid": "u0"}, "spec": {"replicas": 1}}),
        )
        .unwrap_err();
        assert_eq!(
            stale_uid.message,
            "Operation cannot be fulfilled on deployments/scale.apps \"web\": Precondition failed: UID in precondition: u0, UID in object meta: u1"
        );
    }
}
