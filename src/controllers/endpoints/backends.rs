//! A Service's backends: the pods its selector picks that have an IP and
//! should receive traffic, whether each is ready, and the ports each
//! serves (a named `targetPort` is looked up among the pod's container
//! ports, so pods of one Service may serve it on different numbers).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Pod, Service, ServicePort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::ResourceExt;

use crate::controllers::pods;

/// One endpoint port: the Service port's name, the pod's port number,
/// protocol and app protocol.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Port {
    pub name: String,
    pub port: i32,
    pub protocol: String,
    pub app_protocol: Option<String>,
}

/// One pod as a backend.
#[derive(Clone, Debug)]
pub struct Backend {
    pub ip: String,
    pub pod: String,
    pub uid: String,
    pub node: Option<String>,
    /// Ready (or the Service publishes not-ready addresses).
    pub ready: bool,
    /// Ready by the pod's own condition.
    pub serving: bool,
    pub terminating: bool,
    /// `spec.hostname`, when the pod's subdomain is the Service.
    pub hostname: Option<String>,
    pub ports: Vec<Port>,
}

/// Whether a pod gets traffic at all (upstream's `ShouldPodBeInEndpoints`):
/// it has an IP and has not finished for good.
fn included(pod: &Pod) -> bool {
    let Some(status) = &pod.status else {
        return false;
    };
    if status.pod_ip.as_deref().unwrap_or_default().is_empty() {
        return false;
    }
    let restart = pod
        .spec
        .as_ref()
        .and_then(|s| s.restart_policy.as_deref())
        .unwrap_or("Always");
    !matches!(
        (restart, status.phase.as_deref()),
        ("Never", Some("Succeeded" | "Failed")) | ("OnFailure", Some("Succeeded"))
    )
}

/// The pod's port for a Service port, if it has it.
fn resolve(pod: &Pod, port: &ServicePort) -> Option<i32> {
    match &port.target_port {
        None => Some(port.port),
        Some(IntOrString::Int(number)) => Some(*number),
        Some(IntOrString::String(name)) => {
            if let Ok(number) = name.parse() {
                return Some(number);
            }
            let protocol = port.protocol.as_deref().unwrap_or("TCP");
            pod.spec.as_ref()?.containers.iter().find_map(|container| {
                container.ports.iter().flatten().find_map(|p| {
                    (p.name.as_deref() == Some(name.as_str())
                        && p.protocol.as_deref().unwrap_or("TCP") == protocol)
                        .then_some(p.container_port)
                })
            })
        }
    }
}

/// The backends of `service` among `candidates` (pods of its namespace);
/// `None` for a Service without a selector (its endpoints are the user's).
pub fn of(service: &Service, candidates: &[std::sync::Arc<Pod>]) -> Option<Vec<Backend>> {
    let spec = service.spec.as_ref()?;
    let selector: BTreeMap<String, String> = spec.selector.clone().filter(|s| !s.is_empty())?;
    let publish_not_ready = spec.publish_not_ready_addresses == Some(true);
    let service_name = service.name_any();
    let mut backends = Vec::new();
    for pod in candidates {
        let labels = pods::labels(&pod.metadata);
        if !selector.iter().all(|(k, v)| labels.get(k) == Some(v)) || !included(pod) {
            continue;
        }
        let terminating = pod.metadata.deletion_timestamp.is_some();
        let serving = pods::is_ready(pod);
        let pod_spec = pod.spec.as_ref();
        let hostname = pod_spec
            .filter(|s| s.subdomain.as_deref() == Some(service_name.as_str()))
            .and_then(|s| s.hostname.clone());
        let ports = spec
            .ports
            .iter()
            .flatten()
            .filter_map(|port| {
                Some(Port {
                    name: port.name.clone().unwrap_or_default(),
                    port: resolve(pod, port)?,
                    protocol: port.protocol.clone().unwrap_or_else(|| "TCP".into()),
                    app_protocol: port.app_protocol.clone(),
                })
            })
            .collect();
        backends.push(Backend {
            ip: pod
                .status
                .as_ref()
                .and_then(|s| s.pod_ip.clone())
                .unwrap_or_default(),
            pod: pod.name_any(),
            uid: pod.uid().unwrap_or_default(),
            node: pod_spec.and_then(|s| s.node_name.clone()),
            ready: publish_not_ready || (serving && !terminating),
            serving,
            terminating,
            hostname,
            ports,
        });
    }
    backends.sort_by(|a, b| a.ip.cmp(&b.ip).then_with(|| a.pod.cmp(&b.pod)));
    Some(backends)
}
