//! NodeResourcesFit: what a node has left (allocatable minus what its
//! pods, and pods nominated to it that are at least as important,
//! request) must cover the pod's requests: pod count, CPU, memory,
//! ephemeral storage and every extended resource.

use crate::scheduler::framework::{Code, Plugin, Rejection};
use crate::scheduler::node_info::NodeInfo;
use crate::scheduler::pod_info::PodInfo;
use crate::scheduler::resources::Resources;

pub fn filter(
    pod: &PodInfo,
    node: &NodeInfo,
    nominated: Option<&Resources>,
) -> Result<(), Rejection> {
    let requested = match nominated {
        Some(extra) => {
            let mut sum = node.requested.clone();
            sum.add(extra);
            std::borrow::Cow::Owned(sum)
        }
        None => std::borrow::Cow::Borrowed(&node.requested),
    };
    let wants = &pod.requests;
    let alloc = &node.allocatable;
    let mut reasons = Vec::new();
    if node.pods.len() as i64 + 1 + nominated.map_or(0, |n| n.pods) > alloc.pods {
        reasons.push("Too many pods".to_owned());
    }
    let short = |want: i64, have: i64, used: i64| want > 0 && want > have - used;
    if short(wants.milli_cpu, alloc.milli_cpu, requested.milli_cpu) {
        reasons.push("Insufficient cpu".to_owned());
    }
    if short(wants.memory, alloc.memory, requested.memory) {
        reasons.push("Insufficient memory".to_owned());
    }
    if short(
        wants.ephemeral_storage,
        alloc.ephemeral_storage,
        requested.ephemeral_storage,
    ) {
        reasons.push("Insufficient ephemeral-storage".to_owned());
    }
    for (name, want) in &wants.scalar {
        if short(*want, alloc.get(name), requested.get(name)) {
            reasons.push(format!("Insufficient {name}"));
        }
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(Rejection {
            plugin: Plugin::NodeResourcesFit,
            code: Code::Unschedulable,
            reasons,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::node_info::tests::{node, pod};
    use serde_json::json;

    #[test]
    fn every_short_resource_is_a_reason() {
        let mut n = node(
            json!({"metadata": {"name": "n"}, "status": {"allocatable": {"cpu": "1", "memory": "1Gi", "pods": "1"}}}),
        );
        let small = pod(
            "small",
            json!({}),
            json!({"containers": [{"name": "c", "resources": {"requests": {"cpu": "500m"}}}]}),
        );
        assert_eq!(filter(&small, &n, None), Ok(()));
        n.add_pod(small);
        let big = pod(
            "big",
            json!({}),
            json!({"containers": [{"name": "c", "resources": {"requests": {"cpu": "1", "memory": "2Gi", "example.com/gpu": "1"}}}]}),
        );
        assert_eq!(
            filter(&big, &n, None).unwrap_err().reasons,
            [
                "Too many pods",
                "Insufficient cpu",
                "Insufficient memory",
                "Insufficient example.com/gpu"
            ]
        );
    }
}
