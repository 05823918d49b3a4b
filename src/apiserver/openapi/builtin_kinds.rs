//! Which `k8s-openapi` type describes each built-in kind: the roots the
//! definitions are generated from (their `schemars` impls name each
//! definition as upstream does, `io.k8s.api.core.v1.Pod`, and pull in every
//! type they reference).
//!
//! The table holds every kind a built-in resource or subresource reads or
//! writes, and the `meta/v1` kinds every group version shares. Kinds that
//! only name a connect subresource's query options (`PodExecOptions`, …)
//! have no definition upstream either.

use std::borrow::Cow;
use std::sync::LazyLock;

use k8s_openapi::Resource;
use k8s_openapi::api::{
    admissionregistration::v1 as admissionregistration, apps::v1 as apps,
    authentication::v1 as authentication, authorization::v1 as authorization, autoscaling,
    batch::v1 as batch, certificates::v1 as certificates, coordination::v1 as coordination,
    core::v1 as core, discovery::v1 as discovery, events::v1 as events,
    flowcontrol::v1 as flowcontrol, networking::v1 as networking, node::v1 as node,
    policy::v1 as policy, rbac::v1 as rbac, scheduling::v1 as scheduling, storage::v1 as storage,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions;
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use k8s_openapi::apimachinery::pkg::version::Info;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1 as apiregistration;
use k8s_openapi::schemars::{JsonSchema, Schema, SchemaGenerator};

use crate::apiserver::registry::resource::GroupVersionKind;

/// A type's schema: its definition's name, and how to generate it (into a
/// generator's definitions, with everything it references; the result is
/// the `$ref` to it).
#[derive(Clone, Copy)]
pub struct TypeSchema {
    pub name: fn() -> Cow<'static, str>,
    pub generate: fn(&mut SchemaGenerator) -> Schema,
}

fn type_schema<T: JsonSchema>() -> TypeSchema {
    TypeSchema {
        name: T::schema_name,
        generate: SchemaGenerator::subschema_for::<T>,
    }
}

/// One built-in kind and the type that describes it.
pub struct BuiltinKind {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub schema: TypeSchema,
}

impl BuiltinKind {
    pub fn is(&self, gvk: &GroupVersionKind) -> bool {
        self.group == gvk.group && self.version == gvk.version && self.kind == gvk.kind
    }
}

fn kind<T: Resource + JsonSchema>() -> BuiltinKind {
    BuiltinKind {
        group: T::GROUP,
        version: T::VERSION,
        kind: T::KIND,
        schema: type_schema::<T>(),
    }
}

/// The schema of the built-in kind `gvk`, if it has one.
pub fn schema_of(gvk: &GroupVersionKind) -> Option<TypeSchema> {
    static BUILTIN: LazyLock<Vec<BuiltinKind>> = LazyLock::new(builtin_kinds);
    BUILTIN.iter().find(|k| k.is(gvk)).map(|k| k.schema)
}

/// The `meta/v1` kinds whose definitions every document carries, with the
/// group-version-kinds upstream tags them with. `DeleteOptions` and
/// `WatchEvent` are registered in every group version, so their tags are
/// added per served group version ([`SHARED_IN_EVERY_GROUP_VERSION`]).
pub fn meta_kinds() -> Vec<(&'static str, TypeSchema)> {
    vec![
        ("APIGroup", type_schema::<meta::APIGroup>()),
        ("APIGroupList", type_schema::<meta::APIGroupList>()),
        ("APIResourceList", type_schema::<meta::APIResourceList>()),
        ("APIVersions", type_schema::<meta::APIVersions>()),
        ("DeleteOptions", type_schema::<meta::DeleteOptions>()),
        ("Patch", type_schema::<meta::Patch>()),
        ("Status", type_schema::<meta::Status>()),
        (
            "WatchEvent",
            type_schema::<meta::WatchEvent<RawExtension>>(),
        ),
    ]
}

/// The `meta/v1` kinds tagged with every served group version.
pub const SHARED_IN_EVERY_GROUP_VERSION: &[&str] = &["DeleteOptions", "WatchEvent"];

/// The `meta/v1` kinds tagged as core `v1` only (`Patch` is not a kind).
pub const TAGGED_AS_CORE_V1: &[&str] = &[
    "APIGroup",
    "APIGroupList",
    "APIResourceList",
    "APIVersions",
    "Status",
];

/// Definitions every document set carries besides the kinds': `/version`'s
/// answer, and the `ListMeta` every list refers to.
pub fn always() -> [TypeSchema; 2] {
    [type_schema::<Info>(), type_schema::<meta::ListMeta>()]
}

fn builtin_kinds() -> Vec<BuiltinKind> {
    vec![
        kind::<core::Binding>(),
        kind::<core::ComponentStatus>(),
        kind::<core::ConfigMap>(),
        kind::<core::Endpoints>(),
        kind::<core::Event>(),
        kind::<core::LimitRange>(),
        kind::<core::Namespace>(),
        kind::<core::Node>(),
        kind::<core::PersistentVolume>(),
        kind::<core::PersistentVolumeClaim>(),
        kind::<core::Pod>(),
        kind::<core::PodTemplate>(),
        kind::<core::ReplicationController>(),
        kind::<core::ResourceQuota>(),
        kind::<core::Secret>(),
        kind::<core::Service>(),
        kind::<core::ServiceAccount>(),
        kind::<apps::ControllerRevision>(),
        kind::<apps::DaemonSet>(),
        kind::<apps::Deployment>(),
        kind::<apps::ReplicaSet>(),
        kind::<apps::StatefulSet>(),
        kind::<autoscaling::v1::HorizontalPodAutoscaler>(),
        kind::<autoscaling::v1::Scale>(),
        kind::<autoscaling::v2::HorizontalPodAutoscaler>(),
        kind::<batch::CronJob>(),
        kind::<batch::Job>(),
        kind::<policy::Eviction>(),
        kind::<policy::PodDisruptionBudget>(),
        kind::<authentication::SelfSubjectReview>(),
        kind::<authentication::TokenRequest>(),
        kind::<authentication::TokenReview>(),
        kind::<authorization::LocalSubjectAccessReview>(),
        kind::<authorization::SelfSubjectAccessReview>(),
        kind::<authorization::SelfSubjectRulesReview>(),
        kind::<authorization::SubjectAccessReview>(),
        kind::<rbac::ClusterRole>(),
        kind::<rbac::ClusterRoleBinding>(),
        kind::<rbac::Role>(),
        kind::<rbac::RoleBinding>(),
        kind::<certificates::CertificateSigningRequest>(),
        kind::<coordination::Lease>(),
        kind::<discovery::EndpointSlice>(),
        kind::<events::Event>(),
        kind::<networking::Ingress>(),
        kind::<networking::IngressClass>(),
        kind::<networking::IPAddress>(),
        kind::<networking::NetworkPolicy>(),
        kind::<networking::ServiceCIDR>(),
        kind::<node::RuntimeClass>(),
        kind::<scheduling::PriorityClass>(),
        kind::<storage::CSIDriver>(),
        kind::<storage::CSINode>(),
        kind::<storage::CSIStorageCapacity>(),
        kind::<storage::StorageClass>(),
        kind::<storage::VolumeAttachment>(),
        kind::<flowcontrol::FlowSchema>(),
        kind::<flowcontrol::PriorityLevelConfiguration>(),
        kind::<admissionregistration::MutatingWebhookConfiguration>(),
        kind::<admissionregistration::ValidatingAdmissionPolicy>(),
        kind::<admissionregistration::ValidatingAdmissionPolicyBinding>(),
        kind::<admissionregistration::ValidatingWebhookConfiguration>(),
        kind::<apiextensions::CustomResourceDefinition>(),
        kind::<apiregistration::APIService>(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::registry::catalog::Catalog;

    #[test]
    fn every_builtin_resource_and_subresource_kind_has_a_schema() {
        let snapshot = Catalog::builtin().snapshot();
        for resource in snapshot.resources() {
            assert!(schema_of(&resource.gvk()).is_some(), "{:?}", resource.gvk());
            for sub in &resource.subresources {
                if !sub.kind.kind.ends_with("Options") {
                    assert!(schema_of(&sub.kind).is_some(), "{:?}", sub.kind);
                }
            }
        }
    }
}
