//! The simulated Nodes: names, fake addresses (only data: nothing listens
//! on them) and the Node objects a kubelet would register.

use std::sync::atomic::{AtomicU32, Ordering};

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Node;
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use super::SimulatorOptions;

/// One simulated node.
#[derive(Debug)]
pub struct SimulatedNode {
    pub name: String,
    /// The node's address (`status.addresses` InternalIP, pods' hostIP):
    /// `172.20.0.1` onwards (`172.<20 + n / 65536>.<n / 256 % 256>.<n % 256>`
    /// for n = index + 1).
    pub host_ip: String,
    /// The first three octets of its pod range, `10.<64 + index / 256>.<index % 256>`:
    /// a /24 per node, out of loopback and far from real pod ranges'
    /// usual 10.244/16 so that 49,152 nodes fit.
    pod_prefix: String,
    next_pod: AtomicU32,
}

impl SimulatedNode {
    pub fn new(options: &SimulatorOptions, index: usize) -> SimulatedNode {
        let n = index + 1;
        SimulatedNode {
            name: format!("{}{index}", options.prefix),
            host_ip: format!("172.{}.{}.{}", 20 + n / 65536, (n / 256) % 256, n % 256),
            pod_prefix: format!("10.{}.{}", 64 + index / 256, index % 256),
            next_pod: AtomicU32::new(0),
        }
    }

    /// The node's pod range, `spec.podCIDR`.
    pub fn pod_cidr(&self) -> String {
        format!("{}.0/24", self.pod_prefix)
    }

    /// The next pod IP (2 … 254, then round again: a node holds far fewer
    /// pods at once).
    pub fn next_pod_ip(&self) -> String {
        let n = self.next_pod.fetch_add(1, Ordering::Relaxed);
        format!("{}.{}", self.pod_prefix, 2 + n % 253)
    }

    /// The Node a kubelet registers: labels, pod range, capacity and
    /// allocatable, a Ready condition, addresses and node info.
    pub fn object(&self, options: &SimulatorOptions) -> Value {
        let mut labels = json!({
            "kubernetes.io/hostname": self.name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "beta.kubernetes.io/arch": "amd64",
            "node.keelson.dev/simulated": "true",
        });
        for (key, value) in &options.labels {
            labels[key] = json!(value);
        }
        json!({
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": self.name, "labels": labels},
            "spec": {"podCIDR": self.pod_cidr(), "podCIDRs": [self.pod_cidr()]},
            "status": self.status(options),
        })
    }

    pub(crate) fn status(&self, options: &SimulatorOptions) -> Value {
        let now = super::kubelet::now();
        let resources = json!({
            "cpu": options.cpu,
            "memory": options.memory,
            "pods": options.pods.to_string(),
            "ephemeral-storage": "100Gi",
        });
        let condition = |kind: &str, status: &str, reason: &str, message: &str| {
            json!({
                "type": kind, "status": status, "reason": reason, "message": message,
                "lastHeartbeatTime": now, "lastTransitionTime": now,
            })
        };
        json!({
            "capacity": resources,
            "allocatable": resources,
            "phase": "Running",
            "conditions": [
                condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            "addresses": [
                {"type": "InternalIP", "address": self.host_ip},
                {"type": "Hostname", "address": self.name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": "", "systemUUID": "", "bootID": "",
                "kernelVersion": "simulated", "osImage": "keelson simulated node",
                "containerRuntimeVersion": "simulated://1.0",
                "kubeletVersion": "v1.33.0", "kubeProxyVersion": "v1.33.0",
                "operatingSystem": "linux", "architecture": "amd64",
            },
        })
    }
}

/// Creates the Nodes (an existing one of the same name is taken over: its
/// status is rewritten), `concurrency` requests at a time.
pub async fn register(
    client: &Client,
    nodes: &[SimulatedNode],
    options: &SimulatorOptions,
) -> Result<(), String> {
    let api: Api<Node> = Api::all(client.clone());
    futures::stream::iter(nodes)
        .map(|node| register_one(&api, node, options))
        .buffer_unordered(options.concurrency.max(1))
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

async fn register_one(
    api: &Api<Node>,
    node: &SimulatedNode,
    options: &SimulatorOptions,
) -> Result<(), String> {
    let object = node.object(options);
    let typed: Node = serde_json::from_value(object.clone()).map_err(|e| e.to_string())?;
    let created = match api.create(&PostParams::default(), &typed).await {
        Ok(created) => Some(created),
        Err(kube::Error::Api(status)) if status.code == 409 => None,
        Err(error) => return Err(format!("registering node {}: {error}", node.name)),
    };
    // A create may drop status (and a taken-over node has an old one):
    // write it as kubelet does, through nodes/status.
    let has_status = created
        .and_then(|n| n.status)
        .is_some_and(|s| s.allocatable.is_some());
    if !has_status {
        let patch = json!({"metadata": {"labels": object["metadata"]["labels"]}});
        api.patch(&node.name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(|e| format!("labelling node {}: {e}", node.name))?;
        let patch = json!({"status": object["status"]});
        api.patch_status(&node.name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(|e| format!("node {} status: {e}", node.name))?;
    }
    Ok(())
}

/// Posts `node`'s status afresh (Ready, new heartbeats).
pub(crate) async fn post_status(
    client: &Client,
    node: &SimulatedNode,
    options: &SimulatorOptions,
) -> Result<(), kube::Error> {
    let api: Api<Node> = Api::all(client.clone());
    let patch = json!({"status": node.status(options)});
    api.patch_status(&node.name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(drop)
}
