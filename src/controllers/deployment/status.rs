//! A Deployment's status from its ReplicaSets: the replica counts
//! `kubectl rollout status` reads, and the `Available`, `Progressing` and
//! `ReplicaFailure` conditions with upstream's reasons and messages.

use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;

use super::rollout::Fenceposts;

/// What happened to the new ReplicaSet in this pass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NewReplicaSet {
    Created,
    Found,
}

fn counts(sets: &[&ReplicaSet]) -> (i32, i32, i32) {
    sets.iter()
        .fold((0, 0, 0), |(replicas, ready, available), rs| {
            let status = rs.status.as_ref();
            (
                replicas + status.map_or(0, |s| s.replicas),
                ready + status.and_then(|s| s.ready_replicas).unwrap_or(0),
                available + status.and_then(|s| s.available_replicas).unwrap_or(0),
            )
        })
}

/// Whether every wanted replica is updated, there are no others, and all
/// are available, for the current generation (upstream's
/// `DeploymentComplete`).
pub fn complete(deployment: &Deployment, status: &DeploymentStatus) -> bool {
    let wanted = desired(deployment);
    status.updated_replicas.unwrap_or(0) == wanted
        && status.replicas.unwrap_or(0) == wanted
        && status.available_replicas.unwrap_or(0) == wanted
        && status.observed_generation.unwrap_or(0) >= deployment.metadata.generation.unwrap_or(0)
}

pub fn desired(deployment: &Deployment) -> i32 {
    deployment
        .spec
        .as_ref()
        .and_then(|s| s.replicas)
        .unwrap_or(1)
}

fn condition(
    kind: &str,
    status: &str,
    reason: &str,
    message: String,
    now: &Time,
) -> DeploymentCondition {
    DeploymentCondition {
        type_: kind.into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message),
        last_update_time: Some(now.clone()),
        last_transition_time: Some(now.clone()),
    }
}

/// Sets `new` among `conditions`, keeping the transition time when the
/// status does not change (and everything, when nothing does).
fn set(conditions: &mut Vec<DeploymentCondition>, mut new: DeploymentCondition) {
    if let Some(current) = conditions.iter_mut().find(|c| c.type_ == new.type_) {
        if current.status == new.status && current.reason == new.reason {
            if current.message == new.message {
                return;
            }
            new.last_transition_time = current.last_transition_time.clone();
        } else if current.status == new.status {
            new.last_transition_time = current.last_transition_time.clone();
        }
        *current = new;
    } else {
        conditions.push(new);
    }
}

/// The status the Deployment should have now.
pub fn calculate(
    deployment: &Deployment,
    new: Option<&ReplicaSet>,
    all: &[&ReplicaSet],
    fenceposts: Fenceposts,
    happened: Option<NewReplicaSet>,
) -> DeploymentStatus {
    let now = Time(jiff::Timestamp::now());
    let previous = deployment.status.clone().unwrap_or_default();
    let (replicas, ready, available) = counts(all);
    let updated = new.map_or(0, |rs| rs.status.as_ref().map_or(0, |s| s.replicas));
    let wanted = desired(deployment);
    let mut status = DeploymentStatus {
        replicas: Some(replicas),
        updated_replicas: Some(updated),
        ready_replicas: Some(ready),
        available_replicas: Some(available),
        unavailable_replicas: Some((wanted - available).max(0)),
        observed_generation: deployment.metadata.generation,
        collision_count: previous.collision_count,
        conditions: previous.conditions.clone(),
        terminating_replicas: None,
    };
    let mut conditions = status.conditions.take().unwrap_or_default();

    let min_available = wanted - fenceposts.max_unavailable;
    if available >= min_available {
        set(
            &mut conditions,
            condition(
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.".into(),
                &now,
            ),
        );
    } else {
        set(
            &mut conditions,
            condition(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.".into(),
                &now,
            ),
        );
    }

    let failure = all.iter().find_map(|rs| {
        rs.status
            .as_ref()?
            .conditions
            .as_ref()?
            .iter()
            .find(|c| c.type_ == "ReplicaFailure" && c.status == "True")
            .cloned()
    });
    match failure {
        Some(failure) => set(
            &mut conditions,
            DeploymentCondition {
                type_: "ReplicaFailure".into(),
                status: "True".into(),
                reason: failure.reason,
                message: failure.message,
                last_update_time: Some(now.clone()),
                last_transition_time: failure.last_transition_time,
            },
        ),
        None => conditions.retain(|c| c.type_ != "ReplicaFailure"),
    }

    progress(
        deployment,
        &previous,
        &mut status,
        &mut conditions,
        new,
        happened,
        &now,
    );
    status.conditions = Some(conditions);
    status
}

/// The `Progressing` condition (upstream's `syncRolloutStatus`).
fn progress(
    deployment: &Deployment,
    previous: &DeploymentStatus,
    status: &mut DeploymentStatus,
    conditions: &mut Vec<DeploymentCondition>,
    new: Option<&ReplicaSet>,
    happened: Option<NewReplicaSet>,
    now: &Time,
) {
    let spec = deployment.spec.clone().unwrap_or_default();
    let current = conditions
        .iter()
        .find(|c| c.type_ == "Progressing")
        .cloned();
    let reason_is = |reason: &str| {
        current
            .as_ref()
            .is_some_and(|c| c.reason.as_deref() == Some(reason))
    };
    if spec.paused == Some(true) {
        if !reason_is("DeploymentPaused") {
            set(
                conditions,
                condition(
                    "Progressing",
                    "Unknown",
                    "DeploymentPaused",
                    "Deployment is paused".into(),
                    now,
                ),
            );
        }
        return;
    }
    if reason_is("DeploymentPaused") {
        set(
            conditions,
            condition(
                "Progressing",
                "Unknown",
                "DeploymentResumed",
                "Deployment is resumed".into(),
                now,
            ),
        );
    }
    let Some(deadline) = spec.progress_deadline_seconds.filter(|d| *d != i32::MAX) else {
        conditions.retain(|c| c.type_ != "Progressing");
        return;
    };
    let name = new.map(|rs| rs.name_any()).unwrap_or_default();
    match happened {
        Some(NewReplicaSet::Created) => {
            set(
                conditions,
                condition(
                    "Progressing",
                    "True",
                    "NewReplicaSetCreated",
                    format!("Created new replica set \"{name}\""),
                    now,
                ),
            );
            return;
        }
        Some(NewReplicaSet::Found) if current.is_none() => {
            set(
                conditions,
                condition(
                    "Progressing",
                    "True",
                    "FoundNewReplicaSet",
                    format!("Found new replica set \"{name}\""),
                    now,
                ),
            );
            return;
        }
        _ => {}
    }
    if complete(deployment, status) {
        if !reason_is("NewReplicaSetAvailable") {
            set(
                conditions,
                condition(
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    format!("ReplicaSet \"{name}\" has successfully progressed."),
                    now,
                ),
            );
        }
        return;
    }
    let old_replicas =
        |s: &DeploymentStatus| s.replicas.unwrap_or(0) - s.updated_replicas.unwrap_or(0);
    let progressing = status.updated_replicas > previous.updated_replicas
        || status.ready_replicas > previous.ready_replicas
        || status.available_replicas > previous.available_replicas
        || old_replicas(status) < old_replicas(previous);
    if progressing {
        let mut updated = condition(
            "Progressing",
            "True",
            "ReplicaSetUpdated",
            format!("ReplicaSet \"{name}\" is progressing."),
            now,
        );
        if let Some(current) = current.as_ref().filter(|c| c.status == "True") {
            updated.last_transition_time = current.last_transition_time.clone();
        }
        conditions.retain(|c| c.type_ != "Progressing");
        conditions.push(updated);
        return;
    }
    if let Some(current) = &current
        && current.reason.as_deref() != Some("ProgressDeadlineExceeded")
        && let Some(since) = &current.last_update_time
        && since.0.as_second() + i64::from(deadline) < now.0.as_second()
    {
        set(
            conditions,
            condition(
                "Progressing",
                "False",
                "ProgressDeadlineExceeded",
                format!("ReplicaSet \"{name}\" has timed out progressing."),
                now,
            ),
        );
    }
}

/// How long until the rollout's progress deadline passes, if it is under
/// way and has one.
pub fn until_deadline(
    deployment: &Deployment,
    status: &DeploymentStatus,
) -> Option<std::time::Duration> {
    let deadline = deployment
        .spec
        .as_ref()?
        .progress_deadline_seconds
        .filter(|d| *d != i32::MAX)?;
    if complete(deployment, status) {
        return None;
    }
    let progressing = status
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Progressing" && c.status == "True")?;
    let since = progressing.last_update_time.as_ref()?.0.as_second();
    let left = since + i64::from(deadline) - jiff::Timestamp::now().as_second();
    Some(std::time::Duration::from_secs(left.max(0) as u64 + 1))
}
