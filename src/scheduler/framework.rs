//! The scheduling framework, as upstream's default profile runs it: a
//! pre-filter pass that computes what needs the whole cluster (pod
//! affinity and topology spread counts, nominated pods), the filters in
//! upstream's order (the first that rejects a node decides why), and the
//! weighted scores of the nodes that pass.

use std::collections::HashMap;

use super::cache::Cache;
use super::node_info::NodeInfo;
use super::plugins::{
    balanced_allocation, inter_pod_affinity, least_allocated, node_affinity, node_name, node_ports,
    node_resources_fit, node_unschedulable, pod_topology_spread, taint_toleration,
};
use super::pod_info::PodInfo;
use super::resources::Resources;

/// The filter plugins, as flags: which rejected a pod, and which a
/// cluster event may have changed its mind about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plugin {
    NodeUnschedulable = 1,
    NodeName = 2,
    TaintToleration = 4,
    NodeAffinity = 8,
    NodePorts = 16,
    NodeResourcesFit = 32,
    PodTopologySpread = 64,
    InterPodAffinity = 128,
}

/// A set of [`Plugin`]s.
pub type Plugins = u16;

/// Every plugin.
pub const ALL_PLUGINS: Plugins = 0xff;

/// How a node was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// Evicting pods might make room (preemption may help).
    Unschedulable,
    /// No eviction can help on this node.
    UnschedulableAndUnresolvable,
}

/// Why a node cannot take a pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub plugin: Plugin,
    pub code: Code,
    /// Upstream's reason texts (counted per node in the message).
    pub reasons: Vec<String>,
}

impl Rejection {
    pub fn new(plugin: Plugin, code: Code, reason: impl Into<String>) -> Rejection {
        Rejection {
            plugin,
            code,
            reasons: vec![reason.into()],
        }
    }
}

/// What the pre-filter pass computed for one pod.
#[derive(Default)]
pub struct CycleState {
    pub spread: Option<pod_topology_spread::SpreadState>,
    pub affinity: Option<inter_pod_affinity::AffinityState>,
    /// Requests of pods nominated to a node (by preemption) that are at
    /// least as important as this pod: room kept for them.
    pub nominated: HashMap<String, Resources>,
}

/// Pods nominated to nodes by preemption and not bound yet.
#[derive(Default)]
pub struct Nominations {
    /// uid → (node, priority, requests)
    pods: HashMap<String, (String, i32, Resources)>,
}

impl Nominations {
    pub fn set(&mut self, pod: &PodInfo, node: &str) {
        self.pods.insert(
            pod.uid.clone(),
            (node.to_owned(), pod.priority, pod.requests.clone()),
        );
    }

    pub fn remove(&mut self, uid: &str) {
        self.pods.remove(uid);
    }

    pub fn is_empty(&self) -> bool {
        self.pods.is_empty()
    }

    fn for_pod(&self, pod: &PodInfo) -> HashMap<String, Resources> {
        let mut kept: HashMap<String, Resources> = HashMap::new();
        for (uid, (node, priority, requests)) in &self.pods {
            if *uid != pod.uid && *priority >= pod.priority {
                kept.entry(node.clone()).or_default().add(requests);
            }
        }
        kept
    }
}

/// The pre-filter pass.
pub fn prefilter(pod: &PodInfo, cache: &Cache, nominations: &Nominations) -> CycleState {
    CycleState {
        spread: pod_topology_spread::prefilter(pod, cache),
        affinity: inter_pod_affinity::prefilter(pod, cache),
        nominated: if nominations.is_empty() {
            HashMap::new()
        } else {
            nominations.for_pod(pod)
        },
    }
}

/// Runs the filters in upstream's order; the first rejection.
pub fn filter(pod: &PodInfo, node: &NodeInfo, state: &CycleState) -> Result<(), Rejection> {
    node_unschedulable::filter(pod, node)?;
    node_name::filter(pod, node)?;
    taint_toleration::filter(pod, node)?;
    node_affinity::filter(pod, node)?;
    node_ports::filter(pod, node)?;
    node_resources_fit::filter(pod, node, state.nominated.get(&node.name))?;
    pod_topology_spread::filter(pod, node, state.spread.as_ref())?;
    inter_pod_affinity::filter(pod, node, state.affinity.as_ref())?;
    Ok(())
}

/// Upstream's default score weights.
const WEIGHT_RESOURCES: i64 = 1;
const WEIGHT_BALANCED: i64 = 1;
const WEIGHT_NODE_AFFINITY: i64 = 2;
const WEIGHT_TAINTS: i64 = 3;
const WEIGHT_SPREAD: i64 = 2;

/// The highest score a plugin gives a node.
pub const MAX_NODE_SCORE: i64 = 100;

/// Each feasible node's total score.
pub fn score(pod: &PodInfo, nodes: &[&NodeInfo], state: &CycleState) -> Vec<i64> {
    let mut totals = vec![0i64; nodes.len()];
    for (i, node) in nodes.iter().enumerate() {
        totals[i] += WEIGHT_RESOURCES * least_allocated::score(pod, node)
            + WEIGHT_BALANCED * balanced_allocation::score(pod, node);
    }
    let mut add = |weight: i64, scores: Vec<i64>| {
        for (total, score) in totals.iter_mut().zip(scores) {
            *total += weight * score;
        }
    };
    if node_affinity::has_preferences(pod) {
        add(WEIGHT_NODE_AFFINITY, node_affinity::scores(pod, nodes));
    }
    add(WEIGHT_TAINTS, taint_toleration::scores(pod, nodes));
    if !pod.spread_soft.is_empty() {
        add(
            WEIGHT_SPREAD,
            pod_topology_spread::scores(pod, nodes, state),
        );
    }
    totals
}
