//! Setting a condition in an object's status the two ways upstream does:
//! a pod's conditions (`podutil.UpdatePodCondition`) and the standard
//! `metav1.Condition` list (`meta.SetStatusCondition`).

use serde_json::{Value, json};

use crate::apiserver::object::now_rfc3339;

/// The `status.conditions` list of `object`, created if missing.
fn conditions_mut(object: &mut Value) -> &mut Vec<Value> {
    if !object.get("status").is_some_and(Value::is_object) {
        object["status"] = json!({});
    }
    let status = &mut object["status"];
    if !status.get("conditions").is_some_and(Value::is_array) {
        status["conditions"] = json!([]);
    }
    status["conditions"]
        .as_array_mut()
        .expect("made an array above")
}

fn field<'a>(condition: &'a Value, name: &str) -> &'a str {
    condition
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Replaces (or adds) the pod condition of `condition`'s type with
/// `condition`; its `lastTransitionTime` is now unless the status stays
/// the same. Returns whether anything changed.
pub fn update_pod_condition(pod: &mut Value, mut condition: Value) -> bool {
    let kind = field(&condition, "type").to_owned();
    condition["lastTransitionTime"] = Value::String(now_rfc3339());
    let list = conditions_mut(pod);
    let Some(old) = list.iter_mut().find(|c| field(c, "type") == kind) else {
        list.push(condition);
        return true;
    };
    if field(&condition, "status") == field(old, "status") {
        condition["lastTransitionTime"] = old
            .get("lastTransitionTime")
            .cloned()
            .unwrap_or(Value::Null);
    }
    let changed = [
        "status",
        "reason",
        "message",
        "lastProbeTime",
        "lastTransitionTime",
    ]
    .iter()
    .any(|f| {
        let unset = |v: Option<&Value>| v.cloned().filter(|v| !v.is_null());
        unset(condition.get(*f)) != unset(old.get(*f))
    });
    *old = condition;
    changed
}

/// Sets a `metav1.Condition` (type, status, reason, message,
/// observedGeneration): its `lastTransitionTime` moves only when the status
/// changes.
pub fn set_status_condition(object: &mut Value, condition: Value) {
    let kind = field(&condition, "type").to_owned();
    let list = conditions_mut(object);
    match list.iter_mut().find(|c| field(c, "type") == kind) {
        None => {
            let mut condition = condition;
            if field(&condition, "lastTransitionTime").is_empty() {
                condition["lastTransitionTime"] = Value::String(now_rfc3339());
            }
            list.push(condition);
        }
        Some(existing) => {
            if field(existing, "status") != field(&condition, "status") {
                existing["status"] = condition["status"].clone();
                existing["lastTransitionTime"] = match condition.get("lastTransitionTime") {
                    Some(Value::String(t)) if !t.is_empty() => Value::String(t.clone()),
                    _ => Value::String(now_rfc3339()),
                };
            }
            for required in ["reason", "message"] {
                existing[required] = Value::String(field(&condition, required).to_owned());
            }
            match condition.get("observedGeneration") {
                Some(generation) => existing["observedGeneration"] = generation.clone(),
                None => {
                    if let Some(map) = existing.as_object_mut() {
                        map.remove("observedGeneration");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_conditions_keep_their_transition_time_while_the_status_holds() {
        let mut pod = json!({"status": {"conditions": [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2020-01-01T00:00:00Z"}
        ]}});
        let changed =
            update_pod_condition(&mut pod, json!({"type": "PodScheduled", "status": "True"}));
        assert!(!changed);
        assert_eq!(
            pod["status"]["conditions"][0]["lastTransitionTime"],
            "2020-01-01T00:00:00Z"
        );
        let mut unscheduled = json!({"status": {"conditions": [{"type": "PodScheduled",
            "status": "False", "reason": "Unschedulable", "lastTransitionTime": "2020-01-01T00:00:00Z"}]}});
        assert!(update_pod_condition(
            &mut unscheduled,
            json!({"type": "PodScheduled", "status": "True"})
        ));
        let condition = &unscheduled["status"]["conditions"][0];
        assert_eq!(
            condition.get("reason"),
            None,
            "the whole condition is replaced"
        );
        assert_ne!(condition["lastTransitionTime"], "2020-01-01T00:00:00Z");

        let mut bare = json!({"metadata": {}});
        update_pod_condition(
            &mut bare,
            json!({"type": "DisruptionTarget", "status": "True"}),
        );
        assert_eq!(bare["status"]["conditions"][0]["type"], "DisruptionTarget");
    }

    #[test]
    fn status_conditions_are_set_in_place() {
        let mut pdb = json!({"status": {"conditions": [{"type": "DisruptionAllowed",
            "status": "True", "reason": "SufficientPods", "lastTransitionTime": "2020-01-01T00:00:00Z",
            "observedGeneration": 1}]}});
        set_status_condition(
            &mut pdb,
            json!({"type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods",
                "message": "", "observedGeneration": 2}),
        );
        let condition = &pdb["status"]["conditions"][0];
        assert_eq!(condition["status"], "False");
        assert_eq!(condition["reason"], "InsufficientPods");
        assert_eq!(condition["observedGeneration"], 2);
        assert_ne!(condition["lastTransitionTime"], "2020-01-01T00:00:00Z");
    }
}
