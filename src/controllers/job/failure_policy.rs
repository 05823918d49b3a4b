//! A Job's `podFailurePolicy`: what a failed pod means, by the first rule
//! that matches its containers' exit codes or its conditions, as
//! upstream's. `FailJob` ends the Job at once (reason `PodFailurePolicy`),
//! `Ignore` does not count the failure against `backoffLimit`, `Count`
//! (and no rule matching) counts it.

use k8s_openapi::api::batch::v1::{Job, PodFailurePolicyOnExitCodesRequirement};
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};
use kube::ResourceExt;

/// What a failed pod does to its Job.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The Job fails, with this message.
    FailJob(String),
    Ignore,
    Count,
}

/// The container whose non-zero exit code the requirement matches.
fn matching_container<'a>(
    statuses: &'a [ContainerStatus],
    requirement: &PodFailurePolicyOnExitCodesRequirement,
) -> Option<(&'a ContainerStatus, i32)> {
    statuses.iter().find_map(|status| {
        let code = status.state.as_ref()?.terminated.as_ref()?.exit_code;
        if code == 0 {
            return None;
        }
        if requirement
            .container_name
            .as_ref()
            .is_some_and(|name| *name != status.name)
        {
            return None;
        }
        let listed = requirement.values.contains(&code);
        let matches = match requirement.operator.as_str() {
            "In" => listed,
            "NotIn" => !listed,
            _ => false,
        };
        matches.then_some((status, code))
    })
}

pub fn judge(job: &Job, pod: &Pod) -> Verdict {
    let Some(policy) = job
        .spec
        .as_ref()
        .and_then(|s| s.pod_failure_policy.as_ref())
    else {
        return Verdict::Count;
    };
    let status = pod.status.clone().unwrap_or_default();
    let containers: Vec<ContainerStatus> = status
        .init_container_statuses
        .unwrap_or_default()
        .into_iter()
        .chain(status.container_statuses.unwrap_or_default())
        .collect();
    let conditions = status.conditions.unwrap_or_default();
    let pod_name = format!("{}/{}", pod.namespace().unwrap_or_default(), pod.name_any());
    for (index, rule) in policy.rules.iter().enumerate() {
        let why = if let Some(requirement) = &rule.on_exit_codes {
            matching_container(&containers, requirement).map(|(container, code)| {
                format!(
                    "Container {} for pod {pod_name} failed with exit code {code} matching {} rule at index {index}",
                    container.name, rule.action
                )
            })
        } else {
            rule.on_pod_conditions.iter().flatten().find_map(|pattern| {
                conditions
                    .iter()
                    .any(|c| c.type_ == pattern.type_ && c.status == pattern.status)
                    .then(|| {
                        format!(
                            "Pod {pod_name} has condition {} matching {} rule at index {index}",
                            pattern.type_, rule.action
                        )
                    })
            })
        };
        let Some(why) = why else {
            continue;
        };
        return match rule.action.as_str() {
            "FailJob" => Verdict::FailJob(why),
            "Ignore" => Verdict::Ignore,
            _ => Verdict::Count,
        };
    }
    Verdict::Count
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn job(rules: Value) -> Job {
        serde_json::from_value(
            json!({"spec": {"template": {}, "podFailurePolicy": {"rules": rules}}}),
        )
        .unwrap()
    }

    fn failed(exit_code: i32, conditions: Value) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": "p", "namespace": "ns"},
            "status": {"phase": "Failed", "conditions": conditions, "containerStatuses": [
                {"name": "main", "image": "x", "imageID": "", "ready": false, "restartCount": 0,
                 "state": {"terminated": {"exitCode": exit_code}}}
            ]}
        }))
        .unwrap()
    }

    #[test]
    fn the_first_matching_rule_decides() {
        let policy = job(json!([
            {"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]}},
            {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
            {"action": "Count", "onExitCodes": {"operator": "NotIn", "values": [1]}}
        ]));
        assert_eq!(
            judge(&policy, &failed(42, json!([]))),
            Verdict::FailJob("Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 0".into())
        );
        let evicted = failed(137, json!([{"type": "DisruptionTarget", "status": "True"}]));
        assert_eq!(judge(&policy, &evicted), Verdict::Ignore);
        assert_eq!(judge(&policy, &failed(1, json!([]))), Verdict::Count);
        assert_eq!(
            judge(&job(json!([])), &failed(42, json!([]))),
            Verdict::Count
        );
    }
}
