//! The cronjob controller: a CronJob starts a Job at each time its
//! schedule names, in its `timeZone`, as upstream's (v2) controller.
//!
//! * The latest time since the last start (or creation) is started, once:
//!   the Job is named after it ([`times`]), so a second pass makes no
//!   second Job. Later than `startingDeadlineSeconds`, it is skipped
//!   (`MissSchedule`).
//! * `concurrencyPolicy`: `Allow` runs Jobs side by side, `Forbid` skips a
//!   time while one runs, `Replace` deletes the running ones first.
//! * `suspend` stops new Jobs; running ones carry on.
//! * Status: `active` (running Jobs), `lastScheduleTime`,
//!   `lastSuccessfulTime`. Finished Jobs beyond
//!   `successfulJobsHistoryLimit` / `failedJobsHistoryLimit` are deleted,
//!   oldest first.

pub mod times;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::api::{Api, DeleteParams, PostParams, PropagationPolicy};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use kube::{Client, Resource, ResourceExt};
use serde_json::json;

use super::events::Recorder;
use super::informer;
use super::{RETRY, pods};
use crate::cron;

/// Starts that were missed beyond this many are reported
/// (`TooManyMissedTimes`), as upstream.
const MISSED_TOO_MANY: usize = 100;

struct Context {
    client: Client,
    jobs: Store<Job>,
    events: Recorder,
}

/// Runs until the watches end.
pub async fn run(client: Client) {
    let (job_store, job_events) = informer::reflected::<Job>(&client);
    let context = Arc::new(Context {
        events: Recorder::new(client.clone(), "cronjob-controller"),
        client: client.clone(),
        jobs: job_store,
    });
    Controller::new(Api::<CronJob>::all(client), watcher::Config::default())
        .watches_stream(job_events, |job: Job| {
            let owner = pods::controller_of(&job.metadata)
                .filter(|o| o.kind == "CronJob" && o.api_version == "batch/v1")?;
            Some(ObjectRef::new(&owner.name).within(&job.namespace()?))
        })
        .run(
            reconcile,
            |_, error, _| {
                tracing::warn!(%error, "cronjob: will retry");
                Action::requeue(RETRY)
            },
            context,
        )
        .for_each(|_| async {})
        .await;
}

/// How a Job ended, if it has.
fn finished(job: &Job) -> Option<&'static str> {
    let conditions = job.status.as_ref()?.conditions.as_ref()?;
    ["Complete", "Failed"].into_iter().find(|kind| {
        conditions
            .iter()
            .any(|c| c.type_ == *kind && c.status == "True")
    })
}

fn reference(job: &Job) -> ObjectReference {
    ObjectReference {
        api_version: Some(Job::api_version(&()).into_owned()),
        kind: Some(Job::kind(&()).into_owned()),
        name: job.metadata.name.clone(),
        namespace: job.metadata.namespace.clone(),
        uid: job.metadata.uid.clone(),
        resource_version: job.metadata.resource_version.clone(),
        field_path: None,
    }
}

/// What the pass leaves in the status.
struct Outcome {
    active: Vec<ObjectReference>,
    last_schedule: Option<Time>,
    last_successful: Option<Time>,
}

async fn reconcile(cron_job: Arc<CronJob>, context: Arc<Context>) -> Result<Action, kube::Error> {
    let namespace = cron_job.namespace().unwrap_or_default();
    let uid = cron_job.uid().unwrap_or_default();
    let spec = cron_job.spec.clone().unwrap_or_default();
    let previous = cron_job.status.clone().unwrap_or_default();
    let mut jobs: Vec<Arc<Job>> = context
        .jobs
        .state()
        .into_iter()
        .filter(|j| j.namespace().as_deref() == Some(namespace.as_str()))
        .filter(|j| pods::controller_of(&j.metadata).is_some_and(|o| o.uid == uid))
        .collect();
    jobs.sort_by_key(|j| (j.creation_timestamp().map(|t| t.0), j.name_any()));

    // Running Jobs are active; finished ones leave, the successful ones
    // moving `lastSuccessfulTime`.
    // A running Job keeps the reference it was listed with, so that its
    // status changes do not rewrite the CronJob's.
    let listed = |job: &Job| {
        previous
            .active
            .iter()
            .flatten()
            .find(|r| r.uid == job.metadata.uid)
            .cloned()
    };
    let mut outcome = Outcome {
        active: Vec::new(),
        last_schedule: previous.last_schedule_time.clone(),
        last_successful: previous.last_successful_time.clone(),
    };
    for job in &jobs {
        match finished(job) {
            None => outcome
                .active
                .push(listed(job).unwrap_or_else(|| reference(job))),
            Some(how) => {
                if listed(job).is_some() {
                    context.events.normal(
                        cron_job.as_ref(),
                        "SawCompletedJob",
                        format!("Saw completed job: {}, condition: {how}", job.name_any()),
                    );
                }
                if how == "Complete"
                    && let Some(done) = job.status.as_ref().and_then(|s| s.completion_time.clone())
                    && outcome
                        .last_successful
                        .as_ref()
                        .is_none_or(|t| t.0 < done.0)
                {
                    outcome.last_successful = Some(done);
                }
            }
        }
    }
    remove_old_jobs(&context, &cron_job, &jobs).await;

    let mut requeue = None;
    if cron_job.metadata.deletion_timestamp.is_none() && spec.suspend != Some(true) {
        requeue = start_due_job(&context, &cron_job, &jobs, &mut outcome).await?;
    }
    write_status(&context, &cron_job, &outcome).await?;
    Ok(requeue.map_or_else(Action::await_change, Action::requeue))
}

/// Starts the Job of the latest time due, if any; when to look again.
async fn start_due_job(
    context: &Context,
    cron_job: &CronJob,
    jobs: &[Arc<Job>],
    outcome: &mut Outcome,
) -> Result<Option<Duration>, kube::Error> {
    let spec = cron_job.spec.clone().unwrap_or_default();
    let zone = match spec.time_zone.as_deref() {
        None => jiff::tz::TimeZone::system(),
        Some(name) => match jiff::tz::TimeZone::get(name) {
            Ok(zone) => zone,
            Err(_) => {
                context.events.warning(
                    cron_job,
                    "UnknownTimeZone",
                    format!("invalid timeZone: {name:?}: unknown time zone {name}"),
                );
                return Ok(None);
            }
        },
    };
    let schedule = match cron::parse(&spec.schedule) {
        Ok(schedule) => schedule,
        Err(error) => {
            context.events.warning(
                cron_job,
                "UnparseableSchedule",
                format!("unparseable schedule: {:?} : {error}", spec.schedule),
            );
            return Ok(None);
        }
    };
    let now = jiff::Timestamp::now().to_zoned(zone.clone());
    let mut earliest = outcome
        .last_schedule
        .as_ref()
        .or(cron_job.metadata.creation_timestamp.as_ref())
        .map_or(now.clone(), |t| t.0.to_zoned(zone.clone()));
    if let Some(deadline) = spec.starting_deadline_seconds
        && let Ok(window_start) = now.checked_sub(jiff::SignedDuration::from_secs(deadline))
        && window_start > earliest
    {
        earliest = window_start;
    }
    let until_next = cron::next::next(&schedule, &now).map(|next| {
        let wait = now.duration_until(&next).unsigned_abs();
        // A little late rather than a little early.
        wait + Duration::from_millis(100)
    });
    let (due, fired) = times::most_recent(&schedule, &earliest, &now);
    let Some(due) = due else {
        return Ok(until_next);
    };
    if fired > MISSED_TOO_MANY {
        context.events.warning(
            cron_job,
            "TooManyMissedTimes",
            format!(
                "too many missed start times: {fired}. Set or decrease .spec.startingDeadlineSeconds or check clock skew"
            ),
        );
    }
    if let Some(deadline) = spec.starting_deadline_seconds
        && due.timestamp().as_second() + deadline < now.timestamp().as_second()
    {
        context.events.warning(
            cron_job,
            "MissSchedule",
            format!(
                "Missed scheduled time to start a job: {}",
                times::rfc3339(&due)
            ),
        );
        return Ok(until_next);
    }
    let name = times::job_name(&cron_job.name_any(), &due);
    if jobs.iter().any(|j| j.name_any() == name) {
        outcome.last_schedule = Some(Time(due.timestamp()));
        return Ok(until_next);
    }
    let namespace = cron_job.namespace().unwrap_or_default();
    let job_api: Api<Job> = Api::namespaced(context.client.clone(), &namespace);
    match spec.concurrency_policy.as_deref().unwrap_or("Allow") {
        "Forbid" if !outcome.active.is_empty() => {
            tracing::debug!(cronjob = %cron_job.name_any(), "a job still runs; not starting another");
            return Ok(until_next);
        }
        "Replace" => {
            let background = DeleteParams {
                propagation_policy: Some(PropagationPolicy::Background),
                ..DeleteParams::default()
            };
            for running in std::mem::take(&mut outcome.active) {
                let job = running.name.unwrap_or_default();
                match job_api.delete(&job, &background).await {
                    Ok(_) => context.events.normal(
                        cron_job,
                        "SuccessfulDelete",
                        format!("Deleted job {job}"),
                    ),
                    Err(kube::Error::Api(status)) if status.code == 404 => {}
                    Err(error) => return Err(error),
                }
            }
        }
        _ => {}
    }
    let template = spec.job_template;
    let template_meta = template.metadata.unwrap_or_default();
    let mut annotations = template_meta.annotations.unwrap_or_default();
    annotations.insert(times::SCHEDULED_TIMESTAMP.into(), times::rfc3339(&due));
    let job = Job {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(namespace),
            labels: template_meta.labels,
            annotations: Some(annotations),
            owner_references: Some(vec![pods::controller_reference(cron_job)]),
            ..ObjectMeta::default()
        },
        spec: template.spec,
        status: None,
    };
    match job_api.create(&PostParams::default(), &job).await {
        Ok(created) => {
            context
                .events
                .normal(cron_job, "SuccessfulCreate", format!("Created job {name}"));
            outcome.active.push(reference(&created));
        }
        // Made by an earlier pass whose status write was lost.
        Err(kube::Error::Api(status)) if status.code == 409 => {}
        Err(error) => {
            let message = super::events::message_of(&error);
            context.events.warning(
                cron_job,
                "FailedCreate",
                format!("Error creating job: {message}"),
            );
            return Err(error);
        }
    }
    outcome.last_schedule = Some(Time(due.timestamp()));
    Ok(until_next)
}

/// Deletes the oldest finished Jobs beyond the history limits.
async fn remove_old_jobs(context: &Context, cron_job: &CronJob, jobs: &[Arc<Job>]) {
    let spec = cron_job.spec.clone().unwrap_or_default();
    let limits = [
        ("Complete", spec.successful_jobs_history_limit.unwrap_or(3)),
        ("Failed", spec.failed_jobs_history_limit.unwrap_or(1)),
    ];
    let api: Api<Job> = Api::namespaced(
        context.client.clone(),
        &cron_job.namespace().unwrap_or_default(),
    );
    let background = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Background),
        ..DeleteParams::default()
    };
    for (how, limit) in limits {
        let done: Vec<&Arc<Job>> = jobs
            .iter()
            .filter(|j| finished(j) == Some(how) && j.metadata.deletion_timestamp.is_none())
            .collect();
        let surplus = done.len().saturating_sub(limit.max(0) as usize);
        for job in done.into_iter().take(surplus) {
            match api.delete(&job.name_any(), &background).await {
                Ok(_) => context.events.normal(
                    cron_job,
                    "SuccessfulDelete",
                    format!("Deleted job {}", job.name_any()),
                ),
                Err(error) => tracing::debug!(%error, "cronjob: old job not deleted"),
            }
        }
    }
}

async fn write_status(
    context: &Context,
    cron_job: &CronJob,
    outcome: &Outcome,
) -> Result<(), kube::Error> {
    let previous = cron_job.status.clone().unwrap_or_default();
    let active = (!outcome.active.is_empty()).then(|| outcome.active.clone());
    if previous.active == active
        && previous.last_schedule_time == outcome.last_schedule
        && previous.last_successful_time == outcome.last_successful
    {
        return Ok(());
    }
    // `null` removes an emptied `active`.
    let status = json!({
        "active": active,
        "lastScheduleTime": outcome.last_schedule,
        "lastSuccessfulTime": outcome.last_successful,
    });
    super::status::patch(&context.client, cron_job, &status).await
}
