//! Upstream's text for a pod no node could take: `0/3 nodes are
//! available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient
//! cpu.` (how many nodes gave each reason, sorted as text), followed by
//! what preemption found.

use std::collections::BTreeMap;

/// Counts reasons over the nodes that gave them.
#[derive(Debug, Default)]
pub struct ReasonHistogram {
    counts: BTreeMap<String, usize>,
}

impl ReasonHistogram {
    pub fn add(&mut self, reason: &str) {
        *self.counts.entry(reason.to_owned()).or_default() += 1;
    }

    /// `0/<nodes> nodes are available: <count reason>, ….`
    pub fn message(&self, nodes: usize) -> String {
        let mut reasons: Vec<String> = self
            .counts
            .iter()
            .map(|(reason, count)| format!("{count} {reason}"))
            .collect();
        reasons.sort();
        format!("0/{nodes} nodes are available: {}.", reasons.join(", "))
    }
}

/// The whole message: the filters' histogram and, if preemption was
/// tried and did not help, why.
pub fn message(nodes: usize, filters: &ReasonHistogram, preemption: Option<&str>) -> String {
    let mut message = filters.message(nodes);
    if let Some(preemption) = preemption {
        message.push_str(" preemption: ");
        message.push_str(preemption);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_like_upstream() {
        let mut filters = ReasonHistogram::default();
        for _ in 0..3 {
            filters.add("Insufficient cpu");
        }
        let mut preemption = ReasonHistogram::default();
        for _ in 0..3 {
            preemption.add("No preemption victims found for incoming pod");
        }
        assert_eq!(
            message(3, &filters, Some(&preemption.message(3))),
            "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: \
             3 No preemption victims found for incoming pod."
        );
        let mut mixed = ReasonHistogram::default();
        mixed.add("node(s) had untolerated taint {dedicated: gpu}");
        mixed.add("Insufficient memory");
        mixed.add("Insufficient memory");
        assert_eq!(
            mixed.message(3),
            "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient memory."
        );
    }
}
