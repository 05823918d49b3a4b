//! Node heartbeats: each simulated node's Lease in `kube-node-lease`,
//! renewed like kubelet's (40 s lease, renewed every 10 s), owned by its
//! Node so that it goes when the Node does. All nodes' renewals share
//! one task and a bounded number of requests in flight.

use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Node;
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;

use super::nodes::SimulatedNode;
use super::{Shared, SimulatorOptions};

const NAMESPACE: &str = "kube-node-lease";
/// kubelet's `nodeLeaseDurationSeconds`.
const LEASE_DURATION_SECONDS: i32 = 40;

/// Renews every lease that is not silenced, once, creating missing ones.
pub(crate) async fn renew_all(
    client: &Client,
    nodes: &[SimulatedNode],
    shared: &Shared,
    concurrency: usize,
) -> Result<(), String> {
    let leases: Api<Lease> = Api::namespaced(client.clone(), NAMESPACE);
    let node_api: Api<Node> = Api::all(client.clone());
    let names: Vec<String> = nodes
        .iter()
        .filter(|n| !shared.is_silent(&n.name))
        .map(|n| n.name.clone())
        .collect();
    futures::stream::iter(names)
        .map(|name| {
            let (leases, node_api) = (leases.clone(), node_api.clone());
            async move { renew(&leases, &node_api, &name).await }
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

/// Renews the leases every `options.lease_renew_interval` until aborted.
pub(crate) async fn run(
    client: Client,
    nodes: Arc<Vec<SimulatedNode>>,
    shared: Arc<Shared>,
    options: SimulatorOptions,
) {
    let mut ticks = tokio::time::interval(options.lease_renew_interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        for name in shared.take_revived() {
            if let Some(node) = nodes.iter().find(|n| n.name == name)
                && let Err(error) = super::nodes::post_status(&client, node, &options).await
            {
                tracing::warn!(%error, node = %name, "node simulator: posting status");
            }
        }
        if let Err(error) = renew_all(&client, &nodes, &shared, options.concurrency).await {
            tracing::warn!(%error, "node simulator: renewing leases");
        }
    }
}

async fn renew(leases: &Api<Lease>, nodes: &Api<Node>, name: &str) -> Result<(), String> {
    let patch = json!({"spec": {
        "holderIdentity": name,
        "leaseDurationSeconds": LEASE_DURATION_SECONDS,
        "renewTime": super::kubelet::now_micro(),
    }});
    match leases
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => create(leases, nodes, name).await,
        Err(error) => Err(format!("renewing the lease of {name}: {error}")),
    }
}

async fn create(leases: &Api<Lease>, nodes: &Api<Node>, name: &str) -> Result<(), String> {
    let node = nodes
        .get(name)
        .await
        .map_err(|e| format!("node {name}: {e}"))?;
    let lease = json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "ownerReferences": [{
                "apiVersion": "v1", "kind": "Node", "name": name,
                "uid": node.metadata.uid.unwrap_or_default(),
            }],
        },
        "spec": {
            "holderIdentity": name,
            "leaseDurationSeconds": LEASE_DURATION_SECONDS,
            "renewTime": super::kubelet::now_micro(),
        },
    });
    let lease: Lease = serde_json::from_value(lease).map_err(|e| e.to_string())?;
    match leases.create(&PostParams::default(), &lease).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(error) => Err(format!("creating the lease of {name}: {error}")),
    }
}
