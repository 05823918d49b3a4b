//! Namespaces: DNS labels, `status.phase`, and deletion that waits for the
//! namespace to be emptied (`spec.finalizers`, by default `kubernetes`,
//! which the namespace controller removes once nothing is left).

use serde_json::{Value, json};

use crate::apiserver::object::ObjectExt;
use crate::apiserver::registry::strategy::{FieldLookup, Strategy};
use crate::apiserver::validation::names::NameRule;

/// The finalizer that holds a namespace until its contents are gone.
pub const KUBERNETES_FINALIZER: &str = "kubernetes";

pub struct NamespaceStrategy;

fn spec_finalizers(object: &Value) -> Vec<Value> {
    object
        .pointer("/spec/finalizers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

impl Strategy for NamespaceStrategy {
    fn name_rule(&self) -> NameRule {
        NameRule::Label
    }

    fn prepare_for_create(&self, object: &mut Value) {
        object["status"] = json!({ "phase": "Active" });
        // Every namespace is held for the namespace controller.
        if spec_finalizers(object).is_empty() {
            object["spec"] = json!({ "finalizers": [KUBERNETES_FINALIZER] });
        }
    }

    fn prepare_for_update(&self, object: &mut Value, old: &Value) {
        // spec.finalizers change only through the finalize subresource.
        match old.get("spec") {
            Some(spec) => object["spec"] = spec.clone(),
            None => {
                if let Some(map) = object.as_object_mut() {
                    map.remove("spec");
                }
            }
        }
    }

    fn default(&self, object: &mut Value) {
        // Upstream labels every namespace with its own name.
        let name = object.name().unwrap_or_default().to_owned();
        if !name.is_empty() {
            let meta = object.metadata_mut();
            let labels = meta.entry("labels").or_insert_with(|| json!({}));
            if let Some(labels) = labels.as_object_mut() {
                labels.insert("kubernetes.io/metadata.name".into(), Value::String(name));
            }
        }
    }

    fn field_value(&self, object: &Value, field: &str) -> FieldLookup {
        match field {
            "status.phase" => FieldLookup::Value(
                object
                    .pointer("/status/phase")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .into(),
            ),
            _ => FieldLookup::Unsupported,
        }
    }

    fn prepare_for_delete(&self, object: &mut Value) -> bool {
        object["status"]["phase"] = Value::String("Terminating".into());
        !spec_finalizers(object).is_empty()
    }

    fn returns_deleted_object(&self) -> bool {
        true
    }

    fn finalized(&self, object: &Value) -> bool {
        object.finalizers().is_empty() && spec_finalizers(object).is_empty()
    }
}
