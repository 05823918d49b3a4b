//! What the scheduler knows about a pod, computed once when the pod is
//! seen rather than on every node it is checked against: requests,
//! priority, host ports and compiled affinity and spread terms.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Pod, PodAffinityTerm, Toleration};
use kube::ResourceExt;

use super::resources::{Resources, pod_requests};
use super::selectors::Selector;

/// A host port a pod takes on its node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPort {
    pub protocol: String,
    /// `0.0.0.0` when none is given: every address.
    pub ip: String,
    pub port: i32,
}

impl HostPort {
    /// Whether two host ports cannot be on the same node.
    pub fn conflicts(&self, other: &HostPort) -> bool {
        self.port == other.port
            && self.protocol == other.protocol
            && (self.ip == other.ip || self.ip == "0.0.0.0" || other.ip == "0.0.0.0")
    }
}

/// A pod (anti-)affinity term, compiled.
#[derive(Clone, Debug)]
pub struct AffinityTerm {
    /// `None`: a nil selector, which matches no pod.
    pub selector: Option<Selector>,
    /// The namespaces whose pods count; empty with `all_namespaces`
    /// false means the pod's own.
    pub namespaces: Vec<String>,
    pub all_namespaces: bool,
    pub topology_key: String,
    /// Preferred terms' weight (required terms: 1).
    pub weight: i64,
}

impl AffinityTerm {
    fn compile(
        term: &PodAffinityTerm,
        own_namespace: &str,
        weight: i64,
        own_labels: &BTreeMap<String, String>,
    ) -> AffinityTerm {
        let mut selector = term.label_selector.as_ref().map(Selector::compile);
        if let Some(selector) = &mut selector {
            for key in term.match_label_keys.iter().flatten() {
                if let Some(value) = own_labels.get(key) {
                    selector.require(key, value);
                }
            }
        }
        let mut namespaces = term.namespaces.clone().unwrap_or_default();
        // An empty namespaceSelector selects every namespace; a non-empty
        // one needs namespace labels, which this scheduler does not watch:
        // it is read as "every namespace" too.
        let all_namespaces = term.namespace_selector.is_some();
        if namespaces.is_empty() && !all_namespaces {
            namespaces.push(own_namespace.to_owned());
        }
        AffinityTerm {
            selector,
            namespaces,
            all_namespaces,
            topology_key: term.topology_key.clone(),
            weight,
        }
    }

    /// Whether `pod` is one of the pods this term is about.
    pub fn matches(&self, pod: &PodInfo) -> bool {
        (self.all_namespaces || self.namespaces.contains(&pod.namespace))
            && self
                .selector
                .as_ref()
                .is_some_and(|s| s.matches(&pod.labels))
    }
}

/// A topology spread constraint, compiled.
#[derive(Clone, Debug)]
pub struct SpreadConstraint {
    pub max_skew: i64,
    pub topology_key: String,
    pub selector: Selector,
    pub min_domains: Option<i64>,
    /// `nodeAffinityPolicy: Honor` (the default): only nodes the pod's
    /// node affinity allows count.
    pub honor_node_affinity: bool,
    /// `nodeTaintsPolicy: Honor`: only nodes whose taints the pod
    /// tolerates count (default Ignore).
    pub honor_node_taints: bool,
}

/// One pod as the scheduler sees it.
#[derive(Clone, Debug)]
pub struct PodInfo {
    pub pod: Pod,
    pub uid: String,
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub priority: i32,
    pub requests: Resources,
    /// Requests with upstream's defaults for containers that ask for no
    /// CPU or memory, for scoring.
    pub non_zero_requests: Resources,
    pub host_ports: Vec<HostPort>,
    pub tolerations: Vec<Toleration>,
    pub required_affinity: Vec<AffinityTerm>,
    pub required_anti_affinity: Vec<AffinityTerm>,
    pub preferred_affinity: Vec<AffinityTerm>,
    pub preferred_anti_affinity: Vec<AffinityTerm>,
    pub spread_hard: Vec<SpreadConstraint>,
    pub spread_soft: Vec<SpreadConstraint>,
    pub terminating: bool,
}

impl PodInfo {
    /// `class_priority` resolves a `priorityClassName` whose value the
    /// API did not fill in.
    pub fn new(pod: Pod, class_priority: impl Fn(&str) -> Option<i32>) -> PodInfo {
        let namespace = pod.namespace().unwrap_or_default();
        let labels = pod.labels().clone();
        let spec = pod.spec.clone().unwrap_or_default();
        let priority = spec
            .priority
            .or_else(|| {
                spec.priority_class_name
                    .as_deref()
                    .and_then(&class_priority)
            })
            .unwrap_or(0);
        let mut host_ports = Vec::new();
        for container in spec
            .containers
            .iter()
            .chain(spec.init_containers.iter().flatten())
        {
            for port in container.ports.iter().flatten() {
                if let Some(host_port) = port.host_port.filter(|p| *p > 0) {
                    host_ports.push(HostPort {
                        protocol: port.protocol.clone().unwrap_or_else(|| "TCP".into()),
                        ip: port
                            .host_ip
                            .clone()
                            .filter(|ip| !ip.is_empty())
                            .unwrap_or_else(|| "0.0.0.0".into()),
                        port: host_port,
                    });
                }
            }
        }
        let compile_required = |terms: Option<&Vec<PodAffinityTerm>>| -> Vec<AffinityTerm> {
            terms
                .into_iter()
                .flatten()
                .map(|t| AffinityTerm::compile(t, &namespace, 1, &labels))
                .collect()
        };
        let affinity = spec.affinity.clone().unwrap_or_default();
        let pod_affinity = affinity.pod_affinity.unwrap_or_default();
        let pod_anti_affinity = affinity.pod_anti_affinity.unwrap_or_default();
        let compile_preferred =
            |terms: &Option<Vec<k8s_openapi::api::core::v1::WeightedPodAffinityTerm>>| {
                terms
                    .iter()
                    .flatten()
                    .map(|t| {
                        AffinityTerm::compile(
                            &t.pod_affinity_term,
                            &namespace,
                            i64::from(t.weight),
                            &labels,
                        )
                    })
                    .collect::<Vec<_>>()
            };
        let mut spread_hard = Vec::new();
        let mut spread_soft = Vec::new();
        for constraint in spec.topology_spread_constraints.iter().flatten() {
            let Some(selector) = &constraint.label_selector else {
                // Without a selector no pod counts: nothing to spread.
                continue;
            };
            let mut selector = Selector::compile(selector);
            for key in constraint.match_label_keys.iter().flatten() {
                if let Some(value) = labels.get(key) {
                    selector.require(key, value);
                }
            }
            let compiled = SpreadConstraint {
                max_skew: i64::from(constraint.max_skew),
                topology_key: constraint.topology_key.clone(),
                selector,
                min_domains: constraint.min_domains.map(i64::from),
                honor_node_affinity: constraint.node_affinity_policy.as_deref() != Some("Ignore"),
                honor_node_taints: constraint.node_taints_policy.as_deref() == Some("Honor"),
            };
            if constraint.when_unsatisfiable == "DoNotSchedule" {
                spread_hard.push(compiled);
            } else {
                spread_soft.push(compiled);
            }
        }
        PodInfo {
            uid: pod.uid().unwrap_or_default(),
            name: pod.name_any(),
            requests: pod_requests(&pod, false),
            non_zero_requests: pod_requests(&pod, true),
            host_ports,
            tolerations: spec.tolerations.clone().unwrap_or_default(),
            required_affinity: compile_required(
                pod_affinity
                    .required_during_scheduling_ignored_during_execution
                    .as_ref(),
            ),
            required_anti_affinity: compile_required(
                pod_anti_affinity
                    .required_during_scheduling_ignored_during_execution
                    .as_ref(),
            ),
            preferred_affinity: compile_preferred(
                &pod_affinity.preferred_during_scheduling_ignored_during_execution,
            ),
            preferred_anti_affinity: compile_preferred(
                &pod_anti_affinity.preferred_during_scheduling_ignored_during_execution,
            ),
            spread_hard,
            spread_soft,
            terminating: pod.metadata.deletion_timestamp.is_some(),
            priority,
            labels,
            namespace,
            pod,
        }
    }

    /// `namespace/name`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    pub fn node_name(&self) -> Option<&str> {
        self.pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.as_deref())
            .filter(|n| !n.is_empty())
    }

    pub fn scheduler_name(&self) -> &str {
        self.pod
            .spec
            .as_ref()
            .and_then(|s| s.scheduler_name.as_deref())
            .unwrap_or("default-scheduler")
    }

    /// `preemptionPolicy: Never` pods wait rather than evict others.
    pub fn may_preempt(&self) -> bool {
        self.pod
            .spec
            .as_ref()
            .and_then(|s| s.preemption_policy.as_deref())
            != Some("Never")
    }

    pub fn nominated_node(&self) -> Option<&str> {
        self.pod
            .status
            .as_ref()
            .and_then(|s| s.nominated_node_name.as_deref())
            .filter(|n| !n.is_empty())
    }

    /// Succeeded or Failed: holds nothing on its node any more.
    pub fn terminal(&self) -> bool {
        matches!(
            self.pod.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Succeeded" | "Failed")
        )
    }

    pub fn has_scheduling_gates(&self) -> bool {
        self.pod
            .spec
            .as_ref()
            .and_then(|s| s.scheduling_gates.as_ref())
            .is_some_and(|g| !g.is_empty())
    }

    /// When the pod started (for choosing among preemption victims).
    pub fn start_time(&self) -> Option<jiff::Timestamp> {
        self.pod
            .status
            .as_ref()
            .and_then(|s| s.start_time.as_ref())
            .map(|t| t.0)
            .or_else(|| self.pod.metadata.creation_timestamp.as_ref().map(|t| t.0))
    }

    /// Whether an update changed what scheduling depends on (not only
    /// status or bookkeeping), so that a waiting pod deserves a new try.
    pub fn scheduling_changed(&self, newer: &PodInfo) -> bool {
        self.pod.spec != newer.pod.spec || self.labels != newer.labels
    }
}
