//! The columns upstream prints for each built-in kind, after kube-apiserver
//! 1.33's `pkg/printers/internalversion/printers.go` (and kube-aggregator's
//! APIService table). The server always fills the `-o wide` cells too (upstream
//! generates tables with `Wide: true`); kubectl hides priority-1 columns
//! unless asked for them.
//!
//! Printers read objects as stored JSON. Where upstream's printer relies on a
//! field that defaulting always sets (a Service's `type`, a port's
//! `protocol`, `replicas`), a missing field reads as its default.

mod admission;
mod apps;
mod auth;
mod batch;
mod control_plane;
mod core;
mod descriptions;
mod format;
mod networking;
mod pods;
pub(crate) mod quantity;
mod scheduling;
mod storage;

#[cfg(test)]
mod testing;

use serde_json::{Value, json};

use super::{Column, NAME_DESCRIPTION, Printer, age};
use crate::apiserver::object::ObjectExt;

const AGE_DESCRIPTION: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

const CONTAINERS_DESCRIPTION: &str = "Names of each container in the template.";
const IMAGES_DESCRIPTION: &str = "Images referenced by each container in the template.";

/// The `Name` column most kinds start with.
fn name_column() -> Column {
    Column::new("Name", "string", NAME_DESCRIPTION).name_format()
}

/// The `Age` column (creation time, printed as a duration).
fn age_column() -> Column {
    Column::new("Age", "string", AGE_DESCRIPTION)
}

/// The wide `Containers` and `Images` columns of workload kinds.
fn container_columns() -> [Column; 2] {
    [
        Column::new("Containers", "string", CONTAINERS_DESCRIPTION).wide(),
        Column::new("Images", "string", IMAGES_DESCRIPTION).wide(),
    ]
}

fn name_cell(object: &Value) -> Value {
    json!(object.name().unwrap_or_default())
}

fn age_cell(object: &Value) -> Value {
    json!(age(object
        .meta_str("creationTimestamp")
        .unwrap_or_default()))
}

/// A printer from a column list and a cell function.
struct Columns {
    columns: fn() -> Vec<Column>,
    cells: fn(&Value) -> Vec<Value>,
    order: fn(&mut Vec<&Value>),
    conditions: fn(&Value) -> Option<Value>,
}

impl Columns {
    const fn new(columns: fn() -> Vec<Column>, cells: fn(&Value) -> Vec<Value>) -> Columns {
        Columns {
            columns,
            cells,
            order: |_| {},
            conditions: |_| None,
        }
    }

    /// Rows carrying the conditions `conditions` gives.
    const fn with_conditions(mut self, conditions: fn(&Value) -> Option<Value>) -> Columns {
        self.conditions = conditions;
        self
    }

    /// Rows sorted by `order` rather than in list order.
    const fn ordered(mut self, order: fn(&mut Vec<&Value>)) -> Columns {
        self.order = order;
        self
    }
}

impl Printer for Columns {
    fn columns(&self) -> Vec<Column> {
        (self.columns)()
    }

    fn cells(&self, object: &Value) -> Vec<Value> {
        (self.cells)(object)
    }

    fn order_rows(&self, objects: &mut Vec<&Value>) {
        (self.order)(objects)
    }

    fn row_conditions(&self, object: &Value) -> Option<Value> {
        (self.conditions)(object)
    }
}

/// The printer upstream uses for a built-in kind, if it has one (kinds
/// without one get the `Name`/`Created At` table).
pub fn for_kind(group: &str, kind: &str) -> Option<Box<dyn Printer>> {
    let printer = pods::for_kind(group, kind)
        .or_else(|| core::for_kind(group, kind))
        .or_else(|| apps::for_kind(group, kind))
        .or_else(|| batch::for_kind(group, kind))
        .or_else(|| networking::for_kind(group, kind))
        .or_else(|| storage::for_kind(group, kind))
        .or_else(|| auth::for_kind(group, kind))
        .or_else(|| admission::for_kind(group, kind))
        .or_else(|| scheduling::for_kind(group, kind))
        .or_else(|| control_plane::for_kind(group, kind))?;
    Some(Box::new(printer))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every printer's cells line up with its columns, for an empty object
    /// as much as for a full one.
    #[test]
    fn every_printer_fills_every_column() {
        let kinds = [
            ("", "Pod"),
            ("", "PodTemplate"),
            ("", "Service"),
            ("", "Node"),
            ("", "Namespace"),
            ("", "ConfigMap"),
            ("", "Secret"),
            ("", "ServiceAccount"),
            ("", "Endpoints"),
            ("", "Event"),
            ("events.k8s.io", "Event"),
            ("", "PersistentVolume"),
            ("", "PersistentVolumeClaim"),
            ("", "ComponentStatus"),
            ("", "ResourceQuota"),
            ("", "ReplicationController"),
            ("apps", "Deployment"),
            ("apps", "ReplicaSet"),
            ("apps", "StatefulSet"),
            ("apps", "DaemonSet"),
            ("apps", "ControllerRevision"),
            ("batch", "Job"),
            ("batch", "CronJob"),
            ("networking.k8s.io", "Ingress"),
            ("networking.k8s.io", "IngressClass"),
            ("networking.k8s.io", "NetworkPolicy"),
            ("networking.k8s.io", "ServiceCIDR"),
            ("discovery.k8s.io", "EndpointSlice"),
            ("storage.k8s.io", "StorageClass"),
            ("storage.k8s.io", "VolumeAttributesClass"),
            ("storage.k8s.io", "VolumeAttachment"),
            ("storage.k8s.io", "CSIDriver"),
            ("storage.k8s.io", "CSINode"),
            ("storage.k8s.io", "CSIStorageCapacity"),
            ("rbac.authorization.k8s.io", "RoleBinding"),
            ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
            ("certificates.k8s.io", "CertificateSigningRequest"),
            ("certificates.k8s.io", "ClusterTrustBundle"),
            (
                "admissionregistration.k8s.io",
                "MutatingWebhookConfiguration",
            ),
            (
                "admissionregistration.k8s.io",
                "ValidatingWebhookConfiguration",
            ),
            ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
            (
                "admissionregistration.k8s.io",
                "ValidatingAdmissionPolicyBinding",
            ),
            ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
            (
                "admissionregistration.k8s.io",
                "MutatingAdmissionPolicyBinding",
            ),
            ("policy", "PodDisruptionBudget"),
            ("autoscaling", "HorizontalPodAutoscaler"),
            ("scheduling.k8s.io", "PriorityClass"),
            ("node.k8s.io", "RuntimeClass"),
            ("resource.k8s.io", "DeviceClass"),
            ("resource.k8s.io", "ResourceClaim"),
            ("resource.k8s.io", "ResourceClaimTemplate"),
            ("resource.k8s.io", "ResourceSlice"),
            ("coordination.k8s.io", "Lease"),
            ("coordination.k8s.io", "LeaseCandidate"),
            ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
            ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
            ("internal.apiserver.k8s.io", "StorageVersion"),
            ("storagemigration.k8s.io", "StorageVersionMigration"),
            ("apiregistration.k8s.io", "APIService"),
        ];
        let empty = json!({"metadata": {"name": "x"}});
        for (group, kind) in kinds {
            let printer =
                for_kind(group, kind).unwrap_or_else(|| panic!("no printer for {group}/{kind}"));
            assert_eq!(
                printer.cells(&empty).len(),
                printer.columns().len(),
                "{group}/{kind}"
            );
            assert_eq!(
                printer.columns()[0].name,
                if kind == "Event" { "Last Seen" } else { "Name" }
            );
        }
    }

    /// Kinds upstream prints with the default `Name`/`Created At` table.
    #[test]
    fn kinds_without_a_printer_use_the_default_table() {
        for (group, kind) in [
            ("rbac.authorization.k8s.io", "Role"),
            ("rbac.authorization.k8s.io", "ClusterRole"),
            ("", "LimitRange"),
            ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ] {
            assert!(for_kind(group, kind).is_none(), "{group}/{kind}");
        }
    }
}
