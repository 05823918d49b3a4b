//! Cluster IPs, held as upstream 1.33 holds them: one
//! `networking.k8s.io/v1` `IPAddress` object per allocated address, named
//! by the address and pointing at its Service. Creating that object is the
//! allocation, so uniqueness comes from storage (a create of an existing
//! key fails) and survives restarts and crashes; deleting it frees the
//! address.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;

use serde_json::{Value, json};

use super::ip_range::{Family, IpRange};
use crate::apiserver::object::ObjectExt;
use crate::apiserver::registry::store::{DeleteOptions, ResourceStore, WriteOptions};
use crate::apiserver::status::ApiError;
use crate::storage::{ListOptions, Storage};

/// The controller name upstream's allocator puts on its IPAddresses.
pub const MANAGED_BY: &str = "ipallocator.k8s.io";

/// Why an address could not be had, worded as upstream's allocator.
#[derive(Debug)]
pub enum IpError {
    Taken,
    /// In a Service CIDR, but its network or broadcast address.
    NotInRange(IpAddr),
    /// In no Service CIDR of this cluster.
    Mismatched,
    Full,
    Api(ApiError),
}

impl std::fmt::Display for IpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IpError::Taken => f.write_str("provided IP is already allocated"),
            IpError::NotInRange(ip) => write!(f, "provided IP {ip} is not in the valid range"),
            IpError::Mismatched => {
                f.write_str("the provided network does not match the current range")
            }
            IpError::Full => f.write_str("range is full"),
            IpError::Api(e) => write!(f, "{}", e.message),
        }
    }
}

/// The cluster IP allocator: the Service CIDRs and the IPAddress store.
pub struct ClusterIps {
    /// In `--service-cluster-ip-range` order (the first family is the
    /// cluster's default).
    pub ranges: Vec<IpRange>,
    addresses: Arc<ResourceStore>,
    storage: Arc<dyn Storage>,
}

fn random() -> u128 {
    u128::from_le_bytes(uuid::Uuid::new_v4().into_bytes())
}

/// The `parentRef` of an address held by `service`.
fn parent_ref(service: &Value) -> Value {
    json!({
        "group": "",
        "resource": "services",
        "namespace": service.namespace().unwrap_or_default(),
        "name": service.name().unwrap_or_default(),
    })
}

impl ClusterIps {
    pub fn new(
        ranges: Vec<IpRange>,
        addresses: Arc<ResourceStore>,
        storage: Arc<dyn Storage>,
    ) -> ClusterIps {
        ClusterIps {
            ranges,
            addresses,
            storage,
        }
    }

    pub fn families(&self) -> Vec<Family> {
        self.ranges.iter().map(IpRange::family).collect()
    }

    fn range_of(&self, family: Family) -> Option<&IpRange> {
        self.ranges.iter().find(|r| r.family() == family)
    }

    /// Creates the IPAddress for `ip`, held by `service`.
    async fn claim(&self, ip: IpAddr, service: &Value) -> Result<(), IpError> {
        let address = json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IPAddress",
            "metadata": {
                "name": ip.to_string(),
                "labels": {
                    "ipaddress.kubernetes.io/ip-family": Family::of(&ip).name(),
                    "ipaddress.kubernetes.io/managed-by": MANAGED_BY,
                },
            },
            "spec": {"parentRef": parent_ref(service)},
        });
        match self
            .addresses
            .create(None, address, &WriteOptions::default())
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.reason == "AlreadyExists" => Err(IpError::Taken),
            Err(e) => Err(IpError::Api(e)),
        }
    }

    /// Allocates the address a user chose.
    pub async fn allocate(
        &self,
        ip: IpAddr,
        service: &Value,
        dry_run: bool,
    ) -> Result<(), IpError> {
        let range = self
            .ranges
            .iter()
            .find(|r| r.contains(&ip))
            .ok_or(IpError::Mismatched)?;
        if !range.allocatable(&ip) {
            return Err(IpError::NotInRange(ip));
        }
        if dry_run {
            return Ok(());
        }
        self.claim(ip, service).await
    }

    /// The names of the IPAddresses that exist now.
    async fn existing(&self) -> Result<HashSet<String>, IpError> {
        let prefix = self
            .addresses
            .descriptor
            .key_prefix()
            .ok_or_else(|| IpError::Api(ApiError::internal("ipaddresses are not stored")))?;
        let listed = self
            .storage
            .list(&prefix, ListOptions::default())
            .await
            .map_err(|e| {
                IpError::Api(crate::apiserver::registry::store::storage_error_unnamed(e))
            })?;
        Ok(listed
            .items
            .iter()
            .filter_map(|kv| kv.key.strip_prefix(&prefix).map(str::to_owned))
            .collect())
    }

    /// Allocates a free address of `family`. A dry run answers with the
    /// range's network address, as upstream's does, and takes nothing.
    pub async fn allocate_next(
        &self,
        family: Family,
        service: &Value,
        dry_run: bool,
    ) -> Result<IpAddr, IpError> {
        let range = self.range_of(family).ok_or(IpError::Mismatched)?;
        if dry_run {
            return Ok(range.cidr.network());
        }
        let existing = self.existing().await?;
        for ip in range.candidates(random()) {
            if existing.contains(&ip.to_string()) {
                continue;
            }
            match self.claim(ip, service).await {
                Ok(()) => return Ok(ip),
                // Taken since the list: another writer was quicker.
                Err(IpError::Taken) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(IpError::Full)
    }

    /// Frees `ip` (nothing if it was not held).
    pub async fn release(&self, ip: IpAddr) {
        let name = ip.to_string();
        if let Err(e) = self
            .addresses
            .delete(None, &name, &DeleteOptions::none())
            .await
            && e.reason != "NotFound"
        {
            tracing::warn!(ip = %name, error = %e, "releasing a cluster IP");
        }
    }

    /// Every IPAddress this allocator manages, with the Service holding it
    /// (`namespace/name`).
    pub async fn held(&self) -> Result<Vec<(String, String)>, ApiError> {
        let prefix = self
            .addresses
            .descriptor
            .key_prefix()
            .ok_or_else(|| ApiError::internal("ipaddresses are not stored"))?;
        let listed = self
            .storage
            .list(&prefix, ListOptions::default())
            .await
            .map_err(crate::apiserver::registry::store::storage_error_unnamed)?;
        let mut held = Vec::new();
        for kv in &listed.items {
            let object = crate::apiserver::registry::codec::decode(kv)?;
            if object
                .labels()
                .get("ipaddress.kubernetes.io/managed-by")
                .map(String::as_str)
                != Some(MANAGED_BY)
            {
                continue;
            }
            let parent = object
                .pointer("/spec/parentRef")
                .cloned()
                .unwrap_or_default();
            if parent.get("resource").and_then(Value::as_str) != Some("services") {
                continue;
            }
            let owner = format!(
                "{}/{}",
                parent
                    .get("namespace")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
                parent
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
            );
            held.push((object.name().unwrap_or_default().to_owned(), owner));
        }
        Ok(held)
    }
}
