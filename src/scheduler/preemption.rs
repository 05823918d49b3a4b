//! Preemption (upstream's DefaultPreemption post-filter): when no node
//! fits a pod, find the node where evicting the fewest, least important
//! lower-priority pods makes it fit; the pod is nominated to that node
//! and the victims are deleted. Nodes rejected for reasons no eviction
//! can fix are not considered.

use std::collections::HashMap;
use std::sync::Arc;

use super::cache::Cache;
use super::fit_error::ReasonHistogram;
use super::framework::{self, Code, CycleState, Rejection};
use super::node_info::NodeInfo;
use super::pod_info::PodInfo;

/// At most this many candidate nodes are examined (upstream's absolute
/// minimum of candidates; plenty to choose well).
const MAX_CANDIDATES: usize = 100;

pub enum Outcome {
    /// Room is made on `node` by deleting `victims`.
    Preempt {
        node: String,
        victims: Vec<Arc<PodInfo>>,
    },
    /// Preemption cannot help; why (upstream's text after `preemption: `).
    NotHelpful(String),
}

struct Candidate {
    node: String,
    victims: Vec<Arc<PodInfo>>,
}

impl Candidate {
    /// Upstream's order of preference: the lowest highest-victim
    /// priority, then the lowest priority sum, then the fewest victims.
    fn cost(&self) -> (i32, i64, usize) {
        let highest = self
            .victims
            .iter()
            .map(|v| v.priority)
            .max()
            .unwrap_or(i32::MIN);
        let sum = self
            .victims
            .iter()
            .map(|v| i64::from(v.priority) + i64::from(i32::MAX) + 1)
            .sum();
        (highest, sum, self.victims.len())
    }
}

/// Tries to make room for `pod`, whose filtering rejected every node as
/// `rejections` says.
pub fn preempt(
    pod: &PodInfo,
    cache: &Cache,
    state: &CycleState,
    rejections: &HashMap<String, Rejection>,
) -> Outcome {
    if !pod.may_preempt() {
        return Outcome::NotHelpful("not eligible due to preemptionPolicy=Never.".into());
    }
    if let Some(nominated) = pod.nominated_node().and_then(|n| cache.node(n))
        && nominated
            .pods
            .iter()
            .any(|p| p.terminating && p.priority < pod.priority)
    {
        // Room is already being made there.
        return Outcome::NotHelpful(
            "not eligible due to a terminating pod on the nominated node.".into(),
        );
    }
    let mut statuses = ReasonHistogram::default();
    let mut candidates = Vec::new();
    for node in cache.nodes() {
        let helpful = rejections
            .get(&node.name)
            .is_some_and(|r| r.code == Code::Unschedulable);
        if !helpful || candidates.len() >= MAX_CANDIDATES {
            statuses.add("Preemption is not helpful for scheduling");
            continue;
        }
        match victims_on(pod, node, state) {
            Ok(victims) => candidates.push(Candidate {
                node: node.name.clone(),
                victims,
            }),
            Err(reasons) => {
                for reason in reasons {
                    statuses.add(&reason);
                }
            }
        }
    }
    match candidates.into_iter().min_by_key(Candidate::cost) {
        Some(best) => Outcome::Preempt {
            node: best.node,
            victims: best.victims,
        },
        None => Outcome::NotHelpful(statuses.message(cache.node_count())),
    }
}

/// The fewest lower-priority pods whose removal from `node` lets `pod`
/// fit, or why none does.
fn victims_on(
    pod: &PodInfo,
    node: &NodeInfo,
    state: &CycleState,
) -> Result<Vec<Arc<PodInfo>>, Vec<String>> {
    let mut potential: Vec<Arc<PodInfo>> = node
        .pods
        .iter()
        .filter(|p| p.priority < pod.priority)
        .cloned()
        .collect();
    if potential.is_empty() {
        return Err(vec!["No preemption victims found for incoming pod".into()]);
    }
    let mut trial = node.clone();
    for victim in &potential {
        trial.remove_pod(&victim.uid);
    }
    if let Err(rejection) = framework::filter(pod, &trial, state) {
        return Err(rejection.reasons);
    }
    // Reprieve as many as possible, the most important first.
    potential.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then_with(|| a.start_time().cmp(&b.start_time()))
    });
    let mut victims = Vec::new();
    for candidate in potential {
        trial.add_pod(candidate.clone());
        if framework::filter(pod, &trial, state).is_err() {
            trial.remove_pod(&candidate.uid);
            victims.push(candidate);
        }
    }
    if victims.is_empty() {
        // It fits without evicting anyone: not preemption's business.
        return Err(vec!["No preemption victims found for incoming pod".into()]);
    }
    Ok(victims)
}
