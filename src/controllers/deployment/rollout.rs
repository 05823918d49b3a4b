//! How a Deployment moves between ReplicaSets, as upstream's: one step per
//! pass (the ReplicaSets' status changes bring the next pass).
//!
//! * RollingUpdate: the new ReplicaSet grows while all pods stay within
//!   `replicas + maxSurge`; old ones shrink while available pods stay at
//!   least `replicas - maxUnavailable` (unhealthy old pods go first).
//! * Recreate: old ReplicaSets go to zero, and once their pods are gone the
//!   new one is scaled up.
//! * Scaling (a new `replicas`, or a paused Deployment): the single active
//!   ReplicaSet takes the new size, or the difference is shared out in
//!   proportion to the ReplicaSets' sizes.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::revisions::{self, replicas};
use super::status::desired;
use crate::controllers::int_or_percent;

/// `maxSurge` and `maxUnavailable` resolved against `replicas`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fenceposts {
    pub max_surge: i32,
    pub max_unavailable: i32,
}

/// Whether the strategy is RollingUpdate (the default).
pub fn rolling(deployment: &Deployment) -> bool {
    deployment
        .spec
        .as_ref()
        .and_then(|s| s.strategy.as_ref())
        .and_then(|s| s.type_.as_deref())
        != Some("Recreate")
}

/// An int-or-percent of `total` (`default` when unset).
fn scaled(value: Option<&IntOrString>, default: &str, total: i32, round_up: bool) -> i32 {
    let default = IntOrString::String(default.into());
    int_or_percent::scaled(value.unwrap_or(&default), total, round_up)
}

/// Upstream's `ResolveFenceposts` (both zero would stall: one pod may be
/// unavailable then); Recreate has neither.
pub fn fenceposts(deployment: &Deployment) -> Fenceposts {
    if !rolling(deployment) {
        return Fenceposts {
            max_surge: 0,
            max_unavailable: 0,
        };
    }
    let total = desired(deployment);
    let update = deployment
        .spec
        .as_ref()
        .and_then(|s| s.strategy.as_ref())
        .and_then(|s| s.rolling_update.as_ref());
    let max_surge = scaled(
        update.and_then(|u| u.max_surge.as_ref()),
        "25%",
        total,
        true,
    );
    let mut max_unavailable = scaled(
        update.and_then(|u| u.max_unavailable.as_ref()),
        "25%",
        total,
        false,
    );
    if max_surge == 0 && max_unavailable == 0 {
        max_unavailable = 1;
    }
    Fenceposts {
        max_surge,
        max_unavailable: max_unavailable.min(total),
    }
}

fn available(rs: &ReplicaSet) -> i32 {
    rs.status
        .as_ref()
        .and_then(|s| s.available_replicas)
        .unwrap_or(0)
}

/// ReplicaSet name → new size.
pub type Resizes = Vec<(String, i32)>;

/// The size the new ReplicaSet may grow to now.
pub fn new_replicas(deployment: &Deployment, all: &[&ReplicaSet], new_current: i32) -> i32 {
    let wanted = desired(deployment);
    if !rolling(deployment) {
        return wanted;
    }
    let max_total = wanted + fenceposts(deployment).max_surge;
    let current: i32 = all.iter().map(|rs| replicas(rs)).sum();
    if current >= max_total {
        return new_current;
    }
    new_current + (max_total - current).min(wanted - new_current)
}

/// The rolling update's next step, if there is one to take.
pub fn rolling_step(deployment: &Deployment, new: &ReplicaSet, old: &[&ReplicaSet]) -> Resizes {
    let wanted = desired(deployment);
    let mut all: Vec<&ReplicaSet> = old.to_vec();
    all.push(new);
    // Grow the new ReplicaSet (or shrink it, if it is over the size).
    let current = replicas(new);
    let target = if current > wanted {
        wanted
    } else {
        new_replicas(deployment, &all, current)
    };
    if target != current {
        return vec![(kube::ResourceExt::name_any(new), target)];
    }
    shrink_old(deployment, new, old)
}

/// Upstream's `reconcileOldReplicaSets`.
fn shrink_old(deployment: &Deployment, new: &ReplicaSet, old: &[&ReplicaSet]) -> Resizes {
    let old_pods: i32 = old.iter().map(|rs| replicas(rs)).sum();
    if old_pods == 0 {
        return Vec::new();
    }
    let all_pods = old_pods + replicas(new);
    let min_available = desired(deployment) - fenceposts(deployment).max_unavailable;
    let new_unavailable = replicas(new) - available(new);
    let mut budget = all_pods - min_available - new_unavailable;
    if budget <= 0 {
        return Vec::new();
    }
    let mut sizes: Vec<(String, i32, i32)> = old
        .iter()
        .map(|rs| {
            (
                kube::ResourceExt::name_any(*rs),
                replicas(rs),
                available(rs),
            )
        })
        .collect();
    // Unhealthy pods first: they cost no availability.
    for (_, size, ready) in &mut sizes {
        if budget <= 0 {
            break;
        }
        let unhealthy = *size - *ready;
        if *size == 0 || unhealthy <= 0 {
            continue;
        }
        let cut = budget.min(unhealthy);
        *size -= cut;
        budget -= cut;
    }
    // Then healthy ones, oldest first, keeping `min_available`.
    let available_now: i32 = old.iter().map(|rs| available(rs)).sum::<i32>() + available(new);
    let mut healthy_budget = available_now - min_available;
    for (_, size, _) in &mut sizes {
        if healthy_budget <= 0 {
            break;
        }
        let cut = (*size).min(healthy_budget);
        *size -= cut;
        healthy_budget -= cut;
    }
    sizes
        .into_iter()
        .zip(old)
        .filter(|((_, size, _), rs)| *size != replicas(rs))
        .map(|((name, size, _), _)| (name, size))
        .collect()
}

/// Whether this is a scaling event: an active ReplicaSet was sized for
/// another `replicas` than the Deployment's.
pub fn scaling(deployment: &Deployment, all: &[&ReplicaSet]) -> bool {
    let wanted = desired(deployment).to_string();
    all.iter().filter(|rs| replicas(rs) > 0).any(|rs| {
        kube::ResourceExt::annotations(*rs)
            .get(revisions::DESIRED_REPLICAS)
            .is_some_and(|d| *d != wanted)
    })
}

/// Upstream's `scale`: sizes for a new `replicas` without rolling.
pub fn scale(deployment: &Deployment, new: Option<&ReplicaSet>, old: &[&ReplicaSet]) -> Resizes {
    let wanted = desired(deployment);
    let mut all: Vec<&ReplicaSet> = old.to_vec();
    all.extend(new);
    let active: Vec<&ReplicaSet> = all.iter().copied().filter(|rs| replicas(rs) > 0).collect();
    let single = match active.as_slice() {
        [only] => Some(*only),
        [] => new.or_else(|| {
            old.iter().copied().max_by_key(|rs| {
                (
                    revisions::revision(rs),
                    rs.metadata.creation_timestamp.clone().map(|t| t.0),
                )
            })
        }),
        _ => None,
    };
    if let Some(rs) = single {
        return if replicas(rs) == wanted {
            Vec::new()
        } else {
            vec![(kube::ResourceExt::name_any(rs), wanted)]
        };
    }
    if let Some(new) = new
        && replicas(new) == wanted
        && available(new) >= wanted
    {
        return old
            .iter()
            .filter(|rs| replicas(rs) > 0)
            .map(|rs| (kube::ResourceExt::name_any(*rs), 0))
            .collect();
    }
    if !rolling(deployment) {
        return Vec::new();
    }
    let allowed = wanted + fenceposts(deployment).max_surge;
    let total: i32 = all.iter().map(|rs| replicas(rs)).sum();
    let to_add = allowed - total;
    if to_add == 0 || total == 0 {
        return Vec::new();
    }
    // Largest first; among equals the newest when growing, the oldest
    // when shrinking.
    let mut ordered = active.clone();
    ordered.sort_by(|a, b| {
        let created = |rs: &ReplicaSet| rs.metadata.creation_timestamp.clone().map(|t| t.0);
        replicas(b).cmp(&replicas(a)).then_with(|| {
            if to_add > 0 {
                created(b).cmp(&created(a))
            } else {
                created(a).cmp(&created(b))
            }
        })
    });
    let mut sizes: Vec<(String, i32)> = ordered
        .iter()
        .map(|rs| {
            let share = i64::from(replicas(rs)) * i64::from(to_add) / i64::from(total);
            (
                kube::ResourceExt::name_any(*rs),
                replicas(rs) + share as i32,
            )
        })
        .collect();
    let given: i32 = sizes
        .iter()
        .zip(&ordered)
        .map(|((_, s), rs)| s - replicas(rs))
        .sum();
    if let Some(first) = sizes.first_mut() {
        first.1 = (first.1 + to_add - given).max(0);
    }
    sizes
        .into_iter()
        .zip(ordered)
        .filter(|((_, size), rs)| *size != replicas(rs))
        .map(|(resize, _)| resize)
        .collect()
}

/// Recreate's next step: old ReplicaSets to zero, then (once their pods
/// are gone) the new one to full size. `None` while old pods remain.
pub fn recreate_step(
    deployment: &Deployment,
    new: Option<&ReplicaSet>,
    old: &[&ReplicaSet],
) -> Option<Resizes> {
    let shrink: Resizes = old
        .iter()
        .filter(|rs| replicas(rs) > 0)
        .map(|rs| (kube::ResourceExt::name_any(*rs), 0))
        .collect();
    if !shrink.is_empty() {
        return Some(shrink);
    }
    let running = old
        .iter()
        .any(|rs| rs.status.as_ref().is_some_and(|s| s.replicas > 0));
    if running {
        return None;
    }
    let wanted = desired(deployment);
    Some(match new {
        Some(rs) if replicas(rs) != wanted => vec![(kube::ResourceExt::name_any(rs), wanted)],
        _ => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn deployment(replicas: i32, strategy: serde_json::Value) -> Deployment {
        serde_json::from_value(json!({"metadata": {"name": "d"},
            "spec": {"replicas": replicas, "selector": {}, "template": {}, "strategy": strategy}}))
        .unwrap()
    }

    fn rs(name: &str, replicas: i32, available: i32) -> ReplicaSet {
        serde_json::from_value(json!({"metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {}},
            "status": {"replicas": replicas, "availableReplicas": available}}))
        .unwrap()
    }

    #[test]
    fn percentages_resolve_as_upstream() {
        let d = deployment(10, json!({"type": "RollingUpdate"}));
        assert_eq!(
            fenceposts(&d),
            Fenceposts {
                max_surge: 3,
                max_unavailable: 2
            }
        );
        let d = deployment(
            1,
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": "10%"}}),
        );
        assert_eq!(
            fenceposts(&d),
            Fenceposts {
                max_surge: 0,
                max_unavailable: 1
            }
        );
    }

    #[test]
    fn a_rolling_update_surges_then_drains_the_old_set() {
        let d = deployment(
            4,
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}),
        );
        let old = rs("old", 4, 4);
        let new = rs("new", 0, 0);
        assert_eq!(rolling_step(&d, &new, &[&old]), vec![("new".to_owned(), 1)]);
        // The surge pod is not available yet: nothing old may go.
        let new = rs("new", 1, 0);
        assert_eq!(rolling_step(&d, &new, &[&old]), vec![]);
        let new = rs("new", 1, 1);
        assert_eq!(rolling_step(&d, &new, &[&old]), vec![("old".to_owned(), 3)]);
    }

    #[test]
    fn scaling_shares_out_in_proportion() {
        let d = deployment(
            20,
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}),
        );
        let old = rs("old", 6, 6);
        let new = rs("new", 4, 4);
        let mut sizes = scale(&d, Some(&new), &[&old]);
        sizes.sort();
        assert_eq!(sizes, vec![("new".to_owned(), 8), ("old".to_owned(), 12)]);
    }
}
