//! The node lifecycle controller: Lease-based heartbeat monitoring. A
//! node whose kubelet has not renewed its `kube-node-lease` Lease (nor
//! posted status) for the grace period (upstream's
//! `--node-monitor-grace-period`, 40 s) gets `Ready=Unknown` conditions
//! ("Kubelet stopped posting node status."), its pods are marked not
//! ready, and it is tainted `node.kubernetes.io/unreachable` (or
//! `node.kubernetes.io/not-ready` while Ready is False), NoSchedule and
//! NoExecute; the taints go when the node is Ready again. Pods on a node
//! with NoExecute taints are evicted as [`super::taint_eviction`] says.
//!
//! Heartbeats are judged by when this controller saw them change, not by
//! the timestamps' values, so that clock skew between kubelet and
//! controller does not matter (as upstream).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Pod, Taint};
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::reflector::Store;
use kube::{Client, ResourceExt};
use serde_json::{Value, json};

use super::informer;
use super::taint_eviction;

pub const UNREACHABLE_TAINT: &str = "node.kubernetes.io/unreachable";
pub const NOT_READY_TAINT: &str = "node.kubernetes.io/not-ready";

/// How the controller watches heartbeats.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// How long a node may stay silent before it is Unknown.
    pub grace_period: Duration,
}

impl Settings {
    /// How often nodes are checked (upstream's `--node-monitor-period`,
    /// 5 s; more often when the grace period is short).
    fn monitor_period(&self) -> Duration {
        (self.grace_period / 4).clamp(Duration::from_millis(200), Duration::from_secs(5))
    }
}

fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// The node's Ready status: `True`, `False` or `Unknown`.
fn ready_status(node: &Node) -> &str {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .map(|c| c.status.as_str())
        .unwrap_or("Unknown")
}

/// What shows a node's kubelet is alive: its Lease's renew time and its
/// Ready condition's heartbeat.
fn heartbeat(node: &Node, renewals: &HashMap<String, String>) -> String {
    let lease = renewals.get(&node.name_any()).cloned().unwrap_or_default();
    let posted = node
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .and_then(|c| c.last_heartbeat_time.as_ref())
        .map(|t| t.0.to_string())
        .unwrap_or_default();
    format!("{lease}|{posted}")
}

/// Runs until aborted.
pub async fn run(client: Client, settings: Settings) {
    let (nodes, _nodes_task) = informer::start(Api::<Node>::all(client.clone()));
    let (leases, _leases_task) =
        informer::start(Api::<Lease>::namespaced(client.clone(), "kube-node-lease"));
    let (pods, _pods_task) = informer::start(Api::<Pod>::all(client.clone()));
    for ready in [
        nodes.wait_until_ready().await,
        leases.wait_until_ready().await,
        pods.wait_until_ready().await,
    ] {
        if ready.is_err() {
            return;
        }
    }
    // node → (last heartbeat seen, when it was first seen)
    let mut observed: HashMap<String, (String, Instant)> = HashMap::new();
    let mut ticks = tokio::time::interval(settings.monitor_period());
    loop {
        ticks.tick().await;
        // Each lease's renew time, by node.
        let renewals: HashMap<String, String> = leases
            .state()
            .iter()
            .filter_map(|l| {
                let renewed = l.spec.as_ref()?.renew_time.as_ref()?;
                Some((l.name_any(), renewed.0.to_string()))
            })
            .collect();
        let current = nodes.state();
        let names: std::collections::HashSet<String> =
            current.iter().map(|n| n.name_any()).collect();
        observed.retain(|name, _| names.contains(name));
        for node in current {
            let name = node.name_any();
            let beat = heartbeat(&node, &renewals);
            let seen = Instant::now();
            let entry = observed.entry(name.clone()).or_insert((beat.clone(), seen));
            if entry.0 != beat {
                *entry = (beat, seen);
            }
            let silent = entry.1.elapsed() > settings.grace_period;
            let mut ready = ready_status(&node).to_owned();
            if silent && ready != "Unknown" {
                tracing::info!(node = %name, "node stopped posting status: Ready=Unknown");
                if let Err(error) = mark_unknown(&client, &node, &pods).await {
                    tracing::warn!(%error, node = %name, "nodelifecycle: marking the node Unknown");
                    continue;
                }
                ready = "Unknown".into();
            }
            let taints = match update_taints(&client, &node, &ready).await {
                Ok(taints) => taints,
                Err(error) => {
                    tracing::debug!(%error, node = %name, "nodelifecycle: taints");
                    continue;
                }
            };
            evict(&client, &name, &taints, &pods).await;
        }
    }
}

/// Ready, MemoryPressure, DiskPressure and PIDPressure become Unknown, and
/// the node's pods not ready.
async fn mark_unknown(client: &Client, node: &Node, pods: &Store<Pod>) -> Result<(), kube::Error> {
    let now = now();
    let conditions: Vec<Value> = node
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .filter(|c| {
            matches!(
                c.type_.as_str(),
                "Ready" | "MemoryPressure" | "DiskPressure" | "PIDPressure"
            )
        })
        .map(|c| {
            json!({
                "type": c.type_,
                "status": "Unknown",
                "reason": "NodeStatusUnknown",
                "message": "Kubelet stopped posting node status.",
                "lastHeartbeatTime": c.last_heartbeat_time,
                "lastTransitionTime": now,
            })
        })
        .collect();
    let conditions = if conditions.is_empty() {
        vec![json!({
            "type": "Ready", "status": "Unknown", "reason": "NodeStatusNeverUpdated",
            "message": "Kubelet never posted node status.", "lastTransitionTime": now,
        })]
    } else {
        conditions
    };
    let nodes: Api<Node> = Api::all(client.clone());
    nodes
        .patch_status(
            &node.name_any(),
            &PatchParams::default(),
            &Patch::Strategic(&json!({"status": {"conditions": conditions}})),
        )
        .await?;
    let name = node.name_any();
    for pod in pods.state() {
        if pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) != Some(name.as_str()) {
            continue;
        }
        let api: Api<Pod> = Api::namespaced(client.clone(), &pod.namespace().unwrap_or_default());
        let patch = json!({"status": {"conditions": [{
            "type": "Ready", "status": "False", "lastTransitionTime": now,
        }]}});
        if let Err(error) = api
            .patch_status(
                &pod.name_any(),
                &PatchParams::default(),
                &Patch::Strategic(&patch),
            )
            .await
        {
            tracing::debug!(%error, "nodelifecycle: marking a pod not ready");
        }
    }
    Ok(())
}

/// Sets the unreachable / not-ready taints `ready` calls for; the node's
/// taints afterwards.
async fn update_taints(
    client: &Client,
    node: &Node,
    ready: &str,
) -> Result<Vec<Taint>, kube::Error> {
    let current: Vec<Taint> = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.clone())
        .unwrap_or_default();
    let wanted_key = match ready {
        "Unknown" => Some(UNREACHABLE_TAINT),
        "False" => Some(NOT_READY_TAINT),
        _ => None,
    };
    let mut taints: Vec<Taint> = current
        .iter()
        .filter(|t| {
            let ours = t.key == UNREACHABLE_TAINT || t.key == NOT_READY_TAINT;
            !ours || Some(t.key.as_str()) == wanted_key
        })
        .cloned()
        .collect();
    if let Some(key) = wanted_key {
        for effect in ["NoSchedule", "NoExecute"] {
            if !taints.iter().any(|t| t.key == key && t.effect == effect) {
                taints.push(Taint {
                    key: key.into(),
                    effect: effect.into(),
                    time_added: (effect == "NoExecute").then(|| {
                        k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(jiff::Timestamp::now())
                    }),
                    value: None,
                });
            }
        }
    }
    if taints != current {
        let nodes: Api<Node> = Api::all(client.clone());
        // No taints left: the field goes, as `kubectl taint …-` leaves it.
        let list = if taints.is_empty() {
            Value::Null
        } else {
            json!(taints)
        };
        let patch = json!({
            "metadata": {"resourceVersion": node.resource_version()},
            "spec": {"taints": list},
        });
        nodes
            .patch(
                &node.name_any(),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await?;
    }
    Ok(taints)
}

/// Deletes the pods on `node` whose NoExecute tolerations have run out.
async fn evict(client: &Client, node: &str, taints: &[Taint], pods: &Store<Pod>) {
    if !taints.iter().any(|t| t.effect == "NoExecute") {
        return;
    }
    let now = jiff::Timestamp::now();
    for pod in pods.state() {
        if pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) != Some(node)
            || pod.metadata.deletion_timestamp.is_some()
            || !taint_eviction::due(&pod, taints, now)
        {
            continue;
        }
        tracing::info!(pod = %pod.name_any(), node, "evicting a pod from a NoExecute-tainted node");
        let api: Api<Pod> = Api::namespaced(client.clone(), &pod.namespace().unwrap_or_default());
        let condition = json!({"status": {"conditions": [{
            "type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager",
            "message": "Taint manager: deleting due to NoExecute taint",
            "lastTransitionTime": super::node_lifecycle::now(),
        }]}});
        let _ = api
            .patch_status(
                &pod.name_any(),
                &PatchParams::default(),
                &Patch::Strategic(&condition),
            )
            .await;
        let params = super::pods::delete_exactly(pod.as_ref());
        if let Err(error) = api.delete(&pod.name_any(), &params).await {
            tracing::debug!(%error, "nodelifecycle: evicting a pod");
        }
    }
}
