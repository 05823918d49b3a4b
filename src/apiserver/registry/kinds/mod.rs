//! Per-kind strategies: what differs about each built-in kind. Every
//! built-in kind reads its bodies through its k8s-openapi type
//! ([`typed::Typed`]); a kind with no further rules uses
//! [`DefaultStrategy`] inside that.

mod batch;
mod certificate_status;
mod certificates;
mod config;
mod endpoints;
mod event;
pub mod fields;
mod namespace;
mod node;
mod pod;
pub mod pod_spec;
mod rbac;
mod scheduling;
mod service;
mod service_account;
mod storage;
pub mod typed;
mod workloads;

use std::sync::Arc;

use k8s_openapi::api;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1 as apiregistration;

use self::typed::Typed;
use super::strategy::{DefaultStrategy, GenerationStrategy, Strategy};

pub use self::batch::{CronJobStrategy, JobStrategy};
pub use self::certificates::CertificateSigningRequestStrategy;
pub use self::config::{ConfigMapStrategy, SecretStrategy};
pub use self::endpoints::{EndpointSliceStrategy, EndpointsStrategy};
pub use self::event::{EventStrategy, EventsV1Strategy};
pub use self::namespace::NamespaceStrategy;
pub use self::node::NodeStrategy;
pub use self::pod::{PodStrategy, PodTemplateStrategy};
pub use self::rbac::{BindingStrategy, RoleStrategy};
pub use self::scheduling::PriorityClassStrategy;
pub use self::service::ServiceStrategy;
pub use self::service_account::ServiceAccountStrategy;
pub use self::storage::{
    PersistentVolumeClaimStrategy, PersistentVolumeStrategy, StorageClassStrategy,
};
pub use self::workloads::{ReplicationControllerStrategy, Workload, WorkloadStrategy};

/// `Typed<K, S>` as a shared strategy.
fn typed<K, S>(inner: S) -> Arc<dyn Strategy>
where
    K: k8s_openapi::Resource + serde::de::DeserializeOwned + serde::Serialize + 'static,
    S: Strategy,
{
    Arc::new(Typed::<K, S>::new(inner))
}

/// The strategy of a built-in kind at `group`/`version`.
pub fn strategy_for(group: &str, version: &str, kind: &str) -> Arc<dyn Strategy> {
    use api::*;
    let d = DefaultStrategy;
    let g = GenerationStrategy;
    match (group, version, kind) {
        ("", "v1", "Namespace") => typed::<core::v1::Namespace, _>(NamespaceStrategy),
        ("", "v1", "Pod") => typed::<core::v1::Pod, _>(PodStrategy),
        ("", "v1", "Service") => typed::<core::v1::Service, _>(ServiceStrategy),
        ("", "v1", "Endpoints") => typed::<core::v1::Endpoints, _>(EndpointsStrategy),
        ("", "v1", "ConfigMap") => typed::<core::v1::ConfigMap, _>(ConfigMapStrategy),
        ("", "v1", "Secret") => typed::<core::v1::Secret, _>(SecretStrategy),
        ("", "v1", "ServiceAccount") => {
            typed::<core::v1::ServiceAccount, _>(ServiceAccountStrategy)
        }
        ("", "v1", "Node") => typed::<core::v1::Node, _>(NodeStrategy),
        ("", "v1", "Event") => typed::<core::v1::Event, _>(EventStrategy),
        ("", "v1", "PersistentVolume") => {
            typed::<core::v1::PersistentVolume, _>(PersistentVolumeStrategy)
        }
        ("", "v1", "PersistentVolumeClaim") => {
            typed::<core::v1::PersistentVolumeClaim, _>(PersistentVolumeClaimStrategy)
        }
        ("", "v1", "LimitRange") => typed::<core::v1::LimitRange, _>(d),
        ("", "v1", "ResourceQuota") => typed::<core::v1::ResourceQuota, _>(d),
        ("", "v1", "ReplicationController") => {
            typed::<core::v1::ReplicationController, _>(ReplicationControllerStrategy)
        }
        ("", "v1", "PodTemplate") => typed::<core::v1::PodTemplate, _>(PodTemplateStrategy),
        ("apps", "v1", "Deployment") => {
            typed::<apps::v1::Deployment, _>(WorkloadStrategy(Workload::Deployment))
        }
        ("apps", "v1", "ReplicaSet") => {
            typed::<apps::v1::ReplicaSet, _>(WorkloadStrategy(Workload::ReplicaSet))
        }
        ("apps", "v1", "StatefulSet") => {
            typed::<apps::v1::StatefulSet, _>(WorkloadStrategy(Workload::StatefulSet))
        }
        ("apps", "v1", "DaemonSet") => {
            typed::<apps::v1::DaemonSet, _>(WorkloadStrategy(Workload::DaemonSet))
        }
        ("apps", "v1", "ControllerRevision") => typed::<apps::v1::ControllerRevision, _>(d),
        ("batch", "v1", "Job") => typed::<batch::v1::Job, _>(JobStrategy),
        ("batch", "v1", "CronJob") => typed::<batch::v1::CronJob, _>(CronJobStrategy),
        ("autoscaling", "v1", "HorizontalPodAutoscaler") => {
            typed::<autoscaling::v1::HorizontalPodAutoscaler, _>(g)
        }
        ("autoscaling", "v2", "HorizontalPodAutoscaler") => {
            typed::<autoscaling::v2::HorizontalPodAutoscaler, _>(g)
        }
        ("coordination.k8s.io", "v1", "Lease") => typed::<coordination::v1::Lease, _>(d),
        ("discovery.k8s.io", "v1", "EndpointSlice") => {
            typed::<discovery::v1::EndpointSlice, _>(EndpointSliceStrategy)
        }
        ("events.k8s.io", "v1", "Event") => typed::<events::v1::Event, _>(EventsV1Strategy),
        ("networking.k8s.io", "v1", "Ingress") => typed::<networking::v1::Ingress, _>(g),
        ("networking.k8s.io", "v1", "IngressClass") => typed::<networking::v1::IngressClass, _>(d),
        ("networking.k8s.io", "v1", "NetworkPolicy") => {
            typed::<networking::v1::NetworkPolicy, _>(g)
        }
        ("networking.k8s.io", "v1", "IPAddress") => typed::<networking::v1::IPAddress, _>(d),
        ("networking.k8s.io", "v1", "ServiceCIDR") => typed::<networking::v1::ServiceCIDR, _>(d),
        ("policy", "v1", "PodDisruptionBudget") => typed::<policy::v1::PodDisruptionBudget, _>(g),
        ("rbac.authorization.k8s.io", "v1", "Role") => {
            typed::<rbac::v1::Role, _>(RoleStrategy { namespaced: true })
        }
        ("rbac.authorization.k8s.io", "v1", "RoleBinding") => {
            typed::<rbac::v1::RoleBinding, _>(BindingStrategy { namespaced: true })
        }
        ("rbac.authorization.k8s.io", "v1", "ClusterRole") => {
            typed::<rbac::v1::ClusterRole, _>(RoleStrategy { namespaced: false })
        }
        ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding") => {
            typed::<rbac::v1::ClusterRoleBinding, _>(BindingStrategy { namespaced: false })
        }
        ("storage.k8s.io", "v1", "StorageClass") => {
            typed::<storage::v1::StorageClass, _>(StorageClassStrategy)
        }
        ("storage.k8s.io", "v1", "CSIDriver") => typed::<storage::v1::CSIDriver, _>(d),
        ("storage.k8s.io", "v1", "CSINode") => typed::<storage::v1::CSINode, _>(d),
        ("storage.k8s.io", "v1", "CSIStorageCapacity") => {
            typed::<storage::v1::CSIStorageCapacity, _>(d)
        }
        ("storage.k8s.io", "v1", "VolumeAttachment") => {
            typed::<storage::v1::VolumeAttachment, _>(d)
        }
        ("scheduling.k8s.io", "v1", "PriorityClass") => {
            typed::<scheduling::v1::PriorityClass, _>(PriorityClassStrategy)
        }
        ("node.k8s.io", "v1", "RuntimeClass") => typed::<node::v1::RuntimeClass, _>(d),
        ("certificates.k8s.io", "v1", "CertificateSigningRequest") => {
            typed::<certificates::v1::CertificateSigningRequest, _>(
                CertificateSigningRequestStrategy,
            )
        }
        ("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration") => {
            typed::<admissionregistration::v1::MutatingWebhookConfiguration, _>(d)
        }
        ("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration") => {
            typed::<admissionregistration::v1::ValidatingWebhookConfiguration, _>(d)
        }
        ("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy") => {
            typed::<admissionregistration::v1::ValidatingAdmissionPolicy, _>(g)
        }
        ("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicyBinding") => {
            typed::<admissionregistration::v1::ValidatingAdmissionPolicyBinding, _>(d)
        }
        ("apiextensions.k8s.io", "v1", "CustomResourceDefinition") => {
            typed::<apiextensions::CustomResourceDefinition, _>(
                crate::apiserver::crd::strategy::CustomResourceDefinitionStrategy,
            )
        }
        ("apiregistration.k8s.io", "v1", "APIService") => {
            typed::<apiregistration::APIService, _>(d)
        }
        ("flowcontrol.apiserver.k8s.io", "v1", "FlowSchema") => {
            typed::<flowcontrol::v1::FlowSchema, _>(g)
        }
        ("flowcontrol.apiserver.k8s.io", "v1", "PriorityLevelConfiguration") => {
            typed::<flowcontrol::v1::PriorityLevelConfiguration, _>(g)
        }
        _ => Arc::new(d),
    }
}
