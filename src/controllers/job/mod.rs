//! The job controller: a Job runs pods from its template until enough of
//! them succeed, as upstream's.
//!
//! * `parallelism` pods run at once; with `completions`, no more than are
//!   still needed. Without `completions`, the first success ends the Job
//!   once the rest finish.
//! * Indexed Jobs run one pod per completion index (annotation and label
//!   `batch.kubernetes.io/job-completion-index`, hostname
//!   `<job>-<index>`, `JOB_COMPLETION_INDEX` in the environment) and
//!   report `completedIndexes` ([`indexes`]).
//! * A failed pod is replaced after a back-off (10 s, doubling, at most
//!   6 min); more than `backoffLimit` failures, or running longer than
//!   `activeDeadlineSeconds`, fail the Job (`BackoffLimitExceeded`,
//!   `DeadlineExceeded`) and its running pods are deleted.
//! * `podFailurePolicy` rules ([`failure_policy`]) fail the Job at once
//!   on a matching exit code or pod condition, or leave a failure
//!   uncounted.
//! * `suspend: true` deletes the running pods (`Suspended` condition);
//!   resuming starts the clock again.
//! * Success sets `SuccessCriteriaMet` and `Complete` (what `kubectl wait
//!   --for=condition=complete` waits for) and `completionTime`.
//!
//! Counts come from the pods that exist (upstream's tracking without
//! finalizers); they never go down.

pub mod failure_policy;
pub mod indexes;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::batch::v1::{Job, JobCondition, JobStatus};
use k8s_openapi::api::core::v1::{EnvVar, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use kube::{Client, ResourceExt};

use super::RETRY;
use super::events::Recorder;
use super::informer;
use super::pods;
use super::replicaset::expectations::{Expectations, PodKey};

/// The first back-off after a failed pod; it doubles per failure.
const BACKOFF: Duration = Duration::from_secs(10);
const MAX_BACKOFF: Duration = Duration::from_secs(360);

struct Context {
    client: Client,
    pods: Store<Pod>,
    expectations: Expectations,
    events: Recorder,
}

/// Runs until the watches end.
pub async fn run(client: Client) {
    let (pod_store, pod_events) = informer::reflected::<Pod>(&client);
    let context = Arc::new(Context {
        events: Recorder::new(client.clone(), "job-controller"),
        client: client.clone(),
        pods: pod_store,
        expectations: Expectations::default(),
    });
    Controller::new(Api::<Job>::all(client), watcher::Config::default())
        .watches_stream(pod_events, |pod: Pod| {
            let owner = pods::controller_of(&pod.metadata)
                .filter(|o| o.kind == "Job" && o.api_version == "batch/v1")?;
            Some(ObjectRef::new(&owner.name).within(&pod.namespace()?))
        })
        .run(
            reconcile,
            |_, error, _| {
                tracing::warn!(%error, "job: will retry");
                Action::requeue(RETRY)
            },
            context,
        )
        .for_each(|_| async {})
        .await;
}

fn has(status: &JobStatus, kind: &str) -> bool {
    status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == kind && c.status == "True")
}

/// Sets condition `kind` to `status`, keeping its times when unchanged.
fn set(conditions: &mut Vec<JobCondition>, kind: &str, status: &str, reason: &str, message: &str) {
    let existing = conditions.iter().position(|c| c.type_ == kind);
    if existing.is_some_and(|i| conditions[i].status == status) {
        return;
    }
    let now = Time(jiff::Timestamp::now());
    let condition = JobCondition {
        type_: kind.into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        last_probe_time: Some(now.clone()),
        last_transition_time: Some(now),
    };
    match existing {
        Some(i) => conditions[i] = condition,
        None => conditions.push(condition),
    }
}

/// When a pod stopped (its Ready condition's last change, else its
/// creation).
fn finished_at(pod: &Pod) -> i64 {
    let ready_change = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .and_then(|c| c.last_transition_time.as_ref());
    ready_change
        .or(pod.metadata.creation_timestamp.as_ref())
        .map_or(0, |t| t.0.as_second())
}

async fn reconcile(job: Arc<Job>, context: Arc<Context>) -> Result<Action, kube::Error> {
    let previous = job.status.clone().unwrap_or_default();
    if has(&previous, "Complete") || has(&previous, "Failed") {
        return Ok(Action::await_change());
    }
    let spec = job.spec.clone().unwrap_or_default();
    let namespace = job.namespace().unwrap_or_default();
    let uid = job.uid().unwrap_or_default();
    let pod_api: Api<Pod> = Api::namespaced(context.client.clone(), &namespace);
    let owned: Vec<Arc<Pod>> = context
        .pods
        .state()
        .into_iter()
        .filter(|p| p.namespace().as_deref() == Some(namespace.as_str()))
        .filter(|p| pods::controller_of(&p.metadata).is_some_and(|o| o.uid == uid))
        .collect();
    let active: Vec<&Arc<Pod>> = owned.iter().filter(|p| pods::is_active(p)).collect();
    let succeeded_pods: Vec<&Arc<Pod>> = owned
        .iter()
        .filter(|p| pods::phase(p) == "Succeeded")
        .collect();
    // Failures by `podFailurePolicy`: one may fail the Job outright; the
    // ignored ones do not count.
    let mut policy_failure = None;
    let failed_pods: Vec<&Arc<Pod>> = owned
        .iter()
        .filter(|p| pods::phase(p) == "Failed")
        .filter(|p| match failure_policy::judge(&job, p) {
            failure_policy::Verdict::FailJob(message) => {
                policy_failure.get_or_insert(message);
                true
            }
            failure_policy::Verdict::Ignore => false,
            failure_policy::Verdict::Count => true,
        })
        .collect();
    let succeeded = (succeeded_pods.len() as i32).max(previous.succeeded.unwrap_or(0));
    let failed = (failed_pods.len() as i32).max(previous.failed.unwrap_or(0));
    let indexed = spec.completion_mode.as_deref() == Some("Indexed");
    let mut completed = indexes::parse(previous.completed_indexes.as_deref().unwrap_or_default());
    completed.extend(succeeded_pods.iter().filter_map(|p| indexes::of(p)));

    let now = jiff::Timestamp::now();
    let mut status = previous.clone();
    let mut conditions = status.conditions.take().unwrap_or_default();
    status.succeeded = Some(succeeded);
    status.failed = Some(failed);
    status.ready = Some(active.iter().filter(|p| pods::is_ready(p)).count() as i32);
    status.active = Some(active.len() as i32);
    if indexed {
        status.completed_indexes = Some(indexes::format(&completed));
    }
    let mut requeue = None;

    if spec.suspend == Some(true) {
        delete(&context, &job, &pod_api, &active).await;
        status.active = Some(0);
        status.start_time = None;
        set(
            &mut conditions,
            "Suspended",
            "True",
            "JobSuspended",
            "Job suspended",
        );
    } else {
        if has(&previous, "Suspended") {
            set(
                &mut conditions,
                "Suspended",
                "False",
                "JobResumed",
                "Job resumed",
            );
        }
        let started = status.start_time.get_or_insert(Time(now)).0;
        let backoff_limit = spec.backoff_limit.unwrap_or(6);
        let deadline = spec
            .active_deadline_seconds
            .filter(|d| started.as_second() + d <= now.as_second());
        let completions = spec.completions;
        let complete = match (indexed, completions) {
            (true, Some(c)) => completed.len() as i32 >= c,
            (false, Some(c)) => succeeded >= c,
            (_, None) => succeeded >= 1 && active.is_empty(),
        };
        let failure = if let Some(message) = policy_failure {
            Some(("PodFailurePolicy", message))
        } else if failed > backoff_limit {
            Some((
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit".to_owned(),
            ))
        } else if deadline.is_some() {
            Some((
                "DeadlineExceeded",
                "Job was active longer than specified deadline".to_owned(),
            ))
        } else {
            None
        };
        if let Some((reason, message)) = &failure {
            delete(&context, &job, &pod_api, &active).await;
            status.active = Some(0);
            set(&mut conditions, "FailureTarget", "True", reason, message);
            set(&mut conditions, "Failed", "True", reason, message);
            context
                .events
                .warning(job.as_ref(), reason, message.clone());
        } else if complete {
            delete(&context, &job, &pod_api, &active).await;
            status.active = Some(0);
            let message = "Reached expected number of succeeded pods";
            set(
                &mut conditions,
                "SuccessCriteriaMet",
                "True",
                "CompletionsReached",
                message,
            );
            set(
                &mut conditions,
                "Complete",
                "True",
                "CompletionsReached",
                message,
            );
            status.completion_time = Some(Time(now));
            context
                .events
                .normal(job.as_ref(), "Completed", "Job completed".into());
        } else if context.expectations.satisfied(&uid, &context.pods) {
            requeue = manage(
                &context,
                &job,
                &pod_api,
                &active,
                &failed_pods,
                succeeded,
                &completed,
            )
            .await;
        } else {
            requeue = Some(Duration::from_secs(1));
        }
        if let Some(seconds) = spec.active_deadline_seconds
            && failure.is_none()
            && !complete
        {
            let left = started.as_second() + seconds - now.as_second();
            let at_deadline = Duration::from_secs(left.max(0) as u64 + 1);
            requeue = Some(requeue.map_or(at_deadline, |r: Duration| r.min(at_deadline)));
        }
    }
    status.conditions = Some(conditions);
    if status != previous {
        super::status::patch(&context.client, job.as_ref(), &status).await?;
    }
    Ok(requeue.map_or_else(Action::await_change, Action::requeue))
}

/// Starts the pods still wanted; how soon to look again (a back-off).
async fn manage(
    context: &Context,
    job: &Job,
    pod_api: &Api<Pod>,
    active: &[&Arc<Pod>],
    failed: &[&Arc<Pod>],
    succeeded: i32,
    completed: &BTreeSet<u32>,
) -> Option<Duration> {
    let spec = job.spec.clone().unwrap_or_default();
    let parallelism = spec.parallelism.unwrap_or(1).max(0);
    let indexed = spec.completion_mode.as_deref() == Some("Indexed");
    // The indexes (or plain pods, as `None`) to start now.
    let starts: Vec<Option<u32>> = if indexed {
        let running: BTreeSet<u32> = active.iter().filter_map(|p| indexes::of(p)).collect();
        let room = (parallelism - active.len() as i32).max(0) as usize;
        (0..spec.completions.unwrap_or(0).max(0) as u32)
            .filter(|i| !completed.contains(i) && !running.contains(i))
            .take(room)
            .map(Some)
            .collect()
    } else {
        let wanted = match spec.completions {
            Some(c) => parallelism.min(c - succeeded),
            // A work queue: once one pod succeeded, no new ones.
            None if succeeded > 0 => active.len() as i32,
            None => parallelism,
        };
        vec![None; (wanted - active.len() as i32).max(0) as usize]
    };
    if starts.is_empty() {
        return None;
    }
    // Failed pods are replaced after a back-off that doubles per failure.
    if let Some(last) = failed.iter().map(|p| finished_at(p)).max() {
        let doublings = (failed.len() as u32).saturating_sub(1).min(10);
        let delay = (BACKOFF * 2u32.pow(doublings)).min(MAX_BACKOFF);
        let ready_at = last + delay.as_secs() as i64;
        let now = jiff::Timestamp::now().as_second();
        if now < ready_at {
            return Some(Duration::from_secs((ready_at - now) as u64));
        }
    }
    let template = &spec.template;
    let namespace = job.namespace().unwrap_or_default();
    let owner = pods::controller_reference(job);
    let mut created = Vec::new();
    let params = PostParams::default();
    let pods_to_create: Vec<Pod> = starts
        .iter()
        .map(|index| {
            let prefix = match index {
                Some(i) => format!("{}-{i}", job.name_any()),
                None => job.name_any(),
            };
            let mut pod = pods::from_template(template, &namespace, &prefix, owner.clone());
            if let Some(i) = index {
                let text = i.to_string();
                pod.metadata
                    .annotations
                    .get_or_insert_with(Default::default)
                    .insert(indexes::INDEX.into(), text.clone());
                pod.metadata
                    .labels
                    .get_or_insert_with(Default::default)
                    .insert(indexes::INDEX.into(), text.clone());
                if let Some(pod_spec) = pod.spec.as_mut() {
                    pod_spec.hostname = Some(prefix.clone());
                    for container in pod_spec
                        .containers
                        .iter_mut()
                        .chain(pod_spec.init_containers.iter_mut().flatten())
                    {
                        container.env.get_or_insert_with(Vec::new).push(EnvVar {
                            name: "JOB_COMPLETION_INDEX".into(),
                            value: None,
                            value_from: Some(k8s_openapi::api::core::v1::EnvVarSource {
                                field_ref: Some(k8s_openapi::api::core::v1::ObjectFieldSelector {
                                    api_version: None,
                                    field_path: format!(
                                        "metadata.annotations['{}']",
                                        indexes::INDEX
                                    ),
                                }),
                                ..Default::default()
                            }),
                        });
                    }
                }
            }
            pod
        })
        .collect();
    let results = futures::future::join_all(
        pods_to_create
            .iter()
            .map(|pod| pod_api.create(&params, pod)),
    )
    .await;
    let mut retry = None;
    for result in results {
        context.events.pod_created(job, &result);
        match result {
            Ok(pod) => created.push(PodKey::of(&pod)),
            Err(_) => retry = Some(Duration::from_secs(5)),
        }
    }
    context
        .expectations
        .expect(&job.uid().unwrap_or_default(), created, Vec::new());
    retry
}

/// Deletes `pods` (the Job is over or suspended).
async fn delete(context: &Context, job: &Job, pod_api: &Api<Pod>, pods: &[&Arc<Pod>]) {
    let mut deleted = Vec::new();
    for pod in pods {
        let params = pods::delete_exactly(pod.as_ref());
        match pod_api.delete(&pod.name_any(), &params).await {
            Ok(_) => {
                context.events.normal(
                    job,
                    "SuccessfulDelete",
                    format!("Deleted pod: {}", pod.name_any()),
                );
                deleted.push(PodKey::of(pod));
            }
            Err(error) => tracing::debug!(%error, "job: pod not deleted"),
        }
    }
    context
        .expectations
        .expect(&job.uid().unwrap_or_default(), Vec::new(), deleted);
}
