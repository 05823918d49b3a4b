//! The two kinds the replica controller keeps pods for: apps/v1
//! ReplicaSets (a label selector) and v1 ReplicationControllers (a map
//! selector, defaulting to the template's labels). Their status has the
//! same fields.

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{PodTemplateSpec, ReplicationController};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, Time};
use kube::Resource;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::scheduler::selectors::Selector;

/// What the replica controller reads of a ReplicaSet or
/// ReplicationController.
pub trait Replicated:
    Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
    + Clone
    + std::fmt::Debug
    + DeserializeOwned
    + Serialize
    + Send
    + Sync
    + 'static
{
    /// Upstream's controller name (`--controllers`, event source).
    const CONTROLLER: &'static str;
    /// The component named in events.
    const COMPONENT: &'static str;

    /// The pods it selects; `None` selects nothing.
    fn selector(&self) -> Option<Selector>;
    fn replicas(&self) -> i32;
    fn template(&self) -> Option<&PodTemplateSpec>;
    fn min_ready_seconds(&self) -> i32;
    /// The status fields the controller keeps, as they are now.
    fn status(&self) -> Status;
}

/// The status fields the controller keeps (same names on both kinds).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub replicas: i32,
    pub fully_labeled_replicas: i32,
    pub ready_replicas: i32,
    pub available_replicas: i32,
    pub observed_generation: i64,
    /// `ReplicaFailure`, while creating or deleting pods fails.
    pub conditions: Vec<Condition>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    pub reason: String,
    pub message: String,
    pub last_transition_time: Option<Time>,
}

impl Replicated for ReplicaSet {
    const CONTROLLER: &'static str = "replicaset";
    const COMPONENT: &'static str = "replicaset-controller";

    fn selector(&self) -> Option<Selector> {
        let selector: &LabelSelector = &self.spec.as_ref()?.selector;
        // An empty selector would take every pod of the namespace; the API
        // refuses one, and the controller does not act on it either.
        let empty = selector.match_labels.as_ref().is_none_or(|l| l.is_empty())
            && selector
                .match_expressions
                .as_ref()
                .is_none_or(|e| e.is_empty());
        (!empty).then(|| Selector::compile(selector))
    }

    fn replicas(&self) -> i32 {
        self.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
    }

    fn template(&self) -> Option<&PodTemplateSpec> {
        self.spec.as_ref()?.template.as_ref()
    }

    fn min_ready_seconds(&self) -> i32 {
        self.spec
            .as_ref()
            .and_then(|s| s.min_ready_seconds)
            .unwrap_or(0)
    }

    fn status(&self) -> Status {
        let Some(status) = &self.status else {
            return Status::default();
        };
        Status {
            replicas: status.replicas,
            fully_labeled_replicas: status.fully_labeled_replicas.unwrap_or(0),
            ready_replicas: status.ready_replicas.unwrap_or(0),
            available_replicas: status.available_replicas.unwrap_or(0),
            observed_generation: status.observed_generation.unwrap_or(0),
            conditions: status
                .conditions
                .iter()
                .flatten()
                .map(|c| Condition {
                    type_: c.type_.clone(),
                    status: c.status.clone(),
                    reason: c.reason.clone().unwrap_or_default(),
                    message: c.message.clone().unwrap_or_default(),
                    last_transition_time: c.last_transition_time.clone(),
                })
                .collect(),
        }
    }
}

impl Replicated for ReplicationController {
    const CONTROLLER: &'static str = "replicationcontroller";
    const COMPONENT: &'static str = "replication-controller";

    fn selector(&self) -> Option<Selector> {
        let spec = self.spec.as_ref()?;
        // Defaulted by the API server to the template's labels.
        let labels = spec
            .selector
            .clone()
            .or_else(|| spec.template.as_ref()?.metadata.as_ref()?.labels.clone())?;
        (!labels.is_empty()).then(|| {
            Selector::compile(&LabelSelector {
                match_labels: Some(labels),
                match_expressions: None,
            })
        })
    }

    fn replicas(&self) -> i32 {
        self.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
    }

    fn template(&self) -> Option<&PodTemplateSpec> {
        self.spec.as_ref()?.template.as_ref()
    }

    fn min_ready_seconds(&self) -> i32 {
        self.spec
            .as_ref()
            .and_then(|s| s.min_ready_seconds)
            .unwrap_or(0)
    }

    fn status(&self) -> Status {
        let Some(status) = &self.status else {
            return Status::default();
        };
        Status {
            replicas: status.replicas,
            fully_labeled_replicas: status.fully_labeled_replicas.unwrap_or(0),
            ready_replicas: status.ready_replicas.unwrap_or(0),
            available_replicas: status.available_replicas.unwrap_or(0),
            observed_generation: status.observed_generation.unwrap_or(0),
            conditions: status
                .conditions
                .iter()
                .flatten()
                .map(|c| Condition {
                    type_: c.type_.clone(),
                    status: c.status.clone(),
                    reason: c.reason.clone().unwrap_or_default(),
                    message: c.message.clone().unwrap_or_default(),
                    last_transition_time: c.last_transition_time.clone(),
                })
                .collect(),
        }
    }
}
