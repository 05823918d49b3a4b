//! Kinds the control plane keeps for itself: Leases and LeaseCandidates,
//! API priority and fairness (FlowSchemas, PriorityLevelConfigurations),
//! StorageVersions, StorageVersionMigrations and APIServices (printed by
//! kube-aggregator's own table convertor upstream).

use serde_json::{Value, json};

use super::descriptions as doc;
use super::format::{UNSET, items, list_with_more, opt_int, opt_text, text};
use super::{Column, Columns, age_cell, age_column, name_cell, name_column};
use crate::apiserver::object::ObjectExt;

pub(super) fn for_kind(group: &str, kind: &str) -> Option<Columns> {
    let printer = match (group, kind) {
        ("coordination.k8s.io", "Lease") => Columns::new(lease_columns, lease_cells),
        ("coordination.k8s.io", "LeaseCandidate") => {
            Columns::new(lease_candidate_columns, lease_candidate_cells)
        }
        ("flowcontrol.apiserver.k8s.io", "FlowSchema") => {
            Columns::new(flow_schema_columns, flow_schema_cells).ordered(order_flow_schemas)
        }
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration") => {
            Columns::new(priority_level_columns, priority_level_cells)
        }
        ("internal.apiserver.k8s.io", "StorageVersion") => {
            Columns::new(storage_version_columns, storage_version_cells)
        }
        ("storagemigration.k8s.io", "StorageVersionMigration") => {
            Columns::new(migration_columns, migration_cells)
        }
        ("apiregistration.k8s.io", "APIService") => {
            Columns::new(api_service_columns, api_service_cells)
        }
        _ => return None,
    };
    Some(printer)
}

fn lease_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("Holder", "string", doc::LEASE_SPEC_HOLDER_IDENTITY),
        age_column(),
    ]
}

fn lease_cells(lease: &Value) -> Vec<Value> {
    vec![
        name_cell(lease),
        json!(text(lease, "/spec/holderIdentity")),
        age_cell(lease),
    ]
}

fn lease_candidate_columns() -> Vec<Column> {
    // Upstream looks the version columns' descriptions up on ObjectMeta,
    // which has none: they are empty.
    vec![
        name_column(),
        Column::new("LeaseName", "string", doc::LEASE_CANDIDATE_SPEC_LEASE_NAME),
        Column::new("BinaryVersion", "string", ""),
        Column::new("EmulationVersion", "string", ""),
        age_column(),
    ]
}

fn lease_candidate_cells(candidate: &Value) -> Vec<Value> {
    vec![
        name_cell(candidate),
        json!(text(candidate, "/spec/leaseName")),
        json!(text(candidate, "/spec/binaryVersion")),
        json!(text(candidate, "/spec/emulationVersion")),
        age_cell(candidate),
    ]
}

fn flow_schema_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("PriorityLevel", "string", doc::FLOW_SCHEMA_PRIORITY_LEVEL),
        Column::new(
            "MatchingPrecedence",
            "string",
            doc::FLOW_SCHEMA_MATCHING_PRECEDENCE,
        ),
        Column::new(
            "DistinguisherMethod",
            "string",
            doc::FLOW_SCHEMA_DISTINGUISHER_METHOD,
        ),
        age_column(),
        Column::new(
            "MissingPL",
            "string",
            "references a broken or non-existent PriorityLevelConfiguration",
        ),
    ]
}

/// Defaulting gives a FlowSchema precedence 1000 when it has none.
fn matching_precedence(schema: &Value) -> i64 {
    opt_int(schema, "/spec/matchingPrecedence").unwrap_or(1000)
}

/// The order the API server matches FlowSchemas in: by precedence, then by
/// name.
fn order_flow_schemas(schemas: &mut Vec<&Value>) {
    schemas.sort_by(|a, b| {
        matching_precedence(a)
            .cmp(&matching_precedence(b))
            .then_with(|| a.name().cmp(&b.name()))
    });
}

fn flow_schema_cells(schema: &Value) -> Vec<Value> {
    let distinguisher = opt_text(schema, "/spec/distinguisherMethod/type").unwrap_or("<none>");
    // The `Dangling` condition says whether the priority level is missing.
    let missing = items(schema, "/status/conditions")
        .iter()
        .find(|c| text(c, "/type") == "Dangling")
        .map_or("?", |c| text(c, "/status"));
    vec![
        name_cell(schema),
        json!(text(schema, "/spec/priorityLevelConfiguration/name")),
        json!(matching_precedence(schema)),
        json!(distinguisher),
        age_cell(schema),
        json!(missing),
    ]
}

fn priority_level_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("Type", "string", doc::PRIORITY_LEVEL_TYPE),
        Column::new(
            "NominalConcurrencyShares",
            "string",
            doc::PRIORITY_LEVEL_NOMINAL_SHARES,
        ),
        Column::new("Queues", "string", doc::PRIORITY_LEVEL_QUEUES),
        Column::new("HandSize", "string", doc::PRIORITY_LEVEL_HAND_SIZE),
        Column::new(
            "QueueLengthLimit",
            "string",
            doc::PRIORITY_LEVEL_QUEUE_LENGTH_LIMIT,
        ),
        age_column(),
    ]
}

/// Limited levels show their shares and, when they queue, the queue shape;
/// missing numbers read as the defaults upstream fills in (30 shares,
/// 64 queues, hand size 8, 50 per queue).
fn priority_level_cells(level: &Value) -> Vec<Value> {
    let mut numbers = [
        json!("<none>"),
        json!("<none>"),
        json!("<none>"),
        json!("<none>"),
    ];
    if let Some(limited) = level.pointer("/spec/limited").filter(|l| l.is_object()) {
        numbers[0] = json!(opt_int(limited, "/nominalConcurrencyShares").unwrap_or(30));
        if let Some(queuing) = limited
            .pointer("/limitResponse/queuing")
            .filter(|q| q.is_object())
        {
            numbers[1] = json!(opt_int(queuing, "/queues").unwrap_or(64));
            numbers[2] = json!(opt_int(queuing, "/handSize").unwrap_or(8));
            numbers[3] = json!(opt_int(queuing, "/queueLengthLimit").unwrap_or(50));
        }
    }
    let [shares, queues, hand_size, queue_length] = numbers;
    vec![
        name_cell(level),
        json!(text(level, "/spec/type")),
        shares,
        queues,
        hand_size,
        queue_length,
        age_cell(level),
    ]
}

fn storage_version_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new(
            "CommonEncodingVersion",
            "string",
            doc::STORAGE_VERSION_COMMON_ENCODING,
        ),
        Column::new(
            "StorageVersions",
            "string",
            doc::STORAGE_VERSION_STORAGE_VERSIONS,
        ),
        age_column(),
    ]
}

fn storage_version_cells(version: &Value) -> Vec<Value> {
    let versions: Vec<String> = items(version, "/status/storageVersions")
        .iter()
        .map(|v| {
            format!(
                "{}={}",
                text(v, "/apiServerID"),
                text(v, "/encodingVersion")
            )
        })
        .collect();
    vec![
        name_cell(version),
        json!(opt_text(version, "/status/commonEncodingVersion").unwrap_or(UNSET)),
        json!(list_with_more(&versions, 3)),
        age_cell(version),
    ]
}

fn migration_columns() -> Vec<Column> {
    // Upstream's Name column here lacks the `name` format.
    vec![
        Column::new("Name", "string", crate::apiserver::table::NAME_DESCRIPTION),
        Column::new("Resource", "string", "Fully qualified resource to migrate"),
    ]
}

fn migration_cells(migration: &Value) -> Vec<Value> {
    vec![
        name_cell(migration),
        json!(format!(
            "{}.{}.{}",
            text(migration, "/spec/resource/resource"),
            text(migration, "/spec/resource/version"),
            text(migration, "/spec/resource/group")
        )),
    ]
}

fn api_service_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new(
            "Service",
            "string",
            "The reference to the service that hosts this API endpoint.",
        ),
        Column::new("Available", "string", "Whether this service is available."),
        age_column(),
    ]
}

/// `namespace/name` of the backing service (`Local` for APIs this server
/// serves), and the `Available` condition: `True`, or `False (Reason)`.
fn api_service_cells(service: &Value) -> Vec<Value> {
    let backend = match service.pointer("/spec/service").filter(|s| s.is_object()) {
        Some(s) => format!("{}/{}", text(s, "/namespace"), text(s, "/name")),
        None => "Local".into(),
    };
    let available = match items(service, "/status/conditions")
        .iter()
        .find(|c| text(c, "/type") == "Available")
    {
        None => "Unknown".into(),
        Some(c) => match (text(c, "/status"), text(c, "/reason")) {
            ("True", _) => "True".into(),
            (status, "") => status.to_owned(),
            (status, reason) => format!("{status} ({reason})"),
        },
    };
    vec![
        name_cell(service),
        json!(backend),
        json!(available),
        age_cell(service),
    ]
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{ago, cells, column_names};
    use crate::apiserver::table::{IncludeObject, printer_for, table};

    #[test]
    fn lease_and_candidate() {
        let lease = json!({"metadata": {"name": "kube-scheduler", "creationTimestamp": ago(3 * 3600)},
                           "spec": {"holderIdentity": "node-1_3c9e"}});
        assert_eq!(
            cells("coordination.k8s.io", "Lease", &lease),
            vec![json!("kube-scheduler"), json!("node-1_3c9e"), json!("3h")]
        );
        let unheld = json!({"metadata": {"name": "l"}, "spec": {}});
        assert_eq!(cells("coordination.k8s.io", "Lease", &unheld)[1], json!(""));
        let candidate = json!({"metadata": {"name": "c", "creationTimestamp": ago(3 * 3600)},
                               "spec": {"leaseName": "kube-scheduler", "binaryVersion": "1.33.1",
                                        "emulationVersion": "1.33"}});
        assert_eq!(
            cells("coordination.k8s.io", "LeaseCandidate", &candidate),
            vec![
                json!("c"),
                json!("kube-scheduler"),
                json!("1.33.1"),
                json!("1.33"),
                json!("3h")
            ]
        );
    }

    #[test]
    fn flow_schemas_are_listed_by_precedence() {
        assert_eq!(
            column_names("flowcontrol.apiserver.k8s.io", "FlowSchema"),
            [
                "Name",
                "PriorityLevel",
                "MatchingPrecedence",
                "DistinguisherMethod",
                "Age",
                "MissingPL"
            ]
        );
        let schema = |name: &str, precedence: i64| {
            json!({"metadata": {"name": name, "creationTimestamp": ago(3 * 3600)},
                   "spec": {"priorityLevelConfiguration": {"name": "workload-low"},
                            "matchingPrecedence": precedence,
                            "distinguisherMethod": {"type": "ByUser"}},
                   "status": {"conditions": [{"type": "Dangling", "status": "False"}]}})
        };
        let (a, b, c) = (
            schema("service-accounts", 9000),
            schema("exempt", 1),
            schema("catch-all", 9000),
        );
        assert_eq!(
            cells("flowcontrol.apiserver.k8s.io", "FlowSchema", &a),
            vec![
                json!("service-accounts"),
                json!("workload-low"),
                json!(9000),
                json!("ByUser"),
                json!("3h"),
                json!("False")
            ]
        );
        let printer = printer_for("flowcontrol.apiserver.k8s.io", "FlowSchema");
        let t = table(
            &*printer,
            &[&a, &b, &c],
            json!({}),
            IncludeObject::None,
            "v1",
        );
        let names: Vec<&str> = t["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["cells"][0].as_str().unwrap())
            .collect();
        assert_eq!(names, ["exempt", "catch-all", "service-accounts"]);

        let bare = json!({"metadata": {"name": "x"}, "spec": {"matchingPrecedence": 500}});
        assert_eq!(
            cells("flowcontrol.apiserver.k8s.io", "FlowSchema", &bare)[3..],
            [json!("<none>"), json!("<unknown>"), json!("?")]
        );
    }

    #[test]
    fn priority_levels() {
        let limited = json!({
            "metadata": {"name": "workload-low", "creationTimestamp": ago(3 * 3600)},
            "spec": {"type": "Limited", "limited": {"nominalConcurrencyShares": 100,
                     "limitResponse": {"type": "Queue", "queuing": {"queues": 128, "handSize": 6,
                                                                    "queueLengthLimit": 50}}}},
        });
        assert_eq!(
            cells(
                "flowcontrol.apiserver.k8s.io",
                "PriorityLevelConfiguration",
                &limited
            ),
            vec![
                json!("workload-low"),
                json!("Limited"),
                json!(100),
                json!(128),
                json!(6),
                json!(50),
                json!("3h")
            ]
        );
        let exempt =
            json!({"metadata": {"name": "exempt"}, "spec": {"type": "Exempt", "exempt": {}}});
        assert_eq!(
            cells(
                "flowcontrol.apiserver.k8s.io",
                "PriorityLevelConfiguration",
                &exempt
            )[1..6],
            [
                json!("Exempt"),
                json!("<none>"),
                json!("<none>"),
                json!("<none>"),
                json!("<none>")
            ]
        );
        let rejecting = json!({"metadata": {"name": "r"}, "spec": {"type": "Limited",
            "limited": {"nominalConcurrencyShares": 5, "limitResponse": {"type": "Reject"}}}});
        assert_eq!(
            cells(
                "flowcontrol.apiserver.k8s.io",
                "PriorityLevelConfiguration",
                &rejecting
            )[2..6],
            [json!(5), json!("<none>"), json!("<none>"), json!("<none>")]
        );
    }

    #[test]
    fn storage_versions_and_migrations() {
        let version = json!({"metadata": {"name": "apps.deployments", "creationTimestamp": ago(3 * 3600)},
            "status": {"commonEncodingVersion": "apps/v1", "storageVersions": [
                {"apiServerID": "a", "encodingVersion": "apps/v1"},
                {"apiServerID": "b", "encodingVersion": "apps/v1"}]}});
        assert_eq!(
            cells("internal.apiserver.k8s.io", "StorageVersion", &version),
            vec![
                json!("apps.deployments"),
                json!("apps/v1"),
                json!("a=apps/v1,b=apps/v1"),
                json!("3h")
            ]
        );
        let migration = json!({"metadata": {"name": "m"},
            "spec": {"resource": {"group": "apps", "version": "v1", "resource": "deployments"}}});
        assert_eq!(
            cells(
                "storagemigration.k8s.io",
                "StorageVersionMigration",
                &migration
            ),
            vec![json!("m"), json!("deployments.v1.apps")]
        );
    }

    #[test]
    fn api_services() {
        assert_eq!(
            column_names("apiregistration.k8s.io", "APIService"),
            ["Name", "Service", "Available", "Age"]
        );
        let local = json!({"metadata": {"name": "v1.apps", "creationTimestamp": ago(3 * 3600)},
                           "spec": {"group": "apps", "version": "v1"},
                           "status": {"conditions": [{"type": "Available", "status": "True",
                                                      "reason": "Local"}]}});
        assert_eq!(
            cells("apiregistration.k8s.io", "APIService", &local),
            vec![json!("v1.apps"), json!("Local"), json!("True"), json!("3h")]
        );
        let remote = json!({"metadata": {"name": "v1beta1.metrics.k8s.io"},
                            "spec": {"service": {"namespace": "kube-system", "name": "metrics-server"}},
                            "status": {"conditions": [{"type": "Available", "status": "False",
                                                       "reason": "MissingEndpoints"}]}});
        assert_eq!(
            cells("apiregistration.k8s.io", "APIService", &remote)[1..3],
            [
                json!("kube-system/metrics-server"),
                json!("False (MissingEndpoints)")
            ]
        );
        let unknown = json!({"metadata": {"name": "x"}, "spec": {}});
        assert_eq!(
            cells("apiregistration.k8s.io", "APIService", &unknown)[2],
            json!("Unknown")
        );
    }
}
