//! Taint-based eviction (upstream's taint-eviction-controller, run here
//! by the node lifecycle controller): a pod on a node with a NoExecute
//! taint it does not tolerate is deleted at once; one that tolerates it
//! for `tolerationSeconds` is deleted when that time has passed since the
//! taint was added; one that tolerates it without a limit stays.

use k8s_openapi::api::core::v1::{Pod, Taint, Toleration};

use crate::scheduler::plugins::taint_toleration::tolerates;

/// When (seconds after the newest relevant taint was added, `Some(0)`:
/// now) `pod` must leave a node with `taints`; `None`: it may stay.
pub fn eviction_delay(pod: &Pod, taints: &[Taint]) -> Option<(i64, Option<jiff::Timestamp>)> {
    let tolerations: &[Toleration] = pod
        .spec
        .as_ref()
        .and_then(|s| s.tolerations.as_deref())
        .unwrap_or_default();
    let mut delay: Option<(i64, Option<jiff::Timestamp>)> = None;
    for taint in taints.iter().filter(|t| t.effect == "NoExecute") {
        let added = taint.time_added.as_ref().map(|t| t.0);
        let matching: Vec<&Toleration> =
            tolerations.iter().filter(|t| tolerates(t, taint)).collect();
        if matching.is_empty() {
            return Some((0, None));
        }
        // The shortest of the matching tolerations' limits (none: forever).
        let limit = matching.iter().filter_map(|t| t.toleration_seconds).min();
        if let Some(seconds) = limit {
            let seconds = seconds.max(0);
            if delay.is_none_or(|(d, _)| seconds < d) {
                delay = Some((seconds, added));
            }
        }
    }
    delay
}

/// Whether `pod` must be evicted now.
pub fn due(pod: &Pod, taints: &[Taint], now: jiff::Timestamp) -> bool {
    match eviction_delay(pod, taints) {
        None => false,
        Some((0, _)) => true,
        Some((seconds, Some(added))) => now.as_second() >= added.as_second() + seconds,
        Some((_, None)) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(tolerations: serde_json::Value) -> Pod {
        serde_json::from_value(json!({"metadata": {"name": "p"}, "spec": {"containers": [], "tolerations": tolerations}})).unwrap()
    }

    fn unreachable(age: i64) -> Vec<Taint> {
        let added = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(age);
        vec![
            serde_json::from_value(json!({
                "key": "node.kubernetes.io/unreachable", "effect": "NoExecute",
                "timeAdded": added.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            }))
            .unwrap(),
        ]
    }

    #[test]
    fn tolerations_decide_when_a_pod_leaves() {
        let now = jiff::Timestamp::now();
        assert!(due(&pod(json!([])), &unreachable(0), now));
        let five_minutes = pod(
            json!([{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]),
        );
        assert!(!due(&five_minutes, &unreachable(10), now));
        assert!(due(&five_minutes, &unreachable(301), now));
        let forever = pod(json!([{"operator": "Exists"}]));
        assert!(!due(&forever, &unreachable(10_000), now));
    }
}
