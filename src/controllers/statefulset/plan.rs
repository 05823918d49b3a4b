//! What one pass of a StatefulSet does to its pods, as upstream's
//! `updateStatefulSet` decides it.
//!
//! * Missing pods `[start, start + replicas)` are created, and failed or
//!   finished ones deleted to be made again. With `OrderedReady` (the
//!   default) one step at a time, in ordinal order, each waiting until the
//!   pods below are Running and Ready; with `Parallel` all at once.
//! * Pods beyond the replicas are deleted from the highest ordinal down,
//!   one at a time with `OrderedReady`.
//! * A rolling update (when every pod is in place) deletes the highest
//!   pod at or above the partition that is not at the update revision,
//!   one at a time, waiting for each replacement to be Ready; `OnDelete`
//!   leaves replacing pods to the user.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;

use super::identity::revision_of;
use crate::controllers::pods;

/// The set as one pass sees it.
pub struct State<'a> {
    /// The first ordinal (`spec.ordinals.start`).
    pub start: i32,
    pub replicas: i32,
    /// `podManagementPolicy: Parallel`.
    pub parallel: bool,
    /// The RollingUpdate partition; `None` for OnDelete.
    pub partition: Option<i32>,
    pub update_revision: &'a str,
    /// The set's live pods by ordinal.
    pub pods: &'a BTreeMap<i32, Arc<Pod>>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Create pod `ordinal` (and its claims).
    Create(i32),
    Delete(Arc<Pod>),
}

fn terminating(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_some()
}

/// Running, Ready and not on its way out.
pub fn healthy(pod: &Pod) -> bool {
    pods::phase(pod) == "Running" && pods::is_ready(pod) && !terminating(pod)
}

pub fn plan(state: &State) -> Vec<Step> {
    let ordered = !state.parallel;
    let end = state.start + state.replicas.max(0);
    let mut steps = Vec::new();
    for ordinal in state.start..end {
        match state.pods.get(&ordinal) {
            None => {
                steps.push(Step::Create(ordinal));
                if ordered {
                    return steps;
                }
            }
            Some(pod) if terminating(pod) => {
                if ordered {
                    return steps;
                }
            }
            Some(pod) if matches!(pods::phase(pod), "Failed" | "Succeeded") => {
                steps.push(Step::Delete(pod.clone()));
                if ordered {
                    return steps;
                }
            }
            Some(pod) if !healthy(pod) && ordered => return steps,
            Some(_) => {}
        }
    }
    let condemned = state
        .pods
        .range(..state.start)
        .chain(state.pods.range(end..))
        .map(|(_, pod)| pod)
        .rev();
    for pod in condemned {
        if terminating(pod) {
            if ordered {
                return steps;
            }
            continue;
        }
        steps.push(Step::Delete(pod.clone()));
        if ordered {
            return steps;
        }
    }
    let Some(partition) = state.partition else {
        return steps;
    };
    if !steps.is_empty() {
        return steps;
    }
    let first_updated = state.start + partition.max(0);
    for ordinal in (first_updated.max(state.start)..end).rev() {
        let Some(pod) = state.pods.get(&ordinal) else {
            continue;
        };
        if revision_of(pod) != Some(state.update_revision) && !terminating(pod) {
            steps.push(Step::Delete(pod.clone()));
            return steps;
        }
        if !healthy(pod) {
            return steps;
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(ordinal: i32, revision: &str, ready: bool) -> (i32, Arc<Pod>) {
        let status = if ready { "True" } else { "False" };
        let pod = serde_json::from_value(json!({
            "metadata": {"name": format!("web-{ordinal}"), "labels": {"controller-revision-hash": revision}},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": status}]}
        }))
        .unwrap();
        (ordinal, Arc::new(pod))
    }

    fn state<'a>(
        pods: &'a BTreeMap<i32, Arc<Pod>>,
        replicas: i32,
        parallel: bool,
        partition: Option<i32>,
    ) -> State<'a> {
        State {
            start: 0,
            replicas,
            parallel,
            partition,
            update_revision: "new",
            pods,
        }
    }

    fn names(steps: &[Step]) -> Vec<String> {
        steps
            .iter()
            .map(|s| match s {
                Step::Create(o) => format!("create {o}"),
                Step::Delete(p) => format!("delete {}", p.metadata.name.as_deref().unwrap()),
            })
            .collect()
    }

    #[test]
    fn ordered_ready_starts_one_pod_at_a_time() {
        let none = BTreeMap::new();
        assert_eq!(names(&plan(&state(&none, 3, false, Some(0)))), ["create 0"]);
        let starting: BTreeMap<_, _> = [pod(0, "new", false)].into();
        assert!(plan(&state(&starting, 3, false, Some(0))).is_empty());
        let ready: BTreeMap<_, _> = [pod(0, "new", true)].into();
        assert_eq!(
            names(&plan(&state(&ready, 3, false, Some(0)))),
            ["create 1"]
        );
        assert_eq!(
            names(&plan(&state(&none, 3, true, Some(0)))),
            ["create 0", "create 1", "create 2"]
        );
    }

    #[test]
    fn scale_down_goes_from_the_highest_ordinal() {
        let pods: BTreeMap<_, _> = [
            pod(0, "new", true),
            pod(1, "new", true),
            pod(2, "new", true),
        ]
        .into();
        assert_eq!(
            names(&plan(&state(&pods, 1, false, Some(0)))),
            ["delete web-2"]
        );
        assert_eq!(
            names(&plan(&state(&pods, 1, true, Some(0)))),
            ["delete web-2", "delete web-1"]
        );
    }

    #[test]
    fn rolling_updates_go_down_to_the_partition() {
        let pods: BTreeMap<_, _> = [
            pod(0, "old", true),
            pod(1, "old", true),
            pod(2, "new", true),
        ]
        .into();
        assert_eq!(
            names(&plan(&state(&pods, 3, false, Some(0)))),
            ["delete web-1"]
        );
        assert!(plan(&state(&pods, 3, false, Some(2))).is_empty());
        assert!(plan(&state(&pods, 3, false, None)).is_empty());
        // A replacement that is not ready yet holds the update.
        let waiting: BTreeMap<_, _> = [
            pod(0, "old", true),
            pod(1, "new", false),
            pod(2, "new", true),
        ]
        .into();
        assert!(plan(&state(&waiting, 3, true, Some(0))).is_empty());
    }
}
