//! Binding: the scheduler's decision written through `pods/binding`, the
//! only way a pod gets its node.

use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::{Api, PostParams};
use serde_json::json;

use super::pod_info::PodInfo;

/// Binds `pod` to `node` (its uid as a precondition, so that a pod
/// replaced under the same name is not bound by mistake).
pub async fn bind(client: Client, pod: &PodInfo, node: &str) -> Result<(), kube::Error> {
    let pods: Api<Pod> = Api::namespaced(client, &pod.namespace);
    let binding = json!({
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": pod.name, "namespace": pod.namespace, "uid": pod.uid},
        "target": {"apiVersion": "v1", "kind": "Node", "name": node},
    });
    pods.create_subresource::<_, serde_json::Value>(
        "binding",
        &pod.name,
        &PostParams::default(),
        &binding,
    )
    .await
    .map(drop)
}
