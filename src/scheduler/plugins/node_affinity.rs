//! NodeAffinity: `nodeSelector` and required node affinity decide which
//! nodes a pod may use; preferred terms add their weights to a node's
//! score.

use crate::scheduler::framework::{Code, MAX_NODE_SCORE, Plugin, Rejection};
use crate::scheduler::node_info::NodeInfo;
use crate::scheduler::pod_info::PodInfo;
use crate::scheduler::selectors::{pod_selects_node, term_matches};

/// Whether the pod's node selector and required node affinity allow
/// `node` (any one of the required terms suffices).
pub fn matches(pod: &PodInfo, node: &NodeInfo) -> bool {
    pod.pod
        .spec
        .as_ref()
        .is_none_or(|spec| pod_selects_node(spec, &node.labels, &node.name))
}

pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    if matches(pod, node) {
        Ok(())
    } else {
        Err(Rejection::new(
            Plugin::NodeAffinity,
            Code::UnschedulableAndUnresolvable,
            "node(s) didn't match Pod's node affinity/selector",
        ))
    }
}

fn preferred(pod: &PodInfo) -> &[k8s_openapi::api::core::v1::PreferredSchedulingTerm] {
    pod.pod
        .spec
        .as_ref()
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|a| {
            a.preferred_during_scheduling_ignored_during_execution
                .as_deref()
        })
        .unwrap_or_default()
}

pub fn has_preferences(pod: &PodInfo) -> bool {
    !preferred(pod).is_empty()
}

/// The sum of matching preferred terms' weights, scaled to 0…100.
pub fn scores(pod: &PodInfo, nodes: &[&NodeInfo]) -> Vec<i64> {
    let terms = preferred(pod);
    let raw: Vec<i64> = nodes
        .iter()
        .map(|node| {
            terms
                .iter()
                .filter(|t| term_matches(&t.preference, &node.labels, &node.name))
                .map(|t| i64::from(t.weight))
                .sum()
        })
        .collect();
    let max = raw.iter().copied().max().unwrap_or(0);
    raw.into_iter()
        .map(|s| {
            if max == 0 {
                0
            } else {
                s * MAX_NODE_SCORE / max
            }
        })
        .collect()
}
