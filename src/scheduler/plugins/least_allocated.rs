//! NodeResourcesFit's default score, LeastAllocated: nodes with more CPU
//! and memory left after placing the pod score higher (CPU and memory
//! weigh the same; pods without requests count as upstream's defaults).

use crate::scheduler::framework::MAX_NODE_SCORE;
use crate::scheduler::node_info::NodeInfo;
use crate::scheduler::pod_info::PodInfo;

fn free_share(requested: i64, capacity: i64) -> i64 {
    if capacity <= 0 || requested > capacity {
        return 0;
    }
    (capacity - requested) * MAX_NODE_SCORE / capacity
}

pub fn score(pod: &PodInfo, node: &NodeInfo) -> i64 {
    let cpu = free_share(
        node.non_zero_requested.milli_cpu + pod.non_zero_requests.milli_cpu,
        node.allocatable.milli_cpu,
    );
    let memory = free_share(
        node.non_zero_requested.memory + pod.non_zero_requests.memory,
        node.allocatable.memory,
    );
    (cpu + memory) / 2
}
