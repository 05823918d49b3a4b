//! One scheduling attempt: filter the nodes (round-robin, stopping once
//! enough fit, as upstream's `percentageOfNodesToScore` does), score
//! those that fit, assume the pod on the best and bind it in the
//! background; or report why no node fits and try preemption.

use std::collections::HashMap;
use std::sync::Arc;

use super::event_loop::{BindResult, Scheduler};
use super::fit_error::{self, ReasonHistogram};
use super::framework::{self, ALL_PLUGINS, CycleState, Plugins, Rejection};
use super::pod_info::PodInfo;
use super::preemption::{self, Outcome};
use super::queue::QueuedPod;

/// How many feasible nodes are enough to choose from, out of `nodes`
/// (upstream's adaptive percentage: 50 % less 1 % per 125 nodes, at
/// least 5 %, at least 100 nodes).
pub fn feasible_nodes_to_find(nodes: usize) -> usize {
    if nodes < 100 {
        return nodes;
    }
    let percentage = 50usize.saturating_sub(nodes / 125).max(5);
    (nodes * percentage / 100).max(100)
}

/// xorshift64: cheap, and good enough for breaking ties.
fn xorshift(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    x
}

impl Scheduler {
    pub(super) fn schedule_one(&mut self, queued: QueuedPod) {
        let pod = queued.info;
        if self.cache.node_count() == 0 {
            self.reporter.failed(
                &pod,
                "SchedulerError",
                "no nodes available to schedule pods".into(),
                None,
            );
            self.queue.unschedulable(&pod.uid, ALL_PLUGINS);
            return;
        }
        let state = framework::prefilter(&pod, &self.cache, &self.nominations);
        // A pod preemption made room for tries that node first.
        if let Some(nominated) = pod.nominated_node()
            && let Some(node) = self.cache.node(nominated)
            && framework::filter(&pod, node, &state).is_ok()
        {
            let node = nominated.to_owned();
            self.assume_and_bind(pod, node);
            return;
        }
        let nodes = self.cache.nodes();
        let count = nodes.len();
        let wanted = feasible_nodes_to_find(count);
        let mut feasible = Vec::with_capacity(wanted.min(1024));
        let mut rejections: HashMap<String, Rejection> = HashMap::new();
        let mut processed = 0;
        for i in 0..count {
            let node = &nodes[(self.next_start + i) % count];
            processed += 1;
            match framework::filter(&pod, node, &state) {
                Ok(()) => {
                    feasible.push(node);
                    if feasible.len() >= wanted {
                        break;
                    }
                }
                Err(rejection) => {
                    rejections.insert(node.name.clone(), rejection);
                }
            }
        }
        self.next_start = (self.next_start + processed) % count;
        if feasible.is_empty() {
            self.no_fit(pod, &state, rejections);
            return;
        }
        let chosen = if feasible.len() == 1 {
            feasible[0].name.clone()
        } else {
            let scores = framework::score(&pod, &feasible, &state);
            // The best score; ties broken at random (reservoir sampling),
            // as upstream does, so equal nodes share the load.
            let mut best = 0;
            let mut ties = 0u64;
            for (i, score) in scores.iter().enumerate() {
                if *score > scores[best] {
                    best = i;
                    ties = 1;
                } else if *score == scores[best] {
                    ties += 1;
                    if xorshift(&mut self.random).is_multiple_of(ties) {
                        best = i;
                    }
                }
            }
            feasible[best].name.clone()
        };
        self.assume_and_bind(pod, chosen);
    }

    fn assume_and_bind(&mut self, pod: Arc<PodInfo>, node: String) {
        self.cache.assume(pod.clone(), &node);
        let client = self.client.clone();
        let permits = self.bind_permits.clone();
        let results = self.bound.clone();
        tokio::spawn(async move {
            let result = {
                let _permit = permits.acquire_owned().await;
                super::binder::bind(client, &pod, &node).await
            };
            let _ = results.send(BindResult { pod, node, result });
        });
    }

    /// No node fits: say why (upstream's text), try preemption, and wait
    /// for a cluster event that may help.
    fn no_fit(
        &mut self,
        pod: Arc<PodInfo>,
        state: &CycleState,
        rejections: HashMap<String, Rejection>,
    ) {
        let mut histogram = ReasonHistogram::default();
        let mut rejected_by: Plugins = 0;
        for rejection in rejections.values() {
            rejected_by |= rejection.plugin as Plugins;
            for reason in &rejection.reasons {
                histogram.add(reason);
            }
        }
        let nodes = self.cache.node_count();
        match preemption::preempt(&pod, &self.cache, state, &rejections) {
            Outcome::Preempt { node, victims } => {
                tracing::info!(pod = %pod.key(), %node, victims = victims.len(), "preempting");
                for victim in &victims {
                    self.reporter.preempt(victim, &pod, &node);
                }
                self.nominations.set(&pod, &node);
                let message = fit_error::message(nodes, &histogram, None);
                self.reporter
                    .failed(&pod, "Unschedulable", message, Some(node));
                // The victims' deletions bring it back.
                rejected_by |= framework::Plugin::NodeResourcesFit as Plugins;
            }
            Outcome::NotHelpful(why) => {
                let message = fit_error::message(nodes, &histogram, Some(&why));
                self.reporter.failed(&pod, "Unschedulable", message, None);
            }
        }
        self.queue.unschedulable(&pod.uid, rejected_by);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feasible_node_counts_follow_upstream() {
        assert_eq!(feasible_nodes_to_find(50), 50);
        assert_eq!(feasible_nodes_to_find(100), 100);
        assert_eq!(feasible_nodes_to_find(1000), 420);
        assert_eq!(feasible_nodes_to_find(5000), 500);
        assert_eq!(feasible_nodes_to_find(10_000), 500);
    }
}
