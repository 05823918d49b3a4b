//! The scheduler's cache: every node and every pod on one (bound, or
//! assumed while its binding is in flight), kept from watch events so
//! that scheduling a pod never lists anything.

use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Node;
use kube::ResourceExt;

use super::node_info::NodeInfo;
use super::pod_info::PodInfo;

/// Where a pod sits.
#[derive(Clone, Debug)]
struct Placement {
    node: String,
    /// Placed by this scheduler, not yet seen bound.
    assumed: bool,
}

#[derive(Default)]
pub struct Cache {
    /// Nodes in a stable order (for round-robin filtering).
    nodes: Vec<NodeInfo>,
    index: HashMap<String, usize>,
    pods: HashMap<String, Placement>,
    /// Pods bound to nodes not (yet) in the cache, by node.
    orphans: HashMap<String, Vec<Arc<PodInfo>>>,
}

impl Cache {
    pub fn nodes(&self) -> &[NodeInfo] {
        &self.nodes
    }

    pub fn node(&self, name: &str) -> Option<&NodeInfo> {
        self.index.get(name).map(|&i| &self.nodes[i])
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn set_node(&mut self, node: &Node) {
        let name = node.name_any();
        match self.index.get(&name) {
            Some(&i) => self.nodes[i].set_node(node),
            None => {
                let mut info = NodeInfo::new(node);
                for pod in self.orphans.remove(&name).unwrap_or_default() {
                    info.add_pod(pod);
                }
                self.index.insert(name, self.nodes.len());
                self.nodes.push(info);
            }
        }
    }

    pub fn remove_node(&mut self, name: &str) {
        let Some(i) = self.index.remove(name) else {
            return;
        };
        let info = self.nodes.swap_remove(i);
        if i < self.nodes.len() {
            self.index.insert(self.nodes[i].name.clone(), i);
        }
        // Its pods stay known until they are deleted (pod GC does that).
        if !info.pods.is_empty() {
            self.orphans.insert(info.name, info.pods);
        }
    }

    pub fn is_assumed(&self, uid: &str) -> bool {
        self.pods.get(uid).is_some_and(|p| p.assumed)
    }

    pub fn placed_on(&self, uid: &str) -> Option<&str> {
        self.pods.get(uid).map(|p| p.node.as_str())
    }

    /// Counts `pod` on `node` before its binding is confirmed.
    pub fn assume(&mut self, pod: Arc<PodInfo>, node: &str) {
        self.remove_pod(&pod.uid);
        self.pods.insert(
            pod.uid.clone(),
            Placement {
                node: node.to_owned(),
                assumed: true,
            },
        );
        self.add_to_node(pod, node);
    }

    /// Adds or updates a bound pod (confirming an assumed one).
    pub fn set_bound_pod(&mut self, pod: Arc<PodInfo>) {
        let Some(node) = pod.node_name().map(str::to_owned) else {
            return;
        };
        self.remove_pod(&pod.uid);
        self.pods.insert(
            pod.uid.clone(),
            Placement {
                node: node.clone(),
                assumed: false,
            },
        );
        self.add_to_node(pod, &node);
    }

    fn add_to_node(&mut self, pod: Arc<PodInfo>, node: &str) {
        match self.index.get(node) {
            Some(&i) => self.nodes[i].add_pod(pod),
            None => self.orphans.entry(node.to_owned()).or_default().push(pod),
        }
    }

    /// Forgets a pod (deleted, finished, or an assumption that failed);
    /// the node it was on.
    pub fn remove_pod(&mut self, uid: &str) -> Option<String> {
        let placement = self.pods.remove(uid)?;
        match self.index.get(&placement.node) {
            Some(&i) => {
                self.nodes[i].remove_pod(uid);
            }
            None => {
                if let Some(list) = self.orphans.get_mut(&placement.node) {
                    list.retain(|p| p.uid != uid);
                }
            }
        }
        Some(placement.node)
    }

    /// Every known pod uid, with whether it is assumed (for resyncs).
    pub fn pod_uids(&self) -> Vec<(String, bool)> {
        self.pods
            .iter()
            .map(|(uid, p)| (uid.clone(), p.assumed))
            .collect()
    }

    pub fn node_names(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.name.clone()).collect()
    }
}
