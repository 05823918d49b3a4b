//! PodTopologySpread: `DoNotSchedule` constraints keep the number of
//! matching pods per topology domain within `maxSkew` of the least
//! populated domain; `ScheduleAnyway` ones make emptier domains score
//! higher.

use std::collections::HashMap;
#[cfg(test)]
use std::sync::Arc;

use super::node_affinity;
use super::taint_toleration::tolerated;
use crate::scheduler::cache::Cache;
use crate::scheduler::framework::{Code, CycleState, MAX_NODE_SCORE, Plugin, Rejection};
use crate::scheduler::node_info::NodeInfo;
use crate::scheduler::pod_info::{PodInfo, SpreadConstraint};

/// Matching pods per domain, for each constraint.
pub struct SpreadState {
    /// Per hard constraint: domain value → matching pods, and the minimum.
    hard: Vec<(HashMap<String, i64>, i64)>,
    /// Per soft constraint: domain value → matching pods, and the weight.
    soft: Vec<(HashMap<String, i64>, f64)>,
}

/// Whether `node` counts for `constraint` (its policies).
fn eligible(pod: &PodInfo, node: &NodeInfo, constraint: &SpreadConstraint) -> bool {
    (!constraint.honor_node_affinity || node_affinity::matches(pod, node))
        && (!constraint.honor_node_taints
            || node.taints.iter().all(|t| {
                !matches!(t.effect.as_str(), "NoSchedule" | "NoExecute")
                    || tolerated(&pod.tolerations, t)
            }))
}

fn count(pod: &PodInfo, node: &NodeInfo, constraint: &SpreadConstraint) -> i64 {
    node.pods
        .iter()
        .filter(|p| {
            p.namespace == pod.namespace && !p.terminating && constraint.selector.matches(&p.labels)
        })
        .count() as i64
}

fn domains(
    pod: &PodInfo,
    cache: &Cache,
    constraint: &SpreadConstraint,
    all_keys: &[&str],
) -> HashMap<String, i64> {
    let mut counts: HashMap<String, i64> = HashMap::new();
    for node in cache.nodes() {
        if !all_keys.iter().all(|k| node.labels.contains_key(*k))
            || !eligible(pod, node, constraint)
        {
            continue;
        }
        let value = &node.labels[&constraint.topology_key];
        *counts.entry(value.clone()).or_default() += count(pod, node, constraint);
    }
    counts
}

pub fn prefilter(pod: &PodInfo, cache: &Cache) -> Option<SpreadState> {
    if pod.spread_hard.is_empty() && pod.spread_soft.is_empty() {
        return None;
    }
    // A node counts only if it has every constraint's topology key.
    let hard_keys: Vec<&str> = pod
        .spread_hard
        .iter()
        .map(|c| c.topology_key.as_str())
        .collect();
    let hard = pod
        .spread_hard
        .iter()
        .map(|constraint| {
            let counts = domains(pod, cache, constraint, &hard_keys);
            let too_few_domains = constraint
                .min_domains
                .is_some_and(|min| (counts.len() as i64) < min);
            let min = if too_few_domains {
                0
            } else {
                counts.values().copied().min().unwrap_or(0)
            };
            (counts, min)
        })
        .collect();
    let soft_keys: Vec<&str> = pod
        .spread_soft
        .iter()
        .map(|c| c.topology_key.as_str())
        .collect();
    let soft = pod
        .spread_soft
        .iter()
        .map(|constraint| {
            let counts = domains(pod, cache, constraint, &soft_keys);
            // Upstream weighs a constraint by the log of its domain count,
            // so that spreading over many hosts does not drown out a few
            // zones.
            let weight = ((counts.len() + 2) as f64).ln();
            (counts, weight)
        })
        .collect();
    Some(SpreadState { hard, soft })
}

pub fn filter(
    pod: &PodInfo,
    node: &NodeInfo,
    state: Option<&SpreadState>,
) -> Result<(), Rejection> {
    let Some(state) = state else {
        return Ok(());
    };
    for (constraint, (counts, min)) in pod.spread_hard.iter().zip(&state.hard) {
        let Some(value) = node.labels.get(&constraint.topology_key) else {
            return Err(Rejection::new(
                Plugin::PodTopologySpread,
                Code::UnschedulableAndUnresolvable,
                "node(s) didn't match pod topology spread constraints (missing required label)",
            ));
        };
        let self_match = i64::from(constraint.selector.matches(&pod.labels));
        let skew = counts.get(value).copied().unwrap_or(0) + self_match - min;
        if skew > constraint.max_skew {
            return Err(Rejection::new(
                Plugin::PodTopologySpread,
                Code::Unschedulable,
                "node(s) didn't match pod topology spread constraints",
            ));
        }
    }
    Ok(())
}

/// ScheduleAnyway constraints: nodes in domains with fewer matching pods
/// score higher.
pub fn scores(pod: &PodInfo, nodes: &[&NodeInfo], state: &CycleState) -> Vec<i64> {
    let Some(spread) = &state.spread else {
        return vec![0; nodes.len()];
    };
    let raw: Vec<Option<f64>> = nodes
        .iter()
        .map(|node| {
            let mut total = 0.0;
            for (constraint, (counts, weight)) in pod.spread_soft.iter().zip(&spread.soft) {
                let value = node.labels.get(&constraint.topology_key)?;
                let matching = counts.get(value).copied().unwrap_or(0) as f64;
                total += matching * weight + (constraint.max_skew - 1) as f64;
            }
            Some(total)
        })
        .collect();
    let present = raw.iter().flatten();
    let max = present.clone().copied().fold(f64::MIN, f64::max);
    let min = present.copied().fold(f64::MAX, f64::min);
    raw.into_iter()
        .map(|score| match score {
            None => 0,
            Some(_) if max <= 0.0 => MAX_NODE_SCORE,
            Some(s) => (MAX_NODE_SCORE as f64 * (max + min - s) / max) as i64,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::node_info::tests::{node, pod};
    use serde_json::json;

    #[test]
    fn skew_beyond_max_is_refused_and_missing_labels_unresolvable() {
        let mut cache = Cache::default();
        for (name, zone) in [("a", "z1"), ("b", "z2")] {
            cache.set_node(
                &serde_json::from_value(
                    json!({"metadata": {"name": name, "labels": {"zone": zone}}}),
                )
                .unwrap(),
            );
        }
        let spec = json!({"containers": [], "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone",
            "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"app": "web"}}}]});
        let mut bound = (*pod("w1", json!({"app": "web"}), spec.clone())).clone();
        bound.pod.spec.as_mut().unwrap().node_name = Some("a".into());
        cache.set_bound_pod(Arc::new(bound));
        let incoming = pod("w2", json!({"app": "web"}), spec);
        let state = prefilter(&incoming, &cache);
        assert!(filter(&incoming, cache.node("b").unwrap(), state.as_ref()).is_ok());
        assert_eq!(
            filter(&incoming, cache.node("a").unwrap(), state.as_ref())
                .unwrap_err()
                .reasons,
            ["node(s) didn't match pod topology spread constraints"]
        );
        let unlabelled = node(json!({"metadata": {"name": "c"}}));
        let rejection = filter(&incoming, &unlabelled, state.as_ref()).unwrap_err();
        assert_eq!(rejection.code, Code::UnschedulableAndUnresolvable);
    }
}
