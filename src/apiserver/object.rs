//! Objects as the generic store sees them: JSON values with Kubernetes
//! `metadata`. Built-in kinds and custom resources share this form; per-kind
//! code that wants types deserializes into k8s-openapi structs.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Reads and writes of the metadata every object has.
pub trait ObjectExt {
    fn metadata(&self) -> Option<&Map<String, Value>>;
    fn metadata_mut(&mut self) -> &mut Map<String, Value>;

    fn meta_str(&self, field: &str) -> Option<&str> {
        self.metadata()?.get(field)?.as_str()
    }

    fn name(&self) -> Option<&str> {
        self.meta_str("name").filter(|s| !s.is_empty())
    }

    fn namespace(&self) -> Option<&str> {
        self.meta_str("namespace").filter(|s| !s.is_empty())
    }

    fn generate_name(&self) -> Option<&str> {
        self.meta_str("generateName").filter(|s| !s.is_empty())
    }

    fn resource_version(&self) -> Option<&str> {
        self.meta_str("resourceVersion").filter(|s| !s.is_empty())
    }

    fn uid(&self) -> Option<&str> {
        self.meta_str("uid").filter(|s| !s.is_empty())
    }

    fn deletion_timestamp(&self) -> Option<&str> {
        self.meta_str("deletionTimestamp")
    }

    /// A string map field of metadata (`labels`, `annotations`); non-string
    /// values are skipped (validation rejects them before they are stored).
    fn meta_map(&self, field: &str) -> BTreeMap<String, String> {
        self.metadata()
            .and_then(|m| m.get(field))
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn labels(&self) -> BTreeMap<String, String> {
        self.meta_map("labels")
    }

    fn finalizers(&self) -> Vec<String> {
        self.metadata()
            .and_then(|m| m.get("finalizers"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(Into::into))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn set_meta(&mut self, field: &str, value: impl Into<Value>) {
        self.metadata_mut().insert(field.to_owned(), value.into());
    }

    fn remove_meta(&mut self, field: &str) -> Option<Value> {
        self.metadata_mut().remove(field)
    }

    fn kind(&self) -> Option<&str>;
    fn api_version(&self) -> Option<&str>;
}

impl ObjectExt for Value {
    fn metadata(&self) -> Option<&Map<String, Value>> {
        self.get("metadata")?.as_object()
    }

    /// Creates `metadata` (and turns a non-object into one) if needed.
    fn metadata_mut(&mut self) -> &mut Map<String, Value> {
        if !self.is_object() {
            *self = Value::Object(Map::new());
        }
        let object = self.as_object_mut().expect("made an object above");
        let meta = object
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if !meta.is_object() {
            *meta = Value::Object(Map::new());
        }
        meta.as_object_mut().expect("made an object above")
    }

    fn kind(&self) -> Option<&str> {
        self.get("kind")?.as_str()
    }

    fn api_version(&self) -> Option<&str> {
        self.get("apiVersion")?.as_str()
    }
}

/// Removes empty `labels`, `annotations`, `finalizers`, `ownerReferences`
/// and `managedFields` from metadata: upstream's Go types omit empty ones
/// (`omitempty`), so a label removed by a patch leaves no `labels: {}`.
pub fn drop_empty_metadata(object: &mut Value) {
    let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    for field in [
        "labels",
        "annotations",
        "finalizers",
        "ownerReferences",
        "managedFields",
    ] {
        let empty = match meta.get(field) {
            Some(Value::Object(map)) => map.is_empty(),
            Some(Value::Array(list)) => list.is_empty(),
            Some(Value::Null) => true,
            _ => false,
        };
        if empty {
            meta.remove(field);
        }
    }
}

/// The current time as Kubernetes writes timestamps (RFC 3339, seconds).
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .unwrap_or_else(|_| jiff::Timestamp::now())
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_and_writes_metadata() {
        let mut o = json!({"metadata": {"name": "a", "labels": {"x": "1", "bad": 2}}});
        assert_eq!(o.name(), Some("a"));
        assert_eq!(o.namespace(), None);
        assert_eq!(o.labels().get("x").map(String::as_str), Some("1"));
        assert!(!o.labels().contains_key("bad"));
        o.set_meta("namespace", "ns");
        assert_eq!(o.namespace(), Some("ns"));
        let mut empty = json!(null);
        empty.set_meta("name", "b");
        assert_eq!(empty.name(), Some("b"));
        let mut emptied = json!({"metadata": {"name": "a", "labels": {}, "finalizers": [], "annotations": {"k": "v"}}});
        drop_empty_metadata(&mut emptied);
        assert_eq!(
            emptied,
            json!({"metadata": {"name": "a", "annotations": {"k": "v"}}})
        );
        let ts = now_rfc3339();
        assert_eq!(ts.len(), 20, "{ts}");
        assert!(ts.ends_with('Z'));
    }
}
