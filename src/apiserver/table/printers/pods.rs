//! Pods and pod templates. A Pod's `Status` cell condenses the phase, the
//! init containers' progress, the containers' waiting and terminated reasons
//! and deletion into one word, exactly as upstream's `printPod` does;
//! `Ready` counts ready containers (sidecars included) and `Restarts` adds
//! when the last restart happened.

use serde_json::{Value, json};

use super::descriptions as doc;
use super::format::{NONE, container_cells, format_labels, items, map, opt_bool, text};
use super::{Column, Columns, age_cell, age_column, name_cell, name_column};
use crate::apiserver::object::ObjectExt;
use crate::apiserver::table::{human_duration, seconds_since};

pub(super) fn for_kind(group: &str, kind: &str) -> Option<Columns> {
    match (group, kind) {
        ("", "Pod") => Some(Columns::new(pod_columns, pod_cells).with_conditions(pod_conditions)),
        ("", "PodTemplate") => Some(Columns::new(pod_template_columns, pod_template_cells)),
        _ => None,
    }
}

fn pod_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new(
            "Ready",
            "string",
            "The aggregate readiness state of this pod for accepting traffic.",
        ),
        Column::new(
            "Status",
            "string",
            "The aggregate status of the containers in this pod.",
        ),
        Column::new(
            "Restarts",
            "string",
            "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
        ),
        age_column(),
        Column::new("IP", "string", doc::POD_STATUS_POD_IP).wide(),
        Column::new("Node", "string", doc::POD_SPEC_NODE_NAME).wide(),
        Column::new(
            "Nominated Node",
            "string",
            doc::POD_STATUS_NOMINATED_NODE_NAME,
        )
        .wide(),
        Column::new("Readiness Gates", "string", doc::POD_SPEC_READINESS_GATES).wide(),
    ]
}

/// The reason a pod whose node stopped answering gets from the node
/// lifecycle controller.
const NODE_UNREACHABLE_REASON: &str = "NodeLost";

/// The latest `lastState.terminated.finishedAt` seen, as upstream tracks it
/// for the `(5m ago)` part of `Restarts`.
#[derive(Default, Clone, Copy)]
struct LastRestart(Option<jiff::Timestamp>);

impl LastRestart {
    fn observe(&mut self, status: &Value) {
        let finished = text(status, "/lastState/terminated/finishedAt")
            .parse::<jiff::Timestamp>()
            .ok();
        if let Some(finished) = finished
            && self.0.is_none_or(|latest| latest < finished)
        {
            self.0 = Some(finished);
        }
    }
}

/// A container's `status.state.terminated`, if it has terminated.
fn terminated(status: &Value) -> Option<&Value> {
    status
        .pointer("/state/terminated")
        .filter(|t| t.is_object())
}

/// A container's `status.state.waiting`, if it is waiting.
fn waiting(status: &Value) -> Option<&Value> {
    status.pointer("/state/waiting").filter(|w| w.is_object())
}

fn has_condition(pod: &Value, condition: &str, state: &str) -> bool {
    items(pod, "/status/conditions")
        .iter()
        .any(|c| text(c, "/type") == condition && text(c, "/status") == state)
}

/// Upstream's `isPodInitializedConditionTrue`: the first `Initialized`
/// condition decides.
fn initialized(pod: &Value) -> bool {
    items(pod, "/status/conditions")
        .iter()
        .find(|c| text(c, "/type") == "Initialized")
        .is_some_and(|c| text(c, "/status") == "True")
}

fn pod_cells(pod: &Value) -> Vec<Value> {
    let init_specs = items(pod, "/spec/initContainers");
    // Sidecars: init containers that keep running next to the app
    // containers. They count toward READY's total and their restarts stay
    // in RESTARTS after initialization.
    let is_sidecar = |name: &str| {
        init_specs
            .iter()
            .find(|c| text(c, "/name") == name)
            .is_some_and(|c| text(c, "/restartPolicy") == "Always")
    };
    let sidecars = init_specs
        .iter()
        .filter(|c| text(c, "/restartPolicy") == "Always")
        .count();
    let total = items(pod, "/spec/containers").len() + sidecars;
    let mut ready = 0;
    let mut restarts = 0;
    let mut sidecar_restarts = 0;
    let mut last_restart = LastRestart::default();
    let mut last_sidecar_restart = LastRestart::default();

    let phase = text(pod, "/status/phase");
    let mut reason = match text(pod, "/status/reason") {
        "" => phase.to_owned(),
        reason => reason.to_owned(),
    };
    if items(pod, "/status/conditions")
        .iter()
        .any(|c| text(c, "/type") == "PodScheduled" && text(c, "/reason") == "SchedulingGated")
    {
        reason = "SchedulingGated".into();
    }

    let mut initializing = false;
    for (index, status) in items(pod, "/status/initContainerStatuses")
        .iter()
        .enumerate()
    {
        let count = status["restartCount"].as_i64().unwrap_or_default();
        restarts += count;
        last_restart.observe(status);
        let sidecar = is_sidecar(text(status, "/name"));
        if sidecar {
            sidecar_restarts += count;
            last_sidecar_restart.observe(status);
        }
        let terminated = terminated(status);
        let waiting_reason = waiting(status).map(|w| text(w, "/reason"));
        if terminated.is_some_and(|t| t["exitCode"].as_i64().unwrap_or_default() == 0) {
            continue;
        }
        if sidecar && opt_bool(status, "/started") == Some(true) {
            if opt_bool(status, "/ready") == Some(true) {
                ready += 1;
            }
            continue;
        }
        reason = if let Some(terminated) = terminated {
            match text(terminated, "/reason") {
                "" => match terminated["signal"].as_i64().unwrap_or_default() {
                    0 => format!(
                        "Init:ExitCode:{}",
                        terminated["exitCode"].as_i64().unwrap_or_default()
                    ),
                    signal => format!("Init:Signal:{signal}"),
                },
                why => format!("Init:{why}"),
            }
        } else if let Some(why) =
            waiting_reason.filter(|r| !r.is_empty() && *r != "PodInitializing")
        {
            format!("Init:{why}")
        } else {
            format!("Init:{index}/{}", init_specs.len())
        };
        initializing = true;
        break;
    }

    if !initializing || initialized(pod) {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        for status in items(pod, "/status/containerStatuses").iter().rev() {
            restarts += status["restartCount"].as_i64().unwrap_or_default();
            last_restart.observe(status);
            let waiting_reason = waiting(status)
                .map(|w| text(w, "/reason"))
                .filter(|r| !r.is_empty());
            if let Some(why) = waiting_reason {
                reason = why.to_owned();
            } else if let Some(terminated) = terminated(status) {
                reason = match text(terminated, "/reason") {
                    "" => match terminated["signal"].as_i64().unwrap_or_default() {
                        0 => format!(
                            "ExitCode:{}",
                            terminated["exitCode"].as_i64().unwrap_or_default()
                        ),
                        signal => format!("Signal:{signal}"),
                    },
                    why => why.to_owned(),
                };
            } else if opt_bool(status, "/ready") == Some(true)
                && status
                    .pointer("/state/running")
                    .is_some_and(Value::is_object)
            {
                has_running = true;
                ready += 1;
            }
        }
        // A pod whose last container completed while others still run is
        // not "Completed".
        if reason == "Completed" && has_running {
            reason = if has_condition(pod, "Ready", "True") {
                "Running".into()
            } else {
                "NotReady".into()
            };
        }
    }

    if pod.deletion_timestamp().is_some() {
        if text(pod, "/status/reason") == NODE_UNREACHABLE_REASON {
            reason = "Unknown".into();
        } else if phase != "Succeeded" && phase != "Failed" {
            reason = "Terminating".into();
        }
    }

    let restarts_cell = match last_restart.0 {
        Some(at) if restarts != 0 => {
            format!("{restarts} ({} ago)", human_duration(seconds_since(at)))
        }
        _ => restarts.to_string(),
    };

    vec![
        name_cell(pod),
        json!(format!("{ready}/{total}")),
        json!(reason),
        json!(restarts_cell),
        age_cell(pod),
        json!(pod_ip(pod)),
        json!(none_if_empty(text(pod, "/spec/nodeName"))),
        json!(none_if_empty(text(pod, "/status/nominatedNodeName"))),
        json!(readiness_gates(pod)),
    ]
}

/// Upstream marks the rows of finished pods `Completed`.
fn pod_conditions(pod: &Value) -> Option<Value> {
    let message = match text(pod, "/status/phase") {
        "Succeeded" => "The pod has completed successfully.",
        "Failed" => "The pod failed.",
        _ => return None,
    };
    Some(json!([{
        "type": "Completed",
        "status": "True",
        "reason": text(pod, "/status/phase"),
        "message": message,
    }]))
}

fn none_if_empty(value: &str) -> &str {
    if value.is_empty() { NONE } else { value }
}

/// The first of `status.podIPs`; `status.podIP` stands in when the list is
/// missing, as in upstream's conversion.
fn pod_ip(pod: &Value) -> &str {
    let ip = match items(pod, "/status/podIPs").first() {
        Some(first) => text(first, "/ip"),
        None => text(pod, "/status/podIP"),
    };
    none_if_empty(ip)
}

/// `true/total` readiness gates, each counted by the first condition of its
/// type.
fn readiness_gates(pod: &Value) -> String {
    let gates = items(pod, "/spec/readinessGates");
    if gates.is_empty() {
        return NONE.into();
    }
    let conditions = items(pod, "/status/conditions");
    let met = gates
        .iter()
        .filter(|gate| {
            let wanted = text(gate, "/conditionType");
            conditions
                .iter()
                .find(|c| text(c, "/type") == wanted)
                .is_some_and(|c| text(c, "/status") == "True")
        })
        .count();
    format!("{met}/{}", gates.len())
}

fn pod_template_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new(
            "Containers",
            "string",
            "Names of each container in the template.",
        ),
        Column::new(
            "Images",
            "string",
            "Images referenced by each container in the template.",
        ),
        Column::new("Pod Labels", "string", "The labels for the pod template."),
    ]
}

fn pod_template_cells(template: &Value) -> Vec<Value> {
    let (names, images) = container_cells(items(template, "/template/spec/containers"));
    vec![
        name_cell(template),
        json!(names),
        json!(images),
        json!(format_labels(map(template, "/template/metadata/labels"))),
    ]
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::testing::{ago, cells, column_names};

    fn pod(spec: Value, status: Value) -> Value {
        json!({
            "metadata": {"name": "web-0", "creationTimestamp": ago(3 * 3600)},
            "spec": spec,
            "status": status,
        })
    }

    /// READY, STATUS and RESTARTS of a pod.
    fn summary(pod: &Value) -> (String, String, String) {
        let cells = cells("", "Pod", pod);
        (
            cells[1].as_str().unwrap().to_owned(),
            cells[2].as_str().unwrap().to_owned(),
            cells[3].as_str().unwrap().to_owned(),
        )
    }

    fn s(ready: &str, status: &str, restarts: &str) -> (String, String, String) {
        (ready.into(), status.into(), restarts.into())
    }

    fn running(name: &str) -> Value {
        json!({"name": name, "ready": true, "restartCount": 0, "started": true,
               "state": {"running": {"startedAt": ago(3600)}}})
    }

    #[test]
    fn columns_match_upstream() {
        assert_eq!(
            column_names("", "Pod"),
            [
                "Name",
                "Ready",
                "Status",
                "Restarts",
                "Age",
                "IP (wide)",
                "Node (wide)",
                "Nominated Node (wide)",
                "Readiness Gates (wide)"
            ]
        );
    }

    #[test]
    fn running_pod_with_wide_cells() {
        let p = pod(
            json!({"nodeName": "node-1", "containers": [{"name": "web"}, {"name": "log"}],
                   "readinessGates": [{"conditionType": "example.com/lb"}, {"conditionType": "example.com/dns"}]}),
            json!({"phase": "Running", "podIP": "10.0.0.9",
                   "podIPs": [{"ip": "10.0.0.9"}, {"ip": "fd00::9"}],
                   "conditions": [{"type": "example.com/lb", "status": "True"},
                                  {"type": "example.com/dns", "status": "False"}],
                   "containerStatuses": [running("web"), running("log")]}),
        );
        assert_eq!(
            cells("", "Pod", &p),
            vec![
                json!("web-0"),
                json!("2/2"),
                json!("Running"),
                json!("0"),
                json!("3h"),
                json!("10.0.0.9"),
                json!("node-1"),
                json!("<none>"),
                json!("1/2"),
            ]
        );
    }

    #[test]
    fn pending_pod_has_none_in_wide_cells() {
        let p = pod(
            json!({"containers": [{"name": "web"}]}),
            json!({"phase": "Pending"}),
        );
        let c = cells("", "Pod", &p);
        assert_eq!(c[1..4], [json!("0/1"), json!("Pending"), json!("0")]);
        assert_eq!(
            c[5..],
            [
                json!("<none>"),
                json!("<none>"),
                json!("<none>"),
                json!("<none>")
            ]
        );
    }

    #[test]
    fn pod_ip_falls_back_to_the_singular_field() {
        let p = pod(
            json!({"containers": []}),
            json!({"phase": "Running", "podIP": "10.1.2.3"}),
        );
        assert_eq!(cells("", "Pod", &p)[5], json!("10.1.2.3"));
    }

    #[test]
    fn nominated_node_is_shown() {
        let p = pod(
            json!({"containers": [{"name": "a"}]}),
            json!({"phase": "Pending", "nominatedNodeName": "node-2"}),
        );
        assert_eq!(cells("", "Pod", &p)[7], json!("node-2"));
    }

    #[test]
    fn waiting_reasons_replace_the_phase() {
        for why in [
            "ContainerCreating",
            "CrashLoopBackOff",
            "ErrImagePull",
            "ImagePullBackOff",
        ] {
            let p = pod(
                json!({"containers": [{"name": "web"}]}),
                json!({"phase": "Pending", "containerStatuses": [
                    {"name": "web", "ready": false, "restartCount": 0,
                     "state": {"waiting": {"reason": why}}}]}),
            );
            assert_eq!(summary(&p), s("0/1", why, "0"));
        }
    }

    #[test]
    fn crash_looping_pod_shows_restarts_with_last_termination() {
        let p = pod(
            json!({"containers": [{"name": "web"}]}),
            json!({"phase": "Running", "containerStatuses": [
                {"name": "web", "ready": false, "restartCount": 4,
                 "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                 "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                                              "finishedAt": ago(20 * 60)}}}]}),
        );
        assert_eq!(summary(&p), s("0/1", "CrashLoopBackOff", "4 (20m ago)"));
    }

    #[test]
    fn restarts_take_the_latest_termination_of_any_container() {
        let p = pod(
            json!({"containers": [{"name": "a"}, {"name": "b"}]}),
            json!({"phase": "Running", "containerStatuses": [
                {"name": "a", "ready": true, "restartCount": 1, "state": {"running": {}},
                 "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(5 * 3600)}}},
                {"name": "b", "ready": true, "restartCount": 2, "state": {"running": {}},
                 "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(30 * 60)}}}]}),
        );
        assert_eq!(summary(&p), s("2/2", "Running", "3 (30m ago)"));
    }

    #[test]
    fn restarts_without_a_termination_time_are_a_bare_number() {
        let p = pod(
            json!({"containers": [{"name": "a"}]}),
            json!({"phase": "Running", "containerStatuses": [
                {"name": "a", "ready": true, "restartCount": 2, "state": {"running": {}}}]}),
        );
        assert_eq!(summary(&p), s("1/1", "Running", "2"));
    }

    #[test]
    fn terminated_reasons_and_exit_codes() {
        let cases = [
            (json!({"exitCode": 0, "reason": "Completed"}), "Completed"),
            (json!({"exitCode": 1, "reason": "Error"}), "Error"),
            (json!({"exitCode": 137, "reason": "OOMKilled"}), "OOMKilled"),
            (json!({"exitCode": 3}), "ExitCode:3"),
            (json!({"exitCode": 0, "signal": 9}), "Signal:9"),
        ];
        for (terminated, expected) in cases {
            let p = pod(
                json!({"containers": [{"name": "job"}]}),
                json!({"phase": "Failed", "containerStatuses": [
                    {"name": "job", "ready": false, "restartCount": 0,
                     "state": {"terminated": terminated}}]}),
            );
            assert_eq!(summary(&p), s("0/1", expected, "0"));
        }
    }

    #[test]
    fn completed_container_next_to_a_running_one() {
        let status = |ready_condition: &str| {
            json!({"phase": "Running",
                   "conditions": [{"type": "Ready", "status": ready_condition}],
                   "containerStatuses": [
                       running("web"),
                       {"name": "setup", "ready": false, "restartCount": 0,
                        "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]})
        };
        let spec = json!({"containers": [{"name": "web"}, {"name": "setup"}]});
        assert_eq!(
            summary(&pod(spec.clone(), status("True"))),
            s("1/2", "Running", "0")
        );
        assert_eq!(
            summary(&pod(spec, status("False"))),
            s("1/2", "NotReady", "0")
        );
    }

    #[test]
    fn status_reason_overrides_the_phase() {
        let p = pod(
            json!({"containers": [{"name": "a"}]}),
            json!({"phase": "Failed", "reason": "Evicted"}),
        );
        assert_eq!(summary(&p), s("0/1", "Evicted", "0"));
        let p = pod(
            json!({"containers": [{"name": "a"}]}),
            json!({"phase": "Running", "reason": "NodeLost"}),
        );
        assert_eq!(summary(&p).1, "NodeLost");
    }

    #[test]
    fn scheduling_gated_pod() {
        let p = pod(
            json!({"containers": [{"name": "a"}], "schedulingGates": [{"name": "example.com/wait"}]}),
            json!({"phase": "Pending", "conditions": [
                {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}),
        );
        assert_eq!(summary(&p), s("0/1", "SchedulingGated", "0"));
    }

    #[test]
    fn init_containers_in_progress() {
        let spec = json!({"initContainers": [{"name": "one"}, {"name": "two"}],
                          "containers": [{"name": "app"}]});
        let p = pod(
            spec.clone(),
            json!({"phase": "Pending", "initContainerStatuses": [
                {"name": "one", "ready": true, "restartCount": 0,
                 "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                {"name": "two", "ready": false, "restartCount": 0, "state": {"running": {}}}],
                "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0,
                                       "state": {"waiting": {"reason": "PodInitializing"}}}]}),
        );
        assert_eq!(summary(&p), s("0/1", "Init:1/2", "0"));

        let p = pod(
            spec.clone(),
            json!({"phase": "Pending", "initContainerStatuses": [
                {"name": "one", "ready": false, "restartCount": 0,
                 "state": {"waiting": {"reason": "PodInitializing"}}}]}),
        );
        assert_eq!(summary(&p).1, "Init:0/2");
    }

    #[test]
    fn failing_init_containers() {
        let spec = json!({"initContainers": [{"name": "one"}], "containers": [{"name": "app"}]});
        let with_init = |state: Value, restarts: i64| {
            pod(
                spec.clone(),
                json!({"phase": "Pending", "initContainerStatuses": [
                    {"name": "one", "ready": false, "restartCount": restarts, "state": state,
                     "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(15 * 60)}}}]}),
            )
        };
        assert_eq!(
            summary(&with_init(
                json!({"terminated": {"exitCode": 1, "reason": "Error"}}),
                0
            )),
            s("0/1", "Init:Error", "0")
        );
        assert_eq!(
            summary(&with_init(json!({"terminated": {"exitCode": 2}}), 0)).1,
            "Init:ExitCode:2"
        );
        // Exit code 0 is success whatever the signal: initialization goes on.
        assert_eq!(
            summary(&with_init(
                json!({"terminated": {"exitCode": 0, "signal": 15}}),
                0
            ))
            .1,
            "Pending"
        );
        // Init container restarts count while the pod initializes.
        assert_eq!(
            summary(&with_init(
                json!({"waiting": {"reason": "CrashLoopBackOff"}}),
                3
            )),
            s("0/1", "Init:CrashLoopBackOff", "3 (15m ago)")
        );
    }

    #[test]
    fn init_container_killed_by_a_signal() {
        let p = pod(
            json!({"initContainers": [{"name": "one"}], "containers": [{"name": "app"}]}),
            json!({"phase": "Pending", "initContainerStatuses": [
                {"name": "one", "ready": false, "restartCount": 0,
                 "state": {"terminated": {"exitCode": 137, "signal": 9}}}]}),
        );
        assert_eq!(summary(&p).1, "Init:Signal:9");
    }

    #[test]
    fn initialized_pod_drops_init_restarts_and_reports_app_containers() {
        let p = pod(
            json!({"initContainers": [{"name": "setup"}], "containers": [{"name": "app"}]}),
            json!({"phase": "Running",
                   "conditions": [{"type": "Initialized", "status": "True"}],
                   "initContainerStatuses": [
                       {"name": "setup", "ready": true, "restartCount": 2,
                        "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
                   "containerStatuses": [running("app")]}),
        );
        assert_eq!(summary(&p), s("1/1", "Running", "0"));
    }

    #[test]
    fn pod_initializing() {
        let p = pod(
            json!({"initContainers": [{"name": "setup"}], "containers": [{"name": "app"}]}),
            json!({"phase": "Pending",
                   "initContainerStatuses": [
                       {"name": "setup", "ready": true, "restartCount": 0,
                        "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
                   "containerStatuses": [{"name": "app", "ready": false, "restartCount": 0,
                                          "state": {"waiting": {"reason": "PodInitializing"}}}]}),
        );
        assert_eq!(summary(&p), s("0/1", "PodInitializing", "0"));
    }

    #[test]
    fn sidecars_count_toward_ready_and_restarts() {
        let p = pod(
            json!({"initContainers": [{"name": "proxy", "restartPolicy": "Always"},
                                      {"name": "migrate"}],
                   "containers": [{"name": "app"}]}),
            json!({"phase": "Running",
                   "conditions": [{"type": "Initialized", "status": "True"}],
                   "initContainerStatuses": [
                       {"name": "proxy", "ready": true, "started": true, "restartCount": 1,
                        "state": {"running": {}},
                        "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(40 * 60)}}},
                       {"name": "migrate", "ready": false, "restartCount": 5,
                        "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
                   "containerStatuses": [running("app")]}),
        );
        // 2/2: the sidecar and the app; 1 restart: the sidecar's only.
        assert_eq!(summary(&p), s("2/2", "Running", "1 (40m ago)"));
    }

    #[test]
    fn sidecar_not_yet_started_blocks_initialization() {
        let p = pod(
            json!({"initContainers": [{"name": "proxy", "restartPolicy": "Always"}],
                   "containers": [{"name": "app"}]}),
            json!({"phase": "Pending",
                   "initContainerStatuses": [
                       {"name": "proxy", "ready": false, "started": false, "restartCount": 0,
                        "state": {"running": {}}}]}),
        );
        assert_eq!(summary(&p), s("0/2", "Init:0/1", "0"));
    }

    #[test]
    fn deleted_pods_are_terminating_unless_finished_or_lost() {
        let mut p = pod(
            json!({"containers": [{"name": "a"}]}),
            json!({"phase": "Running", "containerStatuses": [running("a")]}),
        );
        p["metadata"]["deletionTimestamp"] = json!(ago(10));
        assert_eq!(summary(&p), s("1/1", "Terminating", "0"));

        p["status"]["phase"] = json!("Succeeded");
        p["status"]["containerStatuses"] = json!([{"name": "a", "ready": false, "restartCount": 0,
            "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]);
        assert_eq!(summary(&p).1, "Completed");

        p["status"]["phase"] = json!("Running");
        p["status"]["reason"] = json!("NodeLost");
        assert_eq!(summary(&p).1, "Unknown");
    }

    #[test]
    fn finished_pods_rows_are_marked_completed() {
        let printer = super::super::for_kind("", "Pod").unwrap();
        let with_phase = |phase: &str| pod(json!({"containers": []}), json!({"phase": phase}));
        assert_eq!(
            printer.row_conditions(&with_phase("Succeeded")),
            Some(
                json!([{"type": "Completed", "status": "True", "reason": "Succeeded",
                         "message": "The pod has completed successfully."}])
            )
        );
        assert_eq!(
            printer.row_conditions(&with_phase("Failed")).unwrap()[0]["message"],
            "The pod failed."
        );
        assert_eq!(printer.row_conditions(&with_phase("Running")), None);
    }

    #[test]
    fn pod_template() {
        let template = json!({
            "metadata": {"name": "tpl"},
            "template": {"metadata": {"labels": {"app": "web", "tier": "fe"}},
                         "spec": {"containers": [{"name": "web", "image": "nginx"},
                                                 {"name": "log", "image": "busybox"}]}},
        });
        assert_eq!(
            column_names("", "PodTemplate"),
            ["Name", "Containers", "Images", "Pod Labels"]
        );
        assert_eq!(
            cells("", "PodTemplate", &template),
            vec![
                json!("tpl"),
                json!("web,log"),
                json!("nginx,busybox"),
                json!("app=web,tier=fe")
            ]
        );
    }
}
