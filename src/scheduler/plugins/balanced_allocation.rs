//! NodeResourcesBalancedAllocation: nodes whose CPU and memory would be
//! used in similar proportions after placing the pod score higher.

use crate::scheduler::framework::MAX_NODE_SCORE;
use crate::scheduler::node_info::NodeInfo;
use crate::scheduler::pod_info::PodInfo;

fn fraction(requested: i64, capacity: i64) -> f64 {
    if capacity <= 0 {
        return 1.0;
    }
    (requested as f64 / capacity as f64).min(1.0)
}

pub fn score(pod: &PodInfo, node: &NodeInfo) -> i64 {
    let cpu = fraction(
        node.non_zero_requested.milli_cpu + pod.non_zero_requests.milli_cpu,
        node.allocatable.milli_cpu,
    );
    let memory = fraction(
        node.non_zero_requested.memory + pod.non_zero_requests.memory,
        node.allocatable.memory,
    );
    // The standard deviation of two values is half their distance.
    let deviation = (cpu - memory).abs() / 2.0;
    ((1.0 - deviation) * MAX_NODE_SCORE as f64) as i64
}
