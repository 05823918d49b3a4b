//! The daemonset controller: one pod of each DaemonSet on every node it
//! belongs on ([`placement`]), as upstream's.
//!
//! * A node that joins (or comes to match) gets a pod; a node that stops
//!   matching, or whose NoExecute taint the pod does not tolerate, loses
//!   it; pods of nodes that are gone are deleted. Pods are pinned by node
//!   affinity and bound by the scheduler, as upstream since 1.12.
//! * A failed daemon pod is deleted and replaced after a back-off.
//! * Templates are revisions ([`history`](super::history)); pods carry
//!   `controller-revision-hash`. `RollingUpdate` replaces old pods at most
//!   `maxUnavailable` nodes at a time, or with `maxSurge` starts the new
//!   pod first and deletes the old one once the new one is available
//!   ([`rolling`]); `OnDelete` replaces a pod only when someone deletes
//!   it.
//! * Status: desired, current, misscheduled, ready, updated, available and
//!   unavailable counts — what `kubectl rollout status ds` waits on.

pub mod placement;
pub mod rolling;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, DaemonSetStatus};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use kube::{Client, ResourceExt};

use self::placement::{Placement, placement, target_node};
use super::events::Recorder;
use super::history::{self, REVISION_HASH_LABEL};
use super::replicaset::expectations::{Expectations, PodKey};
use super::{RETRY, informer, pods};

/// The first wait before a failed daemon pod is replaced; it doubles per
/// failure on the same node, up to [`MAX_BACKOFF`].
const BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(300);

struct Context {
    client: Client,
    pods: Store<Pod>,
    nodes: Store<Node>,
    revisions: Store<ControllerRevision>,
    expectations: Expectations,
    events: Recorder,
    /// (DaemonSet uid, node) → when its last pod failed, and the back-off.
    failures: Mutex<HashMap<(String, String), (Instant, Duration)>>,
}

/// Runs until the watches end.
pub async fn run(client: Client) {
    let (pod_store, pod_events) = informer::reflected::<Pod>(&client);
    let (node_store, node_events) = informer::reflected::<Node>(&client);
    let (revisions, revisions_task) = informer::start(Api::all(client.clone()));
    let controller = Controller::new(
        Api::<DaemonSet>::all(client.clone()),
        watcher::Config::default(),
    );
    let sets = controller.store();
    let context = Arc::new(Context {
        events: Recorder::new(client.clone(), "daemonset-controller"),
        client,
        pods: pod_store,
        nodes: node_store,
        revisions,
        expectations: Expectations::default(),
        failures: Mutex::default(),
    });
    controller
        .watches_stream(pod_events, |pod: Pod| {
            let owner = pods::controller_of(&pod.metadata)
                .filter(|o| o.kind == "DaemonSet" && o.api_version == "apps/v1")?;
            Some(ObjectRef::new(&owner.name).within(&pod.namespace()?))
        })
        // Any node change may add or remove a daemon pod of every set.
        .watches_stream(node_events, move |_: Node| {
            sets.state()
                .iter()
                .map(|set| ObjectRef::from_obj(set.as_ref()))
                .collect::<Vec<_>>()
        })
        .run(
            reconcile,
            |_, error, _| {
                tracing::warn!(%error, "daemonset: will retry");
                Action::requeue(RETRY)
            },
            context,
        )
        .for_each(|_| async {})
        .await;
    revisions_task.abort();
}

/// A set's pods by the node they are for.
pub type PodsByNode = BTreeMap<String, Vec<Arc<Pod>>>;

/// What one pass decided to do.
#[derive(Default)]
struct Plan {
    /// Nodes that get a pod.
    create_on: Vec<String>,
    /// Pods to delete, and why (for the event).
    delete: Vec<(Arc<Pod>, &'static str)>,
    /// When to look again (back-offs, minReadySeconds).
    requeue: Option<Duration>,
}

impl Plan {
    fn requeue_in(&mut self, after: Duration) {
        self.requeue = Some(self.requeue.map_or(after, |r| r.min(after)));
    }
}

async fn reconcile(set: Arc<DaemonSet>, context: Arc<Context>) -> Result<Action, kube::Error> {
    if set.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let namespace = set.namespace().unwrap_or_default();
    let uid = set.uid().unwrap_or_default();
    let spec = set.spec.clone().unwrap_or_default();
    let previous = set.status.clone().unwrap_or_default();
    let revisions = history::owned(&context.revisions, &namespace, &uid);
    let mut collisions = previous.collision_count.unwrap_or(0);
    let current = history::current(
        &context.client,
        set.as_ref(),
        &spec.template,
        &revisions,
        &mut collisions,
    )
    .await?;
    let hash = current
        .labels()
        .get(REVISION_HASH_LABEL)
        .cloned()
        .unwrap_or_default();

    // The set's pods by the node they are for.
    let mut by_node = PodsByNode::new();
    for pod in context.pods.state() {
        if pod.namespace().as_deref() == Some(namespace.as_str())
            && pods::controller_of(&pod.metadata).is_some_and(|o| o.uid == uid)
            && pod.metadata.deletion_timestamp.is_none()
        {
            let node = target_node(&pod).unwrap_or_default();
            by_node.entry(node).or_default().push(pod);
        }
    }
    for pods in by_node.values_mut() {
        pods.sort_by_key(|p| (p.creation_timestamp().map(|t| t.0), p.name_any()));
    }
    let nodes: Vec<(Arc<Node>, Placement)> = context
        .nodes
        .state()
        .into_iter()
        .map(|node| {
            let placed = placement(&spec.template, &node);
            (node, placed)
        })
        .collect();

    let now = jiff::Timestamp::now();
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    let status = status_of(&set, &nodes, &by_node, &hash, min_ready, now, collisions);

    let settled = context.expectations.satisfied(&uid, &context.pods);
    let requeue = if settled {
        let mut plan = sync_nodes(&context, &set, &nodes, &by_node);
        let rolling = spec
            .update_strategy
            .as_ref()
            .and_then(|s| s.type_.as_deref())
            .unwrap_or("RollingUpdate")
            == "RollingUpdate";
        if rolling && plan.create_on.is_empty() && plan.delete.is_empty() {
            let strategy = spec
                .update_strategy
                .as_ref()
                .and_then(|s| s.rolling_update.clone())
                .unwrap_or_default();
            let decided = rolling::update(&strategy, &nodes, &by_node, &hash, min_ready, now);
            plan.create_on.extend(decided.create_on);
            plan.delete
                .extend(decided.delete.into_iter().map(|p| (p, "rolling update")));
            if let Some(after) = decided.requeue {
                plan.requeue_in(after);
            }
        }
        execute(&context, &set, &plan, &hash).await;
        plan.requeue
    } else {
        Some(Duration::from_secs(1))
    };
    write_status(&context, &set, status).await?;
    if settled {
        truncate_history(&context, &set, &revisions, &current, &by_node).await;
    }
    Ok(requeue.map_or_else(Action::await_change, Action::requeue))
}

/// Pods to create and delete so that each node has the pod it should:
/// one where the set belongs, none elsewhere.
fn sync_nodes(
    context: &Context,
    set: &DaemonSet,
    nodes: &[(Arc<Node>, Placement)],
    by_node: &PodsByNode,
) -> Plan {
    let uid = set.uid().unwrap_or_default();
    let surge = set
        .spec
        .as_ref()
        .and_then(|s| s.update_strategy.as_ref())
        .and_then(|s| s.rolling_update.as_ref())
        .and_then(|r| r.max_surge.as_ref())
        .is_some_and(|s| super::int_or_percent::scaled(s, 1, true) > 0);
    let mut plan = Plan::default();
    let mut known = HashSet::new();
    let mut failures = context.failures.lock().expect("daemonset failures");
    for (node, placed) in nodes {
        let name = node.name_any();
        known.insert(name.clone());
        let pods = by_node.get(&name).map(Vec::as_slice).unwrap_or_default();
        if !placed.should_run {
            if !placed.may_continue {
                plan.delete
                    .extend(pods.iter().map(|p| (p.clone(), "node no longer eligible")));
            }
            continue;
        }
        let (failed, running): (Vec<&Arc<Pod>>, Vec<&Arc<Pod>>) =
            pods.iter().partition(|p| pods::phase(p) == "Failed");
        for pod in &failed {
            context.events.warning(
                set,
                "FailedDaemonPod",
                format!(
                    "Found failed daemon pod {}/{} on node {name}, will try to kill it",
                    pod.namespace().unwrap_or_default(),
                    pod.name_any()
                ),
            );
            let key = (uid.clone(), name.clone());
            let backoff = failures
                .get(&key)
                .map_or(BACKOFF, |(_, b)| (*b * 2).min(MAX_BACKOFF));
            failures.insert(key, (Instant::now(), backoff));
            plan.delete.push(((*pod).clone(), "failed"));
        }
        if running.is_empty() {
            match failures.get(&(uid.clone(), name.clone())) {
                Some((since, backoff)) if since.elapsed() < *backoff => {
                    plan.requeue_in(*backoff - since.elapsed());
                }
                _ => plan.create_on.push(name),
            }
        } else if running.len() > 1 && !surge {
            // Keep the oldest.
            plan.delete
                .extend(running[1..].iter().map(|p| ((*p).clone(), "surplus")));
        }
    }
    for (node, pods) in by_node {
        if !known.contains(node) {
            plan.delete
                .extend(pods.iter().map(|p| (p.clone(), "node is gone")));
        }
    }
    plan
}

/// Creates and deletes what `plan` says.
async fn execute(context: &Context, set: &DaemonSet, plan: &Plan, hash: &str) {
    let namespace = set.namespace().unwrap_or_default();
    let pod_api: Api<Pod> = Api::namespaced(context.client.clone(), &namespace);
    let template = set.spec.clone().unwrap_or_default().template;
    let owner = pods::controller_reference(set);
    let params = PostParams::default();
    let new_pods: Vec<Pod> = plan
        .create_on
        .iter()
        .map(|node| {
            placement::pod_for(
                &template,
                &namespace,
                &set.name_any(),
                owner.clone(),
                node,
                hash,
            )
        })
        .collect();
    let created =
        futures::future::join_all(new_pods.iter().map(|pod| pod_api.create(&params, pod)));
    let deleted = futures::future::join_all(plan.delete.iter().map(|(pod, _)| {
        let params = pods::delete_exactly(pod.as_ref());
        let api = pod_api.clone();
        let name = pod.name_any();
        async move { api.delete(&name, &params).await }
    }));
    let (created, deleted) = futures::join!(created, deleted);
    let mut created_keys = Vec::new();
    for result in created {
        context.events.pod_created(set, &result);
        if let Ok(pod) = result {
            created_keys.push(PodKey::of(&pod));
        }
    }
    let mut deleted_keys = Vec::new();
    for ((pod, why), result) in plan.delete.iter().zip(deleted) {
        match result {
            Ok(_) => {
                tracing::debug!(pod = %pod.name_any(), why, "daemonset: deleted pod");
                context.events.normal(
                    set,
                    "SuccessfulDelete",
                    format!("Deleted pod: {}", pod.name_any()),
                );
                deleted_keys.push(PodKey::of(pod));
            }
            Err(error) => tracing::debug!(%error, "daemonset: pod not deleted"),
        }
    }
    context
        .expectations
        .expect(&set.uid().unwrap_or_default(), created_keys, deleted_keys);
}

/// The set's status as its pods are now.
fn status_of(
    set: &DaemonSet,
    nodes: &[(Arc<Node>, Placement)],
    by_node: &PodsByNode,
    hash: &str,
    min_ready: i32,
    now: jiff::Timestamp,
    collisions: i32,
) -> DaemonSetStatus {
    let mut status = DaemonSetStatus {
        observed_generation: set.metadata.generation,
        collision_count: (collisions > 0).then_some(collisions),
        conditions: set.status.as_ref().and_then(|s| s.conditions.clone()),
        ..DaemonSetStatus::default()
    };
    let mut updated = 0;
    let mut ready = 0;
    let mut available = 0;
    for (node, placed) in nodes {
        let pods: Vec<&Arc<Pod>> = by_node
            .get(&node.name_any())
            .into_iter()
            .flatten()
            .filter(|p| pods::is_active(p))
            .collect();
        if placed.should_run {
            status.desired_number_scheduled += 1;
            if let Some(pod) = pods.first() {
                status.current_number_scheduled += 1;
                if pods::is_ready(pod) {
                    ready += 1;
                }
                if pods::is_available(pod, min_ready, now) {
                    available += 1;
                }
            }
            if pods.iter().any(|p| {
                pods::labels(&p.metadata)
                    .get(REVISION_HASH_LABEL)
                    .map(String::as_str)
                    == Some(hash)
            }) {
                updated += 1;
            }
        } else if !pods.is_empty() {
            status.number_misscheduled += 1;
        }
    }
    status.number_ready = ready;
    status.updated_number_scheduled = Some(updated);
    status.number_available = Some(available);
    status.number_unavailable = Some(status.desired_number_scheduled - available);
    status
}

async fn write_status(
    context: &Context,
    set: &DaemonSet,
    status: DaemonSetStatus,
) -> Result<(), kube::Error> {
    if set.status.as_ref() == Some(&status) {
        return Ok(());
    }
    super::status::patch(&context.client, set, &status).await
}

async fn truncate_history(
    context: &Context,
    set: &DaemonSet,
    revisions: &[Arc<ControllerRevision>],
    current: &ControllerRevision,
    by_node: &PodsByNode,
) {
    let limit = set
        .spec
        .as_ref()
        .and_then(|s| s.revision_history_limit)
        .unwrap_or(10);
    history::truncate(
        &context.client,
        revisions,
        &[&current.name_any()],
        by_node.values().flatten().map(AsRef::as_ref),
        limit,
    )
    .await;
}
