//! Which pods go first when there are too many: upstream's order, the
//! pods that cost least to lose first — not yet on a node, then pending,
//! then not ready, then ready for the shortest time, then restarted most,
//! then the newest.

use std::cmp::Ordering;

use k8s_openapi::api::core::v1::Pod;

use crate::controllers::pods::ready_since;

fn phase_rank(pod: &Pod) -> u8 {
    match pod.status.as_ref().and_then(|s| s.phase.as_deref()) {
        Some("Pending") | None => 0,
        Some("Unknown") => 1,
        Some("Running") => 2,
        _ => 3,
    }
}

fn restarts(pod: &Pod) -> i32 {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .map_or(0, |statuses| {
            statuses.iter().map(|c| c.restart_count).max().unwrap_or(0)
        })
}

/// `Less` when `a` should be deleted before `b`.
pub fn deletion_order(a: &Pod, b: &Pod) -> Ordering {
    let assigned = |p: &Pod| {
        p.spec
            .as_ref()
            .and_then(|s| s.node_name.as_deref())
            .is_some_and(|n| !n.is_empty())
    };
    let created = |p: &Pod| p.metadata.creation_timestamp.as_ref().map(|t| t.0);
    assigned(a)
        .cmp(&assigned(b))
        .then_with(|| phase_rank(a).cmp(&phase_rank(b)))
        .then_with(|| ready_since(a).is_some().cmp(&ready_since(b).is_some()))
        // Ready for less time (a later transition) goes first.
        .then_with(|| ready_since(b).cmp(&ready_since(a)))
        .then_with(|| restarts(b).cmp(&restarts(a)))
        // Newer goes first.
        .then_with(|| created(b).cmp(&created(a)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pod(value: serde_json::Value) -> Pod {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn the_cheapest_pods_go_first() {
        let unscheduled = pod(json!({"metadata": {"name": "unscheduled"}}));
        let pending = pod(
            json!({"metadata": {"name": "pending"}, "spec": {"nodeName": "n", "containers": []},
            "status": {"phase": "Pending"}}),
        );
        let running = |name: &str, ready_at: &str, created: &str| {
            pod(json!({
            "metadata": {"name": name, "creationTimestamp": created},
            "spec": {"nodeName": "n", "containers": []},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": ready_at}]}}))
        };
        let long_ready = running("long-ready", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z");
        let just_ready = running("just-ready", "2024-01-02T00:00:00Z", "2024-01-01T00:00:00Z");
        let mut pods = [long_ready, just_ready, pending, unscheduled];
        pods.sort_by(deletion_order);
        let names: Vec<_> = pods
            .iter()
            .map(|p| p.metadata.name.clone().unwrap())
            .collect();
        assert_eq!(
            names,
            ["unscheduled", "pending", "just-ready", "long-ready"]
        );
    }
}
