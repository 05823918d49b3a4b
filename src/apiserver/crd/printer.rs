//! A custom resource's table: `Name`, then its CRD version's
//! `additionalPrinterColumns` (an `Age` column when it has none), each cell
//! the first value its JSONPath finds, typed as the column says.

use std::borrow::Cow;

use serde_json::{Value, json};

use super::definition::PrinterColumn;
use super::jsonpath::{self, JsonPath};
use crate::apiserver::object::ObjectExt;
use crate::apiserver::table::{self, CREATED_DESCRIPTION, Column, NAME_DESCRIPTION, Printer};

/// The columns of a version without printer columns.
pub fn default_columns() -> Vec<PrinterColumn> {
    vec![PrinterColumn {
        name: "Age".into(),
        type_: "date".into(),
        format: String::new(),
        description: CREATED_DESCRIPTION.into(),
        priority: 0,
        json_path: ".metadata.creationTimestamp".into(),
    }]
}

/// The printer of one CRD version.
#[derive(Clone, Debug)]
pub struct ColumnPrinter {
    columns: Vec<(PrinterColumn, Option<JsonPath>)>,
}

impl ColumnPrinter {
    pub fn new(columns: &[PrinterColumn]) -> ColumnPrinter {
        let columns = if columns.is_empty() {
            default_columns()
        } else {
            columns.to_vec()
        };
        ColumnPrinter {
            columns: columns
                .into_iter()
                .map(|c| {
                    let path = JsonPath::parse(&c.json_path).ok();
                    (c, path)
                })
                .collect(),
        }
    }
}

/// A cell of a column of `type_` holding `value`, as upstream's table
/// convertor types it.
fn cell(type_: &str, value: &Value) -> Value {
    match (type_, value) {
        ("integer", Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .map_or(Value::Null, Value::from),
        ("number", Value::Number(n)) => n.as_f64().map_or(Value::Null, Value::from),
        ("boolean", Value::Bool(b)) => json!(b),
        ("string", other) => json!(jsonpath::print(other)),
        ("date", Value::String(s)) => match s.parse::<jiff::Timestamp>() {
            Ok(_) => json!(table::age(s)),
            Err(_) => json!("<invalid>"),
        },
        _ => Value::Null,
    }
}

impl Printer for ColumnPrinter {
    fn columns(&self) -> Vec<Column> {
        let mut columns = vec![Column::new("Name", "string", NAME_DESCRIPTION).name_format()];
        for (c, _) in &self.columns {
            let description = if c.description.is_empty() {
                format!(
                    "Custom resource definition column (in JSONPath format): {}",
                    c.json_path
                )
            } else {
                c.description.clone()
            };
            columns.push(Column {
                name: Cow::Owned(c.name.clone()),
                kind: Cow::Owned(c.type_.clone()),
                format: Cow::Owned(c.format.clone()),
                description: Cow::Owned(description),
                priority: c.priority,
            });
        }
        columns
    }

    fn cells(&self, object: &Value) -> Vec<Value> {
        let mut cells = vec![json!(object.name().unwrap_or_default())];
        for (column, path) in &self.columns {
            let found = path.as_ref().and_then(|p| p.first(object));
            cells.push(found.map_or(Value::Null, |v| cell(&column.type_, v)));
        }
        cells
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, type_: &str, path: &str) -> PrinterColumn {
        PrinterColumn {
            name: name.into(),
            type_: type_.into(),
            format: String::new(),
            description: String::new(),
            priority: 0,
            json_path: path.into(),
        }
    }

    #[test]
    fn cells_follow_the_column_types() {
        let printer = ColumnPrinter::new(&[
            column("Size", "integer", ".spec.size"),
            column(
                "Ready",
                "string",
                ".status.conditions[?(@.type==\"Ready\")].status",
            ),
            column("Missing", "string", ".spec.nothing"),
            column("Tags", "string", ".spec.tags"),
        ]);
        let object = json!({
            "metadata": {"name": "a"},
            "spec": {"size": 3.0, "tags": ["x", "y"]},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}
        });
        assert_eq!(
            printer.cells(&object),
            vec![
                json!("a"),
                json!(3),
                json!("True"),
                Value::Null,
                json!("[\"x\",\"y\"]")
            ]
        );
        let columns = printer.columns();
        assert_eq!(columns[1].name, "Size");
        assert_eq!(
            columns[1].description,
            "Custom resource definition column (in JSONPath format): .spec.size"
        );
    }

    #[test]
    fn no_columns_means_age() {
        let printer = ColumnPrinter::new(&[]);
        let names: Vec<String> = printer
            .columns()
            .iter()
            .map(|c| c.name.to_string())
            .collect();
        assert_eq!(names, vec!["Name", "Age"]);
        let object =
            json!({"metadata": {"name": "a", "creationTimestamp": "2020-01-01T00:00:00Z"}});
        assert!(
            printer.cells(&object)[1].as_str().unwrap().ends_with('y')
                || printer.cells(&object)[1].as_str().unwrap().ends_with('d')
        );
    }
}
