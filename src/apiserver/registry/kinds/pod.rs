//! Pods (and PodTemplates, which hold just a pod template): upstream's defaults, what admission adds on every cluster
//! (DefaultTolerationSeconds' two tolerations, Priority's priority 0),
//! `status.phase: Pending` and the QoS class on create, validation of the
//! spec, the few spec fields an update may change, and the pod field
//! selectors.

use serde_json::{Value, json};

use super::fields::{
    differences, elements, get, int, selectable, selectable_bool, semantically_equal, str_at,
};
use super::pod_spec::{
    default_pod_only, default_pod_spec, default_template, qos_class, validate_pod_spec,
    validate_template,
};
use crate::apiserver::object::now_rfc3339;
use crate::apiserver::registry::strategy::{FieldLookup, Strategy};
use crate::apiserver::validation::FieldError;

/// How long a pod stays on a node that is not ready or unreachable before
/// it is evicted, unless it says otherwise (DefaultTolerationSeconds).
const DEFAULT_TOLERATION_SECONDS: i64 = 300;
const NOT_READY_TAINT: &str = "node.kubernetes.io/not-ready";
const UNREACHABLE_TAINT: &str = "node.kubernetes.io/unreachable";

/// The spec fields an update may change, as upstream lists them.
const UPDATABLE_FIELDS: &str = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

pub struct PodStrategy;

/// PodTemplates: a template's defaults and validation, nothing more.
pub struct PodTemplateStrategy;

impl Strategy for PodTemplateStrategy {
    fn default(&self, object: &mut Value) {
        if let Some(template) = object.get_mut("template") {
            default_template(template);
        }
    }

    fn validate(&self, object: &Value) -> Vec<FieldError> {
        validate_template(get(object, "template"), "template")
    }
}

/// Whether `tolerations` already tolerate `taint` with NoExecute (an empty
/// key or effect tolerates all).
fn tolerates_no_execute(tolerations: &[Value], taint: &str) -> bool {
    tolerations.iter().any(|t| {
        let key = str_at(t, "/key");
        let effect = str_at(t, "/effect");
        (key == taint || key.is_empty()) && (effect == "NoExecute" || effect.is_empty())
    })
}

/// DefaultTolerationSeconds admission: every pod tolerates a not-ready or
/// unreachable node for five minutes unless it says how long itself.
fn add_default_tolerations(spec: &mut Value) {
    let existing = elements(spec, "tolerations").to_vec();
    let mut added = Vec::new();
    for taint in [NOT_READY_TAINT, UNREACHABLE_TAINT] {
        if !tolerates_no_execute(&existing, taint) {
            added.push(json!({
                "key": taint,
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": DEFAULT_TOLERATION_SECONDS,
            }));
        }
    }
    if added.is_empty() {
        return;
    }
    let mut tolerations = existing;
    tolerations.extend(added);
    spec["tolerations"] = Value::Array(tolerations);
}

/// The values of the priority classes every cluster has; others need a
/// lookup that the Priority admission plugin will do.
fn system_priority(class: &str) -> Option<i64> {
    match class {
        "system-node-critical" => Some(2_000_001_000),
        "system-cluster-critical" => Some(2_000_000_000),
        _ => None,
    }
}

/// Priority admission, as far as it needs no PriorityClass objects: a pod
/// without a class gets priority 0; the system classes are known.
fn admit_priority(spec: &mut Value) {
    let class = str_at(spec, "/priorityClassName").to_owned();
    let priority = if class.is_empty() {
        Some(0)
    } else {
        system_priority(&class)
    };
    if let Some(priority) = priority
        && get(spec, "priority").is_null()
    {
        spec["priority"] = json!(priority);
    }
    if get(spec, "preemptionPolicy").is_null() {
        spec["preemptionPolicy"] = json!("PreemptLowerPriority");
    }
}

fn tolerations_without_seconds(spec: &Value) -> Vec<Value> {
    elements(spec, "tolerations")
        .iter()
        .map(|t| {
            let mut t = t.clone();
            if let Some(map) = t.as_object_mut() {
                map.remove("tolerationSeconds");
            }
            t
        })
        .collect()
}

fn string_set(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|g| str_at(g, "/name").to_owned())
            .collect(),
        _ => Vec::new(),
    }
}

/// Upstream's `ValidatePodUpdate` for the spec: what may change, and the
/// one "may not change fields other than" error for everything else.
fn validate_spec_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for list in ["containers", "initContainers"] {
        if elements(new, list).len() != elements(old, list).len() {
            errors.push(FieldError::forbidden(
                format!("spec.{list}"),
                "pod updates may not add or remove containers",
            ));
            return errors;
        }
    }
    match (
        int(old, "activeDeadlineSeconds"),
        int(new, "activeDeadlineSeconds"),
    ) {
        (Some(_), None) => errors.push(FieldError::invalid(
            "spec.activeDeadlineSeconds",
            Value::Null,
            "must not update from a positive integer to nil value",
        )),
        (Some(before), Some(after)) if after > before => errors.push(FieldError::invalid(
            "spec.activeDeadlineSeconds",
            after,
            "must be less than or equal to previous value",
        )),
        _ => {}
    }
    let new_tolerations = tolerations_without_seconds(new);
    if tolerations_without_seconds(old)
        .iter()
        .any(|t| !new_tolerations.iter().any(|n| semantically_equal(n, t)))
    {
        errors.push(FieldError::forbidden(
            "spec.tolerations",
            "existing toleration can not be modified except its tolerationSeconds",
        ));
    }
    let old_gates = string_set(get(old, "schedulingGates"));
    for gate in string_set(get(new, "schedulingGates")) {
        if !old_gates.contains(&gate) {
            errors.push(FieldError::forbidden(
                "spec.schedulingGates",
                format!("only deletion is allowed, but found new scheduling gate '{gate}'"),
            ));
        }
    }

    // Everything that may change is made equal to the old spec; whatever
    // still differs may not change.
    let mut munged = new.clone();
    for list in ["containers", "initContainers"] {
        let old_images: Vec<Value> = elements(old, list)
            .iter()
            .map(|c| get(c, "image").clone())
            .collect();
        if let Some(containers) = munged.get_mut(list).and_then(Value::as_array_mut) {
            for (container, image) in containers.iter_mut().zip(old_images) {
                container["image"] = image;
            }
        }
    }
    for carried in ["activeDeadlineSeconds", "tolerations", "schedulingGates"] {
        match old.get(carried) {
            Some(value) => munged[carried] = value.clone(),
            None => {
                if let Some(map) = munged.as_object_mut() {
                    map.remove(carried);
                }
            }
        }
    }
    if int(old, "terminationGracePeriodSeconds").is_some_and(|s| s < 0)
        && int(new, "terminationGracePeriodSeconds") == Some(1)
    {
        munged["terminationGracePeriodSeconds"] = old["terminationGracePeriodSeconds"].clone();
    }
    // While scheduling is gated, node selectors may be added to.
    let empty = serde_json::Map::new();
    let before = get(old, "nodeSelector").as_object().unwrap_or(&empty);
    let after = get(new, "nodeSelector").as_object().unwrap_or(&empty);
    if !old_gates.is_empty() && before.iter().all(|(k, v)| after.get(k) == Some(v)) {
        munged["nodeSelector"] = get(old, "nodeSelector").clone();
    }
    if !semantically_equal(&munged, old) {
        let mut changed = Vec::new();
        differences(old, &munged, "spec", &mut changed);
        let listed: Vec<String> = changed
            .iter()
            .map(|path| {
                let pointer = json_pointer(path.strip_prefix("spec").unwrap_or(path));
                format!(
                    "  {path}: {} -> {}",
                    old.pointer(&pointer).unwrap_or(&Value::Null),
                    munged.pointer(&pointer).unwrap_or(&Value::Null)
                )
            })
            .collect();
        errors.push(FieldError::forbidden(
            "spec",
            format!("{UPDATABLE_FIELDS}\n{}", listed.join("\n")),
        ));
    }
    errors
}

/// `.a.b[1]` as the JSON pointer `/a/b/1`.
fn json_pointer(path: &str) -> String {
    path.replace('[', ".")
        .replace(']', "")
        .split('.')
        .filter(|s| !s.is_empty())
        .map(|s| format!("/{}", s.replace('~', "~0").replace('/', "~1")))
        .collect()
}

impl Strategy for PodStrategy {
    fn default(&self, pod: &mut Value) {
        if let Some(spec) = pod.get_mut("spec").filter(|s| s.is_object()) {
            default_pod_spec(spec);
            default_pod_only(spec);
        }
    }

    fn prepare_for_create(&self, pod: &mut Value) {
        // Upstream defaults while decoding, before this step; the QoS class
        // depends on the defaulted resources.
        self.default(pod);
        let Some(spec) = pod.get_mut("spec").filter(|s| s.is_object()) else {
            return;
        };
        add_default_tolerations(spec);
        admit_priority(spec);
        let mut status = json!({
            "phase": "Pending",
            "qosClass": qos_class(spec),
        });
        if !elements(spec, "schedulingGates").is_empty() {
            status["conditions"] = json!([{
                "type": "PodScheduled",
                "status": "False",
                "reason": "SchedulingGated",
                "message": "Scheduling is blocked due to non-empty scheduling gates",
                "lastProbeTime": null,
                "lastTransitionTime": now_rfc3339(),
            }]);
        }
        pod["status"] = status;
    }

    fn prepare_for_update(&self, pod: &mut Value, old: &Value) {
        let Some(spec) = pod.get_mut("spec").filter(|s| s.is_object()) else {
            return;
        };
        add_default_tolerations(spec);
        // Priority admission keeps what it set on create.
        for carried in ["priority", "preemptionPolicy"] {
            if let Some(value) = old.pointer(&format!("/spec/{carried}")) {
                spec[carried] = value.clone();
            }
        }
    }

    fn validate(&self, pod: &Value) -> Vec<FieldError> {
        validate_pod_spec(get(pod, "spec"), "spec")
    }

    fn validate_update(&self, pod: &Value, old: &Value) -> Vec<FieldError> {
        validate_spec_update(get(pod, "spec"), get(old, "spec"))
    }

    fn field_value(&self, pod: &Value, field: &str) -> FieldLookup {
        match field {
            "spec.nodeName" => selectable(pod, "/spec/nodeName"),
            "spec.restartPolicy" => selectable(pod, "/spec/restartPolicy"),
            "spec.schedulerName" => selectable(pod, "/spec/schedulerName"),
            "spec.serviceAccountName" => selectable(pod, "/spec/serviceAccountName"),
            "spec.hostNetwork" => selectable_bool(pod, "/spec/hostNetwork"),
            "status.phase" => selectable(pod, "/status/phase"),
            // Upstream selects on the first of `podIPs`.
            "status.podIP" => match pod.pointer("/status/podIPs/0/ip").and_then(Value::as_str) {
                Some(ip) => FieldLookup::Value(ip.to_owned()),
                None => selectable(pod, "/status/podIP"),
            },
            "status.nominatedNodeName" => selectable(pod, "/status/nominatedNodeName"),
            _ => FieldLookup::Unsupported,
        }
    }

    /// A pod's kubelet needs time to stop its containers: the grace the
    /// request asks for, else the pod's own, else none. A pod no kubelet
    /// runs (unscheduled) or whose containers are done goes at once.
    fn deletion_grace_period(&self, pod: &Value, requested: Option<i64>) -> Option<i64> {
        let own = pod
            .pointer("/spec/terminationGracePeriodSeconds")
            .and_then(Value::as_i64);
        let mut period = requested.or(own).unwrap_or(0);
        if str_at(pod, "/spec/nodeName").is_empty()
            || matches!(str_at(pod, "/status/phase"), "Succeeded" | "Failed")
        {
            period = 0;
        }
        Some(if period < 0 { 1 } else { period })
    }

    fn returns_deleted_object(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::registry::strategy::field_value;

    #[test]
    fn grace_periods_follow_the_pod() {
        let bound = json!({"spec": {"nodeName": "n1", "terminationGracePeriodSeconds": 30}});
        assert_eq!(PodStrategy.deletion_grace_period(&bound, None), Some(30));
        assert_eq!(PodStrategy.deletion_grace_period(&bound, Some(5)), Some(5));
        assert_eq!(PodStrategy.deletion_grace_period(&bound, Some(-3)), Some(1));
        let unbound = json!({"spec": {"terminationGracePeriodSeconds": 30}});
        assert_eq!(
            PodStrategy.deletion_grace_period(&unbound, Some(10)),
            Some(0)
        );
        let mut done = bound.clone();
        done["status"] = json!({"phase": "Succeeded"});
        assert_eq!(PodStrategy.deletion_grace_period(&done, None), Some(0));
    }

    fn created(mut pod: Value) -> Value {
        PodStrategy.prepare_for_create(&mut pod);
        PodStrategy.default(&mut pod);
        pod
    }

    fn nginx() -> Value {
        json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    }

    fn lines(errors: &[FieldError]) -> Vec<String> {
        errors.iter().map(FieldError::line).collect()
    }

    #[test]
    fn create_defaults_admission_and_status() {
        let pod = created(nginx());
        let spec = &pod["spec"];
        assert_eq!(spec["restartPolicy"], "Always");
        assert_eq!(spec["enableServiceLinks"], true);
        assert_eq!(spec["priority"], 0);
        assert_eq!(spec["preemptionPolicy"], "PreemptLowerPriority");
        assert_eq!(
            spec["tolerations"],
            json!([
                {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            ])
        );
        assert_eq!(
            pod["status"],
            json!({"phase": "Pending", "qosClass": "BestEffort"})
        );
        assert!(PodStrategy.validate(&pod).is_empty());
    }

    #[test]
    fn own_tolerations_are_kept() {
        let mut pod = nginx();
        pod["spec"]["tolerations"] = json!([{"key": "node.kubernetes.io/unreachable",
            "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 10}]);
        let pod = created(pod);
        let keys: Vec<&str> = elements(&pod["spec"], "tolerations")
            .iter()
            .map(|t| str_at(t, "/key"))
            .collect();
        assert_eq!(
            keys,
            [
                "node.kubernetes.io/unreachable",
                "node.kubernetes.io/not-ready"
            ]
        );
        assert_eq!(pod["spec"]["tolerations"][0]["tolerationSeconds"], 10);
    }

    #[test]
    fn guaranteed_pods_from_limits_alone() {
        let mut pod = nginx();
        pod["spec"]["containers"][0]["resources"] =
            json!({"limits": {"cpu": "1", "memory": "1Gi"}});
        assert_eq!(created(pod)["status"]["qosClass"], "Guaranteed");
    }

    #[test]
    fn scheduling_gates_hold_the_pod() {
        let mut pod = nginx();
        pod["spec"]["schedulingGates"] = json!([{"name": "example.com/wait"}]);
        let pod = created(pod);
        assert_eq!(pod["status"]["conditions"][0]["reason"], "SchedulingGated");
    }

    #[test]
    fn images_deadlines_and_new_tolerations_may_change() {
        let old = created(nginx());
        let mut new = old.clone();
        new["spec"]["containers"][0]["image"] = json!("nginx:1.27");
        new["spec"]["activeDeadlineSeconds"] = json!(30);
        new["spec"]["tolerations"]
            .as_array_mut()
            .unwrap()
            .push(json!({"key": "k", "operator": "Exists"}));
        PodStrategy.prepare_for_update(&mut new, &old);
        PodStrategy.default(&mut new);
        assert_eq!(
            lines(&PodStrategy.validate_update(&new, &old)),
            Vec::<String>::new()
        );
    }

    #[test]
    fn other_spec_changes_are_forbidden() {
        let old = created(nginx());
        let mut new = old.clone();
        new["spec"]["containers"][0]["ports"] = json!([{"containerPort": 81}]);
        PodStrategy.prepare_for_update(&mut new, &old);
        PodStrategy.default(&mut new);
        let errors = PodStrategy.validate_update(&new, &old);
        assert_eq!(errors.len(), 1);
        let line = errors[0].line();
        assert!(
            line.starts_with(&format!("spec: Forbidden: {UPDATABLE_FIELDS}\n")),
            "{line}"
        );
        assert!(line.contains("spec.containers[0].ports"), "{line}");
    }

    #[test]
    fn removed_tolerations_containers_and_longer_deadlines_are_rejected() {
        let mut old = created(nginx());
        old["spec"]["activeDeadlineSeconds"] = json!(30);
        let mut new = old.clone();
        new["spec"]["tolerations"] = json!([]);
        new["spec"]["activeDeadlineSeconds"] = json!(60);
        assert_eq!(
            lines(&validate_spec_update(&new["spec"], &old["spec"])),
            [
                "spec.activeDeadlineSeconds: Invalid value: 60: must be less than or equal to previous value",
                "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds",
            ]
        );
        let mut new = old.clone();
        new["spec"]["containers"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "d", "image": "x"}));
        assert_eq!(
            lines(&validate_spec_update(&new["spec"], &old["spec"])),
            ["spec.containers: Forbidden: pod updates may not add or remove containers"]
        );
    }

    #[test]
    fn scheduling_gates_may_only_be_removed() {
        let mut old = nginx();
        old["spec"]["schedulingGates"] = json!([{"name": "a"}, {"name": "b"}]);
        let old = created(old);
        let mut new = old.clone();
        new["spec"]["schedulingGates"] = json!([{"name": "a"}]);
        new["spec"]["nodeSelector"] = json!({"zone": "x"});
        assert!(validate_spec_update(&new["spec"], &old["spec"]).is_empty());
        new["spec"]["schedulingGates"] = json!([{"name": "c"}]);
        assert_eq!(
            lines(&validate_spec_update(&new["spec"], &old["spec"])),
            [
                "spec.schedulingGates: Forbidden: only deletion is allowed, but found new scheduling gate 'c'"
            ]
        );
    }

    #[test]
    fn pod_templates_are_defaulted_and_checked() {
        let mut template =
            json!({"template": {"spec": {"containers": [{"name": "c", "image": "x:1"}]}}});
        PodTemplateStrategy.default(&mut template);
        assert_eq!(template["template"]["spec"]["restartPolicy"], "Always");
        assert!(PodTemplateStrategy.validate(&template).is_empty());
        template["template"]["spec"]["containers"] = json!([]);
        assert_eq!(
            lines(&PodTemplateStrategy.validate(&template)),
            ["template.spec.containers: Required value"]
        );
    }

    #[test]
    fn field_selectors() {
        let pod = json!({"metadata": {"name": "p"}, "spec": {"nodeName": "n1"},
            "status": {"phase": "Running", "podIP": "10.0.0.9", "podIPs": [{"ip": "10.0.0.1"}, {"ip": "fd00::1"}]}});
        let value = |f| field_value(&PodStrategy, &pod, f);
        assert_eq!(value("spec.nodeName"), FieldLookup::Value("n1".into()));
        assert_eq!(
            value("spec.hostNetwork"),
            FieldLookup::Value("false".into())
        );
        assert_eq!(value("status.phase"), FieldLookup::Value("Running".into()));
        assert_eq!(value("status.podIP"), FieldLookup::Value("10.0.0.1".into()));
        assert_eq!(
            value("spec.serviceAccountName"),
            FieldLookup::Value("".into())
        );
        // Upstream does not select on these.
        assert_eq!(value("status.podIPs"), FieldLookup::Unsupported);
        assert_eq!(value("spec.containers"), FieldLookup::Unsupported);
    }
}
