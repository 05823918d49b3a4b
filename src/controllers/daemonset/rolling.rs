//! A DaemonSet's rolling update: which old pods go (and, with `maxSurge`,
//! which nodes get their new pod first), as upstream's `rollingUpdate`.
//!
//! * Without surge, at most `maxUnavailable` nodes (default 1; a
//!   percentage of the desired count, rounded up) lack an available pod at
//!   any time: an old pod is deleted only while fewer are, and its
//!   replacement comes on the next pass. Old pods that are unavailable
//!   anyway go at once.
//! * With `maxSurge`, the new pod starts beside the old one on at most
//!   `maxSurge` nodes at a time, and the old one is deleted once the new
//!   one is available.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::RollingUpdateDaemonSet;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::ResourceExt;

use super::PodsByNode;
use super::placement::Placement;
use crate::controllers::history::REVISION_HASH_LABEL;
use crate::controllers::int_or_percent::scaled;
use crate::controllers::pods;

/// What the update does this pass.
#[derive(Debug, Default)]
pub struct Decision {
    pub create_on: Vec<String>,
    pub delete: Vec<Arc<Pod>>,
    /// When a pod waiting out `minReadySeconds` becomes available.
    pub requeue: Option<Duration>,
}

pub fn update(
    strategy: &RollingUpdateDaemonSet,
    nodes: &[(Arc<Node>, Placement)],
    by_node: &PodsByNode,
    hash: &str,
    min_ready: i32,
    now: jiff::Timestamp,
) -> Decision {
    let desired = nodes.iter().filter(|(_, p)| p.should_run).count() as i32;
    let max_surge = strategy
        .max_surge
        .as_ref()
        .map_or(0, |s| scaled(s, desired, true));
    let mut max_unavailable = strategy
        .max_unavailable
        .as_ref()
        .map_or(1, |s| scaled(s, desired, true));
    if max_surge == 0 && max_unavailable == 0 {
        max_unavailable = 1;
    }
    let mut decision = Decision::default();
    let available = |pod: &Pod, decision: &mut Decision| {
        if pods::is_available(pod, min_ready, now) {
            return true;
        }
        if let Some(since) = pods::ready_since(pod) {
            let wait = since.as_second() + i64::from(min_ready) - now.as_second();
            let after = Duration::from_secs(wait.max(0) as u64 + 1);
            decision.requeue = Some(decision.requeue.map_or(after, |r| r.min(after)));
        }
        false
    };
    let mut unavailable = 0;
    let mut surging = 0;
    let mut candidates = Vec::new();
    let mut surge_candidates = Vec::new();
    for (node, _) in nodes.iter().filter(|(_, p)| p.should_run) {
        let name = node.name_any();
        let active: Vec<&Arc<Pod>> = by_node
            .get(&name)
            .into_iter()
            .flatten()
            .filter(|p| pods::is_active(p))
            .collect();
        let is_new = |p: &Pod| {
            pods::labels(&p.metadata)
                .get(REVISION_HASH_LABEL)
                .map(String::as_str)
                == Some(hash)
        };
        let new = active.iter().find(|p| is_new(p));
        let old = active.iter().find(|p| !is_new(p));
        match (new, old) {
            (None, None) => unavailable += 1,
            (Some(new), None) => {
                if !available(new, &mut decision) {
                    unavailable += 1;
                }
            }
            (Some(new), Some(old)) => {
                // Surging: the old pod goes once the new one serves.
                if available(new, &mut decision) {
                    decision.delete.push((*old).clone());
                } else {
                    surging += 1;
                }
            }
            (None, Some(old)) if max_surge > 0 => {
                if available(old, &mut decision) {
                    surge_candidates.push(name);
                } else {
                    decision.create_on.push(name);
                }
            }
            (None, Some(old)) => {
                if available(old, &mut decision) {
                    candidates.push((*old).clone());
                } else {
                    unavailable += 1;
                    decision.delete.push((*old).clone());
                }
            }
        }
    }
    for pod in candidates {
        if unavailable >= max_unavailable {
            break;
        }
        unavailable += 1;
        decision.delete.push(pod);
    }
    for node in surge_candidates {
        if surging >= max_surge {
            break;
        }
        surging += 1;
        decision.create_on.push(node);
    }
    decision
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    use serde_json::json;

    fn node(name: &str) -> (Arc<Node>, Placement) {
        let node: Node = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
        (
            Arc::new(node),
            Placement {
                should_run: true,
                may_continue: true,
            },
        )
    }

    fn pod(name: &str, hash: &str) -> Arc<Pod> {
        Arc::new(
            serde_json::from_value(json!({
                "metadata": {"name": name, "labels": {"controller-revision-hash": hash}},
                "status": {"phase": "Running", "conditions": [
                    {"type": "Ready", "status": "True", "lastTransitionTime": "2020-01-01T00:00:00Z"}
                ]}
            }))
            .unwrap(),
        )
    }

    fn cluster(hashes: &[&str]) -> (Vec<(Arc<Node>, Placement)>, PodsByNode) {
        let nodes = (0..hashes.len()).map(|i| node(&format!("n{i}"))).collect();
        let pods = hashes
            .iter()
            .enumerate()
            .map(|(i, h)| (format!("n{i}"), vec![pod(&format!("p{i}"), h)]))
            .collect();
        (nodes, pods)
    }

    #[test]
    fn max_unavailable_bounds_how_many_old_pods_go_at_once() {
        let (nodes, pods) = cluster(&["old", "old", "old", "old"]);
        let now = jiff::Timestamp::now();
        let one = update(
            &RollingUpdateDaemonSet::default(),
            &nodes,
            &pods,
            "new",
            0,
            now,
        );
        assert_eq!(one.delete.len(), 1);
        assert!(one.create_on.is_empty());
        let half = RollingUpdateDaemonSet {
            max_unavailable: Some(IntOrString::String("50%".into())),
            ..Default::default()
        };
        assert_eq!(update(&half, &nodes, &pods, "new", 0, now).delete.len(), 2);
        // A node still without its new pod uses up the budget.
        let (nodes, mut pods) = cluster(&["old", "old", "new"]);
        pods.remove("n2");
        assert!(
            update(
                &RollingUpdateDaemonSet::default(),
                &nodes,
                &pods,
                "new",
                0,
                now
            )
            .delete
            .is_empty()
        );
    }

    #[test]
    fn surge_starts_new_pods_beside_old_ones() {
        let (nodes, mut pods) = cluster(&["old", "old"]);
        let surge = RollingUpdateDaemonSet {
            max_surge: Some(IntOrString::Int(1)),
            max_unavailable: Some(IntOrString::Int(0)),
        };
        let now = jiff::Timestamp::now();
        let first = update(&surge, &nodes, &pods, "new", 0, now);
        assert_eq!(first.create_on, ["n0"]);
        assert!(first.delete.is_empty());
        // Once the new pod is available, the old one goes.
        pods.get_mut("n0").unwrap().push(pod("p0-new", "new"));
        let second = update(&surge, &nodes, &pods, "new", 0, now);
        assert_eq!(
            second
                .delete
                .iter()
                .map(|p| p.name_any())
                .collect::<Vec<_>>(),
            ["p0"]
        );
    }
}
