//! TaintToleration: a node's NoSchedule and NoExecute taints keep out
//! pods that do not tolerate them; PreferNoSchedule taints a pod does not
//! tolerate lower the node's score.

use k8s_openapi::api::core::v1::{Taint, Toleration};

use crate::scheduler::framework::{Code, MAX_NODE_SCORE, Plugin, Rejection};
use crate::scheduler::node_info::NodeInfo;
use crate::scheduler::pod_info::PodInfo;

/// Whether one toleration tolerates a taint (upstream's
/// `ToleratesTaint`): the same effect (or any), the same key (or any,
/// with `Exists`), and the same value unless `Exists`.
pub fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    let effect = toleration.effect.as_deref().unwrap_or_default();
    if !effect.is_empty() && effect != taint.effect {
        return false;
    }
    let key = toleration.key.as_deref().unwrap_or_default();
    if !key.is_empty() && key != taint.key {
        return false;
    }
    match toleration.operator.as_deref().unwrap_or("Equal") {
        "Exists" => true,
        "Equal" | "" => {
            toleration.value.as_deref().unwrap_or_default()
                == taint.value.as_deref().unwrap_or_default()
        }
        _ => false,
    }
}

pub fn tolerated(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| tolerates(t, taint))
}

pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    let untolerated = node.taints.iter().find(|taint| {
        matches!(taint.effect.as_str(), "NoSchedule" | "NoExecute")
            && !tolerated(&pod.tolerations, taint)
    });
    match untolerated {
        None => Ok(()),
        Some(taint) => Err(Rejection::new(
            Plugin::TaintToleration,
            Code::UnschedulableAndUnresolvable,
            format!(
                "node(s) had untolerated taint {{{}: {}}}",
                taint.key,
                taint.value.as_deref().unwrap_or_default()
            ),
        )),
    }
}

/// Fewer untolerated PreferNoSchedule taints score higher (only the
/// pod's tolerations for that effect, or for every effect, count).
pub fn scores(pod: &PodInfo, nodes: &[&NodeInfo]) -> Vec<i64> {
    let tolerations: Vec<Toleration> = pod
        .tolerations
        .iter()
        .filter(|t| {
            matches!(
                t.effect.as_deref(),
                None | Some("") | Some("PreferNoSchedule")
            )
        })
        .cloned()
        .collect();
    let counts: Vec<i64> = nodes
        .iter()
        .map(|node| {
            node.taints
                .iter()
                .filter(|t| t.effect == "PreferNoSchedule" && !tolerated(&tolerations, t))
                .count() as i64
        })
        .collect();
    let max = counts.iter().copied().max().unwrap_or(0);
    counts
        .into_iter()
        .map(|c| {
            if max == 0 {
                MAX_NODE_SCORE
            } else {
                MAX_NODE_SCORE - c * MAX_NODE_SCORE / max
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::node_info::tests::{node, pod};
    use serde_json::json;

    #[test]
    fn untolerated_taints_keep_pods_off_and_preferences_lower_scores() {
        let tainted = node(
            json!({"metadata": {"name": "a"}, "spec": {"taints": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]}}),
        );
        let plain = pod("p", json!({}), json!({"containers": []}));
        assert_eq!(
            filter(&plain, &tainted).unwrap_err().reasons,
            ["node(s) had untolerated taint {dedicated: gpu}"]
        );
        let tolerant = pod(
            "t",
            json!({}),
            json!({"containers": [], "tolerations": [{"key": "dedicated", "operator": "Exists"}]}),
        );
        assert_eq!(filter(&tolerant, &tainted), Ok(()));
        let preferred = node(
            json!({"metadata": {"name": "b"}, "spec": {"taints": [{"key": "x", "effect": "PreferNoSchedule"}]}}),
        );
        let clean = node(json!({"metadata": {"name": "c"}}));
        assert_eq!(scores(&plain, &[&preferred, &clean]), [0, 100]);
    }
}
