//! Events: no garbage collection (core/v1 and events.k8s.io/v1), and for
//! core/v1 the field selectors kubectl and controllers use to
//! find the events of an object (`involvedObject.*`, `reason`, `type`,
//! `source`, `reportingComponent`).

use serde_json::Value;

use super::fields::{selectable, str_at};
use crate::apiserver::registry::strategy::{FieldLookup, GarbageCollection, Strategy};

pub struct EventStrategy;

/// events.k8s.io/v1 Events: only the garbage collection rule.
pub struct EventsV1Strategy;

impl Strategy for EventsV1Strategy {
    fn garbage_collection(&self) -> GarbageCollection {
        GarbageCollection::Unsupported
    }
}

impl Strategy for EventStrategy {
    /// Events own nothing and are owned by nothing the collector tracks.
    fn garbage_collection(&self) -> GarbageCollection {
        GarbageCollection::Unsupported
    }

    fn field_value(&self, event: &Value, field: &str) -> FieldLookup {
        let involved = |key: &str| selectable(event, &format!("/involvedObject/{key}"));
        match field {
            "involvedObject.kind" => involved("kind"),
            "involvedObject.namespace" => involved("namespace"),
            "involvedObject.name" => involved("name"),
            "involvedObject.uid" => involved("uid"),
            "involvedObject.apiVersion" => involved("apiVersion"),
            "involvedObject.resourceVersion" => involved("resourceVersion"),
            "involvedObject.fieldPath" => involved("fieldPath"),
            "reason" => selectable(event, "/reason"),
            "type" => selectable(event, "/type"),
            // The core/v1 name of the events.k8s.io `reportingController`.
            "reportingComponent" => selectable(event, "/reportingComponent"),
            // `source.component`, or the reporting controller of newer events.
            "source" => {
                let component = str_at(event, "/source/component");
                if component.is_empty() {
                    selectable(event, "/reportingComponent")
                } else {
                    FieldLookup::Value(component.to_owned())
                }
            }
            _ => FieldLookup::Unsupported,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn event_field_selectors() {
        let event = json!({"involvedObject": {"kind": "Pod", "name": "web", "namespace": "default",
            "uid": "u1", "apiVersion": "v1", "fieldPath": "spec.containers{c}"},
            "reason": "Pulled", "type": "Normal", "reportingComponent": "kubelet"});
        let value = |f| EventStrategy.field_value(&event, f);
        assert_eq!(
            value("involvedObject.kind"),
            FieldLookup::Value("Pod".into())
        );
        assert_eq!(
            value("involvedObject.name"),
            FieldLookup::Value("web".into())
        );
        assert_eq!(value("involvedObject.uid"), FieldLookup::Value("u1".into()));
        assert_eq!(
            value("involvedObject.resourceVersion"),
            FieldLookup::Value("".into())
        );
        assert_eq!(value("reason"), FieldLookup::Value("Pulled".into()));
        assert_eq!(value("type"), FieldLookup::Value("Normal".into()));
        assert_eq!(value("source"), FieldLookup::Value("kubelet".into()));
        assert_eq!(value("message"), FieldLookup::Unsupported);
        let event = json!({"source": {"component": "scheduler"}});
        assert_eq!(
            EventStrategy.field_value(&event, "source"),
            FieldLookup::Value("scheduler".into())
        );
    }
}
