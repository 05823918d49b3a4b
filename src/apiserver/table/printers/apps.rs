//! `apps` kinds: Deployments, ReplicaSets, StatefulSets, DaemonSets and
//! ControllerRevisions.

use serde_json::{Value, json};

use super::descriptions as doc;
use super::format::{
    NONE, api_group, container_cells, format_label_selector, format_labels, int, items,
    label_selector, map, opt_int, text,
};
use super::{Column, Columns, age_cell, age_column, container_columns, name_cell, name_column};

pub(super) fn for_kind(group: &str, kind: &str) -> Option<Columns> {
    let printer = match (group, kind) {
        ("apps", "Deployment") => Columns::new(deployment_columns, deployment_cells),
        ("apps", "ReplicaSet") => Columns::new(replica_set_columns, replica_set_cells),
        ("apps", "StatefulSet") => Columns::new(stateful_set_columns, stateful_set_cells),
        ("apps", "DaemonSet") => Columns::new(daemon_set_columns, daemon_set_cells),
        ("apps", "ControllerRevision") => Columns::new(revision_columns, revision_cells),
        _ => return None,
    };
    Some(printer)
}

/// `spec.replicas`; defaulting makes a missing one 1.
fn desired_replicas(object: &Value) -> i64 {
    opt_int(object, "/spec/replicas").unwrap_or(1)
}

fn template_containers(object: &Value) -> (String, String) {
    container_cells(items(object, "/spec/template/spec/containers"))
}

fn deployment_columns() -> Vec<Column> {
    let [containers, images] = container_columns();
    vec![
        name_column(),
        Column::new("Ready", "string", "Number of the pod with ready state"),
        Column::new("Up-to-date", "string", doc::DEPLOYMENT_STATUS_UPDATED),
        Column::new("Available", "string", doc::DEPLOYMENT_STATUS_AVAILABLE),
        age_column(),
        containers,
        images,
        Column::new("Selector", "string", doc::DEPLOYMENT_SPEC_SELECTOR).wide(),
    ]
}

fn deployment_cells(deployment: &Value) -> Vec<Value> {
    let (names, images) = template_containers(deployment);
    // Unlike other kinds, an empty selector prints as nothing here.
    let selector =
        label_selector(deployment.pointer("/spec/selector")).unwrap_or_else(|| "<invalid>".into());
    vec![
        name_cell(deployment),
        json!(format!(
            "{}/{}",
            int(deployment, "/status/readyReplicas"),
            desired_replicas(deployment)
        )),
        json!(int(deployment, "/status/updatedReplicas")),
        json!(int(deployment, "/status/availableReplicas")),
        age_cell(deployment),
        json!(names),
        json!(images),
        json!(selector),
    ]
}

fn replica_set_columns() -> Vec<Column> {
    let [containers, images] = container_columns();
    vec![
        name_column(),
        Column::new("Desired", "integer", doc::RS_SPEC_REPLICAS),
        Column::new("Current", "integer", doc::RS_STATUS_REPLICAS),
        Column::new("Ready", "integer", doc::RS_STATUS_READY_REPLICAS),
        age_column(),
        containers,
        images,
        Column::new("Selector", "string", doc::RS_SPEC_SELECTOR).wide(),
    ]
}

fn replica_set_cells(set: &Value) -> Vec<Value> {
    let (names, images) = template_containers(set);
    vec![
        name_cell(set),
        json!(desired_replicas(set)),
        json!(int(set, "/status/replicas")),
        json!(int(set, "/status/readyReplicas")),
        age_cell(set),
        json!(names),
        json!(images),
        json!(format_label_selector(set.pointer("/spec/selector"))),
    ]
}

fn stateful_set_columns() -> Vec<Column> {
    let [containers, images] = container_columns();
    vec![
        name_column(),
        Column::new("Ready", "string", "Number of the pod with ready state"),
        age_column(),
        containers,
        images,
    ]
}

fn stateful_set_cells(set: &Value) -> Vec<Value> {
    let (names, images) = template_containers(set);
    vec![
        name_cell(set),
        json!(format!(
            "{}/{}",
            int(set, "/status/readyReplicas"),
            desired_replicas(set)
        )),
        age_cell(set),
        json!(names),
        json!(images),
    ]
}

fn daemon_set_columns() -> Vec<Column> {
    let [containers, images] = container_columns();
    vec![
        name_column(),
        Column::new("Desired", "integer", doc::DS_STATUS_DESIRED),
        Column::new("Current", "integer", doc::DS_STATUS_CURRENT),
        Column::new("Ready", "integer", doc::DS_STATUS_READY),
        Column::new("Up-to-date", "integer", doc::DS_STATUS_UPDATED),
        Column::new("Available", "integer", doc::DS_STATUS_AVAILABLE),
        Column::new("Node Selector", "string", doc::POD_SPEC_NODE_SELECTOR),
        age_column(),
        containers,
        images,
        Column::new("Selector", "string", doc::DS_SPEC_SELECTOR).wide(),
    ]
}

fn daemon_set_cells(set: &Value) -> Vec<Value> {
    let (names, images) = template_containers(set);
    vec![
        name_cell(set),
        json!(int(set, "/status/desiredNumberScheduled")),
        json!(int(set, "/status/currentNumberScheduled")),
        json!(int(set, "/status/numberReady")),
        json!(int(set, "/status/updatedNumberScheduled")),
        json!(int(set, "/status/numberAvailable")),
        json!(format_labels(map(set, "/spec/template/spec/nodeSelector"))),
        age_cell(set),
        json!(names),
        json!(images),
        json!(format_label_selector(set.pointer("/spec/selector"))),
    ]
}

fn revision_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("Controller", "string", "Controller of the object"),
        Column::new("Revision", "string", doc::CONTROLLER_REVISION_REVISION),
        age_column(),
    ]
}

/// The owner marked `controller: true`, as `kind.group/name` in lower case
/// (`statefulset.apps/web`).
fn controller_name(object: &Value) -> String {
    let Some(owner) = items(object, "/metadata/ownerReferences")
        .iter()
        .find(|o| o["controller"] == Value::Bool(true))
    else {
        return NONE.into();
    };
    let kind = text(owner, "/kind");
    let group = api_group(text(owner, "/apiVersion"));
    let name = text(owner, "/name");
    let group_kind = match (kind, group) {
        ("", "") => return name.into(),
        (kind, "") => kind.to_owned(),
        (kind, group) => format!("{kind}.{group}"),
    };
    format!("{}/{name}", group_kind.to_lowercase())
}

fn revision_cells(revision: &Value) -> Vec<Value> {
    vec![
        name_cell(revision),
        json!(controller_name(revision)),
        json!(int(revision, "/revision")),
        age_cell(revision),
    ]
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{ago, cells, column_names};

    fn template() -> serde_json::Value {
        json!({"spec": {"containers": [{"name": "web", "image": "nginx:1.27"},
                                       {"name": "sidecar", "image": "envoy:v1"}]}})
    }

    #[test]
    fn deployment() {
        assert_eq!(
            column_names("apps", "Deployment"),
            [
                "Name",
                "Ready",
                "Up-to-date",
                "Available",
                "Age",
                "Containers (wide)",
                "Images (wide)",
                "Selector (wide)"
            ]
        );
        let d = json!({
            "metadata": {"name": "web", "creationTimestamp": ago(45 * 60)},
            "spec": {"replicas": 3, "template": template(),
                     "selector": {"matchLabels": {"app": "web"},
                                  "matchExpressions": [{"key": "tier", "operator": "In",
                                                        "values": ["fe", "be"]}]}},
            "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
        });
        assert_eq!(
            cells("apps", "Deployment", &d),
            vec![
                json!("web"),
                json!("2/3"),
                json!(3),
                json!(2),
                json!("45m"),
                json!("web,sidecar"),
                json!("nginx:1.27,envoy:v1"),
                json!("app=web,tier in (be,fe)"),
            ]
        );
    }

    #[test]
    fn new_deployment_defaults_to_one_replica_and_empty_selector() {
        let d = json!({"metadata": {"name": "web"}, "spec": {"selector": {}}});
        let c = cells("apps", "Deployment", &d);
        assert_eq!(c[1..4], [json!("0/1"), json!(0), json!(0)]);
        assert_eq!(c[7], json!(""));
    }

    #[test]
    fn replica_set() {
        let rs = json!({
            "metadata": {"name": "web-5d8f", "creationTimestamp": ago(45 * 60)},
            "spec": {"replicas": 0, "template": template(),
                     "selector": {"matchLabels": {"app": "web", "pod-template-hash": "5d8f"}}},
            "status": {"replicas": 0},
        });
        assert_eq!(
            cells("apps", "ReplicaSet", &rs),
            vec![
                json!("web-5d8f"),
                json!(0),
                json!(0),
                json!(0),
                json!("45m"),
                json!("web,sidecar"),
                json!("nginx:1.27,envoy:v1"),
                json!("app=web,pod-template-hash=5d8f"),
            ]
        );
        assert_eq!(
            column_names("apps", "ReplicaSet")[1..4],
            ["Desired", "Current", "Ready"]
        );
    }

    #[test]
    fn stateful_set() {
        assert_eq!(
            column_names("apps", "StatefulSet"),
            ["Name", "Ready", "Age", "Containers (wide)", "Images (wide)"]
        );
        let sts = json!({
            "metadata": {"name": "db", "creationTimestamp": ago(45 * 60)},
            "spec": {"replicas": 3, "template": template()},
            "status": {"replicas": 3, "readyReplicas": 1},
        });
        assert_eq!(
            cells("apps", "StatefulSet", &sts),
            vec![
                json!("db"),
                json!("1/3"),
                json!("45m"),
                json!("web,sidecar"),
                json!("nginx:1.27,envoy:v1")
            ]
        );
    }

    #[test]
    fn daemon_set() {
        assert_eq!(
            column_names("apps", "DaemonSet"),
            [
                "Name",
                "Desired",
                "Current",
                "Ready",
                "Up-to-date",
                "Available",
                "Node Selector",
                "Age",
                "Containers (wide)",
                "Images (wide)",
                "Selector (wide)"
            ]
        );
        let ds = json!({
            "metadata": {"name": "kube-proxy", "creationTimestamp": ago(45 * 60)},
            "spec": {"selector": {"matchLabels": {"k8s-app": "kube-proxy"}},
                     "template": {"spec": {"nodeSelector": {"kubernetes.io/os": "linux"},
                                           "containers": [{"name": "kube-proxy",
                                                           "image": "registry.k8s.io/kube-proxy:v1.33.1"}]}}},
            "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2,
                       "updatedNumberScheduled": 3, "numberAvailable": 2},
        });
        assert_eq!(
            cells("apps", "DaemonSet", &ds),
            vec![
                json!("kube-proxy"),
                json!(3),
                json!(3),
                json!(2),
                json!(3),
                json!(2),
                json!("kubernetes.io/os=linux"),
                json!("45m"),
                json!("kube-proxy"),
                json!("registry.k8s.io/kube-proxy:v1.33.1"),
                json!("k8s-app=kube-proxy"),
            ]
        );
        let bare = json!({"metadata": {"name": "x"}});
        assert_eq!(cells("apps", "DaemonSet", &bare)[6], json!("<none>"));
        assert_eq!(cells("apps", "DaemonSet", &bare)[10], json!("<none>"));
    }

    #[test]
    fn controller_revision() {
        let revision = json!({
            "metadata": {"name": "db-7c9", "creationTimestamp": ago(45 * 60),
                         "ownerReferences": [
                             {"apiVersion": "v1", "kind": "Pod", "name": "other"},
                             {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db",
                              "controller": true}]},
            "revision": 2,
        });
        assert_eq!(
            cells("apps", "ControllerRevision", &revision),
            vec![
                json!("db-7c9"),
                json!("statefulset.apps/db"),
                json!(2),
                json!("45m")
            ]
        );
        let orphan = json!({"metadata": {"name": "r"}, "revision": 1});
        assert_eq!(
            cells("apps", "ControllerRevision", &orphan)[1],
            json!("<none>")
        );
    }
}
