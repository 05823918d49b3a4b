//! The replicated workloads: Deployments, ReplicaSets, StatefulSets and
//! DaemonSets (apps/v1) and ReplicationControllers (core/v1). Upstream's
//! defaults, the zero status a new one starts with, validation (selector
//! required and matching the template's labels, replicas, update
//! strategies, the template's pod spec), the immutable selector of apps/v1,
//! StatefulSet's short list of mutable fields, and the `status.replicas`
//! field selector of ReplicaSets and ReplicationControllers.

use serde_json::{Value, json};

use super::fields::{
    child_object, default_field, elements_mut, get, int, semantically_equal, string,
};
use super::pod_spec::{default_template, validate_template};
use crate::apiserver::object::ObjectExt;
use crate::apiserver::registry::strategy::{FieldLookup, GarbageCollection, Strategy};
use crate::apiserver::validation::FieldError;
use crate::apiserver::validation::labels::{
    as_selector, go_label_selector, go_string_map, selector_is_empty, string_map,
    validate_label_selector,
};
use crate::apiserver::validation::values::NEGATIVE;

const PERCENT_FORMAT: &str = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";
const STATEFULSET_MUTABLE: &str = "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

/// The kinds this file covers, for the few words and rules that differ.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Workload {
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
}

pub struct WorkloadStrategy(pub Workload);

pub struct ReplicationControllerStrategy;

/// Checks that a number at `spec.<field>` is not negative.
fn non_negative(spec: &Value, field: &str, errors: &mut Vec<FieldError>) {
    if let Some(n) = int(spec, field)
        && n < 0
    {
        errors.push(FieldError::invalid(format!("spec.{field}"), n, NEGATIVE));
    }
}

/// An `intstr.IntOrString` as upstream's messages print it.
fn go_int_or_string(value: &Value) -> String {
    match value {
        Value::String(s) => format!("intstr.IntOrString{{Type:1, IntVal:0, StrVal:{s:?}}}"),
        other => format!(
            "intstr.IntOrString{{Type:0, IntVal:{}, StrVal:\"\"}}",
            other.as_i64().unwrap_or(0)
        ),
    }
}

/// The value of an int-or-percent, as a number (percent or count) and
/// whether it is a percent; errors for malformed ones.
fn int_or_percent(value: &Value, path: &str, errors: &mut Vec<FieldError>) -> Option<(i64, bool)> {
    match value {
        Value::Null => None,
        Value::String(s) => {
            let parsed = s
                .strip_suffix('%')
                .filter(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
                .and_then(|n| n.parse::<i64>().ok());
            match parsed {
                None => {
                    errors.push(FieldError::invalid_printed(
                        path,
                        go_int_or_string(value),
                        PERCENT_FORMAT,
                    ));
                    None
                }
                Some(p) if p > 100 => {
                    errors.push(FieldError::invalid_printed(
                        path,
                        go_int_or_string(value),
                        "must not be greater than 100%",
                    ));
                    None
                }
                Some(p) => Some((p, true)),
            }
        }
        other => {
            let n = other.as_i64().unwrap_or(0);
            if n < 0 {
                errors.push(FieldError::invalid(path, n, NEGATIVE));
                return None;
            }
            Some((n, false))
        }
    }
}

/// The selector (`metav1.LabelSelector`) and template checks every apps/v1
/// workload shares, in upstream's order.
fn validate_selector_and_template(spec: &Value, kind: Workload, errors: &mut Vec<FieldError>) {
    let selector = get(spec, "selector");
    let template = get(spec, "template");
    let labels = template.pointer("/metadata/labels").unwrap_or(&Value::Null);
    if selector.is_null() {
        errors.push(FieldError::required("spec.selector", ""));
    } else {
        errors.extend(validate_label_selector(selector, "spec.selector"));
        if selector_is_empty(selector) {
            let word = match kind {
                Workload::Deployment | Workload::ReplicaSet => "deployment",
                Workload::StatefulSet => "statefulset",
                Workload::DaemonSet => "daemonset",
            };
            errors.push(FieldError::invalid_printed(
                "spec.selector",
                go_label_selector(selector),
                format!("empty selector is invalid for {word}"),
            ));
        } else if let Some(parsed) = as_selector(selector)
            && !parsed.matches(&string_map(labels))
        {
            errors.push(FieldError::invalid_printed(
                "spec.template.metadata.labels",
                go_string_map(labels),
                "`selector` does not match template `labels`",
            ));
        }
    }
    errors.extend(validate_template(template, "spec.template"));
    validate_template_policies(template, kind, errors);
}

/// Replicated pods restart forever and have no deadline.
fn validate_template_policies(template: &Value, kind: Workload, errors: &mut Vec<FieldError>) {
    let spec = get(template, "spec");
    let restart = string(spec, "restartPolicy");
    if !restart.is_empty() && restart != "Always" {
        errors.push(FieldError::not_supported(
            "spec.template.spec.restartPolicy",
            restart,
            &["Always"],
        ));
    }
    if let Some(deadline) = spec.get("activeDeadlineSeconds").filter(|v| !v.is_null()) {
        let path = "spec.template.spec.activeDeadlineSeconds";
        errors.push(match kind {
            Workload::DaemonSet => FieldError::invalid(
                path,
                deadline.clone(),
                "activeDeadlineSeconds must be nil for daemons",
            ),
            Workload::StatefulSet => FieldError::forbidden(
                path,
                "activeDeadlineSeconds in StatefulSet is not Supported",
            ),
            _ => {
                FieldError::forbidden(path, "activeDeadlineSeconds in ReplicaSet is not Supported")
            }
        });
    }
}

fn validate_rolling_update(rolling: &Value, path: &str, errors: &mut Vec<FieldError>) {
    let max_unavailable = get(rolling, "maxUnavailable");
    let max_surge = get(rolling, "maxSurge");
    let unavailable = int_or_percent(max_unavailable, &format!("{path}.maxUnavailable"), errors);
    let surge = int_or_percent(max_surge, &format!("{path}.maxSurge"), errors);
    let surge_is_zero = surge.map_or(max_surge.is_null(), |(n, _)| n == 0);
    if unavailable.is_some_and(|(n, _)| n == 0) && surge_is_zero {
        errors.push(FieldError::invalid_printed(
            format!("{path}.maxUnavailable"),
            go_int_or_string(max_unavailable),
            "may not be 0 when `maxSurge` is 0",
        ));
    }
}

fn validate_deployment(spec: &Value, errors: &mut Vec<FieldError>) {
    let strategy = get(spec, "strategy");
    match string(strategy, "type") {
        "RollingUpdate" => {
            let rolling = get(strategy, "rollingUpdate");
            if !rolling.is_null() {
                validate_rolling_update(rolling, "spec.strategy.rollingUpdate", errors);
            }
        }
        "Recreate" => {
            if !get(strategy, "rollingUpdate").is_null() {
                errors.push(FieldError::forbidden(
                    "spec.strategy.rollingUpdate",
                    "may not be specified when strategy `type` is 'Recreate'",
                ));
            }
        }
        "" => errors.push(FieldError::required("spec.strategy.type", "")),
        other => errors.push(FieldError::not_supported(
            "spec.strategy.type",
            other,
            &["Recreate", "RollingUpdate"],
        )),
    }
    non_negative(spec, "revisionHistoryLimit", errors);
    if let Some(deadline) = int(spec, "progressDeadlineSeconds") {
        if deadline < 0 {
            errors.push(FieldError::invalid(
                "spec.progressDeadlineSeconds",
                deadline,
                NEGATIVE,
            ));
        } else if deadline <= int(spec, "minReadySeconds").unwrap_or(0) {
            errors.push(FieldError::invalid(
                "spec.progressDeadlineSeconds",
                deadline,
                "must be greater than minReadySeconds",
            ));
        }
    }
}

fn validate_update_strategy(
    strategy: &Value,
    path: &str,
    kind: Workload,
    errors: &mut Vec<FieldError>,
) {
    match string(strategy, "type") {
        "RollingUpdate" => {
            let rolling = get(strategy, "rollingUpdate");
            if kind == Workload::DaemonSet && !rolling.is_null() {
                validate_rolling_update(rolling, &format!("{path}.rollingUpdate"), errors);
            }
            if kind == Workload::StatefulSet
                && let Some(partition) = int(rolling, "partition")
                && partition < 0
            {
                errors.push(FieldError::invalid(
                    format!("{path}.rollingUpdate.partition"),
                    partition,
                    NEGATIVE,
                ));
            }
        }
        "OnDelete" => {
            if kind == Workload::StatefulSet && !get(strategy, "rollingUpdate").is_null() {
                errors.push(FieldError::invalid(
                    format!("{path}.rollingUpdate"),
                    get(strategy, "rollingUpdate").clone(),
                    "only allowed for updateStrategy 'RollingUpdate'",
                ));
            }
        }
        "" => errors.push(FieldError::required(format!("{path}.type"), "")),
        other => errors.push(FieldError::not_supported(
            format!("{path}.type"),
            other,
            &["OnDelete", "RollingUpdate"],
        )),
    }
}

/// The status a new workload starts with: Go's zero status, in which some
/// counters are not optional.
fn zero_status(kind: Workload) -> Value {
    match kind {
        Workload::Deployment => json!({}),
        Workload::ReplicaSet => json!({"replicas": 0}),
        Workload::StatefulSet => json!({"replicas": 0, "availableReplicas": 0}),
        Workload::DaemonSet => json!({
            "currentNumberScheduled": 0,
            "numberMisscheduled": 0,
            "desiredNumberScheduled": 0,
            "numberReady": 0,
        }),
    }
}

impl Strategy for WorkloadStrategy {
    fn tracks_generation(&self) -> bool {
        true
    }

    fn default(&self, object: &mut Value) {
        let Some(spec) = object.get_mut("spec").filter(|s| s.is_object()) else {
            return;
        };
        if let Some(template) = spec.get_mut("template") {
            default_template(template);
        }
        match self.0 {
            Workload::Deployment => {
                default_field(spec, "replicas", 1);
                if let Some(strategy) = child_object(spec, "strategy") {
                    let strategy_type = strategy
                        .entry("type")
                        .or_insert_with(|| json!("RollingUpdate"));
                    if strategy_type.as_str().is_none_or(str::is_empty) {
                        *strategy_type = json!("RollingUpdate");
                    }
                }
                if string(&spec["strategy"], "type") == "RollingUpdate"
                    && let Some(rolling) = child_object(&mut spec["strategy"], "rollingUpdate")
                {
                    rolling.entry("maxUnavailable").or_insert(json!("25%"));
                    rolling.entry("maxSurge").or_insert(json!("25%"));
                }
                default_field(spec, "revisionHistoryLimit", 10);
                default_field(spec, "progressDeadlineSeconds", 600);
            }
            Workload::ReplicaSet => default_field(spec, "replicas", 1),
            Workload::StatefulSet => {
                default_field(spec, "podManagementPolicy", "OrderedReady");
                child_object(spec, "updateStrategy");
                default_field(&mut spec["updateStrategy"], "type", "RollingUpdate");
                if string(&spec["updateStrategy"], "type") == "RollingUpdate"
                    && let Some(rolling) =
                        child_object(&mut spec["updateStrategy"], "rollingUpdate")
                {
                    rolling.entry("partition").or_insert(json!(0));
                }
                child_object(spec, "persistentVolumeClaimRetentionPolicy");
                for when in ["whenDeleted", "whenScaled"] {
                    default_field(
                        &mut spec["persistentVolumeClaimRetentionPolicy"],
                        when,
                        "Retain",
                    );
                }
                default_field(spec, "replicas", 1);
                default_field(spec, "revisionHistoryLimit", 10);
                for claim in elements_mut(spec, "volumeClaimTemplates") {
                    if let Some(claim_spec) = claim.get_mut("spec") {
                        default_field(claim_spec, "volumeMode", "Filesystem");
                    }
                    if let Some(status) = child_object(claim, "status") {
                        status.entry("phase").or_insert(json!("Pending"));
                    }
                }
            }
            Workload::DaemonSet => {
                child_object(spec, "updateStrategy");
                default_field(&mut spec["updateStrategy"], "type", "RollingUpdate");
                if string(&spec["updateStrategy"], "type") == "RollingUpdate"
                    && let Some(rolling) =
                        child_object(&mut spec["updateStrategy"], "rollingUpdate")
                {
                    rolling.entry("maxUnavailable").or_insert(json!(1));
                    rolling.entry("maxSurge").or_insert(json!(0));
                }
                default_field(spec, "revisionHistoryLimit", 10);
            }
        }
    }

    fn prepare_for_create(&self, object: &mut Value) {
        object["status"] = zero_status(self.0);
    }

    fn validate(&self, object: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let spec = get(object, "spec");
        if self.0 != Workload::DaemonSet {
            non_negative(spec, "replicas", &mut errors);
        }
        validate_selector_and_template(spec, self.0, &mut errors);
        non_negative(spec, "minReadySeconds", &mut errors);
        match self.0 {
            Workload::Deployment => validate_deployment(spec, &mut errors),
            Workload::ReplicaSet => {}
            Workload::StatefulSet => {
                match string(spec, "podManagementPolicy") {
                    "OrderedReady" | "Parallel" => {}
                    "" => errors.push(FieldError::required("spec.podManagementPolicy", "")),
                    other => errors.push(FieldError::invalid(
                        "spec.podManagementPolicy",
                        other,
                        "must be 'OrderedReady' or 'Parallel'",
                    )),
                }
                validate_update_strategy(
                    get(spec, "updateStrategy"),
                    "spec.updateStrategy",
                    self.0,
                    &mut errors,
                );
                non_negative(spec, "revisionHistoryLimit", &mut errors);
            }
            Workload::DaemonSet => {
                validate_update_strategy(
                    get(spec, "updateStrategy"),
                    "spec.updateStrategy",
                    self.0,
                    &mut errors,
                );
                non_negative(spec, "revisionHistoryLimit", &mut errors);
            }
        }
        errors
    }

    fn validate_update(&self, object: &Value, old: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let (spec, old_spec) = (get(object, "spec"), get(old, "spec"));
        if !semantically_equal(get(spec, "selector"), get(old_spec, "selector")) {
            errors.push(FieldError::invalid_printed(
                "spec.selector",
                go_label_selector(get(spec, "selector")),
                "field is immutable",
            ));
        }
        if self.0 == Workload::StatefulSet {
            let mut fixed = spec.clone();
            for mutable in [
                "replicas",
                "ordinals",
                "template",
                "updateStrategy",
                "revisionHistoryLimit",
                "persistentVolumeClaimRetentionPolicy",
                "minReadySeconds",
            ] {
                match old_spec.get(mutable) {
                    Some(value) => fixed[mutable] = value.clone(),
                    None => {
                        if let Some(map) = fixed.as_object_mut() {
                            map.remove(mutable);
                        }
                    }
                }
            }
            if !semantically_equal(&fixed, old_spec) {
                errors.push(FieldError::forbidden("spec", STATEFULSET_MUTABLE));
            }
        }
        errors
    }

    fn field_value(&self, object: &Value, field: &str) -> FieldLookup {
        match (self.0, field) {
            (Workload::ReplicaSet, "status.replicas") => replicas_field(object),
            _ => FieldLookup::Unsupported,
        }
    }
}

/// `status.replicas` as a selector value: a number, `0` when unset.
fn replicas_field(object: &Value) -> FieldLookup {
    let replicas = object
        .pointer("/status/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    FieldLookup::Value(replicas.to_string())
}

impl Strategy for ReplicationControllerStrategy {
    fn tracks_generation(&self) -> bool {
        true
    }

    /// core/v1 keeps a deleted controller's pods unless told otherwise,
    /// for compatibility with its first clients.
    fn garbage_collection(&self) -> GarbageCollection {
        GarbageCollection::OrphanDependents
    }

    fn default(&self, object: &mut Value) {
        let template_labels = object
            .pointer("/spec/template/metadata/labels")
            .filter(|l| l.is_object())
            .cloned();
        if let Some(labels) = template_labels {
            if get(get(object, "spec"), "selector")
                .as_object()
                .is_none_or(|m| m.is_empty())
            {
                object["spec"]["selector"] = labels.clone();
            }
            if object.labels().is_empty() {
                object.set_meta("labels", labels);
            }
        }
        if let Some(spec) = object.get_mut("spec").filter(|s| s.is_object()) {
            default_field(spec, "replicas", 1);
            if let Some(template) = spec.get_mut("template") {
                default_template(template);
            }
        }
    }

    fn prepare_for_create(&self, object: &mut Value) {
        object["status"] = json!({"replicas": 0});
    }

    fn validate(&self, object: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let spec = get(object, "spec");
        non_negative(spec, "replicas", &mut errors);
        non_negative(spec, "minReadySeconds", &mut errors);
        let selector = get(spec, "selector");
        if selector.as_object().is_none_or(|m| m.is_empty()) {
            errors.push(FieldError::required("spec.selector", ""));
        } else {
            errors.extend(crate::apiserver::validation::labels::validate_labels(
                selector,
                "spec.selector",
            ));
        }
        let template = get(spec, "template");
        if template.is_null() {
            errors.push(FieldError::required("spec.template", ""));
            return errors;
        }
        let labels = template.pointer("/metadata/labels").unwrap_or(&Value::Null);
        let wanted = string_map(selector);
        let have = string_map(labels);
        if !wanted.is_empty() && !wanted.iter().all(|(k, v)| have.get(k) == Some(v)) {
            errors.push(FieldError::invalid_printed(
                "spec.template.metadata.labels",
                go_string_map(labels),
                "`selector` does not match template `labels`",
            ));
        }
        errors.extend(validate_template(template, "spec.template"));
        let pod_spec = get(template, "spec");
        let restart = string(pod_spec, "restartPolicy");
        if !restart.is_empty() && restart != "Always" {
            errors.push(FieldError::not_supported(
                "spec.template.spec.restartPolicy",
                restart,
                &["Always"],
            ));
        }
        if !get(pod_spec, "activeDeadlineSeconds").is_null() {
            errors.push(FieldError::forbidden(
                "spec.template.spec.activeDeadlineSeconds",
                "activeDeadlineSeconds in ReplicationController is not Supported",
            ));
        }
        errors
    }

    fn field_value(&self, object: &Value, field: &str) -> FieldLookup {
        match field {
            "status.replicas" => replicas_field(object),
            _ => FieldLookup::Unsupported,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(errors: &[FieldError]) -> Vec<String> {
        errors.iter().map(FieldError::line).collect()
    }

    fn workload(selector: Value, labels: Value) -> Value {
        json!({"metadata": {"name": "web"}, "spec": {
            "selector": selector,
            "template": {"metadata": {"labels": labels},
                         "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
        }})
    }

    fn created(strategy: &dyn Strategy, mut object: Value) -> Value {
        strategy.prepare_for_create(&mut object);
        strategy.default(&mut object);
        object
    }

    #[test]
    fn deployment_defaults() {
        let s = WorkloadStrategy(Workload::Deployment);
        let d = created(
            &s,
            workload(
                json!({"matchLabels": {"app": "web"}}),
                json!({"app": "web"}),
            ),
        );
        let spec = &d["spec"];
        assert_eq!(spec["replicas"], 1);
        assert_eq!(
            spec["strategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}})
        );
        assert_eq!(spec["revisionHistoryLimit"], 10);
        assert_eq!(spec["progressDeadlineSeconds"], 600);
        assert_eq!(spec["template"]["spec"]["restartPolicy"], "Always");
        assert_eq!(
            spec["template"]["spec"]["containers"][0]["imagePullPolicy"],
            "Always"
        );
        assert_eq!(d["status"], json!({}));
        assert_eq!(lines(&s.validate(&d)), Vec::<String>::new());
    }

    #[test]
    fn recreate_gets_no_rolling_parameters() {
        let s = WorkloadStrategy(Workload::Deployment);
        let mut d = workload(
            json!({"matchLabels": {"app": "web"}}),
            json!({"app": "web"}),
        );
        d["spec"]["strategy"] = json!({"type": "Recreate"});
        let d = created(&s, d);
        assert_eq!(d["spec"]["strategy"], json!({"type": "Recreate"}));
        assert!(s.validate(&d).is_empty());
    }

    #[test]
    fn statefulset_and_daemonset_defaults() {
        let s = WorkloadStrategy(Workload::StatefulSet);
        let mut sts = workload(json!({"matchLabels": {"app": "db"}}), json!({"app": "db"}));
        sts["spec"]["volumeClaimTemplates"] = json!([{"metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]);
        let sts = created(&s, sts);
        let spec = &sts["spec"];
        assert_eq!(spec["podManagementPolicy"], "OrderedReady");
        assert_eq!(
            spec["updateStrategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
        );
        assert_eq!(
            spec["persistentVolumeClaimRetentionPolicy"],
            json!({"whenDeleted": "Retain", "whenScaled": "Retain"})
        );
        assert_eq!(spec["replicas"], 1);
        assert_eq!(spec["revisionHistoryLimit"], 10);
        assert_eq!(
            spec["volumeClaimTemplates"][0]["spec"]["volumeMode"],
            "Filesystem"
        );
        assert_eq!(
            spec["volumeClaimTemplates"][0]["status"]["phase"],
            "Pending"
        );
        assert_eq!(
            sts["status"],
            json!({"replicas": 0, "availableReplicas": 0})
        );
        assert!(s.validate(&sts).is_empty());

        let s = WorkloadStrategy(Workload::DaemonSet);
        let ds = created(
            &s,
            workload(
                json!({"matchLabels": {"app": "agent"}}),
                json!({"app": "agent"}),
            ),
        );
        assert_eq!(
            ds["spec"]["updateStrategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}})
        );
        assert_eq!(ds["spec"]["revisionHistoryLimit"], 10);
        assert!(ds["spec"].get("replicas").is_none());
        assert!(s.validate(&ds).is_empty());
    }

    #[test]
    fn selector_must_exist_and_match_the_template() {
        let s = WorkloadStrategy(Workload::Deployment);
        let d = created(
            &s,
            workload(
                json!({"matchLabels": {"app": "web"}}),
                json!({"app": "api"}),
            ),
        );
        assert_eq!(
            lines(&s.validate(&d)),
            [
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"api\"}: `selector` does not match template `labels`"
            ]
        );
        let mut d = created(&s, workload(Value::Null, json!({"app": "web"})));
        d["spec"].as_object_mut().unwrap().remove("selector");
        assert_eq!(lines(&s.validate(&d)), ["spec.selector: Required value"]);
        let d = created(&s, workload(json!({}), json!({"app": "web"})));
        assert_eq!(
            lines(&s.validate(&d)),
            [
                "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"
            ]
        );
    }

    #[test]
    fn replicas_strategy_and_template_policies() {
        let s = WorkloadStrategy(Workload::Deployment);
        let mut d = workload(
            json!({"matchLabels": {"app": "web"}}),
            json!({"app": "web"}),
        );
        d["spec"]["replicas"] = json!(-1);
        d["spec"]["strategy"] = json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "0%"}});
        d["spec"]["template"]["spec"]["restartPolicy"] = json!("Never");
        let d = created(&s, d);
        assert_eq!(
            lines(&s.validate(&d)),
            [
                "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
                "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"",
                "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: may not be 0 when `maxSurge` is 0",
            ]
        );
        let mut d = workload(
            json!({"matchLabels": {"app": "web"}}),
            json!({"app": "web"}),
        );
        d["spec"]["strategy"] = json!({"type": "Blue"});
        d["spec"]["template"]["spec"]["activeDeadlineSeconds"] = json!(5);
        let d = created(&s, d);
        assert_eq!(
            lines(&s.validate(&d)),
            [
                "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported",
                "spec.strategy.type: Unsupported value: \"Blue\": supported values: \"Recreate\", \"RollingUpdate\"",
            ]
        );
    }

    #[test]
    fn selectors_are_immutable() {
        let s = WorkloadStrategy(Workload::ReplicaSet);
        let old = created(
            &s,
            workload(
                json!({"matchLabels": {"app": "web"}}),
                json!({"app": "web"}),
            ),
        );
        let mut new = old.clone();
        new["spec"]["selector"] = json!({"matchLabels": {"app": "web2"}});
        assert_eq!(
            lines(&s.validate_update(&new, &old)),
            [
                "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web2\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"
            ]
        );
        new["spec"]["selector"] = old["spec"]["selector"].clone();
        new["spec"]["replicas"] = json!(5);
        assert!(s.validate_update(&new, &old).is_empty());
    }

    #[test]
    fn statefulsets_change_only_some_fields() {
        let s = WorkloadStrategy(Workload::StatefulSet);
        let old = created(
            &s,
            workload(json!({"matchLabels": {"app": "db"}}), json!({"app": "db"})),
        );
        let mut new = old.clone();
        new["spec"]["replicas"] = json!(3);
        new["spec"]["template"]["spec"]["containers"][0]["image"] = json!("postgres");
        assert!(s.validate_update(&new, &old).is_empty());
        new["spec"]["serviceName"] = json!("db");
        assert_eq!(
            lines(&s.validate_update(&new, &old)),
            [format!("spec: Forbidden: {STATEFULSET_MUTABLE}")]
        );
    }

    #[test]
    fn replication_controllers() {
        let s = ReplicationControllerStrategy;
        let rc = created(
            &s,
            json!({"metadata": {"name": "rc"}, "spec": {"template": {
            "metadata": {"labels": {"app": "x"}},
            "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}}}),
        );
        assert_eq!(rc["spec"]["selector"], json!({"app": "x"}));
        assert_eq!(rc["metadata"]["labels"], json!({"app": "x"}));
        assert_eq!(rc["spec"]["replicas"], 1);
        assert!(s.validate(&rc).is_empty());
        let mut bad = rc.clone();
        bad["spec"]["selector"] = json!({"app": "y"});
        assert_eq!(
            lines(&s.validate(&bad)),
            [
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"x\"}: `selector` does not match template `labels`"
            ]
        );
        assert_eq!(
            s.field_value(&rc, "status.replicas"),
            FieldLookup::Value("0".into())
        );
    }

    #[test]
    fn replica_set_field_selector() {
        let s = WorkloadStrategy(Workload::ReplicaSet);
        assert_eq!(
            s.field_value(&json!({"status": {"replicas": 3}}), "status.replicas"),
            FieldLookup::Value("3".into())
        );
        assert_eq!(
            s.field_value(&json!({}), "status.replicas"),
            FieldLookup::Value("0".into())
        );
        assert_eq!(
            WorkloadStrategy(Workload::Deployment).field_value(&json!({}), "status.replicas"),
            FieldLookup::Unsupported
        );
    }
}
