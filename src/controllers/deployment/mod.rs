//! The deployment controller: a Deployment runs its pod template through
//! ReplicaSets, one per template revision ([`revisions`]), moving pods from
//! old to new as its strategy says ([`rollout`]) and reporting progress
//! the way `kubectl rollout status` reads it ([`status`]).
//!
//! Old ReplicaSets stay (scaled to zero) as `kubectl rollout history` and
//! `kubectl rollout undo` need them, `revisionHistoryLimit` of them (10).
//! A paused Deployment scales but does not roll out.

pub mod revisions;
pub mod rollout;
pub mod status;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use kube::{Client, ResourceExt};
use serde_json::json;

use self::revisions::{replicas, revision};
use self::status::NewReplicaSet;
use super::RETRY;
use super::events::Recorder;
use super::informer;
use super::pods;
use crate::scheduler::selectors::Selector;

struct Context {
    client: Client,
    sets: Store<ReplicaSet>,
    events: Recorder,
}

/// Runs until the watches end.
pub async fn run(client: Client) {
    let (set_store, set_events) = informer::reflected::<ReplicaSet>(&client);
    let controller = Controller::new(
        Api::<Deployment>::all(client.clone()),
        watcher::Config::default(),
    );
    let deployments = controller.store();
    let context = Arc::new(Context {
        events: Recorder::new(client.clone(), "deployment-controller"),
        client,
        sets: set_store,
    });
    controller
        .watches_stream(set_events, move |rs: ReplicaSet| {
            owners_of(&rs, &deployments)
        })
        .run(
            reconcile,
            |_, error, _| {
                tracing::warn!(%error, "deployment: will retry");
                Action::requeue(RETRY)
            },
            context,
        )
        .for_each(|_| async {})
        .await;
}

fn selector(deployment: &Deployment) -> Option<Selector> {
    let selector = &deployment.spec.as_ref()?.selector;
    let empty = selector.match_labels.as_ref().is_none_or(|l| l.is_empty())
        && selector
            .match_expressions
            .as_ref()
            .is_none_or(|e| e.is_empty());
    (!empty).then(|| Selector::compile(selector))
}

fn owners_of(rs: &ReplicaSet, deployments: &Store<Deployment>) -> Vec<ObjectRef<Deployment>> {
    let namespace = rs.namespace().unwrap_or_default();
    if let Some(owner) = pods::controller_of(&rs.metadata) {
        if owner.kind == "Deployment" && owner.api_version == "apps/v1" {
            return vec![ObjectRef::new(&owner.name).within(&namespace)];
        }
        return Vec::new();
    }
    let labels = pods::labels(&rs.metadata);
    deployments
        .state()
        .iter()
        .filter(|d| d.namespace().as_deref() == Some(namespace.as_str()))
        .filter(|d| selector(d).is_some_and(|s| s.matches(labels)))
        .map(|d| ObjectRef::from_obj(d.as_ref()))
        .collect()
}

async fn reconcile(
    deployment: Arc<Deployment>,
    context: Arc<Context>,
) -> Result<Action, kube::Error> {
    let Some(selector) = selector(&deployment) else {
        return Ok(Action::await_change());
    };
    let namespace = deployment.namespace().unwrap_or_default();
    let sets_api: Api<ReplicaSet> = Api::namespaced(context.client.clone(), &namespace);
    let sets = claim(&context, &deployment, &selector, &sets_api).await?;
    let (new, old) = revisions::split(&deployment, &sets);
    let all: Vec<&ReplicaSet> = old.iter().copied().chain(new).collect();
    let fenceposts = rollout::fenceposts(&deployment);
    if deployment.metadata.deletion_timestamp.is_some() {
        write_status(&context, &deployment, new, &all, None).await?;
        return Ok(Action::await_change());
    }
    let paused = deployment.spec.as_ref().and_then(|s| s.paused) == Some(true);

    // A paused Deployment, or a new `replicas`: scale, do not roll.
    if paused || rollout::scaling(&deployment, &all) {
        let resizes = rollout::scale(&deployment, new, &old);
        resize(&context, &deployment, &sets_api, &all, &resizes).await?;
        if paused {
            cleanup(&deployment, &old, &sets_api).await?;
        }
        let status = write_status(&context, &deployment, new, &all, None).await?;
        return Ok(requeue(&deployment, &status));
    }

    let recreate = !rollout::rolling(&deployment);
    // Recreate makes its new ReplicaSet only once the old pods are gone.
    let (new, happened) = match new {
        Some(new) => (
            Some(sync_new(&deployment, new, &old, &sets_api).await?),
            Some(NewReplicaSet::Found),
        ),
        None if recreate && rollout::recreate_step(&deployment, None, &old) != Some(Vec::new()) => {
            (None, None)
        }
        None => match create_new(&context, &deployment, &old, &all, &sets_api).await? {
            Some(created) => (Some(created), Some(NewReplicaSet::Created)),
            // A name clash: the collision count moved on; try again.
            None => return Ok(Action::requeue(Duration::from_millis(100))),
        },
    };
    let all: Vec<&ReplicaSet> = old.iter().copied().chain(new.as_ref()).collect();
    let resizes = match (&new, recreate) {
        (_, true) => rollout::recreate_step(&deployment, new.as_ref(), &old).unwrap_or_default(),
        (Some(new), false) => rollout::rolling_step(&deployment, new, &old),
        (None, false) => Vec::new(),
    };
    resize(&context, &deployment, &sets_api, &all, &resizes).await?;
    if resizes.is_empty() {
        let status = status::calculate(&deployment, new.as_ref(), &all, fenceposts, happened);
        if status::complete(&deployment, &status) {
            cleanup(&deployment, &old, &sets_api).await?;
        }
    }
    let status = write_status(&context, &deployment, new.as_ref(), &all, happened).await?;
    Ok(requeue(&deployment, &status))
}

fn requeue(
    deployment: &Deployment,
    status: &k8s_openapi::api::apps::v1::DeploymentStatus,
) -> Action {
    match status::until_deadline(deployment, status) {
        Some(wait) => Action::requeue(wait),
        None => Action::await_change(),
    }
}

/// The ReplicaSets the Deployment controls, after adopting orphans that
/// match its selector and releasing its own that no longer do.
async fn claim(
    context: &Context,
    deployment: &Deployment,
    selector: &Selector,
    sets_api: &Api<ReplicaSet>,
) -> Result<Vec<ReplicaSet>, kube::Error> {
    let namespace = deployment.namespace().unwrap_or_default();
    let uid = deployment.uid().unwrap_or_default();
    let deleting = deployment.metadata.deletion_timestamp.is_some();
    let mut owned = Vec::new();
    for rs in context.sets.state() {
        if rs.namespace().as_deref() != Some(namespace.as_str()) {
            continue;
        }
        let matches = selector.matches(pods::labels(&rs.metadata));
        match pods::controller_of(&rs.metadata) {
            Some(owner) if owner.uid == uid => {
                if matches || deleting {
                    owned.push(rs.as_ref().clone());
                } else {
                    let patch = json!({"metadata": {
                        "ownerReferences": [{"$patch": "delete", "uid": uid}], "uid": rs.uid()}});
                    ignore_gone(
                        sets_api
                            .patch(
                                &rs.name_any(),
                                &PatchParams::default(),
                                &Patch::Strategic(&patch),
                            )
                            .await,
                    )?;
                }
            }
            Some(_) => {}
            None if matches && !deleting && rs.metadata.deletion_timestamp.is_none() => {
                let patch = json!({"metadata": {
                    "ownerReferences": [pods::controller_reference(deployment)], "uid": rs.uid()}});
                if let Some(adopted) = ignore_gone(
                    sets_api
                        .patch(
                            &rs.name_any(),
                            &PatchParams::default(),
                            &Patch::Strategic(&patch),
                        )
                        .await,
                )? {
                    owned.push(adopted);
                }
            }
            None => {}
        }
    }
    Ok(owned)
}

fn ignore_gone<T>(result: Result<T, kube::Error>) -> Result<Option<T>, kube::Error> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(kube::Error::Api(status)) if matches!(status.code, 404 | 409 | 422) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Gives the existing new ReplicaSet the next revision and the
/// Deployment's annotations and `minReadySeconds`; the Deployment gets its
/// revision.
async fn sync_new(
    deployment: &Deployment,
    new: &ReplicaSet,
    old: &[&ReplicaSet],
    sets_api: &Api<ReplicaSet>,
) -> Result<ReplicaSet, kube::Error> {
    let next = old.iter().map(|rs| revision(rs)).max().unwrap_or(0) + 1;
    let wanted_revision = revision(new).max(next);
    let fenceposts = rollout::fenceposts(deployment);
    let desired = status::desired(deployment);
    let mut annotations = revisions::annotations(
        deployment,
        wanted_revision,
        desired,
        desired + fenceposts.max_surge,
    );
    // Sizes stay as the last scaling wrote them.
    for key in [revisions::DESIRED_REPLICAS, revisions::MAX_REPLICAS] {
        match new.annotations().get(key) {
            Some(value) => annotations.insert(key.to_owned(), value.clone()),
            None => None,
        };
    }
    let min_ready = deployment.spec.as_ref().and_then(|s| s.min_ready_seconds);
    let current_min_ready = new.spec.as_ref().and_then(|s| s.min_ready_seconds);
    let missing = annotations
        .iter()
        .any(|(k, v)| new.annotations().get(k) != Some(v));
    let mut synced = new.clone();
    if missing || min_ready.unwrap_or(0) != current_min_ready.unwrap_or(0) {
        let patch = json!({"metadata": {"annotations": annotations}, "spec": {"minReadySeconds": min_ready}});
        synced = sets_api
            .patch(
                &new.name_any(),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await?;
    }
    set_deployment_revision(deployment, wanted_revision, sets_api.clone()).await?;
    Ok(synced)
}

async fn set_deployment_revision(
    deployment: &Deployment,
    revision: i64,
    sets_api: Api<ReplicaSet>,
) -> Result<(), kube::Error> {
    let text = revision.to_string();
    if deployment.annotations().get(revisions::REVISION) == Some(&text) {
        return Ok(());
    }
    let api: Api<Deployment> = Api::namespaced(
        sets_api.into_client(),
        &deployment.namespace().unwrap_or_default(),
    );
    let patch = json!({"metadata": {"annotations": {revisions::REVISION: text}}});
    ignore_gone(
        api.patch(
            &deployment.name_any(),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await,
    )?;
    Ok(())
}

/// Creates the ReplicaSet for the Deployment's template; `None` after a
/// name clash with another template (the collision count is raised).
async fn create_new(
    context: &Context,
    deployment: &Deployment,
    old: &[&ReplicaSet],
    all: &[&ReplicaSet],
    sets_api: &Api<ReplicaSet>,
) -> Result<Option<ReplicaSet>, kube::Error> {
    let template = deployment
        .spec
        .as_ref()
        .map(|s| s.template.clone())
        .unwrap_or_default();
    let collisions = deployment
        .status
        .as_ref()
        .and_then(|s| s.collision_count)
        .unwrap_or(0);
    let hash = revisions::template_hash(&template, collisions);
    let next = old.iter().map(|rs| revision(rs)).max().unwrap_or(0) + 1;
    let desired = status::desired(deployment);
    let fenceposts = rollout::fenceposts(deployment);
    let size = rollout::new_replicas(deployment, all, 0);
    let annotations =
        revisions::annotations(deployment, next, desired, desired + fenceposts.max_surge);
    let rs = revisions::new_replica_set(deployment, &hash, size, annotations);
    match sets_api.create(&PostParams::default(), &rs).await {
        Ok(created) => {
            if size > 0 {
                context.events.normal(
                    deployment,
                    "ScalingReplicaSet",
                    format!(
                        "Scaled up replica set {} from 0 to {size}",
                        created.name_any()
                    ),
                );
            }
            set_deployment_revision(deployment, next, sets_api.clone()).await?;
            Ok(Some(created))
        }
        Err(kube::Error::Api(status)) if status.code == 409 => {
            // Ours with this very template (a cache behind): use it.
            let existing = sets_api.get(&rs.name_any()).await?;
            let ours = pods::controller_of(&existing.metadata)
                .is_some_and(|o| Some(&o.uid) == deployment.uid().as_ref());
            let same = existing
                .spec
                .as_ref()
                .and_then(|s| s.template.as_ref())
                .is_some_and(|t| revisions::same_template(t, &template));
            if ours && same {
                return Ok(Some(existing));
            }
            let bumped = json!({"collisionCount": collisions + 1});
            super::status::patch(&context.client, deployment, &bumped).await?;
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

/// Applies `resizes`, recording `ScalingReplicaSet` events.
async fn resize(
    context: &Context,
    deployment: &Deployment,
    sets_api: &Api<ReplicaSet>,
    all: &[&ReplicaSet],
    resizes: &rollout::Resizes,
) -> Result<(), kube::Error> {
    let desired = status::desired(deployment);
    let max = desired + rollout::fenceposts(deployment).max_surge;
    for (name, size) in resizes {
        let Some(rs) = all.iter().find(|rs| rs.name_any() == *name) else {
            continue;
        };
        let from = replicas(rs);
        let patch = json!({
            "metadata": {"annotations": {
                revisions::DESIRED_REPLICAS: desired.to_string(),
                revisions::MAX_REPLICAS: max.to_string(),
            }},
            "spec": {"replicas": size},
        });
        if ignore_gone(
            sets_api
                .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
                .await,
        )?
        .is_none()
        {
            continue;
        }
        let direction = if *size > from { "up" } else { "down" };
        context.events.normal(
            deployment,
            "ScalingReplicaSet",
            format!("Scaled {direction} replica set {name} from {from} to {size}"),
        );
    }
    Ok(())
}

/// Deletes the oldest unused ReplicaSets beyond `revisionHistoryLimit`.
async fn cleanup(
    deployment: &Deployment,
    old: &[&ReplicaSet],
    sets_api: &Api<ReplicaSet>,
) -> Result<(), kube::Error> {
    let limit = deployment
        .spec
        .as_ref()
        .and_then(|s| s.revision_history_limit)
        .unwrap_or(10)
        .max(0) as usize;
    let mut unused: Vec<&&ReplicaSet> = old
        .iter()
        .filter(|rs| {
            replicas(rs) == 0
                && rs.status.as_ref().is_none_or(|s| s.replicas == 0)
                && rs.metadata.deletion_timestamp.is_none()
        })
        .collect();
    if unused.len() <= limit {
        return Ok(());
    }
    unused.sort_by_key(|rs| revision(rs));
    let surplus = unused.len() - limit;
    for rs in unused.into_iter().take(surplus) {
        let params = pods::delete_exactly(*rs);
        ignore_gone(sets_api.delete(&rs.name_any(), &params).await)?;
    }
    Ok(())
}

/// Writes the status the ReplicaSets give, unless it is already so.
async fn write_status(
    context: &Context,
    deployment: &Deployment,
    new: Option<&ReplicaSet>,
    all: &[&ReplicaSet],
    happened: Option<NewReplicaSet>,
) -> Result<k8s_openapi::api::apps::v1::DeploymentStatus, kube::Error> {
    let status = status::calculate(
        deployment,
        new,
        all,
        rollout::fenceposts(deployment),
        happened,
    );
    if deployment.status.as_ref() == Some(&status) {
        return Ok(status);
    }
    super::status::patch(&context.client, deployment, &status).await?;
    Ok(status)
}
