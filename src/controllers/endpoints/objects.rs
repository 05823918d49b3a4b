//! The objects a Service's backends are published as: one `Endpoints`
//! (subsets of addresses that share a port set, ready and not ready) and
//! `EndpointSlices` (at most 100 endpoints each, one address family and
//! port set per slice, owned by the Service).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Service;
use kube::ResourceExt;
use serde_json::{Value, json};

use super::backends::{Backend, Port};

pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
pub const MANAGED_BY_LABEL: &str = "endpointslice.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "endpointslice-controller.k8s.io";
/// Upstream's `--max-endpoints-per-slice` default.
const SLICE_CAPACITY: usize = 100;

fn ports_json(ports: &[Port]) -> Value {
    Value::Array(
        ports
            .iter()
            .map(|p| {
                let mut port = json!({"port": p.port, "protocol": p.protocol});
                if !p.name.is_empty() {
                    port["name"] = json!(p.name);
                }
                if let Some(app) = &p.app_protocol {
                    port["appProtocol"] = json!(app);
                }
                port
            })
            .collect(),
    )
}

fn target_ref(service: &Service, backend: &Backend) -> Value {
    json!({"kind": "Pod", "namespace": service.namespace(), "name": backend.pod, "uid": backend.uid})
}

/// The labels both objects carry: the Service's, and `headless` for a
/// Service without a cluster IP.
fn labels(service: &Service) -> BTreeMap<String, String> {
    let mut labels = service.labels().clone();
    let headless = service.spec.as_ref().and_then(|s| s.cluster_ip.as_deref()) == Some("None");
    if headless {
        labels.insert("service.kubernetes.io/headless".into(), String::new());
    }
    labels
}

/// `subsets` of the Endpoints object: addresses grouped by the ports
/// they serve.
pub fn subsets(service: &Service, backends: &[Backend]) -> Value {
    let mut groups: BTreeMap<Vec<Port>, (Vec<Value>, Vec<Value>)> = BTreeMap::new();
    for backend in backends {
        let mut ports = backend.ports.clone();
        ports.sort();
        let mut address = json!({"ip": backend.ip, "targetRef": target_ref(service, backend)});
        if let Some(node) = &backend.node {
            address["nodeName"] = json!(node);
        }
        if let Some(hostname) = &backend.hostname {
            address["hostname"] = json!(hostname);
        }
        let (ready, not_ready) = groups.entry(ports).or_default();
        if backend.ready {
            ready.push(address);
        } else if !backend.terminating {
            not_ready.push(address);
        }
    }
    Value::Array(
        groups
            .into_iter()
            .filter(|(_, (ready, not_ready))| !ready.is_empty() || !not_ready.is_empty())
            .map(|(ports, (ready, not_ready))| {
                let mut subset = json!({});
                if !ready.is_empty() {
                    subset["addresses"] = Value::Array(ready);
                }
                if !not_ready.is_empty() {
                    subset["notReadyAddresses"] = Value::Array(not_ready);
                }
                if !ports.is_empty() {
                    subset["ports"] = ports_json(&ports);
                }
                subset
            })
            .collect(),
    )
}

/// The Endpoints object for `service`.
pub fn endpoints(service: &Service, backends: &[Backend]) -> Value {
    let mut object = json!({
        "apiVersion": "v1", "kind": "Endpoints",
        "metadata": {"name": service.name_any(), "namespace": service.namespace(), "labels": labels(service)},
    });
    let subsets = subsets(service, backends);
    if subsets.as_array().is_some_and(|s| !s.is_empty()) {
        object["subsets"] = subsets;
    }
    object
}

/// What one EndpointSlice holds.
#[derive(Debug, PartialEq)]
pub struct SliceContent {
    pub address_type: String,
    pub endpoints: Value,
    pub ports: Value,
}

/// The slices `service`'s backends fill, by address family and port set;
/// a Service without backends keeps one empty slice, as upstream's.
pub fn slices(service: &Service, backends: &[Backend]) -> Vec<SliceContent> {
    let mut groups: BTreeMap<(String, Vec<Port>), Vec<Value>> = BTreeMap::new();
    for backend in backends {
        let family = if backend.ip.contains(':') {
            "IPv6"
        } else {
            "IPv4"
        };
        let mut ports = backend.ports.clone();
        ports.sort();
        let mut endpoint = json!({
            "addresses": [backend.ip],
            "conditions": {"ready": backend.ready, "serving": backend.serving, "terminating": backend.terminating},
            "targetRef": target_ref(service, backend),
        });
        if let Some(node) = &backend.node {
            endpoint["nodeName"] = json!(node);
        }
        if let Some(hostname) = &backend.hostname {
            endpoint["hostname"] = json!(hostname);
        }
        groups
            .entry((family.to_owned(), ports))
            .or_default()
            .push(endpoint);
    }
    let mut slices = Vec::new();
    for ((family, ports), endpoints) in groups {
        for chunk in endpoints.chunks(SLICE_CAPACITY) {
            slices.push(SliceContent {
                address_type: family.clone(),
                endpoints: Value::Array(chunk.to_vec()),
                ports: ports_json(&ports),
            });
        }
    }
    if slices.is_empty() {
        let family = service
            .spec
            .as_ref()
            .and_then(|s| s.ip_families.as_ref())
            .and_then(|f| f.first().cloned())
            .unwrap_or_else(|| "IPv4".into());
        slices.push(SliceContent {
            address_type: family,
            endpoints: json!([]),
            ports: json!([]),
        });
    }
    slices
}

/// A new EndpointSlice object with `content`.
pub fn slice(service: &Service, content: &SliceContent) -> Value {
    let mut labels = labels(service);
    labels.insert(SERVICE_NAME_LABEL.into(), service.name_any());
    labels.insert(MANAGED_BY_LABEL.into(), MANAGED_BY.into());
    json!({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {
            "generateName": format!("{}-", service.name_any()),
            "namespace": service.namespace(),
            "labels": labels,
            "ownerReferences": [{
                "apiVersion": "v1", "kind": "Service", "name": service.name_any(),
                "uid": service.uid(), "controller": true, "blockOwnerDeletion": true,
            }],
        },
        "addressType": content.address_type,
        "endpoints": content.endpoints,
        "ports": content.ports,
    })
}

/// Whether the stored slice `existing` already holds `content` (and the
/// labels it should).
pub fn slice_matches(service: &Service, existing: &Value, content: &SliceContent) -> bool {
    let wanted = slice(service, content);
    existing["addressType"] == wanted["addressType"]
        && existing.get("endpoints").unwrap_or(&json!([])) == &wanted["endpoints"]
        && existing.get("ports").unwrap_or(&json!([])) == &wanted["ports"]
        && existing["metadata"]["labels"] == wanted["metadata"]["labels"]
}
