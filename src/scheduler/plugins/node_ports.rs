//! NodePorts: a host port (protocol, address, port) can be taken by one
//! pod per node.

use crate::scheduler::framework::{Code, Plugin, Rejection};
use crate::scheduler::node_info::NodeInfo;
use crate::scheduler::pod_info::PodInfo;

pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    let taken = pod
        .host_ports
        .iter()
        .any(|wanted| node.used_ports.iter().any(|used| used.conflicts(wanted)));
    if taken {
        Err(Rejection::new(
            Plugin::NodePorts,
            Code::Unschedulable,
            "node(s) didn't have free ports for the requested pod ports",
        ))
    } else {
        Ok(())
    }
}
