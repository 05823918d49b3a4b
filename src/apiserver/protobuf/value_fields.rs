//! Fields that are plain values in Go's types (not pointers) and left out
//! of Go's JSON when zero (`omitempty`). Go's protobuf marshallers write
//! them even when zero, so a decoded `false` or `0` here means "unset":
//! `kubectl create deployment` (protobuf since kubectl 1.30) must not store
//! `"stdin": false` where upstream stores nothing. Pointer fields are not
//! listed: their zero is a value (`replicas: 0`, `runAsUser: 0`).

const CORE: &str = "k8s.io.api.core.v1.";
const APPS: &str = "k8s.io.api.apps.v1.";
const BATCH: &str = "k8s.io.api.batch.v1.";
const META: &str = "k8s.io.apimachinery.pkg.apis.meta.v1.";

/// (package, message, fields)
const VALUE_FIELDS: &[(&str, &str, &[&str])] = &[
    (APPS, "DaemonSetSpec", &["minReadySeconds"]),
    (
        APPS,
        "DaemonSetStatus",
        &[
            "numberAvailable",
            "numberUnavailable",
            "observedGeneration",
            "updatedNumberScheduled",
        ],
    ),
    (APPS, "DeploymentSpec", &["minReadySeconds", "paused"]),
    (
        APPS,
        "DeploymentStatus",
        &[
            "availableReplicas",
            "observedGeneration",
            "readyReplicas",
            "replicas",
            "unavailableReplicas",
            "updatedReplicas",
        ],
    ),
    (APPS, "ReplicaSetSpec", &["minReadySeconds"]),
    (
        APPS,
        "ReplicaSetStatus",
        &[
            "availableReplicas",
            "fullyLabeledReplicas",
            "observedGeneration",
            "readyReplicas",
        ],
    ),
    (
        APPS,
        "StatefulSetStatus",
        &[
            "currentReplicas",
            "observedGeneration",
            "readyReplicas",
            "updatedReplicas",
        ],
    ),
    (BATCH, "JobStatus", &["active", "failed", "succeeded"]),
    (
        CORE,
        "AWSElasticBlockStoreVolumeSource",
        &["partition", "readOnly"],
    ),
    (CORE, "AzureFilePersistentVolumeSource", &["readOnly"]),
    (CORE, "AzureFileVolumeSource", &["readOnly"]),
    (CORE, "CSIPersistentVolumeSource", &["readOnly"]),
    (CORE, "CephFSPersistentVolumeSource", &["readOnly"]),
    (CORE, "CephFSVolumeSource", &["readOnly"]),
    (CORE, "CinderPersistentVolumeSource", &["readOnly"]),
    (CORE, "CinderVolumeSource", &["readOnly"]),
    (CORE, "Container", &["stdin", "stdinOnce", "tty"]),
    (CORE, "ContainerImage", &["sizeBytes"]),
    (CORE, "ContainerPort", &["hostPort"]),
    (CORE, "ContainerStateTerminated", &["signal"]),
    (
        CORE,
        "EphemeralContainerCommon",
        &["stdin", "stdinOnce", "tty"],
    ),
    (CORE, "EphemeralVolumeSource", &["readOnly"]),
    (CORE, "Event", &["count"]),
    (CORE, "EventSeries", &["count"]),
    (CORE, "FCVolumeSource", &["readOnly"]),
    (CORE, "FlexPersistentVolumeSource", &["readOnly"]),
    (CORE, "FlexVolumeSource", &["readOnly"]),
    (
        CORE,
        "GCEPersistentDiskVolumeSource",
        &["partition", "readOnly"],
    ),
    (CORE, "GlusterfsPersistentVolumeSource", &["readOnly"]),
    (CORE, "GlusterfsVolumeSource", &["readOnly"]),
    (
        CORE,
        "ISCSIPersistentVolumeSource",
        &["chapAuthDiscovery", "chapAuthSession", "readOnly"],
    ),
    (
        CORE,
        "ISCSIVolumeSource",
        &["chapAuthDiscovery", "chapAuthSession", "readOnly"],
    ),
    (CORE, "NFSVolumeSource", &["readOnly"]),
    (CORE, "NodeSpec", &["unschedulable"]),
    (CORE, "PersistentVolumeClaimVolumeSource", &["readOnly"]),
    (CORE, "PodSpec", &["hostIPC", "hostNetwork", "hostPID"]),
    (CORE, "PortworxVolumeSource", &["readOnly"]),
    (
        CORE,
        "Probe",
        &[
            "failureThreshold",
            "initialDelaySeconds",
            "periodSeconds",
            "successThreshold",
            "timeoutSeconds",
        ],
    ),
    (CORE, "QuobyteVolumeSource", &["readOnly"]),
    (CORE, "RBDPersistentVolumeSource", &["readOnly"]),
    (CORE, "RBDVolumeSource", &["readOnly"]),
    (CORE, "ReplicationControllerSpec", &["minReadySeconds"]),
    (
        CORE,
        "ReplicationControllerStatus",
        &[
            "availableReplicas",
            "fullyLabeledReplicas",
            "observedGeneration",
            "readyReplicas",
        ],
    ),
    (
        CORE,
        "ScaleIOPersistentVolumeSource",
        &["readOnly", "sslEnabled"],
    ),
    (CORE, "ScaleIOVolumeSource", &["readOnly", "sslEnabled"]),
    (CORE, "ServicePort", &["nodePort"]),
    (
        CORE,
        "ServiceSpec",
        &["healthCheckNodePort", "publishNotReadyAddresses"],
    ),
    (CORE, "StorageOSPersistentVolumeSource", &["readOnly"]),
    (CORE, "StorageOSVolumeSource", &["readOnly"]),
    (CORE, "VolumeMount", &["readOnly"]),
    (META, "Condition", &["observedGeneration"]),
    (META, "ObjectMeta", &["generation"]),
    (META, "StatusDetails", &["retryAfterSeconds"]),
];

/// Whether `field` of message `message` (fully qualified) is a value
/// field whose zero Go's JSON leaves out.
pub fn omitted_when_zero(message: &str, field: &str) -> bool {
    VALUE_FIELDS.iter().any(|(package, name, fields)| {
        message.strip_prefix(package) == Some(name) && fields.contains(&field)
    })
}
