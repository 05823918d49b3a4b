//! Resource amounts as the scheduler counts them: CPU in millicores,
//! memory and ephemeral storage in bytes, pods, and every other (extended)
//! resource in whole units; and a pod's request, computed as upstream
//! does: the containers' sum, at least the largest init container (with
//! restartable "sidecar" init containers running alongside), plus the
//! pod's overhead.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Pod};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as ApiQuantity;

use crate::apiserver::validation::quantity::Quantity;

pub const CPU: &str = "cpu";
pub const MEMORY: &str = "memory";
pub const EPHEMERAL_STORAGE: &str = "ephemeral-storage";
pub const PODS: &str = "pods";

/// What a container without a CPU request counts as when scoring
/// (upstream's `DefaultMilliCPURequest`), so that empty pods still spread.
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
/// What a container without a memory request counts as when scoring
/// (upstream's `DefaultMemoryRequest`, 200 MB).
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// An amount of each resource.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    pub milli_cpu: i64,
    pub memory: i64,
    pub ephemeral_storage: i64,
    /// Pods a node allows (node side only).
    pub pods: i64,
    /// Extended and other resources, whole units (hugepages in bytes).
    pub scalar: BTreeMap<String, i64>,
}

/// A quantity in the scheduler's unit for `resource`.
fn amount(resource: &str, quantity: &ApiQuantity) -> i64 {
    let Some(Quantity(nano)) = Quantity::parse(&quantity.0) else {
        return 0;
    };
    let value = if resource == CPU {
        // millicores, rounded up as upstream's MilliValue does
        (nano + 999_999).div_euclid(1_000_000)
    } else {
        (nano + 999_999_999).div_euclid(1_000_000_000)
    };
    value.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

impl Resources {
    /// From a resource list (`allocatable`, `requests`, `overhead`).
    pub fn from_list(list: &BTreeMap<String, ApiQuantity>) -> Resources {
        let mut resources = Resources::default();
        for (name, quantity) in list {
            resources.set(name, amount(name, quantity));
        }
        resources
    }

    pub fn get(&self, name: &str) -> i64 {
        match name {
            CPU => self.milli_cpu,
            MEMORY => self.memory,
            EPHEMERAL_STORAGE => self.ephemeral_storage,
            PODS => self.pods,
            other => self.scalar.get(other).copied().unwrap_or(0),
        }
    }

    pub fn set(&mut self, name: &str, value: i64) {
        match name {
            CPU => self.milli_cpu = value,
            MEMORY => self.memory = value,
            EPHEMERAL_STORAGE => self.ephemeral_storage = value,
            PODS => self.pods = value,
            other => {
                self.scalar.insert(other.to_owned(), value);
            }
        }
    }

    pub fn add(&mut self, other: &Resources) {
        self.milli_cpu += other.milli_cpu;
        self.memory += other.memory;
        self.ephemeral_storage += other.ephemeral_storage;
        self.pods += other.pods;
        for (name, value) in &other.scalar {
            *self.scalar.entry(name.clone()).or_default() += value;
        }
    }

    pub fn subtract(&mut self, other: &Resources) {
        self.milli_cpu -= other.milli_cpu;
        self.memory -= other.memory;
        self.ephemeral_storage -= other.ephemeral_storage;
        self.pods -= other.pods;
        for (name, value) in &other.scalar {
            *self.scalar.entry(name.clone()).or_default() -= value;
        }
    }

    /// Each resource at least as much as in `other`.
    fn max_with(&mut self, other: &Resources) {
        self.milli_cpu = self.milli_cpu.max(other.milli_cpu);
        self.memory = self.memory.max(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.max(other.ephemeral_storage);
        for (name, value) in &other.scalar {
            let entry = self.scalar.entry(name.clone()).or_default();
            *entry = (*entry).max(*value);
        }
    }
}

/// A container's requests (its limits where it requests nothing, as the
/// API's defaulting would have set them).
fn container_requests(container: &Container, non_zero: bool) -> Resources {
    let mut resources = Resources::default();
    if let Some(r) = &container.resources {
        if let Some(limits) = &r.limits {
            resources = Resources::from_list(limits);
        }
        if let Some(requests) = &r.requests {
            for (name, quantity) in requests {
                resources.set(name, amount(name, quantity));
            }
        }
    }
    if non_zero {
        if resources.milli_cpu == 0 {
            resources.milli_cpu = DEFAULT_MILLI_CPU_REQUEST;
        }
        if resources.memory == 0 {
            resources.memory = DEFAULT_MEMORY_REQUEST;
        }
    }
    resources
}

/// What `pod` asks of a node. `non_zero` counts containers that request
/// no CPU or memory as upstream's defaults (for scoring).
pub fn pod_requests(pod: &Pod, non_zero: bool) -> Resources {
    let Some(spec) = &pod.spec else {
        return Resources::default();
    };
    let mut running = Resources::default();
    for container in &spec.containers {
        running.add(&container_requests(container, non_zero));
    }
    // Sidecars (restartable init containers) run from their start on;
    // each plain init container runs alone next to the sidecars started
    // before it.
    let mut sidecars = Resources::default();
    let mut init_peak = Resources::default();
    for container in spec.init_containers.iter().flatten() {
        let requests = container_requests(container, non_zero);
        if container.restart_policy.as_deref() == Some("Always") {
            sidecars.add(&requests);
            init_peak.max_with(&sidecars);
        } else {
            let mut peak = sidecars.clone();
            peak.add(&requests);
            init_peak.max_with(&peak);
        }
    }
    running.add(&sidecars);
    running.max_with(&init_peak);
    // Pod-level resources, where given, stand for the containers' CPU and
    // memory.
    if let Some(requests) = spec.resources.as_ref().and_then(|r| r.requests.as_ref()) {
        for name in [CPU, MEMORY] {
            if let Some(quantity) = requests.get(name) {
                running.set(name, amount(name, quantity));
            }
        }
    }
    if let Some(overhead) = &spec.overhead {
        running.add(&Resources::from_list(overhead));
    }
    running.pods = 1;
    running
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(spec: serde_json::Value) -> Pod {
        serde_json::from_value(serde_json::json!({"metadata": {"name": "p"}, "spec": spec}))
            .unwrap()
    }

    #[test]
    fn requests_sum_containers_and_cover_init_containers_and_overhead() {
        let p = pod(serde_json::json!({
            "containers": [
                {"name": "a", "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}}},
                {"name": "b", "resources": {"requests": {"cpu": "250m", "example.com/gpu": "1"}}},
            ],
            "initContainers": [
                {"name": "i", "resources": {"requests": {"cpu": "2", "memory": "100Mi"}}},
            ],
            "overhead": {"cpu": "100m"},
        }));
        let r = pod_requests(&p, false);
        assert_eq!(r.milli_cpu, 2100);
        assert_eq!(r.memory, 1 << 30);
        assert_eq!(r.get("example.com/gpu"), 1);
        assert_eq!(r.pods, 1);
    }

    #[test]
    fn sidecars_run_alongside_and_limits_stand_for_missing_requests() {
        let p = pod(serde_json::json!({
            "containers": [{"name": "a", "resources": {"limits": {"cpu": "1"}}}],
            "initContainers": [
                {"name": "s", "restartPolicy": "Always", "resources": {"requests": {"cpu": "500m"}}},
                {"name": "i", "resources": {"requests": {"cpu": "1"}}},
            ],
        }));
        assert_eq!(pod_requests(&p, false).milli_cpu, 1500);
        let empty = pod(serde_json::json!({"containers": [{"name": "a"}]}));
        assert_eq!(pod_requests(&empty, false).milli_cpu, 0);
        assert_eq!(
            pod_requests(&empty, true).milli_cpu,
            DEFAULT_MILLI_CPU_REQUEST
        );
        assert_eq!(pod_requests(&empty, true).memory, DEFAULT_MEMORY_REQUEST);
    }
}
