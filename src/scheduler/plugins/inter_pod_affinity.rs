//! InterPodAffinity (required terms): a pod with affinity goes where
//! matching pods already run (in the same topology domain); a pod with
//! anti-affinity stays away from them; and no pod may land where an
//! existing pod's anti-affinity forbids it (checked in that order, as
//! upstream does, which decides the reason reported).

use std::collections::HashMap;

use crate::scheduler::cache::Cache;
use crate::scheduler::framework::{Code, Plugin, Rejection};
use crate::scheduler::node_info::NodeInfo;
use crate::scheduler::pod_info::PodInfo;

/// (topology key, value) → matching pods.
type Counts = HashMap<(String, String), i64>;

pub struct AffinityState {
    /// Existing pods whose anti-affinity the incoming pod would violate.
    existing_anti: Counts,
    /// Pods matching all of the incoming pod's affinity terms.
    affinity: Counts,
    /// Pods matching one of the incoming pod's anti-affinity terms.
    anti: Counts,
}

fn add(counts: &mut Counts, node: &NodeInfo, key: &str) {
    if let Some(value) = node.labels.get(key) {
        *counts.entry((key.to_owned(), value.clone())).or_default() += 1;
    }
}

pub fn prefilter(pod: &PodInfo, cache: &Cache) -> Option<AffinityState> {
    let mut state = AffinityState {
        existing_anti: Counts::new(),
        affinity: Counts::new(),
        anti: Counts::new(),
    };
    let own_terms = !pod.required_affinity.is_empty() || !pod.required_anti_affinity.is_empty();
    let mut any_existing = false;
    for node in cache.nodes() {
        if node.pods_with_required_anti_affinity > 0 {
            for existing in &node.pods {
                for term in &existing.required_anti_affinity {
                    if term.matches(pod) {
                        add(&mut state.existing_anti, node, &term.topology_key);
                        any_existing = true;
                    }
                }
            }
        }
        if !own_terms {
            continue;
        }
        for existing in &node.pods {
            if !pod.required_affinity.is_empty()
                && pod.required_affinity.iter().all(|t| t.matches(existing))
            {
                for term in &pod.required_affinity {
                    add(&mut state.affinity, node, &term.topology_key);
                }
            }
            for term in &pod.required_anti_affinity {
                if term.matches(existing) {
                    add(&mut state.anti, node, &term.topology_key);
                }
            }
        }
    }
    (own_terms || any_existing).then_some(state)
}

fn domain_count(counts: &Counts, node: &NodeInfo, key: &str) -> i64 {
    node.labels
        .get(key)
        .and_then(|value| counts.get(&(key.to_owned(), value.clone())))
        .copied()
        .unwrap_or(0)
}

pub fn filter(
    pod: &PodInfo,
    node: &NodeInfo,
    state: Option<&AffinityState>,
) -> Result<(), Rejection> {
    let Some(state) = state else {
        return Ok(());
    };
    if !pod.required_affinity.is_empty() {
        let has_keys = pod
            .required_affinity
            .iter()
            .all(|t| node.labels.contains_key(&t.topology_key));
        let satisfied = has_keys
            && pod
                .required_affinity
                .iter()
                .all(|t| domain_count(&state.affinity, node, &t.topology_key) > 0);
        // The first pod of a group that selects itself may go anywhere
        // its terms' topology keys exist.
        let first_of_its_kind = has_keys
            && state.affinity.is_empty()
            && pod.required_affinity.iter().all(|t| t.matches(pod));
        if !satisfied && !first_of_its_kind {
            return Err(Rejection::new(
                Plugin::InterPodAffinity,
                Code::UnschedulableAndUnresolvable,
                "node(s) didn't match pod affinity rules",
            ));
        }
    }
    if pod
        .required_anti_affinity
        .iter()
        .any(|t| domain_count(&state.anti, node, &t.topology_key) > 0)
    {
        return Err(Rejection::new(
            Plugin::InterPodAffinity,
            Code::Unschedulable,
            "node(s) didn't match pod anti-affinity rules",
        ));
    }
    let existing_violated = state
        .existing_anti
        .keys()
        .any(|(key, value)| node.labels.get(key) == Some(value));
    if existing_violated {
        return Err(Rejection::new(
            Plugin::InterPodAffinity,
            Code::Unschedulable,
            "node(s) didn't satisfy existing pods anti-affinity rules",
        ));
    }
    Ok(())
}
