//! The columns upstream prints for each built-in kind.

use serde_json::{Value, json};

use super::{Column, NAME_DESCRIPTION, Printer, age};
use crate::apiserver::object::ObjectExt;

const AGE_DESCRIPTION: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

fn name_column() -> Column {
    Column::new("Name", "string", NAME_DESCRIPTION).name_format()
}

fn age_column() -> Column {
    Column::new("Age", "string", AGE_DESCRIPTION)
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
}

impl Printer for Columns {
    fn columns(&self) -> Vec<Column> {
        (self.columns)()
    }

    fn cells(&self, object: &Value) -> Vec<Value> {
        (self.cells)(object)
    }
}

fn count(object: &Value, field: &str) -> usize {
    object
        .get(field)
        .and_then(Value::as_object)
        .map_or(0, |m| m.len())
}

pub fn for_kind(group: &str, kind: &str) -> Option<Box<dyn Printer>> {
    let printer = match (group, kind) {
        ("", "ConfigMap") => Columns {
            columns: || {
                vec![
                    name_column(),
                    Column::new("Data", "integer", "Data contains the configuration data."),
                    age_column(),
                ]
            },
            cells: |o| {
                vec![
                    name_cell(o),
                    json!(count(o, "data") + count(o, "binaryData")),
                    age_cell(o),
                ]
            },
        },
        ("", "Secret") => Columns {
            columns: || {
                vec![
                    name_column(),
                    Column::new("Type", "string", "The type of the secret"),
                    Column::new("Data", "integer", "The number of entries in the secret"),
                    age_column(),
                ]
            },
            cells: |o| {
                vec![
                    name_cell(o),
                    json!(o.get("type").and_then(Value::as_str).unwrap_or("Opaque")),
                    json!(count(o, "data")),
                    age_cell(o),
                ]
            },
        },
        ("", "Namespace") => Columns {
            columns: || {
                vec![
                    name_column(),
                    Column::new("Status", "string", "The status of the namespace"),
                    age_column(),
                ]
            },
            cells: |o| {
                vec![
                    name_cell(o),
                    json!(
                        o.pointer("/status/phase")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                    ),
                    age_cell(o),
                ]
            },
        },
        ("", "ServiceAccount") => Columns {
            columns: || {
                vec![
                    name_column(),
                    Column::new(
                        "Secrets",
                        "string",
                        "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.",
                    ),
                    age_column(),
                ]
            },
            cells: |o| {
                vec![
                    name_cell(o),
                    json!(
                        o.get("secrets")
                            .and_then(Value::as_array)
                            .map_or(0, Vec::len)
                    ),
                    age_cell(o),
                ]
            },
        },
        _ => return None,
    };
    Some(Box::new(printer))
}
