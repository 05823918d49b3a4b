//! One node as the scheduler sees it: the Node's labels, taints and
//! allocatable resources, and what the pods on it (bound or assumed)
//! request and occupy.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Taint};
use kube::ResourceExt;

use super::pod_info::{HostPort, PodInfo};
use super::resources::Resources;

#[derive(Clone, Debug)]
pub struct NodeInfo {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
    pub allocatable: Resources,
    pub requested: Resources,
    pub non_zero_requested: Resources,
    pub pods: Vec<Arc<PodInfo>>,
    pub used_ports: Vec<HostPort>,
    /// How many of the pods have required anti-affinity terms (which the
    /// incoming pod must then not violate).
    pub pods_with_required_anti_affinity: usize,
}

impl NodeInfo {
    pub fn new(node: &Node) -> NodeInfo {
        let mut info = NodeInfo {
            name: node.name_any(),
            labels: BTreeMap::new(),
            taints: Vec::new(),
            unschedulable: false,
            allocatable: Resources::default(),
            requested: Resources::default(),
            non_zero_requested: Resources::default(),
            pods: Vec::new(),
            used_ports: Vec::new(),
            pods_with_required_anti_affinity: 0,
        };
        info.set_node(node);
        info
    }

    /// Takes a newer version of the Node (its pods stay).
    pub fn set_node(&mut self, node: &Node) {
        self.labels = node.labels().clone();
        let spec = node.spec.clone().unwrap_or_default();
        self.taints = spec.taints.unwrap_or_default();
        self.unschedulable = spec.unschedulable.unwrap_or(false);
        self.allocatable = node
            .status
            .as_ref()
            .and_then(|s| s.allocatable.as_ref())
            .map(Resources::from_list)
            .unwrap_or_default();
    }

    pub fn add_pod(&mut self, pod: Arc<PodInfo>) {
        self.requested.add(&pod.requests);
        self.non_zero_requested.add(&pod.non_zero_requests);
        self.used_ports.extend(pod.host_ports.iter().cloned());
        if !pod.required_anti_affinity.is_empty() {
            self.pods_with_required_anti_affinity += 1;
        }
        self.pods.push(pod);
    }

    /// Removes the pod with `uid`; whether it was there.
    pub fn remove_pod(&mut self, uid: &str) -> bool {
        let Some(at) = self.pods.iter().position(|p| p.uid == uid) else {
            return false;
        };
        let pod = self.pods.swap_remove(at);
        self.requested.subtract(&pod.requests);
        self.non_zero_requested.subtract(&pod.non_zero_requests);
        for port in &pod.host_ports {
            if let Some(i) = self.used_ports.iter().position(|p| p == port) {
                self.used_ports.swap_remove(i);
            }
        }
        if !pod.required_anti_affinity.is_empty() {
            self.pods_with_required_anti_affinity -= 1;
        }
        true
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A node from JSON, for plugin tests.
    pub fn node(value: serde_json::Value) -> NodeInfo {
        NodeInfo::new(&serde_json::from_value(value).unwrap())
    }

    /// A pod from a spec (and labels), for plugin tests.
    pub fn pod(name: &str, labels: serde_json::Value, spec: serde_json::Value) -> Arc<PodInfo> {
        let pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "default", "uid": name, "labels": labels},
            "spec": spec,
        }))
        .unwrap();
        Arc::new(PodInfo::new(pod, |_| None))
    }

    #[test]
    fn pods_added_and_removed_are_counted() {
        let mut n = node(
            serde_json::json!({"metadata": {"name": "n"}, "status": {"allocatable": {"cpu": "2", "pods": "3"}}}),
        );
        let p = pod(
            "p",
            serde_json::json!({}),
            serde_json::json!({"containers": [{"name": "c", "resources": {"requests": {"cpu": "500m"}}, "ports": [{"containerPort": 80, "hostPort": 8080}]}]}),
        );
        n.add_pod(p);
        assert_eq!(n.requested.milli_cpu, 500);
        assert_eq!(n.used_ports.len(), 1);
        assert!(n.remove_pod("p"));
        assert_eq!(n.requested.milli_cpu, 0);
        assert!(n.used_ports.is_empty());
        assert!(!n.remove_pod("p"));
    }
}
