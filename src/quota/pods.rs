//! Pods in quota: whether one still counts, what it uses (requests and
//! limits, as the scheduler reckons them), which scopes it is in, and the
//! requests a quota on compute resources makes every container state.

use serde_json::Value;

use super::{Quantity, ScopeRequirement, Usage, whole};
use crate::apiserver::registry::kinds::pod_spec::qos_class;

/// Resources whose requests have a bare alias (`cpu` = `requests.cpu`).
const ALIASED: [&str; 3] = ["cpu", "memory", "ephemeral-storage"];
/// Resources limits are counted for.
const LIMITED: [&str; 3] = ["cpu", "memory", "ephemeral-storage"];

/// Whether a pod uses quota: not once it has finished, nor once the grace
/// period of its deletion is over.
pub fn counts(pod: &Value) -> bool {
    if matches!(
        pod["status"]["phase"].as_str(),
        Some("Succeeded" | "Failed")
    ) {
        return false;
    }
    let metadata = &pod["metadata"];
    if let (Some(deleted), Some(grace)) = (
        metadata["deletionTimestamp"].as_str(),
        metadata["deletionGracePeriodSeconds"].as_i64(),
    ) && let Ok(deleted) = deleted.parse::<jiff::Timestamp>()
    {
        return jiff::Timestamp::now().as_second() < deleted.as_second() + grace;
    }
    true
}

/// Whether `name` is something pods use.
pub fn covers(name: &str) -> bool {
    if matches!(name, "pods" | "count/pods") || ALIASED.contains(&name) {
        return true;
    }
    if let Some(limit) = name.strip_prefix("limits.") {
        return LIMITED.contains(&limit);
    }
    name.starts_with("requests.")
}

/// Adds what a running `pod` uses to `usage`.
pub fn usage(pod: &Value, usage: &mut Usage) {
    usage.insert("pods".into(), whole(1));
    let spec = &pod["spec"];
    for (name, amount) in effective(spec, "requests") {
        if ALIASED.contains(&name.as_str()) {
            usage.insert(name.clone(), amount);
        }
        usage.insert(format!("requests.{name}"), amount);
    }
    for (name, amount) in effective(spec, "limits") {
        if LIMITED.contains(&name.as_str()) {
            usage.insert(format!("limits.{name}"), amount);
        }
    }
}

/// A pod's effective requests or limits (`part`): the larger of the sum
/// over its containers and the largest of its init containers, plus the
/// pod's overhead.
fn effective(spec: &Value, part: &str) -> Usage {
    let list = |key: &str| -> Vec<Usage> {
        spec[key]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| super::read_list(&c["resources"][part]))
            .collect()
    };
    let mut total = Usage::new();
    for container in list("containers") {
        for (name, amount) in container {
            total.entry(name).or_default().0 += amount.0;
        }
    }
    for init in list("initContainers") {
        for (name, amount) in init {
            let entry = total.entry(name).or_default();
            *entry = (*entry).max(amount);
        }
    }
    for (name, amount) in super::read_list(&spec["overhead"]) {
        total.entry(name).or_default().0 += amount.0;
    }
    total.retain(|_, amount: &mut Quantity| !amount.is_zero());
    total
}

/// Whether `pod` is in the scope `requirement` names.
pub fn in_scope(pod: &Value, requirement: &ScopeRequirement) -> bool {
    let spec = &pod["spec"];
    let holds = match requirement.scope.as_str() {
        "Terminating" => spec["activeDeadlineSeconds"]
            .as_i64()
            .is_some_and(|s| s >= 0),
        "NotTerminating" => spec["activeDeadlineSeconds"].as_i64().is_none_or(|s| s < 0),
        "BestEffort" => qos_class(spec) == "BestEffort",
        "NotBestEffort" => qos_class(spec) != "BestEffort",
        "PriorityClass" => {
            let class = spec["priorityClassName"].as_str().filter(|c| !c.is_empty());
            return match requirement.operator.as_str() {
                "Exists" => class.is_some(),
                "DoesNotExist" => class.is_none(),
                "In" => class.is_some_and(|c| requirement.values.iter().any(|v| v == c)),
                "NotIn" => !class.is_some_and(|c| requirement.values.iter().any(|v| v == c)),
                _ => false,
            };
        }
        "CrossNamespacePodAffinity" => cross_namespace_affinity(spec),
        _ => false,
    };
    match requirement.operator.as_str() {
        "DoesNotExist" => !holds,
        _ => holds,
    }
}

/// Whether a pod's (anti-)affinity terms reach into other namespaces.
fn cross_namespace_affinity(spec: &Value) -> bool {
    ["podAffinity", "podAntiAffinity"].iter().any(|kind| {
        let affinity = &spec["affinity"][kind];
        let required = affinity["requiredDuringSchedulingIgnoredDuringExecution"]
            .as_array()
            .into_iter()
            .flatten();
        let preferred = affinity["preferredDuringSchedulingIgnoredDuringExecution"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|weighted| &weighted["podAffinityTerm"]);
        required.chain(preferred).any(|term| {
            term["namespaces"].as_array().is_some_and(|n| !n.is_empty())
                || term["namespaceSelector"].is_object()
        })
    })
}

/// Upstream's old rule: a quota on cpu or memory requests or limits makes
/// every container state them. `restricted` are the quota's resource names
/// that pods use; the error lists what is missing.
pub fn constraints(pod: &Value, restricted: &[&str]) -> Result<(), String> {
    const CHECKED: [(&str, &str, &str); 6] = [
        ("cpu", "requests", "cpu"),
        ("memory", "requests", "memory"),
        ("requests.cpu", "requests", "cpu"),
        ("requests.memory", "requests", "memory"),
        ("limits.cpu", "limits", "cpu"),
        ("limits.memory", "limits", "memory"),
    ];
    // Resource → the containers that do not state it.
    let mut missing: std::collections::BTreeMap<&str, std::collections::BTreeSet<&str>> =
        Default::default();
    for list in ["containers", "initContainers"] {
        for container in pod["spec"][list].as_array().into_iter().flatten() {
            for (name, part, resource) in CHECKED {
                if restricted.contains(&name) && container["resources"][part][resource].is_null() {
                    let container = container["name"].as_str().unwrap_or_default();
                    missing.entry(name).or_default().insert(container);
                }
            }
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let missing: Vec<String> = missing
        .into_iter()
        .map(|(name, containers)| {
            let containers: Vec<&str> = containers.into_iter().collect();
            format!("{name} for: {}", containers.join(","))
        })
        .collect();
    Err(format!("must specify {}", missing.join("; ")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::quota::pretty;

    #[test]
    fn a_pod_uses_its_requests_and_limits() {
        let pod = json!({"spec": {"containers": [
            {"name": "a", "resources": {"requests": {"cpu": "500m", "memory": "252Mi", "example.com/dongle": "2"},
                                         "limits": {"cpu": "1", "example.com/dongle": "2"}}},
            {"name": "b", "resources": {"requests": {"cpu": "250m"}}}
        ], "initContainers": [{"name": "i", "resources": {"requests": {"cpu": "2"}}}]}});
        let mut used = Usage::new();
        usage(&pod, &mut used);
        assert_eq!(
            pretty(&used),
            "cpu=2,limits.cpu=1,memory=252Mi,pods=1,requests.cpu=2,requests.example.com/dongle=2,requests.memory=252Mi"
        );
    }

    #[test]
    fn finished_pods_do_not_count() {
        assert!(counts(&json!({"status": {"phase": "Running"}})));
        assert!(!counts(&json!({"status": {"phase": "Succeeded"}})));
        assert!(!counts(
            &json!({"metadata": {"deletionTimestamp": "2020-01-01T00:00:00Z", "deletionGracePeriodSeconds": 30}})
        ));
    }

    #[test]
    fn scopes() {
        let requirement = |scope: &str| ScopeRequirement {
            scope: scope.into(),
            operator: "Exists".into(),
            values: vec![],
        };
        let best_effort = json!({"spec": {"containers": [{"name": "c"}]}});
        let deadline = json!({"spec": {"activeDeadlineSeconds": 3600, "containers": [{"name": "c", "resources": {"requests": {"cpu": "1"}}}]}});
        assert!(in_scope(&best_effort, &requirement("BestEffort")));
        assert!(!in_scope(&deadline, &requirement("BestEffort")));
        assert!(in_scope(&deadline, &requirement("Terminating")));
        assert!(in_scope(&best_effort, &requirement("NotTerminating")));
    }

    #[test]
    fn compute_quotas_need_explicit_requests() {
        let pod = json!({"spec": {"containers": [
            {"name": "c", "resources": {"requests": {"cpu": "1"}}},
            {"name": "d", "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}
        ]}});
        assert_eq!(constraints(&pod, &["cpu", "pods"]), Ok(()));
        assert_eq!(
            constraints(&pod, &["cpu", "memory", "limits.cpu"]),
            Err("must specify limits.cpu for: c,d; memory for: c".into())
        );
    }
}
