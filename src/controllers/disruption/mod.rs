//! The disruption controller: each PodDisruptionBudget's status says how
//! many of its pods may be disrupted now, which is what `pods/eviction`
//! (and so `kubectl drain`) checks, as upstream's.
//!
//! * The budget's pods are those its selector matches in its namespace
//!   (an empty selector: all of them; none: no pods).
//! * `expectedPods` and `desiredHealthy` come from `minAvailable` /
//!   `maxUnavailable` ([`expected`]); `currentHealthy` counts ready pods
//!   not being deleted and not just evicted; `disruptionsAllowed` is the
//!   surplus.
//! * `disruptedPods` (written by evictions) are forgotten once the pod is
//!   gone or two minutes passed.
//! * The `DisruptionAllowed` condition: `SufficientPods`,
//!   `InsufficientPods`, or `SyncFailed` when the pods' controllers
//!   cannot be found.

pub mod expected;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::api::Api;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use kube::{Client, ResourceExt};

use super::events::Recorder;
use super::informer;
use super::{RETRY, pods};
use crate::scheduler::selectors::Selector;

/// How long an eviction's entry in `disruptedPods` holds the pod out of
/// the healthy count (upstream's `DeletionTimeout`).
const DELETION_TIMEOUT: i64 = 2 * 60;

struct Context {
    client: Client,
    pods: Store<Pod>,
    events: Recorder,
}

/// Runs until the watches end.
pub async fn run(client: Client) {
    let (pod_store, pod_events) = informer::reflected::<Pod>(&client);
    let controller = Controller::new(
        Api::<PodDisruptionBudget>::all(client.clone()),
        watcher::Config::default(),
    );
    let budgets = controller.store();
    let context = Arc::new(Context {
        events: Recorder::new(client.clone(), "controllermanager"),
        client,
        pods: pod_store,
    });
    controller
        .watches_stream(pod_events, move |pod: Pod| {
            let namespace = pod.namespace();
            let labels = pods::labels(&pod.metadata).clone();
            budgets
                .state()
                .iter()
                .filter(|b| b.namespace() == namespace)
                .filter(|b| selector_of(b).is_some_and(|s| s.matches(&labels)))
                .map(|b| ObjectRef::from_obj(b.as_ref()))
                .collect::<Vec<_>>()
        })
        .run(
            reconcile,
            |_, error, _| {
                tracing::warn!(%error, "disruption: will retry");
                Action::requeue(RETRY)
            },
            context,
        )
        .for_each(|_| async {})
        .await;
}

fn selector_of(budget: &PodDisruptionBudget) -> Option<Selector> {
    let selector = budget.spec.as_ref()?.selector.as_ref()?;
    Some(Selector::compile(selector))
}

async fn reconcile(
    budget: Arc<PodDisruptionBudget>,
    context: Arc<Context>,
) -> Result<Action, kube::Error> {
    if budget.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let namespace = budget.namespace().unwrap_or_default();
    let spec = budget.spec.clone().unwrap_or_default();
    let previous = budget.status.clone().unwrap_or_default();
    let matched: Vec<Arc<Pod>> = match selector_of(&budget) {
        None => Vec::new(),
        Some(selector) => context
            .pods
            .state()
            .into_iter()
            .filter(|p| p.namespace().as_deref() == Some(namespace.as_str()))
            .filter(|p| selector.matches(pods::labels(&p.metadata)))
            .collect(),
    };
    let now = jiff::Timestamp::now();

    // Evictions still in flight: the pod exists, undeleted, and the entry
    // is recent.
    let mut disrupted = BTreeMap::new();
    let mut requeue: Option<Duration> = None;
    for (pod_name, at) in previous.disrupted_pods.clone().unwrap_or_default() {
        let live = matched
            .iter()
            .any(|p| p.name_any() == pod_name && p.metadata.deletion_timestamp.is_none());
        let expires = at.0.as_second() + DELETION_TIMEOUT;
        if live && expires > now.as_second() {
            let after = Duration::from_secs((expires - now.as_second()) as u64);
            requeue = Some(requeue.map_or(after, |r| r.min(after)));
            disrupted.insert(pod_name, at);
        }
    }
    let current_healthy = matched
        .iter()
        .filter(|p| {
            pods::is_ready(p)
                && p.metadata.deletion_timestamp.is_none()
                && !disrupted.contains_key(&p.name_any())
        })
        .count() as i32;

    let mut status = PodDisruptionBudgetStatus {
        observed_generation: budget.metadata.generation,
        disrupted_pods: Some(disrupted),
        current_healthy,
        conditions: previous.conditions.clone(),
        ..PodDisruptionBudgetStatus::default()
    };
    let (allowed, reason, message) =
        match expected::expectation(&context.client, &spec, &matched).await {
            Ok(expectation) => {
                status.expected_pods = expectation.expected;
                status.desired_healthy = expectation.desired_healthy;
                let surplus = current_healthy - expectation.desired_healthy;
                let allowed = if expectation.expected <= 0 {
                    0
                } else {
                    surplus.max(0)
                };
                let reason = if allowed > 0 {
                    "SufficientPods"
                } else {
                    "InsufficientPods"
                };
                (allowed, reason, String::new())
            }
            Err(error) => {
                let event = match &error {
                    expected::NotFound::NoControllerRef(_) => "NoControllerRef",
                    _ => "NoControllers",
                };
                context
                    .events
                    .warning(budget.as_ref(), event, error.to_string());
                // Nothing may be disrupted on a guess.
                status.expected_pods = previous.expected_pods;
                status.desired_healthy = previous.desired_healthy;
                requeue = Some(requeue.map_or(RETRY, |r| r.min(RETRY)));
                (0, "SyncFailed", error.to_string())
            }
        };
    status.disruptions_allowed = allowed;
    set_condition(
        status.conditions.get_or_insert_with(Vec::new),
        if allowed > 0 { "True" } else { "False" },
        reason,
        &message,
        budget.metadata.generation,
    );
    if previous != status {
        super::status::patch(&context.client, budget.as_ref(), &status).await?;
    }
    Ok(requeue.map_or_else(Action::await_change, Action::requeue))
}

/// Sets `DisruptionAllowed`, keeping its transition time unless its status
/// changes.
fn set_condition(
    conditions: &mut Vec<Condition>,
    status: &str,
    reason: &str,
    message: &str,
    generation: Option<i64>,
) {
    let now = Time(jiff::Timestamp::now());
    let condition = Condition {
        type_: "DisruptionAllowed".into(),
        status: status.into(),
        reason: reason.into(),
        message: message.into(),
        observed_generation: generation,
        last_transition_time: now,
    };
    match conditions.iter_mut().find(|c| c.type_ == condition.type_) {
        Some(existing) if existing.status == condition.status => {
            let since = existing.last_transition_time.clone();
            *existing = Condition {
                last_transition_time: since,
                ..condition
            };
        }
        Some(existing) => *existing = condition,
        None => conditions.push(condition),
    }
}
