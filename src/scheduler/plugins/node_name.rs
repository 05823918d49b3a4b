//! NodeName: a pod that names its node fits only there.

use crate::scheduler::framework::{Code, Plugin, Rejection};
use crate::scheduler::node_info::NodeInfo;
use crate::scheduler::pod_info::PodInfo;

pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    match pod.node_name() {
        Some(wanted) if wanted != node.name => Err(Rejection::new(
            Plugin::NodeName,
            Code::UnschedulableAndUnresolvable,
            "node(s) didn't match the requested node name",
        )),
        _ => Ok(()),
    }
}
