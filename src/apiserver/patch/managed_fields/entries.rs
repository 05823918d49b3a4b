//! `metadata.managedFields` read into the fields each manager owns, and
//! written back: one entry per manager, operation, subresource (and API
//! version for updates), ordered as upstream orders them (appliers first,
//! then by time, manager, version, subresource).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::manager::{ManagerId, Operation};
use crate::apiserver::patch::fieldpath::{Set, fields_v1};

/// The fields one manager owns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Owned {
    pub set: Set,
    /// The API version the set's paths are in.
    pub api_version: String,
    /// When the manager last changed the object (RFC 3339), if known.
    pub time: Option<String>,
}

/// Every manager's fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Managers {
    pub entries: BTreeMap<ManagerId, Owned>,
}

impl Managers {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Drops managers left owning nothing.
    pub fn drop_empty(&mut self) {
        self.entries.retain(|_, owned| !owned.set.is_empty());
    }

    /// Reads `metadata.managedFields` (absent or null: no managers).
    pub fn decode(list: Option<&Value>) -> Result<Managers, String> {
        let items = match list {
            None | Some(Value::Null) => return Ok(Managers::default()),
            Some(Value::Array(items)) => items,
            Some(_) => return Err("managedFields must be a list".into()),
        };
        let mut managers = Managers::default();
        for (i, item) in items.iter().enumerate() {
            let text = |field: &str| item.get(field).and_then(Value::as_str).unwrap_or_default();
            let operation = match text("operation") {
                "Apply" => Operation::Apply,
                "Update" => Operation::Update,
                _ => return Err("operation must be `Apply` or `Update`".into()),
            };
            let api_version = text("apiVersion");
            if api_version.is_empty() {
                return Err("apiVersion must not be empty".into());
            }
            match text("fieldsType") {
                "FieldsV1" => {}
                "" => return Err(format!("missing fieldsType in managed fields entry {i}")),
                other => {
                    return Err(format!(
                        "invalid fieldsType {} in managed fields entry {i}",
                        Value::String(other.into())
                    ));
                }
            }
            let set = match item.get("fieldsV1") {
                None | Some(Value::Null) => Set::new(),
                Some(fields) => fields_v1::decode(fields)
                    .map_err(|e| format!("error decoding versioned set from entry {i}: {e}"))?,
            };
            let id = ManagerId::new(text("manager"), operation, api_version, text("subresource"));
            let time = item.get("time").and_then(Value::as_str).map(str::to_owned);
            managers.entries.insert(
                id,
                Owned {
                    set,
                    api_version: api_version.into(),
                    time,
                },
            );
        }
        Ok(managers)
    }

    /// The `managedFields` list, or `None` when no manager owns anything.
    pub fn encode(&self) -> Option<Value> {
        if self.entries.is_empty() {
            return None;
        }
        let mut entries: Vec<(&ManagerId, &Owned)> = self.entries.iter().collect();
        entries.sort_by(|(a, a_owned), (b, b_owned)| {
            a.operation
                .cmp(&b.operation)
                .then_with(|| seconds(a_owned).cmp(&seconds(b_owned)))
                .then_with(|| a.manager.cmp(&b.manager))
                .then_with(|| a_owned.api_version.cmp(&b_owned.api_version))
                .then_with(|| a.subresource.cmp(&b.subresource))
        });
        let list = entries
            .into_iter()
            .map(|(id, owned)| {
                let mut entry = Map::new();
                if !id.manager.is_empty() {
                    entry.insert("manager".into(), Value::String(id.manager.clone()));
                }
                entry.insert(
                    "operation".into(),
                    Value::String(id.operation.as_str().into()),
                );
                entry.insert(
                    "apiVersion".into(),
                    Value::String(owned.api_version.clone()),
                );
                if let Some(time) = &owned.time {
                    entry.insert("time".into(), Value::String(time.clone()));
                }
                entry.insert("fieldsType".into(), Value::String("FieldsV1".into()));
                entry.insert("fieldsV1".into(), fields_v1::encode(&owned.set));
                if !id.subresource.is_empty() {
                    entry.insert("subresource".into(), Value::String(id.subresource.clone()));
                }
                Value::Object(entry)
            })
            .collect();
        Some(Value::Array(list))
    }
}

/// An entry's time in seconds (no time sorts first).
fn seconds(owned: &Owned) -> i64 {
    owned
        .time
        .as_deref()
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map_or(0, |t| t.as_second())
}

/// Whether a client's `managedFields` asks to clear them: an empty list,
/// or a list of one empty entry.
pub fn is_reset(list: Option<&Value>) -> bool {
    match list {
        Some(Value::Array(items)) => match items.as_slice() {
            [] => true,
            [Value::Object(entry)] => entry.values().all(|v| match v {
                Value::Null => true,
                Value::String(s) => s.is_empty(),
                Value::Object(m) => m.is_empty(),
                _ => false,
            }),
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_and_orders_entries() {
        let list = json!([
            {"manager": "b", "operation": "Update", "apiVersion": "v1", "time": "2024-01-01T00:00:02Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:b": {}}}},
            {"manager": "a", "operation": "Update", "apiVersion": "v1", "time": "2024-01-01T00:00:02Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:a": {}}}, "subresource": "status"},
            {"manager": "z", "operation": "Apply", "apiVersion": "v1", "time": "2024-01-01T00:00:09Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:z": {}}}},
        ]);
        let managers = Managers::decode(Some(&list)).unwrap();
        let encoded = managers.encode().unwrap();
        let names: Vec<&str> = encoded
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["manager"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["z", "a", "b"]);
        assert_eq!(Managers::decode(Some(&encoded)).unwrap(), managers);
        assert!(
            Managers::decode(Some(&json!([{"operation": "Patch", "apiVersion": "v1"}]))).is_err()
        );
        assert!(
            Managers::decode(Some(&json!([{"operation": "Apply", "apiVersion": "v1"}]))).is_err()
        );
        assert!(is_reset(Some(&json!([]))));
        assert!(is_reset(Some(&json!([{}]))));
        assert!(!is_reset(None));
        assert!(!is_reset(Some(&list)));
    }
}
