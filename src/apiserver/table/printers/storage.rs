//! `storage.k8s.io` kinds: StorageClasses, VolumeAttributesClasses,
//! VolumeAttachments, CSIDrivers, CSINodes and CSIStorageCapacities.

use serde_json::{Value, json};

use super::descriptions as doc;
use super::format::{NONE, UNSET, items, len, opt_bool, opt_text, text};
use super::quantity::canonical;
use super::{Column, Columns, age_cell, age_column, name_column};
use crate::apiserver::object::ObjectExt;

pub(super) fn for_kind(group: &str, kind: &str) -> Option<Columns> {
    if group != "storage.k8s.io" {
        return None;
    }
    let printer = match kind {
        "StorageClass" => Columns::new(storage_class_columns, storage_class_cells),
        "VolumeAttributesClass" => Columns::new(attributes_class_columns, attributes_class_cells),
        "VolumeAttachment" => Columns::new(attachment_columns, attachment_cells),
        "CSIDriver" => Columns::new(csi_driver_columns, csi_driver_cells),
        "CSINode" => Columns::new(csi_node_columns, csi_node_cells),
        "CSIStorageCapacity" => Columns::new(capacity_columns, capacity_cells),
        _ => return None,
    };
    Some(printer)
}

/// The name, with ` (default)` when any of `annotations` is `"true"`.
fn name_marking_default(object: &Value, annotations: &[&str]) -> Value {
    let name = object.name().unwrap_or_default();
    let marked = object.meta_map("annotations");
    if annotations
        .iter()
        .any(|a| marked.get(*a).is_some_and(|v| v == "true"))
    {
        json!(format!("{name} (default)"))
    } else {
        json!(name)
    }
}

fn storage_class_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("Provisioner", "string", doc::STORAGE_CLASS_PROVISIONER),
        Column::new("ReclaimPolicy", "string", doc::STORAGE_CLASS_RECLAIM_POLICY),
        Column::new(
            "VolumeBindingMode",
            "string",
            doc::STORAGE_CLASS_VOLUME_BINDING_MODE,
        ),
        Column::new(
            "AllowVolumeExpansion",
            "string",
            doc::STORAGE_CLASS_ALLOW_VOLUME_EXPANSION,
        ),
        age_column(),
    ]
}

fn storage_class_cells(class: &Value) -> Vec<Value> {
    vec![
        name_marking_default(
            class,
            &[
                "storageclass.kubernetes.io/is-default-class",
                "storageclass.beta.kubernetes.io/is-default-class",
            ],
        ),
        json!(text(class, "/provisioner")),
        json!(opt_text(class, "/reclaimPolicy").unwrap_or("Delete")),
        json!(opt_text(class, "/volumeBindingMode").unwrap_or("Immediate")),
        json!(opt_bool(class, "/allowVolumeExpansion").unwrap_or(false)),
        age_cell(class),
    ]
}

fn attributes_class_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new(
            "DriverName",
            "string",
            doc::VOLUME_ATTRIBUTES_CLASS_DRIVER_NAME,
        ),
        age_column(),
    ]
}

fn attributes_class_cells(class: &Value) -> Vec<Value> {
    vec![
        name_marking_default(
            class,
            &["volumeattributesclass.kubernetes.io/is-default-class"],
        ),
        json!(text(class, "/driverName")),
        age_cell(class),
    ]
}

fn attachment_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("Attacher", "string", doc::VOLUME_ATTACHMENT_SPEC_ATTACHER).name_format(),
        Column::new("PV", "string", doc::VOLUME_ATTACHMENT_SOURCE_PV_NAME),
        Column::new("Node", "string", doc::VOLUME_ATTACHMENT_SPEC_NODE_NAME),
        Column::new(
            "Attached",
            "boolean",
            doc::VOLUME_ATTACHMENT_STATUS_ATTACHED,
        ),
        age_column(),
    ]
}

fn attachment_cells(attachment: &Value) -> Vec<Value> {
    vec![
        super::name_cell(attachment),
        json!(text(attachment, "/spec/attacher")),
        json!(text(attachment, "/spec/source/persistentVolumeName")),
        json!(text(attachment, "/spec/nodeName")),
        json!(opt_bool(attachment, "/status/attached").unwrap_or(false)),
        age_cell(attachment),
    ]
}

fn csi_driver_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new("AttachRequired", "boolean", doc::CSI_DRIVER_ATTACH_REQUIRED),
        Column::new(
            "PodInfoOnMount",
            "boolean",
            doc::CSI_DRIVER_POD_INFO_ON_MOUNT,
        ),
        Column::new(
            "StorageCapacity",
            "boolean",
            doc::CSI_DRIVER_STORAGE_CAPACITY,
        ),
        Column::new("TokenRequests", "string", doc::CSI_DRIVER_TOKEN_REQUESTS),
        Column::new(
            "RequiresRepublish",
            "boolean",
            doc::CSI_DRIVER_REQUIRES_REPUBLISH,
        ),
        Column::new("Modes", "string", doc::CSI_DRIVER_MODES),
        age_column(),
    ]
}

fn csi_driver_cells(driver: &Value) -> Vec<Value> {
    let flag = |field: &str, default: bool| {
        json!(opt_bool(driver, &format!("/spec/{field}")).unwrap_or(default))
    };
    // A missing list is `<unset>`; an empty one prints as nothing.
    let token_requests = match driver.pointer("/spec/tokenRequests") {
        Some(Value::Array(requests)) => requests
            .iter()
            .map(|r| text(r, "/audience"))
            .collect::<Vec<_>>()
            .join(","),
        _ => UNSET.into(),
    };
    let modes: Vec<&str> = items(driver, "/spec/volumeLifecycleModes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let modes = if modes.is_empty() {
        NONE.into()
    } else {
        modes.join(",")
    };
    vec![
        super::name_cell(driver),
        flag("attachRequired", true),
        flag("podInfoOnMount", false),
        flag("storageCapacity", false),
        json!(token_requests),
        flag("requiresRepublish", false),
        json!(modes),
        age_cell(driver),
    ]
}

fn csi_node_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new(
            "Drivers",
            "integer",
            "Drivers indicates the number of CSI drivers registered on the node",
        ),
        age_column(),
    ]
}

fn csi_node_cells(node: &Value) -> Vec<Value> {
    vec![
        super::name_cell(node),
        json!(len(node, "/spec/drivers")),
        age_cell(node),
    ]
}

fn capacity_columns() -> Vec<Column> {
    vec![
        name_column(),
        Column::new(
            "StorageClassName",
            "string",
            doc::CSI_STORAGE_CAPACITY_CLASS,
        ),
        Column::new("Capacity", "string", doc::CSI_STORAGE_CAPACITY_CAPACITY),
    ]
}

fn capacity_cells(capacity: &Value) -> Vec<Value> {
    vec![
        super::name_cell(capacity),
        json!(text(capacity, "/storageClassName")),
        json!(opt_text(capacity, "/capacity").map_or_else(|| UNSET.into(), canonical)),
    ]
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{ago, cells, column_names};

    const GROUP: &str = "storage.k8s.io";

    #[test]
    fn storage_class() {
        assert_eq!(
            column_names(GROUP, "StorageClass"),
            [
                "Name",
                "Provisioner",
                "ReclaimPolicy",
                "VolumeBindingMode",
                "AllowVolumeExpansion",
                "Age"
            ]
        );
        let class = json!({
            "metadata": {"name": "standard", "creationTimestamp": ago(3 * 3600),
                         "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "rancher.io/local-path", "volumeBindingMode": "WaitForFirstConsumer",
            "allowVolumeExpansion": true,
        });
        assert_eq!(
            cells(GROUP, "StorageClass", &class),
            vec![
                json!("standard (default)"),
                json!("rancher.io/local-path"),
                json!("Delete"),
                json!("WaitForFirstConsumer"),
                json!(true),
                json!("3h"),
            ]
        );
        let plain = json!({"metadata": {"name": "slow",
                           "annotations": {"storageclass.kubernetes.io/is-default-class": "false"}},
                           "provisioner": "p", "reclaimPolicy": "Retain"});
        assert_eq!(
            cells(GROUP, "StorageClass", &plain)[..5],
            [
                json!("slow"),
                json!("p"),
                json!("Retain"),
                json!("Immediate"),
                json!(false)
            ]
        );
    }

    #[test]
    fn volume_attributes_class() {
        let class = json!({"metadata": {"name": "gold", "creationTimestamp": ago(3 * 3600),
                           "annotations": {"volumeattributesclass.kubernetes.io/is-default-class": "true"}},
                           "driverName": "pd.csi.storage.gke.io"});
        assert_eq!(
            cells(GROUP, "VolumeAttributesClass", &class),
            vec![
                json!("gold (default)"),
                json!("pd.csi.storage.gke.io"),
                json!("3h")
            ]
        );
    }

    #[test]
    fn volume_attachment() {
        assert_eq!(
            column_names(GROUP, "VolumeAttachment"),
            ["Name", "Attacher", "PV", "Node", "Attached", "Age"]
        );
        let attachment = json!({
            "metadata": {"name": "csi-123", "creationTimestamp": ago(3 * 3600)},
            "spec": {"attacher": "ebs.csi.aws.com", "nodeName": "node-1",
                     "source": {"persistentVolumeName": "pv-1"}},
            "status": {"attached": true},
        });
        assert_eq!(
            cells(GROUP, "VolumeAttachment", &attachment),
            vec![
                json!("csi-123"),
                json!("ebs.csi.aws.com"),
                json!("pv-1"),
                json!("node-1"),
                json!(true),
                json!("3h")
            ]
        );
    }

    #[test]
    fn csi_driver() {
        assert_eq!(
            column_names(GROUP, "CSIDriver"),
            [
                "Name",
                "AttachRequired",
                "PodInfoOnMount",
                "StorageCapacity",
                "TokenRequests",
                "RequiresRepublish",
                "Modes",
                "Age"
            ]
        );
        let driver = json!({
            "metadata": {"name": "secrets-store.csi.k8s.io", "creationTimestamp": ago(3 * 3600)},
            "spec": {"attachRequired": false, "podInfoOnMount": true,
                     "tokenRequests": [{"audience": "vault"}, {"audience": "aws"}],
                     "requiresRepublish": true, "volumeLifecycleModes": ["Ephemeral"]},
        });
        assert_eq!(
            cells(GROUP, "CSIDriver", &driver),
            vec![
                json!("secrets-store.csi.k8s.io"),
                json!(false),
                json!(true),
                json!(false),
                json!("vault,aws"),
                json!(true),
                json!("Ephemeral"),
                json!("3h"),
            ]
        );
        let bare = json!({"metadata": {"name": "d"}, "spec": {}});
        assert_eq!(
            cells(GROUP, "CSIDriver", &bare)[1..7],
            [
                json!(true),
                json!(false),
                json!(false),
                json!("<unset>"),
                json!(false),
                json!("<none>")
            ]
        );
    }

    #[test]
    fn csi_node_and_capacity() {
        let node = json!({"metadata": {"name": "node-1", "creationTimestamp": ago(3 * 3600)},
                          "spec": {"drivers": [{"name": "a"}, {"name": "b"}]}});
        assert_eq!(
            cells(GROUP, "CSINode", &node),
            vec![json!("node-1"), json!(2), json!("3h")]
        );
        let capacity = json!({"metadata": {"name": "csisc-1"}, "storageClassName": "fast",
                              "capacity": "2048Mi"});
        assert_eq!(
            cells(GROUP, "CSIStorageCapacity", &capacity),
            vec![json!("csisc-1"), json!("fast"), json!("2Gi")]
        );
        let unknown = json!({"metadata": {"name": "c"}, "storageClassName": "fast"});
        assert_eq!(
            cells(GROUP, "CSIStorageCapacity", &unknown)[2],
            json!("<unset>")
        );
    }
}
