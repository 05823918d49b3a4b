//! Playing kubelet for the simulated nodes through one pod watch (bound
//! pods only), not one per node: a pod bound to a simulated node is
//! started (phase Running, the Initialized / Ready / ContainersReady /
//! PodScheduled conditions, podIP from the node's range, hostIP, container
//! statuses running and ready); a pod that does not restart (a Job's:
//! `restartPolicy` Never or OnFailure) succeeds after a while; a pod being
//! deleted gracefully is released (deleted with grace period 0), as
//! kubelet does once its containers have stopped.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, Patch, PatchParams, Preconditions};
use kube::runtime::watcher;
use kube::{Client, ResourceExt};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use super::nodes::SimulatedNode;
use super::{Shared, SimulatorOptions};

/// Now, as the API's seconds-precision timestamps.
pub fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Now, as a `MicroTime`.
pub fn now_micro() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// What is being done to which pod (by uid), so that watch events that
/// repeat a state do not repeat the work.
#[derive(Default)]
struct InFlight {
    starting: HashSet<String>,
    finishing: HashSet<String>,
    releasing: HashSet<String>,
}

struct Kubelet {
    client: Client,
    nodes: Arc<Vec<SimulatedNode>>,
    by_name: HashMap<String, usize>,
    shared: Arc<Shared>,
    options: SimulatorOptions,
    in_flight: Arc<Mutex<InFlight>>,
    permits: Arc<Semaphore>,
    /// The latest version of every pod bound to a simulated node, to look
    /// at again when a silenced node comes back.
    known: Mutex<HashMap<String, Pod>>,
}

/// Watches bound pods and plays kubelet for those on `nodes` until
/// aborted.
pub(crate) async fn run(
    client: Client,
    nodes: Arc<Vec<SimulatedNode>>,
    shared: Arc<Shared>,
    options: SimulatorOptions,
) {
    let by_name = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.name.clone(), i))
        .collect();
    let kubelet = Arc::new(Kubelet {
        client: client.clone(),
        nodes,
        by_name,
        shared,
        permits: Arc::new(Semaphore::new(options.concurrency.max(1))),
        options,
        in_flight: Arc::default(),
        known: Mutex::default(),
    });
    let pods: Api<Pod> = Api::all(client);
    let config = watcher::Config::default().fields("spec.nodeName!=");
    let mut events = watcher(pods, config).boxed();
    let mut resync = tokio::time::interval(std::time::Duration::from_millis(250));
    loop {
        let event = tokio::select! {
            event = events.next() => match event {
                Some(event) => event,
                None => return,
            },
            _ = resync.tick() => {
                kubelet.resync();
                continue;
            }
        };
        match event {
            Ok(watcher::Event::Apply(pod) | watcher::Event::InitApply(pod)) => {
                kubelet.observe(pod);
            }
            Ok(watcher::Event::Delete(pod)) => {
                if let Ok(mut known) = kubelet.known.lock() {
                    known.remove(&pod.uid().unwrap_or_default());
                }
                kubelet.forget(&pod);
            }
            Ok(_) => {}
            Err(error) => {
                tracing::debug!(%error, "node simulator: pod watch");
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        }
    }
}

impl Kubelet {
    /// The simulated node `pod` is bound to, if it is ours and alive.
    fn node_of(&self, pod: &Pod) -> Option<usize> {
        let node = pod.spec.as_ref()?.node_name.as_deref()?;
        let index = *self.by_name.get(node)?;
        (!self.shared.is_silent(node)).then_some(index)
    }

    /// Looks again at the pods of nodes that came back.
    fn resync(self: &Arc<Self>) {
        let nodes = self.shared.take_resync();
        if nodes.is_empty() {
            return;
        }
        let pods: Vec<Pod> = match self.known.lock() {
            Ok(known) => known
                .values()
                .filter(|p| {
                    p.spec
                        .as_ref()
                        .and_then(|s| s.node_name.as_ref())
                        .is_some_and(|n| nodes.contains(n))
                })
                .cloned()
                .collect(),
            Err(_) => return,
        };
        for pod in pods {
            self.observe(pod);
        }
    }

    fn observe(self: &Arc<Self>, pod: Pod) {
        let ours = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.as_ref())
            .is_some_and(|n| self.by_name.contains_key(n));
        if ours && let Ok(mut known) = self.known.lock() {
            known.insert(pod.uid().unwrap_or_default(), pod.clone());
        }
        let Some(node) = self.node_of(&pod) else {
            return;
        };
        let uid = pod.uid().unwrap_or_default();
        let phase = pod
            .status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .unwrap_or("Pending")
            .to_owned();
        let Ok(mut in_flight) = self.in_flight.lock() else {
            return;
        };
        if pod.metadata.deletion_timestamp.is_some() {
            if in_flight.releasing.insert(uid.clone()) {
                self.spawn(uid, pod, |kubelet, pod| async move {
                    kubelet.release(&pod).await
                });
            }
            return;
        }
        let restarts = pod
            .spec
            .as_ref()
            .and_then(|s| s.restart_policy.as_deref())
            .unwrap_or("Always")
            == "Always";
        match phase.as_str() {
            "Pending" if in_flight.starting.insert(uid.clone()) => {
                self.spawn(uid, pod, move |kubelet, pod| async move {
                    kubelet.start(&pod, node).await
                });
            }
            "Running" if !restarts && in_flight.finishing.insert(uid.clone()) => {
                self.spawn(uid, pod, |kubelet, pod| async move {
                    tokio::time::sleep(kubelet.options.job_pod_runtime).await;
                    kubelet.finish(&pod).await
                });
            }
            _ => {}
        }
    }

    fn forget(&self, pod: &Pod) {
        let uid = pod.uid().unwrap_or_default();
        if let Ok(mut in_flight) = self.in_flight.lock() {
            in_flight.starting.remove(&uid);
            in_flight.finishing.remove(&uid);
            in_flight.releasing.remove(&uid);
        }
    }

    /// Runs `work` with a request permit; if it fails, the pod is
    /// forgotten so that its next watch event tries again.
    fn spawn<F, Fut>(self: &Arc<Self>, uid: String, pod: Pod, work: F)
    where
        F: FnOnce(Arc<Kubelet>, Pod) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), kube::Error>> + Send + 'static,
    {
        let kubelet = self.clone();
        tokio::spawn(async move {
            let forget = pod.clone();
            let result = {
                let _permit = kubelet.permits.clone().acquire_owned().await;
                work(kubelet.clone(), pod).await
            };
            match result {
                Ok(()) => {}
                // Gone meanwhile: nothing left to do.
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(error) => {
                    tracing::debug!(%error, uid, "node simulator: pod update failed");
                    kubelet.forget(&forget);
                }
            }
        });
    }

    fn pods(&self, pod: &Pod) -> Api<Pod> {
        Api::namespaced(self.client.clone(), &pod.namespace().unwrap_or_default())
    }

    /// Running and ready, as kubelet reports a started pod.
    async fn start(&self, pod: &Pod, node: usize) -> Result<(), kube::Error> {
        let node = &self.nodes[node];
        let now = now();
        let pod_ip = node.next_pod_ip();
        let spec = pod.spec.clone().unwrap_or_default();
        let containers: Vec<Value> = spec
            .containers
            .iter()
            .map(|c| {
                json!({
                    "name": c.name,
                    "image": c.image.clone().unwrap_or_default(),
                    "imageID": "",
                    "containerID": format!("simulated://{}-{}", pod.uid().unwrap_or_default(), c.name),
                    "ready": true,
                    "started": true,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": now}},
                })
            })
            .collect();
        let init_containers: Vec<Value> = spec
            .init_containers
            .iter()
            .flatten()
            .map(|c| {
                json!({
                    "name": c.name,
                    "image": c.image.clone().unwrap_or_default(),
                    "imageID": "",
                    "containerID": format!("simulated://{}-{}", pod.uid().unwrap_or_default(), c.name),
                    "ready": true,
                    "started": false,
                    "restartCount": 0,
                    "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": now, "finishedAt": now}},
                })
            })
            .collect();
        let condition = |kind: &str| json!({"type": kind, "status": "True", "lastProbeTime": null, "lastTransitionTime": now});
        let mut status = json!({
            "phase": "Running",
            "conditions": [
                condition("PodReadyToStartContainers"),
                condition("Initialized"),
                condition("Ready"),
                condition("ContainersReady"),
                condition("PodScheduled"),
            ],
            "hostIP": node.host_ip,
            "hostIPs": [{"ip": node.host_ip}],
            "podIP": pod_ip,
            "podIPs": [{"ip": pod_ip}],
            "startTime": now,
            "containerStatuses": containers,
        });
        if !init_containers.is_empty() {
            status["initContainerStatuses"] = json!(init_containers);
        }
        self.pods(pod)
            .patch_status(
                &pod.name_any(),
                &PatchParams::default(),
                &Patch::Merge(&json!({"status": status})),
            )
            .await
            .map(drop)
    }

    /// Succeeded: every container exited 0.
    async fn finish(&self, pod: &Pod) -> Result<(), kube::Error> {
        let now = now();
        let started = pod
            .status
            .as_ref()
            .and_then(|s| s.start_time.as_ref())
            .map(|t| t.0.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_else(|| now.clone());
        let spec = pod.spec.clone().unwrap_or_default();
        let containers: Vec<Value> = spec
            .containers
            .iter()
            .map(|c| {
                json!({
                    "name": c.name,
                    "image": c.image.clone().unwrap_or_default(),
                    "imageID": "",
                    "containerID": format!("simulated://{}-{}", pod.uid().unwrap_or_default(), c.name),
                    "ready": false,
                    "started": false,
                    "restartCount": 0,
                    "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": started, "finishedAt": now}},
                })
            })
            .collect();
        let condition = |kind: &str, status: &str, reason: Option<&str>| {
            let mut c = json!({"type": kind, "status": status, "lastProbeTime": null, "lastTransitionTime": now});
            if let Some(reason) = reason {
                c["reason"] = json!(reason);
            }
            c
        };
        let status = json!({
            "phase": "Succeeded",
            "conditions": [
                condition("PodReadyToStartContainers", "False", None),
                condition("Initialized", "True", Some("PodCompleted")),
                condition("Ready", "False", Some("PodCompleted")),
                condition("ContainersReady", "False", Some("PodCompleted")),
                condition("PodScheduled", "True", None),
            ],
            "containerStatuses": containers,
        });
        self.pods(pod)
            .patch_status(
                &pod.name_any(),
                &PatchParams::default(),
                &Patch::Merge(&json!({"status": status})),
            )
            .await
            .map(drop)
    }

    /// The containers have stopped: the pod can go.
    async fn release(&self, pod: &Pod) -> Result<(), kube::Error> {
        let params = DeleteParams {
            grace_period_seconds: Some(0),
            preconditions: Some(Preconditions {
                uid: pod.uid(),
                resource_version: None,
            }),
            ..Default::default()
        };
        match self.pods(pod).delete(&pod.name_any(), &params).await {
            Ok(_) => Ok(()),
            // Another uid: the pod was replaced, this one is gone.
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
            Err(error) => Err(error),
        }
    }
}
