//! `pods/eviction`: a deletion that respects PodDisruptionBudgets, as
//! upstream's eviction REST does it.
//!
//! * A pod that is no longer (or not yet) running — Succeeded, Failed,
//!   Pending — or is already terminating is deleted at once: evicting it
//!   disrupts nothing.
//! * Otherwise the budgets whose selector matches the pod are found. None:
//!   the pod is deleted. More than one: refused (a 500 `Status`, as
//!   upstream). One: if the pod is not ready and the budget lets unhealthy
//!   pods go (`AlwaysAllow`, or enough healthy pods anyway) it is deleted
//!   without touching the budget; else the budget must allow a disruption
//!   (its status is current and `disruptionsAllowed` > 0, or 429
//!   TooManyRequests with a `DisruptionBudget` cause), which is taken:
//!   `disruptionsAllowed` goes down by one and the pod is recorded in
//!   `disruptedPods`, compare-and-swap on the budget.
//! * Before deleting, the pod gets a `DisruptionTarget` condition saying it
//!   is being evicted.
//!
//! Deletions of running pods carry the pod's resourceVersion as a
//! precondition, so a pod that changed meanwhile (became ready, say) is
//! not deleted on stale grounds.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::conditions::{set_status_condition, update_pod_condition};
use crate::apiserver::object::{ObjectExt, now_rfc3339};
use crate::apiserver::registry::Registry;
use crate::apiserver::registry::filter::Filter;
use crate::apiserver::registry::store::{DeleteOptions, Part, ResourceStore, WriteOptions};
use crate::apiserver::request::query::ReadOptions;
use crate::apiserver::status::{ApiError, Cause, Details};
use crate::apiserver::validation::labels::{as_selector, string_map};

/// How many times a deletion that lost a race is retried, and how long to
/// wait in between (upstream's `EvictionsRetry`).
const RETRIES: usize = 20;
const RETRY_PAUSE: Duration = Duration::from_millis(500);

/// Beyond this many unconfirmed evictions a budget takes no more
/// (upstream's `MaxDisruptedPodSize`).
const MAX_DISRUPTED_PODS: usize = 2000;

const TOO_MANY_REQUESTS: &str = "Cannot evict pod as it would violate the pod's disruption budget.";

/// What an eviction did.
#[derive(Debug, PartialEq, Eq)]
pub enum Evicted {
    /// The pod was deleted (or would have been, in a dry run).
    Deleted,
    /// More than one budget covers the pod: nothing was done.
    TooManyBudgets,
}

/// The message of [`Evicted::TooManyBudgets`].
pub const TOO_MANY_BUDGETS: &str = "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.";

/// 429 with a `DisruptionBudget` cause.
fn budget_refusal(cause: String, retry_after_seconds: u32) -> ApiError {
    ApiError::new(
        http::StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequests",
        TOO_MANY_REQUESTS,
    )
    .with_details(Details {
        causes: vec![Cause {
            reason: "DisruptionBudget".into(),
            message: cause,
            field: String::new(),
        }],
        retry_after_seconds: (retry_after_seconds > 0).then_some(retry_after_seconds),
        ..Default::default()
    })
}

fn still_processing(budget: &str) -> ApiError {
    budget_refusal(
        format!("The disruption budget {budget} is still being processed by the server."),
        10,
    )
}

fn forbidden(budget: &str, why: &str) -> ApiError {
    ApiError::forbidden(
        "policy",
        "poddisruptionbudget",
        budget,
        format!("poddisruptionbudget.policy \"{budget}\" is forbidden: {why}"),
    )
}

fn phase(pod: &Value) -> &str {
    pod.pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Evicting it disrupts nothing: it is done, not started, or going.
fn can_ignore_budgets(pod: &Value) -> bool {
    matches!(phase(pod), "Succeeded" | "Failed" | "Pending") || pod.deletion_timestamp().is_some()
}

/// Whether a deletion must be conditional on the pod's current version.
fn must_pin_version(pod: &Value) -> bool {
    !matches!(phase(pod), "Succeeded" | "Failed") && pod.deletion_timestamp().is_none()
}

fn is_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|conditions| {
            conditions.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some("Ready")
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

fn status_int(budget: &Value, field: &str) -> i64 {
    budget
        .pointer(&format!("/status/{field}"))
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

/// The store of `plural` in `group`'s v1 (pods, PodDisruptionBudgets).
fn store(registry: &Registry, group: &str, plural: &str) -> Result<Arc<ResourceStore>, ApiError> {
    registry
        .get(group, "v1", plural)
        .ok_or_else(|| ApiError::internal(format!("{plural} are not served")))
}

/// Evicts pod `name` in `namespace`; `options` are the eviction's
/// DeleteOptions (dry run included).
pub async fn evict(
    registry: &Registry,
    namespace: &str,
    name: &str,
    options: DeleteOptions,
) -> Result<Evicted, ApiError> {
    let pods = store(registry, "", "pods")?;
    let pinned_by_client = options.precondition_resource_version.is_some();

    // Pods whose eviction disrupts nothing: delete, retrying lost races
    // unless the client pinned a version itself.
    let mut attempts = 0;
    let pod = loop {
        let pod = pods.get(Some(namespace), name, None).await?.object.clone();
        if !can_ignore_budgets(&pod) {
            break pod;
        }
        let mut delete = options.clone();
        if must_pin_version(&pod) && !pinned_by_client {
            delete.precondition_resource_version = pod.resource_version().map(str::to_owned);
        }
        match mark_and_delete(&pods, namespace, name, delete).await {
            Err(e) if e.reason == "Conflict" && !pinned_by_client && attempts < RETRIES => {
                attempts += 1;
                tokio::time::sleep(RETRY_PAUSE).await;
            }
            Err(e) => return Err(e),
            Ok(()) => return Ok(Evicted::Deleted),
        }
    };

    let budgets = matching_budgets(registry, namespace, &pod).await?;
    let mut pin_version = false;
    let mut budget_name = String::new();
    match budgets.as_slice() {
        [] => {}
        [budget] => {
            budget_name = budget.name().unwrap_or_default().to_owned();
            let always_allow = budget
                .pointer("/spec/unhealthyPodEvictionPolicy")
                .and_then(Value::as_str)
                == Some("AlwaysAllow");
            let healthy_enough = status_int(budget, "currentHealthy")
                >= status_int(budget, "desiredHealthy")
                && status_int(budget, "desiredHealthy") > 0;
            if !is_ready(&pod) && (always_allow || healthy_enough) {
                // An unready pod counts for nothing: deleting it takes no
                // disruption, as long as it is still unready when deleted.
                pin_version = true;
            } else {
                take_disruption(
                    registry,
                    namespace,
                    &budget_name,
                    name,
                    options.write.dry_run,
                )
                .await?;
            }
        }
        _ => return Ok(Evicted::TooManyBudgets),
    }

    let mut delete = options.clone();
    if pin_version {
        delete.precondition_resource_version = pod.resource_version().map(str::to_owned);
    }
    match mark_and_delete(&pods, namespace, name, delete).await {
        Err(e) if e.reason == "Conflict" && pin_version && !pinned_by_client => {
            Err(still_processing(&budget_name))
        }
        Err(e) => Err(e),
        Ok(()) => Ok(Evicted::Deleted),
    }
}

/// The budgets in `namespace` whose selector matches the pod's labels.
async fn matching_budgets(
    registry: &Registry,
    namespace: &str,
    pod: &Value,
) -> Result<Vec<Value>, ApiError> {
    let budgets = store(registry, "policy", "poddisruptionbudgets")?;
    let filter = Filter::new(budgets.strategy.clone(), Some(namespace), None, "", "")?;
    let page = budgets
        .list(Some(namespace), &ReadOptions::default(), &filter)
        .await?;
    let labels = string_map(pod.pointer("/metadata/labels").unwrap_or(&Value::Null));
    Ok(page
        .items
        .iter()
        .map(|item| &item.object)
        .filter(|budget| {
            as_selector(budget.pointer("/spec/selector").unwrap_or(&Value::Null))
                .is_some_and(|selector| selector.matches(&labels))
        })
        .cloned()
        .collect())
}

/// Takes one disruption from budget `budget_name` for `pod_name`, or says
/// why not.
async fn take_disruption(
    registry: &Registry,
    namespace: &str,
    budget_name: &str,
    pod_name: &str,
    dry_run: bool,
) -> Result<(), ApiError> {
    let budgets = store(registry, "policy", "poddisruptionbudgets")?;
    let options = WriteOptions {
        dry_run,
        ..Default::default()
    };
    budgets
        .guaranteed_update(Some(namespace), budget_name, Part::Status, &options, |budget| {
            let generation = budget
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            let observed = status_int(budget, "observedGeneration");
            if observed < generation {
                return Err(still_processing(budget_name));
            }
            let allowed = status_int(budget, "disruptionsAllowed");
            if allowed < 0 {
                return Err(forbidden(budget_name, "pdb disruptions allowed is negative"));
            }
            let disrupted = budget
                .pointer("/status/disruptedPods")
                .and_then(Value::as_object)
                .map_or(0, |pods| pods.len());
            if disrupted > MAX_DISRUPTED_PODS {
                return Err(forbidden(
                    budget_name,
                    "DisruptedPods map too big - too many evictions not confirmed by PDB controller",
                ));
            }
            if allowed == 0 {
                return Err(budget_refusal(
                    format!(
                        "The disruption budget {budget_name} needs {} healthy pods and has {} currently",
                        status_int(budget, "desiredHealthy"),
                        status_int(budget, "currentHealthy")
                    ),
                    0,
                ));
            }
            let mut budget = budget.clone();
            budget["status"]["disruptionsAllowed"] = json!(allowed - 1);
            if allowed - 1 == 0 {
                set_status_condition(
                    &mut budget,
                    json!({"type": "DisruptionAllowed", "status": "False",
                        "reason": "InsufficientPods", "message": "",
                        "observedGeneration": observed}),
                );
            }
            if !budget["status"]
                .get("disruptedPods")
                .is_some_and(Value::is_object)
            {
                budget["status"]["disruptedPods"] = json!({});
            }
            budget["status"]["disruptedPods"][pod_name] = Value::String(now_rfc3339());
            Ok(budget)
        })
        .await
        .map(|_| ())
}

/// Marks the pod as a disruption target (not in a dry run) and deletes it
/// with `options`.
async fn mark_and_delete(
    pods: &ResourceStore,
    namespace: &str,
    name: &str,
    mut options: DeleteOptions,
) -> Result<(), ApiError> {
    if !options.write.dry_run {
        let preconditions = (
            options.precondition_uid.clone(),
            options.precondition_resource_version.clone(),
        );
        let marked = pods
            .guaranteed_update(
                Some(namespace),
                name,
                Part::Status,
                &WriteOptions::default(),
                |pod| {
                    let conflict = |why: String| ApiError::conflict("", "Pod", name, &why);
                    let (uid, version) = &preconditions;
                    if let Some(uid) = uid.as_deref().filter(|u| !u.is_empty())
                        && pod.uid() != Some(uid)
                    {
                        return Err(conflict(format!(
                            "the UID in the precondition ({uid}) does not match the UID in record ({}). The object might have been deleted and then recreated",
                            pod.uid().unwrap_or_default()
                        )));
                    }
                    if let Some(version) = version.as_deref().filter(|v| !v.is_empty())
                        && pod.resource_version() != Some(version)
                    {
                        return Err(conflict(format!(
                            "the ResourceVersion in the precondition ({version}) does not match the ResourceVersion in record ({}). The object might have been modified",
                            pod.resource_version().unwrap_or_default()
                        )));
                    }
                    let mut pod = pod.clone();
                    update_pod_condition(
                        &mut pod,
                        json!({"type": "DisruptionTarget", "status": "True",
                            "reason": "EvictionByEvictionAPI", "message": "Eviction API: evicting",
                            "lastProbeTime": null}),
                    );
                    Ok(pod)
                },
            )
            .await?;
        if options.precondition_resource_version.is_some() {
            // We changed the pod; the version to delete is ours.
            options.precondition_resource_version = marked.resource_version().map(str::to_owned);
        }
    }
    pods.delete(Some(namespace), name, &options)
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_pods_skip_the_budget() {
        let pod = |phase: &str| json!({"status": {"phase": phase}, "metadata": {}});
        assert!(can_ignore_budgets(&pod("Pending")));
        assert!(can_ignore_budgets(&pod("Succeeded")));
        assert!(!can_ignore_budgets(&pod("Running")));
        assert!(can_ignore_budgets(
            &json!({"status": {"phase": "Running"}, "metadata": {"deletionTimestamp": "x"}})
        ));
        assert!(must_pin_version(&pod("Pending")));
        assert!(!must_pin_version(&pod("Failed")));
        assert!(is_ready(
            &json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}})
        ));
        assert!(!is_ready(
            &json!({"status": {"conditions": [{"type": "Ready", "status": "False"}]}})
        ));
    }

    #[test]
    fn refusals_read_as_upstreams() {
        let refusal = budget_refusal(
            "The disruption budget b needs 2 healthy pods and has 2 currently".into(),
            0,
        );
        let status = refusal.to_status();
        assert_eq!(status["code"], 429);
        assert_eq!(status["reason"], "TooManyRequests");
        assert_eq!(status["message"], TOO_MANY_REQUESTS);
        assert_eq!(
            status["details"],
            json!({"causes": [{"reason": "DisruptionBudget",
                "message": "The disruption budget b needs 2 healthy pods and has 2 currently"}]})
        );
        assert_eq!(
            still_processing("b").to_status()["details"]["retryAfterSeconds"],
            10
        );
        assert_eq!(
            forbidden("b", "pdb disruptions allowed is negative").message,
            "poddisruptionbudget.policy \"b\" is forbidden: pdb disruptions allowed is negative"
        );
    }
}
