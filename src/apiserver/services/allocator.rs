//! The Service write hooks: on create and update, settle the IP families,
//! allocate what the Service needs (cluster IPs, node ports, a health check
//! node port) and check what a user chose; free what it no longer holds
//! once the write is stored, or what was taken for it if the write fails;
//! free everything when the Service is removed.

use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::cluster_ips::{ClusterIps, IpError};
use super::families::{self, HEADLESS, go_strings};
use super::ip_range::Family;
use super::node_ports::{NodePorts, PortChange, PortChangeError};
use crate::apiserver::object::ObjectExt;
use crate::apiserver::registry::kinds::fields::{elements, int, string};
use crate::apiserver::registry::store::hooks::{Reservation, WriteHooks};
use crate::apiserver::status::ApiError;
use crate::apiserver::validation::FieldError;

/// Allocates for Services.
pub struct ServiceAllocator {
    pub cluster_ips: ClusterIps,
    pub node_ports: NodePorts,
}

/// What one write reserved and what it will free.
struct Held {
    allocator: Arc<ServiceAllocator>,
    /// Taken for this write: given back if it fails.
    taken_ips: Vec<IpAddr>,
    taken_ports: Vec<u16>,
    /// Held by the old object only: freed once the write is stored.
    freed_ips: Vec<IpAddr>,
    freed_ports: Vec<u16>,
    dry_run: bool,
}

#[async_trait]
impl Reservation for Held {
    async fn commit(self: Box<Self>) {
        if self.dry_run {
            return;
        }
        for ip in &self.freed_ips {
            self.allocator.cluster_ips.release(*ip).await;
        }
        self.allocator.free_ports(&self.freed_ports).await;
    }

    async fn revert(self: Box<Self>) {
        if self.dry_run {
            return;
        }
        for ip in &self.taken_ips {
            self.allocator.cluster_ips.release(*ip).await;
        }
        self.allocator.free_ports(&self.taken_ports).await;
    }
}

fn needs_cluster_ip(spec: &Value) -> bool {
    string(spec, "type") != "ExternalName"
}

fn needs_node_ports(spec: &Value) -> bool {
    matches!(string(spec, "type"), "NodePort" | "LoadBalancer")
}

/// Whether node ports are allocated for ports that do not name one.
fn allocates_node_ports(spec: &Value) -> bool {
    match string(spec, "type") {
        "NodePort" => true,
        "LoadBalancer" => {
            spec.get("allocateLoadBalancerNodePorts")
                .and_then(Value::as_bool)
                != Some(false)
        }
        _ => false,
    }
}

/// Upstream's `NeedsHealthCheck`.
fn needs_health_check(spec: &Value) -> bool {
    string(spec, "type") == "LoadBalancer" && string(spec, "externalTrafficPolicy") == "Local"
}

fn headless(spec: &Value) -> bool {
    elements(spec, "clusterIPs").first().and_then(Value::as_str) == Some(HEADLESS)
}

/// The cluster IPs a stored Service holds.
fn held_ips(spec: &Value) -> Vec<IpAddr> {
    if !needs_cluster_ip(spec) || headless(spec) {
        return Vec::new();
    }
    elements(spec, "clusterIPs")
        .iter()
        .filter_map(|ip| ip.as_str()?.parse().ok())
        .collect()
}

/// The node ports a Service holds (the health check port included).
fn held_ports(spec: &Value) -> Vec<u16> {
    let mut ports: Vec<u16> = elements(spec, "ports")
        .iter()
        .filter_map(|p| u16::try_from(int(p, "nodePort")?).ok())
        .filter(|p| *p != 0)
        .collect();
    if needs_health_check(spec)
        && let Some(port) = int(spec, "healthCheckNodePort").and_then(|p| u16::try_from(p).ok())
        && port != 0
    {
        ports.push(port);
    }
    ports.sort_unstable();
    ports.dedup();
    ports
}

fn strings(spec: &Value, field: &str) -> Vec<String> {
    elements(spec, field)
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect()
}

impl ServiceAllocator {
    fn invalid(service: &Value, errors: Vec<FieldError>) -> ApiError {
        ApiError::invalid(
            "",
            "Service",
            service.name().unwrap_or_default(),
            errors.iter().map(FieldError::to_cause).collect(),
        )
    }

    async fn free_ports(&self, ports: &[u16]) {
        if ports.is_empty() {
            return;
        }
        let change = PortChange {
            release: ports.to_vec(),
            ..Default::default()
        };
        if let Err(e) = self.node_ports.apply(&change, false).await {
            tracing::warn!(?ports, error = ?e, "releasing node ports");
        }
    }

    /// Allocates the cluster IPs of `service` at the family positions in
    /// `wanted` (empty string: any free address); the addresses taken.
    async fn allocate_ips(
        &self,
        service: &mut Value,
        wanted: &[usize],
        dry_run: bool,
    ) -> Result<Vec<IpAddr>, (Vec<IpAddr>, ApiError)> {
        let spec = &service["spec"];
        let families: Vec<Family> = strings(spec, "ipFamilies")
            .iter()
            .filter_map(|f| Family::parse(f))
            .collect();
        let mut ips = strings(spec, "clusterIPs");
        ips.resize(ips.len().max(families.len()), String::new());
        let mut taken = Vec::new();
        for &i in wanted {
            let Some(&family) = families.get(i) else {
                continue;
            };
            let result = if ips[i].is_empty() {
                self.cluster_ips
                    .allocate_next(family, service, dry_run)
                    .await
                    .map_err(|e| ApiError::internal(format!("failed to allocate a serviceIP: {e}")))
            } else {
                let Ok(ip) = ips[i].parse::<IpAddr>() else {
                    return Err((
                        taken,
                        ApiError::internal(format!("failed to parse service IP {:?}", ips[i])),
                    ));
                };
                match self.cluster_ips.allocate(ip, service, dry_run).await {
                    Ok(()) => Ok(ip),
                    Err(IpError::Api(e)) => Err(e),
                    Err(e) => Err(Self::invalid(
                        service,
                        vec![FieldError::invalid_printed(
                            "spec.clusterIPs",
                            go_strings(&strings(&service["spec"], "clusterIPs")),
                            format!("failed to allocate IP {}: {e}", ips[i]),
                        )],
                    )),
                }
            };
            match result {
                Ok(ip) => {
                    if !dry_run {
                        taken.push(ip);
                    }
                    ips[i] = ip.to_string();
                }
                Err(e) => return Err((taken, e)),
            }
        }
        let spec = &mut service["spec"];
        if let Some(first) = ips.first() {
            spec["clusterIP"] = json!(first);
        }
        spec["clusterIPs"] = json!(ips);
        Ok(taken)
    }

    /// Node ports for `service`: the ports it names that `old_ports` did
    /// not hold are taken, ports without one are picked (one per service
    /// port number, which its protocols share); the health check port
    /// likewise. Returns the ports taken and the old ones no longer held.
    async fn allocate_ports(
        &self,
        service: &mut Value,
        old_ports: &[u16],
        old_health: Option<u16>,
        dry_run: bool,
    ) -> Result<(Vec<u16>, Vec<u16>), ApiError> {
        let spec = service["spec"].clone();
        let ports = elements(&spec, "ports").to_vec();
        let mut take: Vec<(usize, u16)> = Vec::new();
        // Service port numbers that need a node port picked.
        let mut unnamed: Vec<i64> = Vec::new();
        if needs_node_ports(&spec) {
            for (i, port) in ports.iter().enumerate() {
                let requested = int(port, "nodePort").unwrap_or(0);
                let number = int(port, "port").unwrap_or(0);
                if requested == 0 {
                    let shared = ports.iter().find(|p| {
                        int(p, "port") == Some(number) && int(p, "nodePort").unwrap_or(0) != 0
                    });
                    match shared {
                        Some(named) => {
                            service["spec"]["ports"][i]["nodePort"] = named["nodePort"].clone()
                        }
                        None if allocates_node_ports(&spec) && !unnamed.contains(&number) => {
                            unnamed.push(number)
                        }
                        None => {}
                    }
                    continue;
                }
                let Ok(requested) = u16::try_from(requested) else {
                    continue;
                };
                if !old_ports.contains(&requested) && !take.iter().any(|(_, p)| *p == requested) {
                    take.push((i, requested));
                }
            }
        }
        let health_requested = int(&spec, "healthCheckNodePort")
            .and_then(|p| u16::try_from(p).ok())
            .filter(|p| *p != 0);
        let (health_take, health_pick) = match (
            needs_health_check(&spec) && old_health.is_none(),
            health_requested,
        ) {
            (false, _) => (None, false),
            (true, Some(port)) => (Some(port), false),
            (true, None) => (None, true),
        };
        let mut change = PortChange {
            take: take.iter().map(|(_, p)| *p).collect(),
            pick: unnamed.len() + usize::from(health_pick),
            release: Vec::new(),
        };
        change.take.extend(health_take);
        let picked = match self.node_ports.apply(&change, dry_run).await {
            Ok(picked) => picked,
            Err(PortChangeError::Port(port, error)) if Some(port) == health_take => {
                return Err(ApiError::internal(format!(
                    "failed to allocate requested HealthCheck NodePort {port}: {error}"
                )));
            }
            Err(PortChangeError::Port(port, error)) => {
                let index = take.iter().find(|(_, p)| *p == port).map_or(0, |(i, _)| *i);
                return Err(Self::invalid(
                    service,
                    vec![FieldError::invalid(
                        format!("spec.ports[{index}].nodePort"),
                        port,
                        error.to_string(),
                    )],
                ));
            }
            Err(PortChangeError::Full) => {
                return Err(ApiError::internal(
                    "failed to allocate a nodePort: range is full",
                ));
            }
            Err(PortChangeError::Api(e)) => return Err(e),
        };
        for (number, node_port) in unnamed.iter().zip(&picked) {
            for (i, port) in ports.iter().enumerate() {
                if int(port, "port") == Some(*number) && int(port, "nodePort").unwrap_or(0) == 0 {
                    service["spec"]["ports"][i]["nodePort"] = json!(node_port);
                }
            }
        }
        if health_pick && let Some(port) = picked.last() {
            service["spec"]["healthCheckNodePort"] = json!(port);
        }
        let mut taken = change.take.clone();
        taken.extend(picked);
        if dry_run {
            taken.clear();
        }
        let now_held = held_ports(&service["spec"]);
        let mut freed: Vec<u16> = old_ports
            .iter()
            .copied()
            .filter(|p| !now_held.contains(p))
            .collect();
        if let Some(old) = old_health
            && !now_held.contains(&old)
            && !freed.contains(&old)
        {
            freed.push(old);
        }
        Ok((taken, freed))
    }
}

/// The allocator as the Service store's hooks.
pub struct ServiceHooks(pub Arc<ServiceAllocator>);

impl ServiceHooks {
    fn held(&self, dry_run: bool) -> Held {
        Held {
            allocator: self.0.clone(),
            taken_ips: Vec::new(),
            taken_ports: Vec::new(),
            freed_ips: Vec::new(),
            freed_ports: Vec::new(),
            dry_run,
        }
    }
}

#[async_trait]
impl WriteHooks for ServiceHooks {
    async fn before_create(
        &self,
        service: &mut Value,
        dry_run: bool,
    ) -> Result<Box<dyn Reservation>, ApiError> {
        let allocator = &self.0;
        let mut held = self.held(dry_run);
        if !service.get("spec").is_some_and(Value::is_object) {
            return Ok(Box::new(held));
        }
        let families = allocator.cluster_ips.families();
        families::settle(&mut service["spec"], None, &families)
            .map_err(|errors| ServiceAllocator::invalid(service, errors))?;
        if needs_cluster_ip(&service["spec"]) && !headless(&service["spec"]) {
            let count = elements(&service["spec"], "ipFamilies").len();
            let positions: Vec<usize> = (0..count).collect();
            match allocator.allocate_ips(service, &positions, dry_run).await {
                Ok(taken) => held.taken_ips = taken,
                Err((taken, error)) => {
                    held.taken_ips = taken;
                    Box::new(held).revert().await;
                    return Err(error);
                }
            }
        }
        match allocator.allocate_ports(service, &[], None, dry_run).await {
            Ok((taken, _)) => held.taken_ports = taken,
            Err(error) => {
                Box::new(held).revert().await;
                return Err(error);
            }
        }
        Ok(Box::new(held))
    }

    async fn before_update(
        &self,
        service: &mut Value,
        old: &Value,
        dry_run: bool,
    ) -> Result<Box<dyn Reservation>, ApiError> {
        let allocator = &self.0;
        let mut held = self.held(dry_run);
        let old_spec = old.get("spec").cloned().unwrap_or_default();
        if !service.get("spec").is_some_and(Value::is_object) {
            return Ok(Box::new(held));
        }
        let families = allocator.cluster_ips.families();
        families::settle(&mut service["spec"], Some(&old_spec), &families)
            .map_err(|errors| ServiceAllocator::invalid(service, errors))?;
        let spec = &service["spec"];
        let old_ips = held_ips(&old_spec);
        let wanted: Vec<usize> = if !needs_cluster_ip(&old_spec) && needs_cluster_ip(spec) {
            // From ExternalName: everything is new.
            (0..elements(spec, "ipFamilies").len()).collect()
        } else if headless(&old_spec) || !needs_cluster_ip(spec) {
            Vec::new()
        } else if elements(&old_spec, "ipFamilies").len() == 1
            && elements(spec, "ipFamilies").len() == 2
        {
            vec![1]
        } else {
            Vec::new()
        };
        if !wanted.is_empty() && !headless(spec) {
            match allocator.allocate_ips(service, &wanted, dry_run).await {
                Ok(taken) => held.taken_ips = taken,
                Err((taken, error)) => {
                    held.taken_ips = taken;
                    Box::new(held).revert().await;
                    return Err(error);
                }
            }
        }
        let now_ips = held_ips(&service["spec"]);
        held.freed_ips = old_ips
            .into_iter()
            .filter(|ip| !now_ips.contains(ip))
            .collect();
        let old_ports: Vec<u16> = elements(&old_spec, "ports")
            .iter()
            .filter_map(|p| u16::try_from(int(p, "nodePort")?).ok())
            .filter(|p| *p != 0)
            .collect();
        let old_health = needs_health_check(&old_spec)
            .then(|| int(&old_spec, "healthCheckNodePort").and_then(|p| u16::try_from(p).ok()))
            .flatten()
            .filter(|p| *p != 0);
        match allocator
            .allocate_ports(service, &old_ports, old_health, dry_run)
            .await
        {
            Ok((taken, freed)) => {
                held.taken_ports = taken;
                held.freed_ports = freed;
            }
            Err(error) => {
                Box::new(held).revert().await;
                return Err(error);
            }
        }
        Ok(Box::new(held))
    }

    async fn after_delete(&self, service: &Value) {
        let spec = service.get("spec").cloned().unwrap_or_default();
        for ip in held_ips(&spec) {
            self.0.cluster_ips.release(ip).await;
        }
        self.0.free_ports(&held_ports(&spec)).await;
    }
}
