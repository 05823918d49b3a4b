//! The ttl-after-finished controller: a finished Job with
//! `ttlSecondsAfterFinished` is deleted (its pods with it, in the
//! foreground) that long after it completed or failed, as upstream's.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::batch::v1::Job;
use kube::api::{Api, DeleteParams, Preconditions, PropagationPolicy};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher;
use kube::{Client, ResourceExt};

use super::RETRY;

/// Runs until the watch ends.
pub async fn run(client: Client) {
    Controller::new(Api::<Job>::all(client.clone()), watcher::Config::default())
        .run(
            reconcile,
            |_, error, _| {
                tracing::warn!(%error, "ttl-after-finished: will retry");
                Action::requeue(RETRY)
            },
            Arc::new(client),
        )
        .for_each(|_| async {})
        .await;
}

/// When the Job finished: its Complete or Failed condition's transition
/// (or `completionTime`).
pub fn finished_at(job: &Job) -> Option<jiff::Timestamp> {
    let status = job.status.as_ref()?;
    let condition = status
        .conditions
        .iter()
        .flatten()
        .find(|c| matches!(c.type_.as_str(), "Complete" | "Failed") && c.status == "True")?;
    condition
        .last_transition_time
        .as_ref()
        .or(status.completion_time.as_ref())
        .map(|t| t.0)
}

async fn reconcile(job: Arc<Job>, client: Arc<Client>) -> Result<Action, kube::Error> {
    let Some(ttl) = job.spec.as_ref().and_then(|s| s.ttl_seconds_after_finished) else {
        return Ok(Action::await_change());
    };
    if job.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let Some(finished) = finished_at(&job) else {
        return Ok(Action::await_change());
    };
    let expires = finished.as_second() + i64::from(ttl);
    let now = jiff::Timestamp::now().as_second();
    if now < expires {
        return Ok(Action::requeue(Duration::from_secs((expires - now) as u64)));
    }
    let api: Api<Job> = Api::namespaced((*client).clone(), &job.namespace().unwrap_or_default());
    // The Job as seen: if its TTL was changed meanwhile, the next pass
    // decides afresh.
    let params = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Foreground),
        preconditions: Some(Preconditions {
            uid: job.uid(),
            resource_version: job.resource_version(),
        }),
        ..DeleteParams::default()
    };
    match api.delete(&job.name_any(), &params).await {
        Ok(_) => tracing::debug!(job = %job.name_any(), "ttl-after-finished: deleted"),
        Err(kube::Error::Api(status)) if matches!(status.code, 404 | 409) => {}
        Err(error) => return Err(error),
    }
    Ok(Action::await_change())
}
