//! The replicaset and replicationcontroller controllers: each ReplicaSet
//! (or ReplicationController) has `spec.replicas` active pods made from
//! its template, as upstream's.
//!
//! * Pods matching the selector without a controller are adopted (given
//!   a controller reference); pods it controls that stop matching are
//!   released.
//! * Missing pods are created in batches that double (1, 2, 4, …) while
//!   creates succeed, so a template that cannot be created (quota, bad
//!   spec) costs one failed request, not hundreds; the failure shows as
//!   the `ReplicaFailure` condition.
//! * Surplus pods are deleted cheapest first ([`ranking`]).
//! * [`expectations`] keep a slow pod cache from causing a second round of
//!   the same creates or deletes.
//! * Status: `replicas`, `fullyLabeledReplicas`, `readyReplicas`,
//!   `availableReplicas` (ready for `minReadySeconds`) and
//!   `observedGeneration`.

pub mod expectations;
pub mod kinds;
pub mod ranking;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use kube::{Client, ResourceExt};
use serde_json::json;

use self::expectations::{Expectations, PodKey};
use self::kinds::{Condition, Replicated, Status};
use super::RETRY;
use super::events::Recorder;
use super::informer;
use super::pods;

/// At most this many pods are created or deleted per pass (upstream's
/// `burstReplicas`).
const BURST: usize = 500;

struct Context<K: Replicated> {
    kind: std::marker::PhantomData<K>,
    client: Client,
    pods: Store<Pod>,
    expectations: Expectations,
    events: Recorder,
}

/// Runs the controller for `K` until its watches end.
pub async fn run<K: Replicated>(client: Client) {
    let sets: Api<K> = Api::all(client.clone());
    let (pod_store, pod_events) = informer::reflected::<Pod>(&client);
    let controller = Controller::new(sets, watcher::Config::default());
    let set_store = controller.store();
    let context = Arc::new(Context {
        kind: std::marker::PhantomData,
        events: Recorder::new(client.clone(), K::COMPONENT),
        client,
        pods: pod_store,
        expectations: Expectations::default(),
    });
    controller
        .watches_stream(pod_events, move |pod: Pod| owners_of(&pod, &set_store))
        .run(
            reconcile::<K>,
            |_, error, _| {
                tracing::warn!(%error, controller = K::CONTROLLER, "will retry");
                Action::requeue(RETRY)
            },
            context,
        )
        .for_each(|_| async {})
        .await;
}

/// The controllers a pod event concerns: its controller if it is one of
/// ours, or, for a pod without one, every set whose selector matches it.
fn owners_of<K: Replicated>(pod: &Pod, sets: &Store<K>) -> Vec<ObjectRef<K>> {
    let namespace = pod.namespace().unwrap_or_default();
    if let Some(owner) = pods::controller_of(&pod.metadata) {
        if owner.kind == K::kind(&()) && owner.api_version == K::api_version(&()) {
            return vec![ObjectRef::new(&owner.name).within(&namespace)];
        }
        return Vec::new();
    }
    let labels = pods::labels(&pod.metadata);
    sets.state()
        .iter()
        .filter(|set| set.namespace().as_deref() == Some(namespace.as_str()))
        .filter(|set| set.selector().is_some_and(|s| s.matches(labels)))
        .map(|set| ObjectRef::from_obj(set.as_ref()))
        .collect()
}

async fn reconcile<K: Replicated>(
    set: Arc<K>,
    context: Arc<Context<K>>,
) -> Result<Action, kube::Error> {
    let namespace = set.namespace().unwrap_or_default();
    let uid = set.uid().unwrap_or_default();
    let Some(selector) = set.selector() else {
        return Ok(Action::await_change());
    };
    let deleting = set.meta().deletion_timestamp.is_some();
    let pod_api: Api<Pod> = Api::namespaced(context.client.clone(), &namespace);

    // The pods it controls, after adopting and releasing.
    let mut owned: Vec<Arc<Pod>> = Vec::new();
    for pod in context.pods.state() {
        if pod.metadata.namespace.as_deref() != Some(namespace.as_str()) {
            continue;
        }
        let matches = selector.matches(pods::labels(&pod.metadata));
        match pods::controller_of(&pod.metadata) {
            Some(owner) if owner.uid == uid => {
                if matches || deleting {
                    owned.push(pod);
                } else {
                    release(&pod_api, &pod, &uid).await?;
                }
            }
            Some(_) => {}
            None if matches
                && !deleting
                && pod.metadata.deletion_timestamp.is_none()
                && adopt(&pod_api, &pod, set.as_ref()).await? =>
            {
                owned.push(pod);
            }
            None => {}
        }
    }
    let active: Vec<Arc<Pod>> = owned.into_iter().filter(|p| pods::is_active(p)).collect();

    let mut failure = None;
    let settled = context.expectations.satisfied(&uid, &context.pods);
    if settled && !deleting {
        failure = manage(&context, set.as_ref(), &pod_api, &active).await;
    }

    let now = jiff::Timestamp::now();
    let min_ready = set.min_ready_seconds();
    let template_labels = set
        .template()
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    let mut status = Status {
        replicas: active.len() as i32,
        fully_labeled_replicas: active
            .iter()
            .filter(|p| {
                let labels = pods::labels(&p.metadata);
                template_labels
                    .iter()
                    .all(|(k, v)| labels.get(k) == Some(v))
            })
            .count() as i32,
        ready_replicas: active.iter().filter(|p| pods::is_ready(p)).count() as i32,
        available_replicas: active
            .iter()
            .filter(|p| pods::is_available(p, min_ready, now))
            .count() as i32,
        observed_generation: set.meta().generation.unwrap_or(0),
        conditions: set.status().conditions,
    };
    status.conditions.retain(|c| c.type_ != "ReplicaFailure");
    if let Some((reason, message)) = failure.clone() {
        let previous = set
            .status()
            .conditions
            .into_iter()
            .find(|c| c.type_ == "ReplicaFailure");
        status.conditions.push(Condition {
            type_: "ReplicaFailure".into(),
            status: "True".into(),
            reason,
            message,
            last_transition_time: previous
                .and_then(|c| c.last_transition_time)
                .or(Some(Time(now))),
        });
    }
    if status != set.status() {
        super::status::patch(&context.client, set.as_ref(), &status).await?;
    }

    if failure.is_some() {
        // Nothing else may change (a quota freed): try again.
        return Ok(Action::requeue(Duration::from_secs(5)));
    }
    if !settled {
        // The watch normally brings the pods first; this is the fallback.
        return Ok(Action::requeue(Duration::from_secs(1)));
    }
    if min_ready > 0 && status.ready_replicas != status.available_replicas {
        return Ok(Action::requeue(Duration::from_secs(min_ready as u64)));
    }
    Ok(Action::await_change())
}

/// Creates or deletes pods towards `spec.replicas`; what failed, as a
/// `ReplicaFailure` reason and message.
async fn manage<K: Replicated>(
    context: &Context<K>,
    set: &K,
    pod_api: &Api<Pod>,
    active: &[Arc<Pod>],
) -> Option<(String, String)> {
    let uid = set.uid().unwrap_or_default();
    let wanted = set.replicas().max(0) as usize;
    if active.len() < wanted {
        let template = set.template()?;
        let missing = (wanted - active.len()).min(BURST);
        let namespace = set.namespace().unwrap_or_default();
        let owner = pods::controller_reference(set);
        let mut created = Vec::new();
        let mut failure = None;
        let mut batch = 1;
        while created.len() < missing && failure.is_none() {
            let size = batch.min(missing - created.len());
            let pod = pods::from_template(template, &namespace, &set.name_any(), owner.clone());
            let params = PostParams::default();
            let results =
                futures::future::join_all((0..size).map(|_| pod_api.create(&params, &pod))).await;
            for result in results {
                match result {
                    Ok(pod) => {
                        context.events.normal(
                            set,
                            "SuccessfulCreate",
                            format!("Created pod: {}", pod.name_any()),
                        );
                        created.push(PodKey::of(&pod));
                    }
                    Err(error) => {
                        let message = super::events::message_of(&error);
                        context.events.warning(
                            set,
                            "FailedCreate",
                            format!("Error creating: {message}"),
                        );
                        failure = Some(("FailedCreate".to_owned(), message));
                    }
                }
            }
            batch *= 2;
        }
        context.expectations.expect(&uid, created, Vec::new());
        return failure;
    }
    if active.len() > wanted {
        let surplus = (active.len() - wanted).min(BURST);
        let mut ranked: Vec<&Arc<Pod>> = active.iter().collect();
        ranked.sort_by(|a, b| ranking::deletion_order(a, b));
        let doomed: Vec<&Arc<Pod>> = ranked.into_iter().take(surplus).collect();
        let results = futures::future::join_all(doomed.iter().map(|pod| {
            let params = pods::delete_exactly(pod.as_ref());
            async move { (pod, pod_api.delete(&pod.name_any(), &params).await) }
        }))
        .await;
        let mut deleted = Vec::new();
        let mut failure = None;
        for (pod, result) in results {
            match result {
                Ok(_) => {
                    context.events.normal(
                        set,
                        "SuccessfulDelete",
                        format!("Deleted pod: {}", pod.name_any()),
                    );
                    deleted.push(PodKey::of(pod));
                }
                // Already gone (or another pod of the name): not ours to wait for.
                Err(kube::Error::Api(status)) if matches!(status.code, 404 | 409) => {}
                Err(error) => {
                    let message = error.to_string();
                    context.events.warning(
                        set,
                        "FailedDelete",
                        format!("Error deleting: {message}"),
                    );
                    failure = Some(("FailedDelete".to_owned(), message));
                }
            }
        }
        context.expectations.expect(&uid, Vec::new(), deleted);
        return failure;
    }
    None
}

/// Makes `set` the controller of an orphan `pod`; whether it now is.
async fn adopt<K: Replicated>(pod_api: &Api<Pod>, pod: &Pod, set: &K) -> Result<bool, kube::Error> {
    // The pod's uid in the patch makes it fail (409) if the name now
    // belongs to another pod.
    let patch = json!({"metadata": {
        "ownerReferences": [pods::controller_reference(set)],
        "uid": pod.uid(),
    }});
    match pod_api
        .patch(
            &pod.name_any(),
            &PatchParams::default(),
            &Patch::Strategic(&patch),
        )
        .await
    {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(status)) if matches!(status.code, 404 | 409 | 422) => Ok(false),
        Err(error) => Err(error),
    }
}

/// Takes the reference to controller `uid` off `pod`.
async fn release(pod_api: &Api<Pod>, pod: &Pod, uid: &str) -> Result<(), kube::Error> {
    let patch = json!({"metadata": {
        "ownerReferences": [{"$patch": "delete", "uid": uid}],
        "uid": pod.uid(),
    }});
    match pod_api
        .patch(
            &pod.name_any(),
            &PatchParams::default(),
            &Patch::Strategic(&patch),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if matches!(status.code, 404 | 409 | 422) => Ok(()),
        Err(error) => Err(error),
    }
}
