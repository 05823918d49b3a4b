//! Core (`v1`) kinds other than pods: Services, Nodes, Namespaces, config
//! and secrets, Endpoints, Events (and `events.k8s.io` Events, which
//! upstream prints through the same printer), volumes and claims, component
//! statuses, quotas and replication controllers.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::descriptions as doc;
use super::format::{
    NONE, UNKNOWN, UNSET, container_cells, format_labels, int, items, len, map, opt_int, opt_text,
    or_none, text,
};
use super::quantity::canonical;
use super::{Column, Columns, age_cell, age_column, container_columns, name_cell, name_column};
use crate::apiserver::object::ObjectExt;
use crate::apiserver::table::age;

pub(super) fn for_kind(group: &str, kind: &str) -> Option<Columns> {
    let printer = match (group, kind) {
        ("", "Service") => Columns::new(service_columns, service_cells),
        ("", "Node") => Columns::new(node_columns, node_cells),
        ("", "Namespace") => Columns::new(namespace_columns, namespace_cells),
        ("", "ConfigMap") => Columns::new(config_map_columns, config_map_cells),
        ("", "Secret") => Columns::new(secret_columns, secret_cells),
        ("", "ServiceAccount") => Columns::new(service_account_columns, service_account_cells),
        ("", "Endpoints") => Columns::new(endpoints_columns, endpoints_cells),
        ("", "Event") => Columns::new(event_columns, |e| event_cells(e, &CORE_EVENT)),
        ("events.k8s.io", "Event") => {
            Columns::new(event_columns, |e| event_cells(e, &EVENTS_EVENT))
        }
        ("", "PersistentVolume") => Columns::new(volume_columns, volume_cells),
        ("", "PersistentVolumeClaim") => Columns::new(claim_columns, claim_cells),
        ("", "ComponentStatus") => Columns::new(component_status_columns, component_status_cells),
        ("", "ResourceQuota") => Columns::new(quota_columns, quota_cells),
        ("", "ReplicationController") => {
            Columns::new(replication_controller_columns, replication_controller_cells)
        }
        _ => return None,
    };
    Some(printer)
}

fn service_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("Type", "string", doc::SERVICE_SPEC_TYPE),
        Column::new("Cluster-IP", "string", doc::SERVICE_SPEC_CLUSTER_IP),
        Column::new("External-IP", "string", doc::SERVICE_SPEC_EXTERNAL_IPS),
        Column::new("Port(s)", "string", doc::SERVICE_SPEC_PORTS),
        age_column(),
        Column::new("Selector", "string", doc::SERVICE_SPEC_SELECTOR).wide(),
    ]
}

/// A Service's type; defaulting makes a missing one `ClusterIP`.
fn service_type(service: &Value) -> &str {
    match text(service, "/spec/type") {
        "" => "ClusterIP",
        kind => kind,
    }
}

fn service_cells(service: &Value) -> Vec<Value> {
    // `clusterIPs[0]`, or `clusterIP` for objects written before dual-stack.
    let cluster_ip = items(service, "/spec/clusterIPs")
        .first()
        .and_then(Value::as_str)
        .or_else(|| opt_text(service, "/spec/clusterIP"))
        .filter(|ip| !ip.is_empty())
        .unwrap_or(NONE);
    let ports = items(service, "/spec/ports")
        .iter()
        .map(|port| {
            let number = int(port, "/port");
            let protocol = match text(port, "/protocol") {
                "" => "TCP",
                protocol => protocol,
            };
            match int(port, "/nodePort") {
                node_port if node_port > 0 => format!("{number}:{node_port}/{protocol}"),
                _ => format!("{number}/{protocol}"),
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    vec![
        name_cell(service),
        json!(service_type(service)),
        json!(cluster_ip),
        json!(external_ip(service)),
        json!(or_none(&ports)),
        age_cell(service),
        json!(format_labels(map(service, "/spec/selector"))),
    ]
}

/// Load balancer addresses (IP, else hostname), sorted and deduplicated, as
/// upstream's `loadBalancerStatusStringer` with `wide` (the server always
/// prints wide, so nothing is clipped).
pub(super) fn load_balancer_addresses(status: &Value) -> String {
    let addresses: BTreeSet<&str> = items(status, "/ingress")
        .iter()
        .filter_map(|ingress| {
            [text(ingress, "/ip"), text(ingress, "/hostname")]
                .into_iter()
                .find(|a| !a.is_empty())
        })
        .collect();
    addresses.into_iter().collect::<Vec<_>>().join(",")
}

fn external_ip(service: &Value) -> String {
    let external_ips: Vec<&str> = items(service, "/spec/externalIPs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match service_type(service) {
        "ClusterIP" | "NodePort" if external_ips.is_empty() => NONE.into(),
        "ClusterIP" | "NodePort" => external_ips.join(","),
        "LoadBalancer" => {
            let balancer = load_balancer_addresses(
                service
                    .pointer("/status/loadBalancer")
                    .unwrap_or(&Value::Null),
            );
            if !external_ips.is_empty() {
                let mut all: Vec<&str> = balancer.split(',').filter(|a| !a.is_empty()).collect();
                all.extend(external_ips);
                all.join(",")
            } else if !balancer.is_empty() {
                balancer
            } else {
                "<pending>".into()
            }
        }
        "ExternalName" => text(service, "/spec/externalName").into(),
        _ => UNKNOWN.into(),
    }
}

fn node_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("Status", "string", "The status of the node"),
        Column::new("Roles", "string", "The roles of the node"),
        age_column(),
        Column::new("Version", "string", doc::NODE_INFO_KUBELET_VERSION),
        Column::new("Internal-IP", "string", doc::NODE_STATUS_ADDRESSES).wide(),
        Column::new("External-IP", "string", doc::NODE_STATUS_ADDRESSES).wide(),
        Column::new("OS-Image", "string", doc::NODE_INFO_OS_IMAGE).wide(),
        Column::new("Kernel-Version", "string", doc::NODE_INFO_KERNEL_VERSION).wide(),
        Column::new(
            "Container-Runtime",
            "string",
            doc::NODE_INFO_CONTAINER_RUNTIME,
        )
        .wide(),
    ]
}

/// Labels naming a node's roles: `node-role.kubernetes.io/<role>` (any
/// value) and the older `kubernetes.io/role=<role>`.
const NODE_ROLE_PREFIX: &str = "node-role.kubernetes.io/";
const NODE_ROLE_LABEL: &str = "kubernetes.io/role";

fn node_cells(node: &Value) -> Vec<Value> {
    // Only the Ready condition shows; the last one of that type wins.
    let ready = items(node, "/status/conditions")
        .iter()
        .rev()
        .find(|c| text(c, "/type") == "Ready");
    let mut status = vec![match ready {
        Some(c) if text(c, "/status") == "True" => "Ready",
        Some(_) => "NotReady",
        None => "Unknown",
    }];
    if node.pointer("/spec/unschedulable") == Some(&Value::Bool(true)) {
        status.push("SchedulingDisabled");
    }
    let roles: BTreeSet<String> = node
        .labels()
        .into_iter()
        .filter_map(|(key, value)| {
            if let Some(role) = key.strip_prefix(NODE_ROLE_PREFIX) {
                (!role.is_empty()).then(|| role.to_owned())
            } else {
                (key == NODE_ROLE_LABEL && !value.is_empty()).then_some(value)
            }
        })
        .collect();
    let roles = roles.into_iter().collect::<Vec<_>>().join(",");
    let address = |kind: &str| -> String {
        items(node, "/status/addresses")
            .iter()
            .find(|a| text(a, "/type") == kind)
            .map_or_else(|| NONE.into(), |a| text(a, "/address").into())
    };
    let info = |field: &str| -> String {
        match text(node, &format!("/status/nodeInfo/{field}")) {
            "" => UNKNOWN.into(),
            value => value.into(),
        }
    };
    vec![
        name_cell(node),
        json!(status.join(",")),
        json!(or_none(&roles)),
        age_cell(node),
        json!(text(node, "/status/nodeInfo/kubeletVersion")),
        json!(address("InternalIP")),
        json!(address("ExternalIP")),
        json!(info("osImage")),
        json!(info("kernelVersion")),
        json!(info("containerRuntimeVersion")),
    ]
}

fn namespace_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("Status", "string", "The status of the namespace"),
        age_column(),
    ]
}

fn namespace_cells(namespace: &Value) -> Vec<Value> {
    vec![
        name_cell(namespace),
        json!(text(namespace, "/status/phase")),
        age_cell(namespace),
    ]
}

fn config_map_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("Data", "string", doc::CONFIG_MAP_DATA),
        age_column(),
    ]
}

fn config_map_cells(config_map: &Value) -> Vec<Value> {
    vec![
        name_cell(config_map),
        json!(len(config_map, "/data") + len(config_map, "/binaryData")),
        age_cell(config_map),
    ]
}

fn secret_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("Type", "string", doc::SECRET_TYPE),
        Column::new("Data", "string", doc::SECRET_DATA),
        age_column(),
    ]
}

fn secret_cells(secret: &Value) -> Vec<Value> {
    // Defaulting makes a missing type `Opaque`.
    let kind = match text(secret, "/type") {
        "" => "Opaque",
        kind => kind,
    };
    vec![
        name_cell(secret),
        json!(kind),
        json!(len(secret, "/data")),
        age_cell(secret),
    ]
}

fn service_account_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("Secrets", "string", doc::SERVICE_ACCOUNT_SECRETS),
        age_column(),
    ]
}

fn service_account_cells(account: &Value) -> Vec<Value> {
    vec![
        name_cell(account),
        json!(len(account, "/secrets")),
        age_cell(account),
    ]
}

fn endpoints_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("Endpoints", "string", doc::ENDPOINTS_SUBSETS),
        age_column(),
    ]
}

/// `host:port` with IPv6 hosts bracketed, as Go's `net.JoinHostPort`.
fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Upstream's `formatEndpoints`: up to three `ip:port` (or bare IPs for
/// subsets without ports), then `+ N more...`.
fn format_endpoints(endpoints: &Value) -> String {
    const SHOWN: usize = 3;
    let subsets = items(endpoints, "/subsets");
    if subsets.is_empty() {
        return NONE.into();
    }
    let mut list = Vec::new();
    let mut more = false;
    let mut count = 0;
    for subset in subsets {
        let addresses = items(subset, "/addresses");
        let ports = items(subset, "/ports");
        if ports.is_empty() {
            count += addresses.len();
            for address in addresses {
                if list.len() == SHOWN {
                    more = true;
                    break;
                }
                list.push(text(address, "/ip").to_owned());
            }
            continue;
        }
        for port in ports {
            count += addresses.len();
            for address in addresses {
                if list.len() == SHOWN {
                    more = true;
                    break;
                }
                list.push(join_host_port(text(address, "/ip"), int(port, "/port")));
            }
        }
    }
    let joined = list.join(",");
    if more {
        format!("{joined} + {} more...", count - SHOWN)
    } else {
        joined
    }
}

fn endpoints_cells(endpoints: &Value) -> Vec<Value> {
    vec![
        name_cell(endpoints),
        json!(format_endpoints(endpoints)),
        age_cell(endpoints),
    ]
}

fn event_columns() -> Vec<Column> {
    vec![
        Column::new("Last Seen", "string", doc::EVENT_LAST_TIMESTAMP),
        Column::new("Type", "string", doc::EVENT_TYPE),
        Column::new("Reason", "string", doc::EVENT_REASON),
        Column::new("Object", "string", doc::EVENT_INVOLVED_OBJECT),
        Column::new("Subobject", "string", doc::OBJECT_REFERENCE_FIELD_PATH).wide(),
        Column::new("Source", "string", doc::EVENT_SOURCE).wide(),
        Column::new("Message", "string", doc::EVENT_MESSAGE),
        Column::new("First Seen", "string", doc::EVENT_FIRST_TIMESTAMP).wide(),
        Column::new("Count", "string", doc::EVENT_COUNT).wide(),
        Column::new("Name", "string", crate::apiserver::table::NAME_DESCRIPTION)
            .wide()
            .name_format(),
    ]
}

/// Where an Event keeps each field upstream's printer reads: `v1` and
/// `events.k8s.io/v1` name them differently but share one internal type.
struct EventFields {
    first_timestamp: &'static str,
    last_timestamp: &'static str,
    count: &'static str,
    involved_object: &'static str,
    source: &'static str,
    reporting_controller: &'static str,
    message: &'static str,
}

const CORE_EVENT: EventFields = EventFields {
    first_timestamp: "/firstTimestamp",
    last_timestamp: "/lastTimestamp",
    count: "/count",
    involved_object: "/involvedObject",
    source: "/source",
    reporting_controller: "/reportingComponent",
    message: "/message",
};

const EVENTS_EVENT: EventFields = EventFields {
    first_timestamp: "/deprecatedFirstTimestamp",
    last_timestamp: "/deprecatedLastTimestamp",
    count: "/deprecatedCount",
    involved_object: "/regarding",
    source: "/deprecatedSource",
    reporting_controller: "/reportingController",
    message: "/note",
};

fn event_cells(event: &Value, fields: &EventFields) -> Vec<Value> {
    let since = |pointer: &str| opt_text(event, pointer).filter(|t| !t.is_empty()).map(age);
    let first_seen = since(fields.first_timestamp)
        .or_else(|| since("/eventTime"))
        .unwrap_or_else(|| UNKNOWN.into());
    let mut last_seen = since(fields.last_timestamp).unwrap_or_else(|| first_seen.clone());
    let mut count = int(event, fields.count);
    if let Some(series) = event.pointer("/series").filter(|s| s.is_object()) {
        last_seen = opt_text(series, "/lastObservedTime")
            .filter(|t| !t.is_empty())
            .map_or_else(|| UNKNOWN.into(), age);
        count = int(series, "/count");
    } else if count == 0 {
        // Singleton events of the new API carry no count.
        count = 1;
    }
    let involved = event
        .pointer(fields.involved_object)
        .unwrap_or(&Value::Null);
    let kind = text(involved, "/kind").to_lowercase();
    let object = match text(involved, "/name") {
        "" => kind,
        name => format!("{kind}/{name}"),
    };
    let first_non_empty = |a: &str, b: &str| {
        if a.is_empty() {
            b.to_owned()
        } else {
            a.to_owned()
        }
    };
    let component = first_non_empty(
        text(event, &format!("{}/component", fields.source)),
        text(event, fields.reporting_controller),
    );
    let host = first_non_empty(
        text(event, &format!("{}/host", fields.source)),
        text(event, "/reportingInstance"),
    );
    let source = if host.is_empty() {
        component
    } else {
        format!("{component}, {host}")
    };
    vec![
        json!(last_seen),
        json!(text(event, "/type")),
        json!(text(event, "/reason")),
        json!(object),
        json!(text(involved, "/fieldPath")),
        json!(source),
        json!(text(event, fields.message).trim()),
        json!(first_seen),
        json!(count),
        name_cell(event),
    ]
}

/// Upstream's `GetAccessModesAsString`: `RWO,ROX,RWX,RWOP` in that order,
/// each once.
fn access_modes(modes: &[Value]) -> String {
    let has = |mode: &str| modes.iter().any(|m| m.as_str() == Some(mode));
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .into_iter()
    .filter(|(mode, _)| has(mode))
    .map(|(_, short)| short)
    .collect::<Vec<_>>()
    .join(",")
}

/// The beta annotation that names a volume's or claim's class; it wins over
/// `spec.storageClassName`.
const STORAGE_CLASS_ANNOTATION: &str = "volume.beta.kubernetes.io/storage-class";

fn storage_class(object: &Value) -> String {
    let annotations = object.meta_map("annotations");
    match annotations.get(STORAGE_CLASS_ANNOTATION) {
        Some(class) => class.clone(),
        None => text(object, "/spec/storageClassName").into(),
    }
}

/// A quantity as `Quantity.String()` prints it; a missing one is zero.
fn quantity_at(object: &Value, pointer: &str) -> String {
    opt_text(object, pointer).map_or_else(|| "0".into(), canonical)
}

fn volume_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("Capacity", "string", doc::PV_SPEC_CAPACITY),
        Column::new("Access Modes", "string", doc::PV_SPEC_ACCESS_MODES),
        Column::new("Reclaim Policy", "string", doc::PV_SPEC_RECLAIM_POLICY),
        Column::new("Status", "string", doc::PV_STATUS_PHASE),
        Column::new("Claim", "string", doc::PV_SPEC_CLAIM_REF),
        Column::new("StorageClass", "string", "StorageClass of the pv"),
        Column::new(
            "VolumeAttributesClass",
            "string",
            "VolumeAttributesClass of the pv",
        ),
        Column::new("Reason", "string", doc::PV_STATUS_REASON),
        age_column(),
        Column::new("VolumeMode", "string", doc::PV_SPEC_VOLUME_MODE).wide(),
    ]
}

fn volume_cells(volume: &Value) -> Vec<Value> {
    let claim = match volume.pointer("/spec/claimRef").filter(|c| c.is_object()) {
        Some(claim) => format!("{}/{}", text(claim, "/namespace"), text(claim, "/name")),
        None => String::new(),
    };
    let phase = if volume.deletion_timestamp().is_some() {
        "Terminating"
    } else {
        text(volume, "/status/phase")
    };
    vec![
        name_cell(volume),
        json!(quantity_at(volume, "/spec/capacity/storage")),
        json!(access_modes(items(volume, "/spec/accessModes"))),
        json!(text(volume, "/spec/persistentVolumeReclaimPolicy")),
        json!(phase),
        json!(claim),
        json!(storage_class(volume)),
        json!(opt_text(volume, "/spec/volumeAttributesClassName").unwrap_or(UNSET)),
        json!(text(volume, "/status/reason")),
        age_cell(volume),
        json!(opt_text(volume, "/spec/volumeMode").unwrap_or(UNSET)),
    ]
}

fn claim_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("Status", "string", doc::PVC_STATUS_PHASE),
        Column::new("Volume", "string", doc::PVC_SPEC_VOLUME_NAME),
        Column::new("Capacity", "string", doc::PVC_STATUS_CAPACITY),
        Column::new("Access Modes", "string", doc::PVC_STATUS_ACCESS_MODES),
        Column::new("StorageClass", "string", "StorageClass of the pvc"),
        Column::new(
            "VolumeAttributesClass",
            "string",
            "VolumeAttributesClass of the pvc",
        ),
        age_column(),
        Column::new("VolumeMode", "string", doc::PVC_SPEC_VOLUME_MODE).wide(),
    ]
}

fn claim_cells(claim: &Value) -> Vec<Value> {
    let phase = if claim.deletion_timestamp().is_some() {
        "Terminating"
    } else {
        text(claim, "/status/phase")
    };
    let volume = text(claim, "/spec/volumeName");
    // Capacity and modes show only once the claim is bound to a volume.
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (
            quantity_at(claim, "/status/capacity/storage"),
            access_modes(items(claim, "/status/accessModes")),
        )
    };
    vec![
        name_cell(claim),
        json!(phase),
        json!(volume),
        json!(capacity),
        json!(modes),
        json!(storage_class(claim)),
        json!(opt_text(claim, "/spec/volumeAttributesClassName").unwrap_or(UNSET)),
        age_cell(claim),
        json!(opt_text(claim, "/spec/volumeMode").unwrap_or(UNSET)),
    ]
}

fn component_status_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("Status", "string", "Status of the component conditions"),
        Column::new("Message", "string", "Message of the component conditions"),
        Column::new("Error", "string", "Error of the component conditions"),
    ]
}

fn component_status_cells(component: &Value) -> Vec<Value> {
    let healthy = items(component, "/conditions")
        .iter()
        .find(|c| text(c, "/type") == "Healthy");
    let (status, message, error) = match healthy {
        Some(c) => (
            if text(c, "/status") == "True" {
                "Healthy"
            } else {
                "Unhealthy"
            },
            text(c, "/message"),
            text(c, "/error"),
        ),
        None => ("Unknown", "", ""),
    };
    vec![
        name_cell(component),
        json!(status),
        json!(message),
        json!(error),
    ]
}

fn quota_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new(
            "Request",
            "string",
            "Request represents a minimum amount of cpu/memory that a container may consume.",
        ),
        Column::new(
            "Limit",
            "string",
            "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.",
        ),
        age_column(),
    ]
}

/// `resource: used/hard` for each hard limit, sorted by resource name;
/// `limits.*` resources go to the Limit column, all others to Request.
fn quota_cells(quota: &Value) -> Vec<Value> {
    let mut requests = Vec::new();
    let mut limits = Vec::new();
    if let Some(hard) = map(quota, "/status/hard") {
        // serde_json's map iterates in key order, as upstream sorts.
        for (resource, hard_quantity) in hard {
            let used = quantity_at(quota, &format!("/status/used/{}", escape(resource)));
            let hard_quantity = hard_quantity.as_str().map_or_else(|| "0".into(), canonical);
            let entry = format!("{resource}: {used}/{hard_quantity}");
            let is_limit = resource
                .split_once('.')
                .is_some_and(|(first, _)| first == "limits");
            if is_limit {
                limits.push(entry);
            } else {
                requests.push(entry);
            }
        }
    }
    vec![
        name_cell(quota),
        json!(requests.join(", ")),
        json!(limits.join(", ")),
        age_cell(quota),
    ]
}

/// `key` escaped for use in a JSON pointer.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn replication_controller_columns() -> Vec<Column> {
    let [containers, images] = container_columns();
    vec![
        name_column(),
        Column::new("Desired", "integer", doc::RC_SPEC_REPLICAS),
        Column::new("Current", "integer", doc::RC_STATUS_REPLICAS),
        Column::new("Ready", "integer", doc::RC_STATUS_READY_REPLICAS),
        age_column(),
        containers,
        images,
        Column::new("Selector", "string", doc::RC_SPEC_SELECTOR).wide(),
    ]
}

fn replication_controller_cells(controller: &Value) -> Vec<Value> {
    let (names, images) = container_cells(items(controller, "/spec/template/spec/containers"));
    vec![
        name_cell(controller),
        json!(opt_int(controller, "/spec/replicas").unwrap_or(1)),
        json!(int(controller, "/status/replicas")),
        json!(int(controller, "/status/readyReplicas")),
        age_cell(controller),
        json!(names),
        json!(images),
        json!(format_labels(map(controller, "/spec/selector"))),
    ]
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::testing::{ago, cells, column_names};

    fn service(spec: Value, status: Value) -> Value {
        json!({"metadata": {"name": "web", "creationTimestamp": ago(2 * 86400 + 3 * 3600)},
               "spec": spec, "status": status})
    }

    #[test]
    fn service_columns_match_upstream() {
        assert_eq!(
            column_names("", "Service"),
            [
                "Name",
                "Type",
                "Cluster-IP",
                "External-IP",
                "Port(s)",
                "Age",
                "Selector (wide)"
            ]
        );
    }

    #[test]
    fn cluster_ip_service() {
        let s = service(
            json!({"type": "ClusterIP", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                   "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"},
                             {"port": 9153}],
                   "selector": {"k8s-app": "kube-dns"}}),
            json!({}),
        );
        assert_eq!(
            cells("", "Service", &s),
            vec![
                json!("web"),
                json!("ClusterIP"),
                json!("10.96.0.10"),
                json!("<none>"),
                json!("53/UDP,53/TCP,9153/TCP"),
                json!("2d3h"),
                json!("k8s-app=kube-dns"),
            ]
        );
    }

    #[test]
    fn node_port_service_with_external_ips() {
        let s = service(
            json!({"type": "NodePort", "clusterIPs": ["10.96.1.1", "fd00::1"],
                   "externalIPs": ["192.0.2.1", "192.0.2.2"],
                   "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]}),
            json!({}),
        );
        let c = cells("", "Service", &s);
        assert_eq!(
            c[1..5],
            [
                json!("NodePort"),
                json!("10.96.1.1"),
                json!("192.0.2.1,192.0.2.2"),
                json!("80:30080/TCP")
            ]
        );
        assert_eq!(c[6], json!("<none>"));
    }

    #[test]
    fn headless_service_without_ports() {
        let s = service(json!({"clusterIP": "None"}), json!({}));
        let c = cells("", "Service", &s);
        assert_eq!(
            c[1..5],
            [
                json!("ClusterIP"),
                json!("None"),
                json!("<none>"),
                json!("<none>")
            ]
        );
    }

    #[test]
    fn load_balancer_external_ips() {
        let spec = json!({"type": "LoadBalancer", "clusterIPs": ["10.96.2.2"],
                          "ports": [{"port": 443, "nodePort": 31443, "protocol": "TCP"}]});
        let pending = service(spec.clone(), json!({"loadBalancer": {}}));
        assert_eq!(cells("", "Service", &pending)[3], json!("<pending>"));

        let ready = service(
            spec.clone(),
            json!({"loadBalancer": {"ingress": [
                {"ip": "203.0.113.9"}, {"hostname": "lb.example.com"}, {"ip": "203.0.113.10"},
                {"ip": "203.0.113.9"}]}}),
        );
        // Sorted, deduplicated, never clipped: the server prints wide.
        assert_eq!(
            cells("", "Service", &ready)[3],
            json!("203.0.113.10,203.0.113.9,lb.example.com")
        );

        let mut both = ready.clone();
        both["spec"]["externalIPs"] = json!(["198.51.100.1"]);
        assert_eq!(
            cells("", "Service", &both)[3],
            json!("203.0.113.10,203.0.113.9,lb.example.com,198.51.100.1")
        );

        let mut only_external = pending.clone();
        only_external["spec"]["externalIPs"] = json!(["198.51.100.1"]);
        assert_eq!(
            cells("", "Service", &only_external)[3],
            json!("198.51.100.1")
        );
        assert_eq!(cells("", "Service", &ready)[4], json!("443:31443/TCP"));
    }

    #[test]
    fn external_name_service() {
        let s = service(
            json!({"type": "ExternalName", "externalName": "db.example.com"}),
            json!({}),
        );
        assert_eq!(
            cells("", "Service", &s)[1..5],
            [
                json!("ExternalName"),
                json!("<none>"),
                json!("db.example.com"),
                json!("<none>")
            ]
        );
    }

    fn node(labels: Value, spec: Value, status: Value) -> Value {
        json!({"metadata": {"name": "node-1", "labels": labels, "creationTimestamp": ago(10 * 86400)},
               "spec": spec, "status": status})
    }

    #[test]
    fn node_columns_and_cells() {
        assert_eq!(
            column_names("", "Node"),
            [
                "Name",
                "Status",
                "Roles",
                "Age",
                "Version",
                "Internal-IP (wide)",
                "External-IP (wide)",
                "OS-Image (wide)",
                "Kernel-Version (wide)",
                "Container-Runtime (wide)"
            ]
        );
        let n = node(
            json!({"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/etcd": "true",
                   "kubernetes.io/hostname": "node-1"}),
            json!({}),
            json!({"conditions": [{"type": "MemoryPressure", "status": "False"},
                                  {"type": "Ready", "status": "True"}],
                   "addresses": [{"type": "Hostname", "address": "node-1"},
                                 {"type": "InternalIP", "address": "192.168.1.10"}],
                   "nodeInfo": {"kubeletVersion": "v1.33.1", "osImage": "Debian GNU/Linux 12 (bookworm)",
                                "kernelVersion": "6.1.0-18-amd64",
                                "containerRuntimeVersion": "containerd://1.7.24"}}),
        );
        assert_eq!(
            cells("", "Node", &n),
            vec![
                json!("node-1"),
                json!("Ready"),
                json!("control-plane,etcd"),
                json!("10d"),
                json!("v1.33.1"),
                json!("192.168.1.10"),
                json!("<none>"),
                json!("Debian GNU/Linux 12 (bookworm)"),
                json!("6.1.0-18-amd64"),
                json!("containerd://1.7.24"),
            ]
        );
    }

    #[test]
    fn cordoned_and_unknown_nodes() {
        let n = node(
            json!({"kubernetes.io/role": "worker"}),
            json!({"unschedulable": true}),
            json!({"conditions": [{"type": "Ready", "status": "Unknown"}]}),
        );
        let c = cells("", "Node", &n);
        assert_eq!(c[1], json!("NotReady,SchedulingDisabled"));
        assert_eq!(c[2], json!("worker"));
        assert_eq!(c[4], json!(""));
        assert_eq!(
            c[7..],
            [json!("<unknown>"), json!("<unknown>"), json!("<unknown>")]
        );

        let n = node(json!({}), json!({"unschedulable": true}), json!({}));
        let c = cells("", "Node", &n);
        assert_eq!(c[1], json!("Unknown,SchedulingDisabled"));
        assert_eq!(c[2], json!("<none>"));
        assert_eq!(c[5], json!("<none>"));
    }

    #[test]
    fn config_maps_secrets_and_service_accounts() {
        let cm = json!({"metadata": {"name": "cfg", "creationTimestamp": ago(30 * 60)},
                        "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}});
        assert_eq!(
            cells("", "ConfigMap", &cm),
            vec![json!("cfg"), json!(3), json!("30m")]
        );
        let secret = json!({"metadata": {"name": "tls", "creationTimestamp": ago(30 * 60)},
                            "type": "kubernetes.io/tls", "data": {"tls.crt": "", "tls.key": ""}});
        assert_eq!(
            cells("", "Secret", &secret),
            vec![
                json!("tls"),
                json!("kubernetes.io/tls"),
                json!(2),
                json!("30m")
            ]
        );
        let untyped = json!({"metadata": {"name": "s"}});
        assert_eq!(
            cells("", "Secret", &untyped)[1..3],
            [json!("Opaque"), json!(0)]
        );
        let account = json!({"metadata": {"name": "default", "creationTimestamp": ago(30 * 60)},
                             "secrets": [{"name": "token"}]});
        assert_eq!(
            cells("", "ServiceAccount", &account),
            vec![json!("default"), json!(1), json!("30m")]
        );
        assert_eq!(column_names("", "Secret"), ["Name", "Type", "Data", "Age"]);
    }

    #[test]
    fn namespace() {
        let ns = json!({"metadata": {"name": "kube-system", "creationTimestamp": ago(3 * 3600)},
                        "status": {"phase": "Active"}});
        assert_eq!(
            cells("", "Namespace", &ns),
            vec![json!("kube-system"), json!("Active"), json!("3h")]
        );
    }

    #[test]
    fn endpoints() {
        let ep = |subsets: Value| json!({"metadata": {"name": "web"}, "subsets": subsets});
        assert_eq!(cells("", "Endpoints", &ep(json!([])))[1], json!("<none>"));
        let two = ep(
            json!([{"addresses": [{"ip": "10.0.0.1"}, {"ip": "fd00::2"}],
                              "ports": [{"port": 8080}]}]),
        );
        assert_eq!(
            cells("", "Endpoints", &two)[1],
            json!("10.0.0.1:8080,[fd00::2]:8080")
        );
        let many = ep(json!([
            {"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}],
             "ports": [{"name": "http", "port": 80}, {"name": "https", "port": 443}]},
            {"addresses": [{"ip": "10.0.0.3"}]}]));
        assert_eq!(
            cells("", "Endpoints", &many)[1],
            json!("10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 2 more...")
        );
        let headless = ep(json!([{"addresses": [{"ip": "10.0.0.7"}]}]));
        assert_eq!(cells("", "Endpoints", &headless)[1], json!("10.0.0.7"));
    }

    #[test]
    fn core_event() {
        assert_eq!(
            column_names("", "Event"),
            [
                "Last Seen",
                "Type",
                "Reason",
                "Object",
                "Subobject (wide)",
                "Source (wide)",
                "Message",
                "First Seen (wide)",
                "Count (wide)",
                "Name (wide)"
            ]
        );
        let event = json!({
            "metadata": {"name": "web-0.17f", "namespace": "default"},
            "involvedObject": {"kind": "Pod", "name": "web-0", "fieldPath": "spec.containers{web}"},
            "reason": "Pulled", "type": "Normal",
            "message": "Container image \"nginx\" already present on machine\n",
            "source": {"component": "kubelet", "host": "node-1"},
            "firstTimestamp": ago(3 * 3600), "lastTimestamp": ago(20 * 60), "count": 4,
        });
        assert_eq!(
            cells("", "Event", &event),
            vec![
                json!("20m"),
                json!("Normal"),
                json!("Pulled"),
                json!("pod/web-0"),
                json!("spec.containers{web}"),
                json!("kubelet, node-1"),
                json!("Container image \"nginx\" already present on machine"),
                json!("3h"),
                json!(4),
                json!("web-0.17f"),
            ]
        );
    }

    #[test]
    fn event_without_legacy_timestamps_uses_event_time_and_series() {
        let singleton = json!({
            "metadata": {"name": "e"},
            "involvedObject": {"kind": "Node"},
            "eventTime": format!("{}.000000Z", &ago(15 * 60)[..19]),
            "reportingComponent": "scheduler", "reportingInstance": "scheduler-1",
            "type": "Warning", "reason": "FailedScheduling", "message": "no nodes",
        });
        let c = cells("", "Event", &singleton);
        assert_eq!(c[0], json!("15m"));
        assert_eq!(c[3], json!("node"));
        assert_eq!(c[5], json!("scheduler, scheduler-1"));
        assert_eq!(c[7], json!("15m"));
        assert_eq!(c[8], json!(1));

        let mut series = singleton.clone();
        series["series"] = json!({"count": 7, "lastObservedTime": ago(12 * 60)});
        let c = cells("", "Event", &series);
        assert_eq!((c[0].clone(), c[8].clone()), (json!("12m"), json!(7)));

        let nothing = json!({"metadata": {"name": "e"}});
        let c = cells("", "Event", &nothing);
        assert_eq!(
            (c[0].clone(), c[7].clone()),
            (json!("<unknown>"), json!("<unknown>"))
        );
    }

    #[test]
    fn events_api_event_reads_its_own_field_names() {
        let event = json!({
            "metadata": {"name": "web.1"},
            "regarding": {"kind": "Deployment", "name": "web"},
            "note": "Scaled up replica set web-5d to 3",
            "reason": "ScalingReplicaSet", "type": "Normal",
            "reportingController": "deployment-controller",
            "deprecatedSource": {"component": "deployment-controller"},
            "deprecatedFirstTimestamp": ago(3 * 3600),
            "deprecatedLastTimestamp": ago(3 * 3600),
            "deprecatedCount": 2,
        });
        assert_eq!(
            cells("events.k8s.io", "Event", &event),
            vec![
                json!("3h"),
                json!("Normal"),
                json!("ScalingReplicaSet"),
                json!("deployment/web"),
                json!(""),
                json!("deployment-controller"),
                json!("Scaled up replica set web-5d to 3"),
                json!("3h"),
                json!(2),
                json!("web.1"),
            ]
        );
    }

    #[test]
    fn persistent_volume() {
        assert_eq!(
            column_names("", "PersistentVolume"),
            [
                "Name",
                "Capacity",
                "Access Modes",
                "Reclaim Policy",
                "Status",
                "Claim",
                "StorageClass",
                "VolumeAttributesClass",
                "Reason",
                "Age",
                "VolumeMode (wide)"
            ]
        );
        let pv = json!({
            "metadata": {"name": "pv-1", "creationTimestamp": ago(5 * 86400)},
            "spec": {"capacity": {"storage": "10240Mi"},
                     "accessModes": ["ReadWriteMany", "ReadWriteOnce", "ReadWriteOnce"],
                     "persistentVolumeReclaimPolicy": "Retain",
                     "claimRef": {"namespace": "db", "name": "data-0"},
                     "storageClassName": "fast", "volumeMode": "Filesystem"},
            "status": {"phase": "Bound"},
        });
        assert_eq!(
            cells("", "PersistentVolume", &pv),
            vec![
                json!("pv-1"),
                json!("10Gi"),
                json!("RWO,RWX"),
                json!("Retain"),
                json!("Bound"),
                json!("db/data-0"),
                json!("fast"),
                json!("<unset>"),
                json!(""),
                json!("5d"),
                json!("Filesystem"),
            ]
        );
        let mut deleting = pv.clone();
        deleting["metadata"]["deletionTimestamp"] = json!(ago(1));
        deleting["metadata"]["annotations"] =
            json!({"volume.beta.kubernetes.io/storage-class": "legacy"});
        let c = cells("", "PersistentVolume", &deleting);
        assert_eq!(
            (c[4].clone(), c[6].clone()),
            (json!("Terminating"), json!("legacy"))
        );
    }

    #[test]
    fn persistent_volume_claims() {
        let pending = json!({
            "metadata": {"name": "data-0", "creationTimestamp": ago(90 * 60)},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "fast",
                     "resources": {"requests": {"storage": "1Gi"}}},
            "status": {"phase": "Pending"},
        });
        assert_eq!(
            cells("", "PersistentVolumeClaim", &pending),
            vec![
                json!("data-0"),
                json!("Pending"),
                json!(""),
                json!(""),
                json!(""),
                json!("fast"),
                json!("<unset>"),
                json!("90m"),
                json!("<unset>"),
            ]
        );
        let mut bound = pending.clone();
        bound["spec"]["volumeName"] = json!("pv-1");
        bound["spec"]["volumeMode"] = json!("Block");
        bound["spec"]["volumeAttributesClassName"] = json!("gold");
        bound["status"] = json!({"phase": "Bound", "capacity": {"storage": "1024Mi"},
                                 "accessModes": ["ReadWriteOnce"]});
        assert_eq!(
            cells("", "PersistentVolumeClaim", &bound)[1..],
            [
                json!("Bound"),
                json!("pv-1"),
                json!("1Gi"),
                json!("RWO"),
                json!("fast"),
                json!("gold"),
                json!("90m"),
                json!("Block"),
            ]
        );
    }

    #[test]
    fn component_statuses() {
        let healthy = json!({"metadata": {"name": "etcd-0"},
            "conditions": [{"type": "Healthy", "status": "True", "message": "ok"}]});
        assert_eq!(
            cells("", "ComponentStatus", &healthy),
            vec![json!("etcd-0"), json!("Healthy"), json!("ok"), json!("")]
        );
        let sick = json!({"metadata": {"name": "scheduler"},
            "conditions": [{"type": "Healthy", "status": "False", "error": "connection refused"}]});
        assert_eq!(
            cells("", "ComponentStatus", &sick)[1..],
            [json!("Unhealthy"), json!(""), json!("connection refused")]
        );
        assert_eq!(
            cells("", "ComponentStatus", &json!({"metadata": {"name": "x"}}))[1],
            json!("Unknown")
        );
    }

    #[test]
    fn resource_quota() {
        let quota = json!({
            "metadata": {"name": "compute", "creationTimestamp": ago(3 * 3600)},
            "status": {
                "hard": {"requests.cpu": "1", "limits.memory": "2048Mi", "pods": "10",
                         "limits.cpu": "2", "requests.memory": "1Gi"},
                "used": {"requests.cpu": "500m", "limits.memory": "512Mi", "pods": "3",
                         "requests.memory": "0"},
            },
        });
        assert_eq!(
            cells("", "ResourceQuota", &quota),
            vec![
                json!("compute"),
                json!("pods: 3/10, requests.cpu: 500m/1, requests.memory: 0/1Gi"),
                json!("limits.cpu: 0/2, limits.memory: 512Mi/2Gi"),
                json!("3h"),
            ]
        );
        assert_eq!(
            column_names("", "ResourceQuota"),
            ["Name", "Request", "Limit", "Age"]
        );
    }

    #[test]
    fn replication_controller() {
        let rc = json!({
            "metadata": {"name": "web", "creationTimestamp": ago(3 * 3600)},
            "spec": {"replicas": 3, "selector": {"app": "web"},
                     "template": {"spec": {"containers": [{"name": "web", "image": "nginx"}]}}},
            "status": {"replicas": 3, "readyReplicas": 2},
        });
        assert_eq!(
            column_names("", "ReplicationController"),
            [
                "Name",
                "Desired",
                "Current",
                "Ready",
                "Age",
                "Containers (wide)",
                "Images (wide)",
                "Selector (wide)"
            ]
        );
        assert_eq!(
            cells("", "ReplicationController", &rc),
            vec![
                json!("web"),
                json!(3),
                json!(3),
                json!(2),
                json!("3h"),
                json!("web"),
                json!("nginx"),
                json!("app=web"),
            ]
        );
    }
}
