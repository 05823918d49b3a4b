//! Pod garbage collection (upstream's "podgc"): pods bound to nodes that
//! no longer exist are deleted; pods being deleted that were never
//! scheduled are deleted at once; and when more terminated (Succeeded or
//! Failed) pods exist than the threshold (upstream's
//! `--terminated-pod-gc-threshold`, 12,500), the oldest go.

use std::collections::HashSet;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, DeleteParams, Patch, PatchParams, Preconditions};
use kube::{Client, ResourceExt};
use serde_json::json;

use super::informer;

#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// How often to look (upstream: 20 s).
    pub period: Duration,
    /// How many terminated pods may stay.
    pub terminated_threshold: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            period: Duration::from_secs(20),
            terminated_threshold: 12_500,
        }
    }
}

/// Runs until aborted.
pub async fn run(client: Client, settings: Settings) {
    let (nodes, _nodes_task) = informer::start(Api::<Node>::all(client.clone()));
    let (pods, _pods_task) = informer::start(Api::<Pod>::all(client.clone()));
    if nodes.wait_until_ready().await.is_err() || pods.wait_until_ready().await.is_err() {
        return;
    }
    let node_api: Api<Node> = Api::all(client.clone());
    let mut ticks = tokio::time::interval(settings.period);
    loop {
        ticks.tick().await;
        let known: HashSet<String> = nodes.state().iter().map(|n| n.name_any()).collect();
        let all = pods.state();
        let mut terminated = Vec::new();
        for pod in &all {
            let node = pod
                .spec
                .as_ref()
                .and_then(|s| s.node_name.clone())
                .unwrap_or_default();
            let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
            if matches!(phase, Some("Succeeded" | "Failed")) {
                terminated.push(pod.clone());
            }
            if node.is_empty() {
                if pod.metadata.deletion_timestamp.is_some() {
                    force_delete(&client, pod, false).await;
                }
                continue;
            }
            // The informer may lag: ask before deleting an orphan.
            if !known.contains(&node) && matches!(node_api.get_opt(&node).await, Ok(None)) {
                tracing::info!(pod = %pod.name_any(), node, "deleting a pod whose node is gone");
                force_delete(
                    &client,
                    pod,
                    phase.is_none_or(|p| p != "Succeeded" && p != "Failed"),
                )
                .await;
            }
        }
        if terminated.len() > settings.terminated_threshold {
            terminated.sort_by_key(|p| p.metadata.creation_timestamp.clone().map(|t| t.0));
            let excess = terminated.len() - settings.terminated_threshold;
            for pod in &terminated[..excess] {
                force_delete(&client, pod, false).await;
            }
        }
    }
}

/// Deletes `pod` at once (grace period 0); `fail` first marks a pod that
/// was still running Failed, as upstream does for orphans.
async fn force_delete(client: &Client, pod: &Pod, fail: bool) {
    let api: Api<Pod> = Api::namespaced(client.clone(), &pod.namespace().unwrap_or_default());
    if fail {
        let patch = json!({"status": {"phase": "Failed", "conditions": [{
            "type": "DisruptionTarget", "status": "True", "reason": "DeletionByPodGC",
            "message": "PodGC: node no longer exists",
            "lastTransitionTime": jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        }]}});
        let _ = api
            .patch_status(
                &pod.name_any(),
                &PatchParams::default(),
                &Patch::Strategic(&patch),
            )
            .await;
    }
    let params = DeleteParams {
        grace_period_seconds: Some(0),
        preconditions: Some(Preconditions {
            uid: pod.uid(),
            resource_version: None,
        }),
        ..Default::default()
    };
    if let Err(error) = api.delete(&pod.name_any(), &params).await {
        tracing::debug!(%error, "podgc: deleting a pod");
    }
}
