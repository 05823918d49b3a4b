//! What decides where, how and how many pods run: PriorityClasses,
//! RuntimeClasses, PodDisruptionBudgets, HorizontalPodAutoscalers and the
//! dynamic resource allocation kinds of `resource.k8s.io`.

use serde_json::{Value, json};

use super::descriptions as doc;
use super::format::{int, int_or_string, items, opt_bool, opt_int, opt_text, text};
use super::quantity::canonical;
use super::{Column, Columns, age_cell, age_column, name_cell, name_column};
use crate::apiserver::object::ObjectExt;

pub(super) fn for_kind(group: &str, kind: &str) -> Option<Columns> {
    let printer = match (group, kind) {
        ("scheduling.k8s.io", "PriorityClass") => {
            Columns::new(priority_class_columns, priority_class_cells)
        }
        ("node.k8s.io", "RuntimeClass") => Columns::new(runtime_class_columns, runtime_class_cells),
        ("policy", "PodDisruptionBudget") => {
            Columns::new(disruption_budget_columns, disruption_budget_cells)
        }
        ("autoscaling", "HorizontalPodAutoscaler") => {
            Columns::new(autoscaler_columns, autoscaler_cells)
        }
        ("resource.k8s.io", "DeviceClass" | "ResourceClaimTemplate") => Columns::new(
            || vec![name_column(), age_column()],
            |o| vec![name_cell(o), age_cell(o)],
        ),
        ("resource.k8s.io", "ResourceClaim") => {
            Columns::new(resource_claim_columns, resource_claim_cells)
        }
        ("resource.k8s.io", "ResourceSlice") => {
            Columns::new(resource_slice_columns, resource_slice_cells)
        }
        _ => return None,
    };
    Some(printer)
}

fn priority_class_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("Value", "integer", doc::PRIORITY_CLASS_VALUE),
        Column::new(
            "Global-Default",
            "boolean",
            doc::PRIORITY_CLASS_GLOBAL_DEFAULT,
        ),
        age_column(),
        Column::new(
            "PreemptionPolicy",
            "string",
            doc::PRIORITY_CLASS_PREEMPTION_POLICY,
        ),
    ]
}

fn priority_class_cells(class: &Value) -> Vec<Value> {
    vec![
        name_cell(class),
        json!(int(class, "/value")),
        json!(opt_bool(class, "/globalDefault").unwrap_or(false)),
        age_cell(class),
        json!(text(class, "/preemptionPolicy")),
    ]
}

fn runtime_class_columns() -> Vec<Column> {
    // Upstream looks the handler's description up on ObjectMeta, which has
    // none: the description is empty.
    vec![
        name_column(),
        Column::new("Handler", "string", ""),
        age_column(),
    ]
}

fn runtime_class_cells(class: &Value) -> Vec<Value> {
    vec![
        name_cell(class),
        json!(text(class, "/handler")),
        age_cell(class),
    ]
}

fn disruption_budget_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new(
            "Min Available",
            "string",
            "The minimum number of pods that must be available.",
        ),
        Column::new(
            "Max Unavailable",
            "string",
            "The maximum number of pods that may be unavailable.",
        ),
        Column::new(
            "Allowed Disruptions",
            "integer",
            "Calculated number of pods that may be disrupted at this time.",
        ),
        age_column(),
    ]
}

fn disruption_budget_cells(budget: &Value) -> Vec<Value> {
    let bound = |pointer: &str| {
        budget
            .pointer(pointer)
            .filter(|v| !v.is_null())
            .map_or_else(|| "N/A".into(), int_or_string)
    };
    vec![
        name_cell(budget),
        json!(bound("/spec/minAvailable")),
        json!(bound("/spec/maxUnavailable")),
        json!(int(budget, "/status/disruptionsAllowed")),
        age_cell(budget),
    ]
}

fn autoscaler_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("Reference", "string", doc::HPA_SPEC_SCALE_TARGET_REF),
        Column::new("Targets", "string", doc::HPA_SPEC_METRICS),
        Column::new("MinPods", "string", doc::HPA_SPEC_MIN_REPLICAS),
        Column::new("MaxPods", "string", doc::HPA_SPEC_MAX_REPLICAS),
        Column::new("Replicas", "string", doc::HPA_STATUS_CURRENT_REPLICAS),
        age_column(),
    ]
}

/// `autoscaling/v1` keeps its one CPU target in dedicated fields; upstream
/// converts it to the `v2` metric list the printer reads.
fn v2_metrics(autoscaler: &Value) -> (Vec<Value>, Vec<Value>) {
    if let Some(target) = opt_int(autoscaler, "/spec/targetCPUUtilizationPercentage") {
        let spec = json!({"type": "Resource", "resource": {"name": "cpu",
            "target": {"type": "Utilization", "averageUtilization": target}}});
        let status = match opt_int(autoscaler, "/status/currentCPUUtilizationPercentage") {
            Some(current) => vec![json!({"type": "Resource", "resource": {"name": "cpu",
                "current": {"averageUtilization": current}}})],
            None => Vec::new(),
        };
        return (vec![spec], status);
    }
    (
        items(autoscaler, "/spec/metrics").to_vec(),
        items(autoscaler, "/status/currentMetrics").to_vec(),
    )
}

/// A quantity field as Go's `(*Quantity).String()`: `<nil>` when missing.
fn quantity(object: &Value, pointer: &str) -> String {
    opt_text(object, pointer).map_or_else(|| "<nil>".into(), canonical)
}

/// Upstream's `formatHPAMetrics`: `current/target` per metric (the status
/// entry at the same index is the current value), two at most, then
/// `+ N more...`.
fn format_metrics(specs: &[Value], statuses: &[Value]) -> String {
    const SHOWN: usize = 2;
    if specs.is_empty() {
        return "<none>".into();
    }
    let list: Vec<String> = specs
        .iter()
        .enumerate()
        .map(|(index, spec)| {
            // The status entry of the same source, if there is one at `index`.
            let status = |source: &str| {
                statuses
                    .get(index)
                    .and_then(|s| s.get(source))
                    .filter(|s| s.is_object())
            };
            match text(spec, "/type") {
                kind @ ("External" | "Object") => {
                    let source = if kind == "External" {
                        "external"
                    } else {
                        "object"
                    };
                    let target = &spec[source]["target"];
                    if target.get("averageValue").is_some_and(|v| !v.is_null()) {
                        let current = status(source)
                            .and_then(|s| opt_text(s, "/current/averageValue"))
                            .map_or_else(|| "<unknown>".into(), canonical);
                        format!("{current}/{} (avg)", quantity(target, "/averageValue"))
                    } else {
                        let current = status(source)
                            .map_or_else(|| "<unknown>".into(), |s| quantity(s, "/current/value"));
                        format!("{current}/{}", quantity(target, "/value"))
                    }
                }
                "Pods" => {
                    let current = status("pods").map_or_else(
                        || "<unknown>".into(),
                        |s| quantity(s, "/current/averageValue"),
                    );
                    format!("{current}/{}", quantity(spec, "/pods/target/averageValue"))
                }
                kind @ ("Resource" | "ContainerResource") => {
                    let source = if kind == "Resource" {
                        "resource"
                    } else {
                        "containerResource"
                    };
                    let name = text(&spec[source], "/name");
                    let target = &spec[source]["target"];
                    if target.get("averageValue").is_some_and(|v| !v.is_null()) {
                        let current = status(source).map_or_else(
                            || "<unknown>".into(),
                            |s| quantity(s, "/current/averageValue"),
                        );
                        format!("{name}: {current}/{}", quantity(target, "/averageValue"))
                    } else {
                        let current = status(source)
                            .and_then(|s| opt_int(s, "/current/averageUtilization"))
                            .map_or_else(|| "<unknown>".into(), |u| format!("{u}%"));
                        let target = opt_int(target, "/averageUtilization")
                            .map_or_else(|| "<auto>".into(), |u| format!("{u}%"));
                        format!("{name}: {current}/{target}")
                    }
                }
                _ => "<unknown type>".into(),
            }
        })
        .collect();
    if list.len() > SHOWN {
        format!(
            "{} + {} more...",
            list[..SHOWN].join(", "),
            list.len() - SHOWN
        )
    } else {
        list.join(", ")
    }
}

fn autoscaler_cells(autoscaler: &Value) -> Vec<Value> {
    let (specs, statuses) = v2_metrics(autoscaler);
    let min_pods = opt_int(autoscaler, "/spec/minReplicas")
        .map_or_else(|| "<unset>".into(), |n| n.to_string());
    vec![
        name_cell(autoscaler),
        json!(format!(
            "{}/{}",
            text(autoscaler, "/spec/scaleTargetRef/kind"),
            text(autoscaler, "/spec/scaleTargetRef/name")
        )),
        json!(format_metrics(&specs, &statuses)),
        json!(min_pods),
        json!(int(autoscaler, "/spec/maxReplicas")),
        json!(int(autoscaler, "/status/currentReplicas")),
        age_cell(autoscaler),
    ]
}

fn resource_claim_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new(
            "State",
            "string",
            "A summary of the current state (allocated, pending, reserved, etc.).",
        ),
        age_column(),
    ]
}

/// `deleted`, `pending` / `allocated`, `reserved`, comma-joined.
fn resource_claim_cells(claim: &Value) -> Vec<Value> {
    let deleted = claim.deletion_timestamp().is_some();
    let allocated = claim
        .pointer("/status/allocation")
        .is_some_and(Value::is_object);
    let mut states = Vec::new();
    if deleted {
        states.push("deleted");
    }
    if !allocated {
        if !deleted {
            states.push("pending");
        }
    } else {
        states.push("allocated");
        if !items(claim, "/status/reservedFor").is_empty() {
            states.push("reserved");
        }
    }
    vec![name_cell(claim), json!(states.join(",")), age_cell(claim)]
}

fn resource_slice_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("Node", "string", doc::RESOURCE_SLICE_NODE_NAME),
        Column::new("Driver", "string", doc::RESOURCE_SLICE_DRIVER),
        Column::new("Pool", "string", doc::RESOURCE_POOL_NAME),
        age_column(),
    ]
}

fn resource_slice_cells(slice: &Value) -> Vec<Value> {
    vec![
        name_cell(slice),
        json!(text(slice, "/spec/nodeName")),
        json!(text(slice, "/spec/driver")),
        json!(text(slice, "/spec/pool/name")),
        age_cell(slice),
    ]
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::testing::{ago, cells, column_names};

    #[test]
    fn priority_class() {
        assert_eq!(
            column_names("scheduling.k8s.io", "PriorityClass"),
            ["Name", "Value", "Global-Default", "Age", "PreemptionPolicy"]
        );
        let class = json!({"metadata": {"name": "system-node-critical", "creationTimestamp": ago(3 * 3600)},
                           "value": 2000001000, "preemptionPolicy": "PreemptLowerPriority"});
        assert_eq!(
            cells("scheduling.k8s.io", "PriorityClass", &class),
            vec![
                json!("system-node-critical"),
                json!(2000001000),
                json!(false),
                json!("3h"),
                json!("PreemptLowerPriority")
            ]
        );
    }

    #[test]
    fn runtime_class() {
        let class = json!({"metadata": {"name": "gvisor", "creationTimestamp": ago(3 * 3600)},
                           "handler": "runsc"});
        assert_eq!(
            cells("node.k8s.io", "RuntimeClass", &class),
            vec![json!("gvisor"), json!("runsc"), json!("3h")]
        );
    }

    #[test]
    fn pod_disruption_budget() {
        assert_eq!(
            column_names("policy", "PodDisruptionBudget"),
            [
                "Name",
                "Min Available",
                "Max Unavailable",
                "Allowed Disruptions",
                "Age"
            ]
        );
        let budget = json!({"metadata": {"name": "web", "creationTimestamp": ago(3 * 3600)},
                            "spec": {"minAvailable": 2}, "status": {"disruptionsAllowed": 1}});
        assert_eq!(
            cells("policy", "PodDisruptionBudget", &budget),
            vec![
                json!("web"),
                json!("2"),
                json!("N/A"),
                json!(1),
                json!("3h")
            ]
        );
        let percent = json!({"metadata": {"name": "db"}, "spec": {"maxUnavailable": "25%"}});
        assert_eq!(
            cells("policy", "PodDisruptionBudget", &percent)[1..4],
            [json!("N/A"), json!("25%"), json!(0)]
        );
    }

    fn autoscaler(spec: Value, status: Value) -> Value {
        json!({"metadata": {"name": "web", "creationTimestamp": ago(3 * 3600)},
               "spec": spec, "status": status})
    }

    #[test]
    fn autoscaler_v2() {
        assert_eq!(
            column_names("autoscaling", "HorizontalPodAutoscaler"),
            [
                "Name",
                "Reference",
                "Targets",
                "MinPods",
                "MaxPods",
                "Replicas",
                "Age"
            ]
        );
        let hpa = autoscaler(
            json!({"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                   "minReplicas": 2, "maxReplicas": 10,
                   "metrics": [
                       {"type": "Resource", "resource": {"name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 80}}},
                       {"type": "Resource", "resource": {"name": "memory",
                        "target": {"type": "AverageValue", "averageValue": "1024Mi"}}}]}),
            json!({"currentReplicas": 3, "currentMetrics": [
                {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 45, "averageValue": "90m"}}},
                {"type": "Resource", "resource": {"name": "memory", "current": {"averageValue": "512Mi"}}}]}),
        );
        assert_eq!(
            cells("autoscaling", "HorizontalPodAutoscaler", &hpa),
            vec![
                json!("web"),
                json!("Deployment/web"),
                json!("cpu: 45%/80%, memory: 512Mi/1Gi"),
                json!("2"),
                json!(10),
                json!(3),
                json!("3h"),
            ]
        );
    }

    #[test]
    fn autoscaler_metrics_of_every_kind() {
        let hpa = autoscaler(
            json!({"scaleTargetRef": {"kind": "StatefulSet", "name": "db"}, "maxReplicas": 5,
                   "metrics": [
                       {"type": "Pods", "pods": {"metric": {"name": "qps"},
                        "target": {"type": "AverageValue", "averageValue": "1k"}}},
                       {"type": "External", "external": {"metric": {"name": "queue"},
                        "target": {"type": "Value", "value": "30"}}},
                       {"type": "Object", "object": {"metric": {"name": "hits"},
                        "target": {"type": "AverageValue", "averageValue": "500m"}}}]}),
            json!({}),
        );
        let c = cells("autoscaling", "HorizontalPodAutoscaler", &hpa);
        assert_eq!(c[2], json!("<unknown>/1k, <unknown>/30 + 1 more..."));
        assert_eq!(c[3], json!("<unset>"));

        let container = autoscaler(
            json!({"metrics": [{"type": "ContainerResource", "containerResource": {
                "name": "cpu", "container": "app", "target": {"type": "Utilization"}}}]}),
            json!({"currentMetrics": [{"type": "ContainerResource", "containerResource": {
                "name": "cpu", "container": "app", "current": {"averageUtilization": 12}}}]}),
        );
        assert_eq!(
            cells("autoscaling", "HorizontalPodAutoscaler", &container)[2],
            json!("cpu: 12%/<auto>")
        );
        let none = autoscaler(json!({}), json!({}));
        assert_eq!(
            cells("autoscaling", "HorizontalPodAutoscaler", &none)[2],
            json!("<none>")
        );
    }

    #[test]
    fn autoscaler_v1_cpu_target() {
        let hpa = autoscaler(
            json!({"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 1,
                   "maxReplicas": 4, "targetCPUUtilizationPercentage": 60}),
            json!({"currentReplicas": 1, "currentCPUUtilizationPercentage": 7}),
        );
        assert_eq!(
            cells("autoscaling", "HorizontalPodAutoscaler", &hpa)[2],
            json!("cpu: 7%/60%")
        );
        let fresh = autoscaler(json!({"targetCPUUtilizationPercentage": 60}), json!({}));
        assert_eq!(
            cells("autoscaling", "HorizontalPodAutoscaler", &fresh)[2],
            json!("cpu: <unknown>/60%")
        );
    }

    #[test]
    fn dynamic_resource_allocation() {
        let claim = |status: Value, deleted: bool| {
            let mut claim = json!({"metadata": {"name": "gpu", "creationTimestamp": ago(3 * 3600)},
                                   "status": status});
            if deleted {
                claim["metadata"]["deletionTimestamp"] = json!(ago(1));
            }
            cells("resource.k8s.io", "ResourceClaim", &claim)[1].clone()
        };
        assert_eq!(claim(json!({}), false), json!("pending"));
        assert_eq!(claim(json!({}), true), json!("deleted"));
        assert_eq!(
            claim(
                json!({"allocation": {}, "reservedFor": [{"name": "p"}]}),
                false
            ),
            json!("allocated,reserved")
        );
        assert_eq!(
            claim(json!({"allocation": {}}), true),
            json!("deleted,allocated")
        );
        let slice = json!({"metadata": {"name": "node-1-gpu", "creationTimestamp": ago(3 * 3600)},
                           "spec": {"nodeName": "node-1", "driver": "gpu.example.com",
                                    "pool": {"name": "node-1"}}});
        assert_eq!(
            cells("resource.k8s.io", "ResourceSlice", &slice),
            vec![
                json!("node-1-gpu"),
                json!("node-1"),
                json!("gpu.example.com"),
                json!("node-1"),
                json!("3h")
            ]
        );
        let class = json!({"metadata": {"name": "gpu", "creationTimestamp": ago(3 * 3600)}});
        assert_eq!(
            cells("resource.k8s.io", "DeviceClass", &class),
            vec![json!("gpu"), json!("3h")]
        );
        assert_eq!(
            column_names("resource.k8s.io", "ResourceClaimTemplate"),
            ["Name", "Age"]
        );
    }
}
