//! What users see of the scheduler's failures: the pod's `PodScheduled`
//! condition (False, reason `Unschedulable`, upstream's message), a
//! `nominatedNodeName` after preemption, and the events `kubectl
//! describe` lists (`Scheduled`, `FailedScheduling`, `Preempted`).
//! Writes run in the background, a bounded number at a time; repeated
//! events for a pod count up instead of piling up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::{Event, Pod};
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;
use tokio::sync::Semaphore;

use super::pod_info::PodInfo;

/// How many reporting writes may be in flight.
const CONCURRENT_WRITES: usize = 16;

/// (pod uid, reason)
type EventKey = (String, String);
/// (event name, message, count)
type RecentEvent = (String, String, i32);

#[derive(Clone)]
pub struct Reporter {
    client: Client,
    scheduler_name: String,
    instance: String,
    permits: Arc<Semaphore>,
    /// The last event per (pod uid, reason): its name, message and count.
    recent: Arc<Mutex<HashMap<EventKey, RecentEvent>>>,
}

fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

impl Reporter {
    pub fn new(client: Client, scheduler_name: &str) -> Reporter {
        let host = crate::pki::serving::host_name().unwrap_or_else(|| "keelson".into());
        Reporter {
            client,
            scheduler_name: scheduler_name.to_owned(),
            instance: format!("{scheduler_name}-{host}"),
            permits: Arc::new(Semaphore::new(CONCURRENT_WRITES)),
            recent: Arc::default(),
        }
    }

    /// The pod could not be scheduled (`reason`: `Unschedulable`, or
    /// `SchedulerError` for failures that are not about fit): condition
    /// and event; with `nominated`, the node preemption made room on.
    pub fn failed(&self, pod: &PodInfo, reason: &str, message: String, nominated: Option<String>) {
        let condition_unchanged = pod
            .pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|c| c.iter().find(|c| c.type_ == "PodScheduled"))
            .is_some_and(|c| {
                c.status == "False"
                    && c.reason.as_deref() == Some(reason)
                    && c.message.as_deref() == Some(message.as_str())
            });
        let nomination_unchanged =
            nominated.is_none() || nominated.as_deref() == pod.nominated_node();
        if !(condition_unchanged && nomination_unchanged) {
            let mut status = json!({"conditions": [{
                "type": "PodScheduled",
                "status": "False",
                "reason": reason,
                "message": message,
                "lastProbeTime": null,
                "lastTransitionTime": now(),
            }]});
            if let Some(node) = &nominated {
                status["nominatedNodeName"] = json!(node);
            }
            let pods: Api<Pod> = Api::namespaced(self.client.clone(), &pod.namespace);
            let name = pod.name.clone();
            let permits = self.permits.clone();
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await;
                let patch = json!({"status": status});
                if let Err(error) = pods
                    .patch_status(&name, &PatchParams::default(), &Patch::Strategic(&patch))
                    .await
                {
                    tracing::debug!(%error, pod = %name, "scheduler: pod condition");
                }
            });
        }
        self.event(pod, "Warning", "FailedScheduling", "Scheduling", message);
    }

    /// `pod` was bound to `node`.
    pub fn scheduled(&self, pod: &PodInfo, node: &str) {
        self.event(
            pod,
            "Normal",
            "Scheduled",
            "Binding",
            format!(
                "Successfully assigned {}/{} to {node}",
                pod.namespace, pod.name
            ),
        );
    }

    /// Deletes `victim` to make room for `preemptor` on `node`, saying so
    /// on the victim (a `DisruptionTarget` condition and a `Preempted`
    /// event), as upstream does.
    pub fn preempt(&self, victim: &PodInfo, preemptor: &PodInfo, node: &str) {
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &victim.namespace);
        let name = victim.name.clone();
        let uid = victim.uid.clone();
        let condition = json!({"status": {"conditions": [{
            "type": "DisruptionTarget",
            "status": "True",
            "reason": "PreemptionByScheduler",
            "message": format!("{}: preempting to accommodate a higher priority pod", self.scheduler_name),
            "lastTransitionTime": now(),
        }]}});
        let permits = self.permits.clone();
        tokio::spawn(async move {
            let _permit = permits.acquire_owned().await;
            let _ = pods
                .patch_status(
                    &name,
                    &PatchParams::default(),
                    &Patch::Strategic(&condition),
                )
                .await;
            let params = kube::api::DeleteParams {
                preconditions: Some(kube::api::Preconditions {
                    uid: Some(uid),
                    resource_version: None,
                }),
                ..Default::default()
            };
            if let Err(error) = pods.delete(&name, &params).await {
                tracing::warn!(%error, pod = %name, "scheduler: deleting a preemption victim");
            }
        });
        self.event(
            victim,
            "Warning",
            "Preempted",
            "Preempting",
            format!("Preempted by pod {} on node {node}", preemptor.uid),
        );
    }

    /// An event about `pod` (a repeat of the last one for the same
    /// reason counts it again).
    fn event(&self, pod: &PodInfo, kind: &str, reason: &str, action: &str, message: String) {
        let fresh_name = || format!("{}.{:x}", pod.name, jiff::Timestamp::now().as_nanosecond());
        // (event name, Some(count) for a repeat to count up)
        let (name, repeat) = if reason == "Scheduled" {
            // A pod is scheduled once: nothing to count up later.
            (fresh_name(), None)
        } else {
            let Ok(mut recent) = self.recent.lock() else {
                return;
            };
            if recent.len() > 50_000 {
                recent.clear();
            }
            let key = (pod.uid.clone(), reason.to_owned());
            match recent.get_mut(&key) {
                Some((name, last, count)) if *last == message => {
                    *count += 1;
                    (name.clone(), Some(*count))
                }
                _ => {
                    let name = fresh_name();
                    recent.insert(key, (name.clone(), message.clone(), 1));
                    (name, None)
                }
            }
        };
        let events: Api<Event> = Api::namespaced(self.client.clone(), &pod.namespace);
        let permits = self.permits.clone();
        let now = now();
        let write = match repeat {
            Some(count) => {
                let patch = json!({"count": count, "lastTimestamp": now});
                Box::pin(async move {
                    events
                        .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                        .await
                        .map(drop)
                })
                    as std::pin::Pin<Box<dyn Future<Output = Result<(), kube::Error>> + Send>>
            }
            None => {
                let event = json!({
                    "apiVersion": "v1",
                    "kind": "Event",
                    "metadata": {"name": name, "namespace": pod.namespace},
                    "involvedObject": {
                        "apiVersion": "v1", "kind": "Pod",
                        "namespace": pod.namespace, "name": pod.name, "uid": pod.uid,
                        "resourceVersion": pod.pod.metadata.resource_version,
                    },
                    "reason": reason,
                    "message": message,
                    "type": kind,
                    "source": {"component": self.scheduler_name},
                    "firstTimestamp": now,
                    "lastTimestamp": now,
                    "count": 1,
                    "action": action,
                    "reportingComponent": self.scheduler_name,
                    "reportingInstance": self.instance,
                });
                Box::pin(async move {
                    let event: Event =
                        serde_json::from_value(event).map_err(kube::Error::SerdeError)?;
                    events
                        .create(&PostParams::default(), &event)
                        .await
                        .map(drop)
                })
            }
        };
        tokio::spawn(async move {
            let _permit = permits.acquire_owned().await;
            if let Err(error) = write.await {
                tracing::debug!(%error, "scheduler: event");
            }
        });
    }
}
