//! What the API server keeps in place about itself, reconciled at start:
//! the `kubernetes` ServiceCIDR (the configured ranges, Ready), the
//! `kubernetes` Service in `default` (the first address of the range, port
//! `https` 443 to the secure port) and its Endpoints and EndpointSlice
//! pointing at the advertised address.

use std::net::IpAddr;

use serde_json::{Value, json};

use super::ServiceNetwork;
use crate::apiserver::object::{ObjectExt, now_rfc3339};
use crate::apiserver::registry::Registry;
use crate::apiserver::registry::store::{Part, ResourceStore, WriteOptions};
use crate::apiserver::status::ApiError;

/// The name of the Service, its Endpoints and EndpointSlice, and the
/// default ServiceCIDR.
pub const NAME: &str = "kubernetes";
const NAMESPACE: &str = "default";

fn store(
    registry: &Registry,
    group: &str,
    plural: &str,
) -> Result<std::sync::Arc<ResourceStore>, ApiError> {
    registry
        .get(group, "v1", plural)
        .ok_or_else(|| ApiError::internal(format!("{plural} are not served")))
}

/// Creates `object`, or brings the stored one in line with `fix` (an
/// update that changes nothing writes nothing).
async fn ensure(
    store: &ResourceStore,
    namespace: Option<&str>,
    object: Value,
    fix: impl Fn(&mut Value) + Send + Sync,
) -> Result<(), ApiError> {
    let name = object.name().unwrap_or_default().to_owned();
    // Look first: a create would reserve the object's addresses before it
    // found the name taken.
    match store.get(namespace, &name, None).await {
        Ok(_) => {}
        Err(e) if e.reason == "NotFound" => {
            match store
                .create(namespace, object, &WriteOptions::default())
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if e.reason == "AlreadyExists" => {}
                Err(e) => return Err(e),
            }
        }
        Err(e) => return Err(e),
    }
    store
        .guaranteed_update(
            namespace,
            &name,
            Part::Main,
            &WriteOptions::default(),
            |current| {
                let mut wanted = current.clone();
                fix(&mut wanted);
                Ok(wanted)
            },
        )
        .await
        .map(|_| ())
}

fn family_name(ip: &IpAddr) -> &'static str {
    match ip {
        IpAddr::V4(_) => "IPv4",
        IpAddr::V6(_) => "IPv6",
    }
}

/// The ServiceCIDR that says which ranges the cluster allocates from.
async fn ensure_service_cidr(
    registry: &Registry,
    network: &ServiceNetwork,
) -> Result<(), ApiError> {
    let cidrs: Vec<String> = network
        .cluster_ip_ranges
        .iter()
        .map(ToString::to_string)
        .collect();
    let store = store(registry, "networking.k8s.io", "servicecidrs")?;
    let object = json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "ServiceCIDR",
        "metadata": {"name": NAME},
        "spec": {"cidrs": cidrs},
    });
    match store.create(None, object, &WriteOptions::default()).await {
        Ok(_) => {}
        Err(e) if e.reason == "AlreadyExists" => {}
        Err(e) => return Err(e),
    }
    let found = store.get(None, NAME, None).await?;
    let stored: Vec<String> = found
        .object
        .pointer("/spec/cidrs")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if stored != cidrs {
        tracing::warn!(?stored, configured = ?cidrs, "the default ServiceCIDR does not match --service-cluster-ip-range");
        return Ok(());
    }
    let has_ready = found
        .object
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|c| {
            c.iter()
                .any(|c| c["type"] == "Ready" && c["status"] != "Unknown")
        });
    if has_ready || found.object.deletion_timestamp().is_some() {
        return Ok(());
    }
    store
        .guaranteed_update(
            None,
            NAME,
            Part::Status,
            &WriteOptions::default(),
            |current| {
                let mut ready = current.clone();
                ready["status"] = json!({"conditions": [{
                    "type": "Ready",
                    "status": "True",
                    "reason": "",
                    "message": "Kubernetes default Service CIDR is ready",
                    "lastTransitionTime": now_rfc3339(),
                }]});
                Ok(ready)
            },
        )
        .await
        .map(|_| ())
}

/// The Service, Endpoints and EndpointSlice, and the ServiceCIDR.
pub async fn reconcile(registry: &Registry, network: &ServiceNetwork) -> Result<(), ApiError> {
    ensure_service_cidr(registry, network).await?;
    let Some(service_ip) = network.kubernetes_service_ip() else {
        tracing::warn!("the service range has no address for the kubernetes Service");
        return Ok(());
    };
    let port = i64::from(network.secure_port);
    let ports = json!([{"name": "https", "protocol": "TCP", "port": 443, "targetPort": port}]);
    let service = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": NAME,
            "namespace": NAMESPACE,
            "labels": {"component": "apiserver", "provider": "kubernetes"},
        },
        "spec": {
            "type": "ClusterIP",
            "clusterIP": service_ip.to_string(),
            "clusterIPs": [service_ip.to_string()],
            "sessionAffinity": "None",
            "ports": ports,
        },
    });
    let services = store(registry, "", "services")?;
    ensure(&services, Some(NAMESPACE), service, |current| {
        current["spec"]["ports"] = ports.clone();
        current["spec"]["type"] = json!("ClusterIP");
    })
    .await?;

    let address = network.advertise_address.to_string();
    let subsets = json!([{
        "addresses": [{"ip": address}],
        "ports": [{"name": "https", "port": port, "protocol": "TCP"}],
    }]);
    let skip_mirror = json!({"endpointslice.kubernetes.io/skip-mirror": "true"});
    let endpoints = json!({
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": skip_mirror},
        "subsets": subsets,
    });
    let endpoints_store = store(registry, "", "endpoints")?;
    ensure(&endpoints_store, Some(NAMESPACE), endpoints, |current| {
        current["subsets"] = subsets.clone();
        current["metadata"]["labels"] = skip_mirror.clone();
    })
    .await?;

    let slice_endpoints = json!([{"addresses": [address], "conditions": {"ready": true}}]);
    let slice_ports = json!([{"name": "https", "port": port, "protocol": "TCP"}]);
    let slice_labels = json!({"kubernetes.io/service-name": NAME});
    let address_type = family_name(&network.advertise_address);
    let slice = json!({
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": slice_labels},
        "addressType": address_type,
        "endpoints": slice_endpoints,
        "ports": slice_ports,
    });
    let slices = store(registry, "discovery.k8s.io", "endpointslices")?;
    if let Ok(found) = slices.get(Some(NAMESPACE), NAME, None).await
        && found.object["addressType"] != address_type
    {
        // The address type cannot change: replace the slice.
        slices
            .delete(
                Some(NAMESPACE),
                NAME,
                &crate::apiserver::registry::store::DeleteOptions::none(),
            )
            .await?;
    }
    ensure(&slices, Some(NAMESPACE), slice, |current| {
        current["endpoints"] = slice_endpoints.clone();
        current["ports"] = slice_ports.clone();
        current["metadata"]["labels"] = slice_labels.clone();
    })
    .await
}
