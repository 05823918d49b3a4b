//! The statefulset controller: pods with stable names, DNS identities and
//! storage ([`identity`]), started, stopped and updated in order
//! ([`plan`]), as upstream's.
//!
//! * Templates are revisions ([`history`](super::history)): pods carry
//!   `controller-revision-hash` with their revision's name. During a
//!   partitioned rolling update, pods below the partition are made from
//!   the current revision, the rest from the update revision; once every
//!   pod runs the update revision and is ready, it becomes current.
//! * Each pod's claims are created before it and outlive it (and the set,
//!   unless `persistentVolumeClaimRetentionPolicy.whenDeleted: Delete`).
//! * Status: replicas, ready, available, current and updated counts and
//!   revisions — what `kubectl rollout status sts` waits on.

pub mod identity;
pub mod plan;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use kube::api::{Api, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use kube::{Client, ResourceExt};

use self::identity::{ordinal_of, revision_of};
use self::plan::{State, Step};
use super::events::Recorder;
use super::history;
use super::replicaset::expectations::{Expectations, PodKey};
use super::{RETRY, informer, pods};

struct Context {
    client: Client,
    pods: Store<Pod>,
    revisions: Store<ControllerRevision>,
    expectations: Expectations,
    events: Recorder,
}

/// Runs until the watches end.
pub async fn run(client: Client) {
    let (pod_store, pod_events) = informer::reflected::<Pod>(&client);
    let (revisions, revisions_task) = informer::start(Api::all(client.clone()));
    let context = Arc::new(Context {
        events: Recorder::new(client.clone(), "statefulset-controller"),
        client: client.clone(),
        pods: pod_store,
        revisions,
        expectations: Expectations::default(),
    });
    Controller::new(Api::<StatefulSet>::all(client), watcher::Config::default())
        .watches_stream(pod_events, |pod: Pod| {
            let owner = pods::controller_of(&pod.metadata)
                .filter(|o| o.kind == "StatefulSet" && o.api_version == "apps/v1")?;
            Some(ObjectRef::new(&owner.name).within(&pod.namespace()?))
        })
        .run(
            reconcile,
            |_, error, _| {
                tracing::warn!(%error, "statefulset: will retry");
                Action::requeue(RETRY)
            },
            context,
        )
        .for_each(|_| async {})
        .await;
    revisions_task.abort();
}

async fn reconcile(set: Arc<StatefulSet>, context: Arc<Context>) -> Result<Action, kube::Error> {
    if set.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let namespace = set.namespace().unwrap_or_default();
    let uid = set.uid().unwrap_or_default();
    let name = set.name_any();
    let spec = set.spec.clone().unwrap_or_default();
    let previous = set.status.clone().unwrap_or_default();

    let revisions = history::owned(&context.revisions, &namespace, &uid);
    let mut collisions = previous.collision_count.unwrap_or(0);
    let update = history::current(
        &context.client,
        set.as_ref(),
        &spec.template,
        &revisions,
        &mut collisions,
    )
    .await?;
    let update_revision = update.name_any();
    let current = previous
        .current_revision
        .as_ref()
        .and_then(|name| revisions.iter().find(|r| r.name_any() == *name))
        .filter(|r| r.name_any() != update_revision);
    let current_revision = current.map_or(update_revision.clone(), |r| r.name_any());
    let current_template = current
        .and_then(|r| identity::template_of(r))
        .unwrap_or_else(|| spec.template.clone());

    let pods: BTreeMap<i32, Arc<Pod>> = context
        .pods
        .state()
        .into_iter()
        .filter(|p| p.namespace().as_deref() == Some(namespace.as_str()))
        .filter(|p| pods::controller_of(&p.metadata).is_some_and(|o| o.uid == uid))
        .filter_map(|p| Some((ordinal_of(&name, &p.name_any())?, p)))
        .collect();

    let strategy = spec.update_strategy.clone().unwrap_or_default();
    let rolling = strategy.type_.as_deref().unwrap_or("RollingUpdate") == "RollingUpdate";
    let partition = rolling.then(|| {
        strategy
            .rolling_update
            .as_ref()
            .and_then(|r| r.partition)
            .unwrap_or(0)
    });
    let start = spec.ordinals.as_ref().and_then(|o| o.start).unwrap_or(0);
    let state = State {
        start,
        replicas: spec.replicas.unwrap_or(1),
        parallel: spec.pod_management_policy.as_deref() == Some("Parallel"),
        partition,
        update_revision: &update_revision,
        pods: &pods,
    };

    let mut status = StatefulSetStatus {
        observed_generation: set.metadata.generation,
        collision_count: (collisions > 0).then_some(collisions),
        conditions: previous.conditions.clone(),
        current_revision: Some(current_revision.clone()),
        update_revision: Some(update_revision.clone()),
        ..StatefulSetStatus::default()
    };
    let now = jiff::Timestamp::now();
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    let (mut ready, mut available, mut on_current, mut on_update) = (0, 0, 0, 0);
    for pod in pods.values() {
        status.replicas += 1;
        if plan::healthy(pod) {
            ready += 1;
            if pods::is_available(pod, min_ready, now) {
                available += 1;
            }
        }
        if revision_of(pod) == Some(current_revision.as_str()) {
            on_current += 1;
        }
        if revision_of(pod) == Some(update_revision.as_str()) {
            on_update += 1;
        }
    }
    if rolling && on_update == status.replicas && ready == status.replicas {
        // The rollout is complete: the update revision is now current.
        on_current = on_update;
        status.current_revision = Some(update_revision.clone());
    }
    status.ready_replicas = Some(ready);
    status.available_replicas = Some(available);
    status.current_replicas = Some(on_current);
    status.updated_replicas = Some(on_update);

    let settled = context.expectations.satisfied(&uid, &context.pods);
    if settled {
        let steps = plan::plan(&state);
        let templates = Templates {
            current: (&current_template, &current_revision),
            update: (&spec.template, &update_revision),
            partition: partition.map(|p| start + p),
        };
        execute(&context, &set, &steps, &templates).await;
    }
    write_status(&context, &set, status).await?;
    history::truncate(
        &context.client,
        &revisions,
        &[&current_revision, &update_revision],
        pods.values().map(AsRef::as_ref),
        spec.revision_history_limit.unwrap_or(10),
    )
    .await;
    let requeue = (!settled).then_some(Duration::from_secs(1));
    Ok(requeue.map_or_else(Action::await_change, Action::requeue))
}

/// The templates new pods are made from.
struct Templates<'a> {
    current: (&'a k8s_openapi::api::core::v1::PodTemplateSpec, &'a str),
    update: (&'a k8s_openapi::api::core::v1::PodTemplateSpec, &'a str),
    /// Ordinals below this keep the current revision.
    partition: Option<i32>,
}

async fn execute(context: &Context, set: &StatefulSet, steps: &[Step], templates: &Templates<'_>) {
    let namespace = set.namespace().unwrap_or_default();
    let pod_api: Api<Pod> = Api::namespaced(context.client.clone(), &namespace);
    let claim_api: Api<PersistentVolumeClaim> = Api::namespaced(context.client.clone(), &namespace);
    let mut created = Vec::new();
    let mut deleted = Vec::new();
    for step in steps {
        match step {
            Step::Create(ordinal) => {
                for claim in identity::claims(set, *ordinal) {
                    match claim_api.create(&PostParams::default(), &claim).await {
                        Ok(_) => context.events.normal(
                            set,
                            "SuccessfulCreate",
                            format!(
                                "create Claim {} Pod {}-{ordinal} in StatefulSet {} success",
                                claim.name_any(),
                                set.name_any(),
                                set.name_any()
                            ),
                        ),
                        Err(kube::Error::Api(status)) if status.code == 409 => {}
                        Err(error) => {
                            context.events.warning(
                                set,
                                "FailedCreate",
                                format!("create Claim {} failed error: {error}", claim.name_any()),
                            );
                            continue;
                        }
                    }
                }
                let (template, revision) = match templates.partition {
                    Some(partition) if *ordinal < partition => templates.current,
                    _ => templates.update,
                };
                let pod = identity::pod_for(set, template, *ordinal, revision);
                match pod_api.create(&PostParams::default(), &pod).await {
                    Ok(pod) => {
                        context.events.normal(
                            set,
                            "SuccessfulCreate",
                            format!(
                                "create Pod {} in StatefulSet {} successful",
                                pod.name_any(),
                                set.name_any()
                            ),
                        );
                        created.push(PodKey::of(&pod));
                    }
                    Err(kube::Error::Api(status)) if status.code == 409 => {}
                    Err(error) => {
                        let message = super::events::message_of(&error);
                        context.events.warning(
                            set,
                            "FailedCreate",
                            format!(
                                "create Pod {} in StatefulSet {} failed error: {message}",
                                pod.name_any(),
                                set.name_any()
                            ),
                        );
                    }
                }
            }
            Step::Delete(pod) => {
                let params = pods::delete_exactly(pod.as_ref());
                match pod_api.delete(&pod.name_any(), &params).await {
                    Ok(_) => {
                        context.events.normal(
                            set,
                            "SuccessfulDelete",
                            format!(
                                "delete Pod {} in StatefulSet {} successful",
                                pod.name_any(),
                                set.name_any()
                            ),
                        );
                        deleted.push(PodKey::of(pod));
                    }
                    Err(error) => tracing::debug!(%error, "statefulset: pod not deleted"),
                }
            }
        }
    }
    context
        .expectations
        .expect(&set.uid().unwrap_or_default(), created, deleted);
}

async fn write_status(
    context: &Context,
    set: &StatefulSet,
    status: StatefulSetStatus,
) -> Result<(), kube::Error> {
    if set.status.as_ref() == Some(&status) {
        return Ok(());
    }
    super::status::patch(&context.client, set, &status).await
}
