//! Service networking in the API server (upstream 1.33's behaviour):
//!
//! * [`ip_range`]: a Service CIDR's allocatable addresses and bands;
//! * [`families`]: `ipFamilyPolicy`/`ipFamilies` against the cluster's;
//! * [`cluster_ips`]: cluster IPs as `IPAddress` objects;
//! * [`node_ports`]: `--service-node-port-range` and its allocation record;
//! * [`allocator`]: the Service store's write hooks that use them;
//! * [`kubernetes_service`]: the `kubernetes` Service, its endpoints and
//!   the default `ServiceCIDR`, reconciled at start.

pub mod allocator;
pub mod cluster_ips;
pub mod families;
pub mod ip_range;
pub mod kubernetes_service;
pub mod node_ports;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use ipnet::IpNet;

use self::allocator::{ServiceAllocator, ServiceHooks};
use self::cluster_ips::ClusterIps;
use self::ip_range::IpRange;
use self::node_ports::{NodePorts, PortRange};
use super::registry::Registry;
use super::status::ApiError;

/// How the cluster's Services are addressed, from the flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceNetwork {
    /// `--service-cluster-ip-range`: one range, or two of different
    /// families (the first is the default family).
    pub cluster_ip_ranges: Vec<IpNet>,
    /// `--service-node-port-range`.
    pub node_ports: PortRange,
    /// `--advertise-address`: where the `kubernetes` Service's endpoints
    /// point.
    pub advertise_address: IpAddr,
    /// The port the API is served on (the `kubernetes` Service's target).
    pub secure_port: u16,
}

impl Default for ServiceNetwork {
    fn default() -> ServiceNetwork {
        ServiceNetwork {
            cluster_ip_ranges: vec![
                crate::pki::serving::DEFAULT_SERVICE_CLUSTER_IP_RANGE
                    .parse()
                    .expect("the default range is a CIDR"),
            ],
            node_ports: PortRange::parse(node_ports::DEFAULT_NODE_PORT_RANGE)
                .expect("the default node port range parses"),
            advertise_address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            secure_port: 6443,
        }
    }
}

impl ServiceNetwork {
    /// The `kubernetes` Service's address: the first of the first range.
    pub fn kubernetes_service_ip(&self) -> Option<IpAddr> {
        self.cluster_ip_ranges
            .first()
            .and_then(|r| IpRange::new(*r).first_address())
    }
}

/// Puts the allocator around the Service store of `registry` and
/// reconciles the `kubernetes` Service and its endpoints.
pub async fn install(registry: &Registry, network: &ServiceNetwork) -> Result<(), ApiError> {
    let addresses = registry
        .get("networking.k8s.io", "v1", "ipaddresses")
        .ok_or_else(|| ApiError::internal("ipaddresses are not served"))?;
    let allocator = Arc::new(ServiceAllocator {
        cluster_ips: ClusterIps::new(
            network
                .cluster_ip_ranges
                .iter()
                .map(|r| IpRange::new(*r))
                .collect(),
            addresses,
            registry.storage().clone(),
        ),
        node_ports: NodePorts::new(network.node_ports, registry.storage().clone()),
    });
    registry.set_hooks("", "v1", "services", Arc::new(ServiceHooks(allocator)));
    kubernetes_service::reconcile(registry, network).await
}
