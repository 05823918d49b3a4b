//! What the type table does not say about the Go types but merging needs:
//! which messages JSON writes as something other than their fields, which
//! structs are atomic (`+structType=atomic` on the Go type), which struct
//! fields Go always writes (value structs, never `nil`), and the defaults
//! of list-map keys (`+default` on a key field).
//!
//! Collected from the Go types of Kubernetes 1.33 (`k8s.io/api` and
//! `k8s.io/apimachinery`); a unit test checks every name against the table.

/// Messages whose JSON is a scalar (a string or a number).
pub const SCALARS: &[&str] = &[
    "k8s.io.apimachinery.pkg.api.resource.Quantity",
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString",
    "k8s.io.apimachinery.pkg.apis.meta.v1.Time",
    "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime",
    "k8s.io.apimachinery.pkg.apis.meta.v1.Duration",
];

/// Messages whose JSON is free-form (embedded objects, JSON schemas, string
/// lists): their maps merge by key and their lists are atomic, as upstream's
/// "deduced" type.
pub const UNTYPED: &[&str] = &[
    "k8s.io.apimachinery.pkg.runtime.RawExtension",
    "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1",
    "k8s.io.apimachinery.pkg.apis.meta.v1.Verbs",
    "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSON",
    "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray",
    "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool",
    "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray",
];

/// Whether a message is a string list in JSON (`authentication`'s
/// `ExtraValue`, in every group version that has one).
pub fn is_string_list(message: &str) -> bool {
    message.ends_with(".ExtraValue")
}

/// Go types marked `+structType=atomic`: a value is owned and replaced
/// whole.
pub const ATOMIC_STRUCTS: &[&str] = &[
    "k8s.io.apimachinery.pkg.apis.meta.v1.OwnerReference",
    "k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector",
    "k8s.io.api.admissionregistration.v1.MatchResources",
    "k8s.io.api.admissionregistration.v1.NamedRuleWithOperations",
    "k8s.io.api.admissionregistration.v1.ParamKind",
    "k8s.io.api.admissionregistration.v1.ParamRef",
    "k8s.io.api.admissionregistration.v1.Variable",
    "k8s.io.api.admissionregistration.v1alpha1.MatchResources",
    "k8s.io.api.admissionregistration.v1alpha1.NamedRuleWithOperations",
    "k8s.io.api.admissionregistration.v1alpha1.ParamKind",
    "k8s.io.api.admissionregistration.v1alpha1.ParamRef",
    "k8s.io.api.admissionregistration.v1beta1.MatchResources",
    "k8s.io.api.admissionregistration.v1beta1.NamedRuleWithOperations",
    "k8s.io.api.admissionregistration.v1beta1.ParamKind",
    "k8s.io.api.admissionregistration.v1beta1.ParamRef",
    "k8s.io.api.admissionregistration.v1beta1.Variable",
    "k8s.io.api.autoscaling.v1.CrossVersionObjectReference",
    "k8s.io.api.core.v1.ConfigMapKeySelector",
    "k8s.io.api.core.v1.EndpointAddress",
    "k8s.io.api.core.v1.EndpointPort",
    "k8s.io.api.core.v1.FileKeySelector",
    "k8s.io.api.core.v1.LocalObjectReference",
    "k8s.io.api.core.v1.NodeSelector",
    "k8s.io.api.core.v1.NodeSelectorTerm",
    "k8s.io.api.core.v1.ObjectFieldSelector",
    "k8s.io.api.core.v1.ObjectReference",
    "k8s.io.api.core.v1.ResourceFieldSelector",
    "k8s.io.api.core.v1.ScopeSelector",
    "k8s.io.api.core.v1.SecretKeySelector",
    "k8s.io.api.core.v1.SecretReference",
    "k8s.io.api.core.v1.TopologySelectorTerm",
    "k8s.io.api.core.v1.TypedLocalObjectReference",
    "k8s.io.api.discovery.v1.EndpointPort",
    "k8s.io.api.networking.v1.ServiceBackendPort",
    "k8s.io.api.rbac.v1.RoleRef",
    "k8s.io.api.rbac.v1.Subject",
];

/// Fields marked `+structType=granular` whose type is atomic elsewhere
/// (`message`, JSON field name).
pub const GRANULAR_FIELDS: &[(&str, &str)] =
    &[("k8s.io.api.core.v1.PersistentVolumeSpec", "claimRef")];

/// Struct fields Go holds by value (not a pointer), beyond every
/// `metadata` and the `spec` and `status` of every object: JSON always
/// has them, empty or not (`message`, JSON field name).
pub const VALUE_STRUCTS: &[(&str, &str)] = &[
    (
        "k8s.io.api.admissionregistration.v1.MutatingWebhook",
        "clientConfig",
    ),
    (
        "k8s.io.api.admissionregistration.v1.ValidatingWebhook",
        "clientConfig",
    ),
    ("k8s.io.api.apps.v1.DaemonSetSpec", "template"),
    ("k8s.io.api.apps.v1.DaemonSetSpec", "updateStrategy"),
    ("k8s.io.api.apps.v1.DeploymentSpec", "strategy"),
    ("k8s.io.api.apps.v1.DeploymentSpec", "template"),
    ("k8s.io.api.apps.v1.ReplicaSetSpec", "template"),
    ("k8s.io.api.apps.v1.StatefulSetSpec", "template"),
    ("k8s.io.api.apps.v1.StatefulSetSpec", "updateStrategy"),
    (
        "k8s.io.api.authentication.v1.SelfSubjectReviewStatus",
        "userInfo",
    ),
    ("k8s.io.api.authentication.v1.TokenReviewStatus", "user"),
    (
        "k8s.io.api.autoscaling.v1.HorizontalPodAutoscalerSpec",
        "scaleTargetRef",
    ),
    (
        "k8s.io.api.autoscaling.v2.ContainerResourceMetricSource",
        "target",
    ),
    (
        "k8s.io.api.autoscaling.v2.ContainerResourceMetricStatus",
        "current",
    ),
    ("k8s.io.api.autoscaling.v2.ExternalMetricSource", "metric"),
    ("k8s.io.api.autoscaling.v2.ExternalMetricSource", "target"),
    ("k8s.io.api.autoscaling.v2.ExternalMetricStatus", "current"),
    ("k8s.io.api.autoscaling.v2.ExternalMetricStatus", "metric"),
    (
        "k8s.io.api.autoscaling.v2.HorizontalPodAutoscalerSpec",
        "scaleTargetRef",
    ),
    (
        "k8s.io.api.autoscaling.v2.ObjectMetricSource",
        "describedObject",
    ),
    ("k8s.io.api.autoscaling.v2.ObjectMetricSource", "metric"),
    ("k8s.io.api.autoscaling.v2.ObjectMetricSource", "target"),
    ("k8s.io.api.autoscaling.v2.ObjectMetricStatus", "current"),
    (
        "k8s.io.api.autoscaling.v2.ObjectMetricStatus",
        "describedObject",
    ),
    ("k8s.io.api.autoscaling.v2.ObjectMetricStatus", "metric"),
    ("k8s.io.api.autoscaling.v2.PodsMetricSource", "metric"),
    ("k8s.io.api.autoscaling.v2.PodsMetricSource", "target"),
    ("k8s.io.api.autoscaling.v2.PodsMetricStatus", "current"),
    ("k8s.io.api.autoscaling.v2.PodsMetricStatus", "metric"),
    ("k8s.io.api.autoscaling.v2.ResourceMetricSource", "target"),
    ("k8s.io.api.autoscaling.v2.ResourceMetricStatus", "current"),
    ("k8s.io.api.batch.v1.CronJobSpec", "jobTemplate"),
    ("k8s.io.api.batch.v1.JobSpec", "template"),
    ("k8s.io.api.core.v1.Binding", "target"),
    ("k8s.io.api.core.v1.Container", "resources"),
    ("k8s.io.api.core.v1.ContainerStatus", "lastState"),
    ("k8s.io.api.core.v1.ContainerStatus", "state"),
    ("k8s.io.api.core.v1.EphemeralContainerCommon", "resources"),
    ("k8s.io.api.core.v1.Event", "involvedObject"),
    ("k8s.io.api.core.v1.Event", "source"),
    ("k8s.io.api.core.v1.NodeDaemonEndpoints", "kubeletEndpoint"),
    ("k8s.io.api.core.v1.NodeStatus", "daemonEndpoints"),
    ("k8s.io.api.core.v1.NodeStatus", "nodeInfo"),
    ("k8s.io.api.core.v1.PersistentVolumeClaimSpec", "resources"),
    ("k8s.io.api.core.v1.PodTemplate", "template"),
    ("k8s.io.api.core.v1.PreferredSchedulingTerm", "preference"),
    ("k8s.io.api.core.v1.ServiceStatus", "loadBalancer"),
    (
        "k8s.io.api.core.v1.WeightedPodAffinityTerm",
        "podAffinityTerm",
    ),
    ("k8s.io.api.discovery.v1.Endpoint", "conditions"),
    ("k8s.io.api.events.v1.Event", "deprecatedSource"),
    ("k8s.io.api.events.v1.Event", "regarding"),
    (
        "k8s.io.api.flowcontrol.v1.FlowSchemaSpec",
        "priorityLevelConfiguration",
    ),
    (
        "k8s.io.api.flowcontrol.v1.LimitedPriorityLevelConfiguration",
        "limitResponse",
    ),
    ("k8s.io.api.networking.v1.HTTPIngressPath", "backend"),
    ("k8s.io.api.networking.v1.IngressServiceBackend", "port"),
    ("k8s.io.api.networking.v1.IngressStatus", "loadBalancer"),
    ("k8s.io.api.rbac.v1.ClusterRoleBinding", "roleRef"),
    ("k8s.io.api.rbac.v1.RoleBinding", "roleRef"),
    ("k8s.io.api.resource.v1.AllocationResult", "devices"),
    ("k8s.io.api.resource.v1.ResourceClaimSpec", "devices"),
    ("k8s.io.api.resource.v1.ResourceSliceSpec", "pool"),
    ("k8s.io.api.storage.v1.VolumeAttachmentSpec", "source"),
];

/// Defaults of list-map key fields (`message`, JSON field name, default):
/// an item that omits the key is identified by the default.
pub const KEY_DEFAULTS: &[(&str, &str, &str)] = &[
    ("k8s.io.api.core.v1.ContainerPort", "protocol", "TCP"),
    ("k8s.io.api.core.v1.ServicePort", "protocol", "TCP"),
];
