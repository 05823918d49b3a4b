//! `Table` output for `kubectl get`: the columns upstream prints per kind
//! ([`printers`]), and the generic `Name`/`Created At` table for kinds
//! without a printer.

pub(crate) mod printers;

use std::borrow::Cow;

use serde_json::{Value, json};

use crate::apiserver::object::ObjectExt;

/// One column of a table.
#[derive(Clone, Debug)]
pub struct Column {
    pub name: Cow<'static, str>,
    /// `string`, `integer`, `date`, …
    pub kind: Cow<'static, str>,
    /// `name` for the name column, else empty.
    pub format: Cow<'static, str>,
    pub description: Cow<'static, str>,
    /// 0: always shown; 1: only with `-o wide`.
    pub priority: i32,
}

impl Column {
    pub const fn new(name: &'static str, kind: &'static str, description: &'static str) -> Column {
        Column {
            name: Cow::Borrowed(name),
            kind: Cow::Borrowed(kind),
            format: Cow::Borrowed(""),
            description: Cow::Borrowed(description),
            priority: 0,
        }
    }

    pub fn wide(mut self) -> Column {
        self.priority = 1;
        self
    }

    pub fn name_format(mut self) -> Column {
        self.format = Cow::Borrowed("name");
        self
    }
}

/// How a kind's rows look.
pub trait Printer: Send + Sync {
    fn columns(&self) -> Vec<Column>;
    fn cells(&self, object: &Value) -> Vec<Value>;

    /// Puts a list's rows in the order upstream prints them. Almost every
    /// kind keeps the list's order; FlowSchemas are sorted by precedence.
    fn order_rows(&self, _objects: &mut Vec<&Value>) {}

    /// A row's `conditions` (`meta.k8s.io` `TableRowCondition`s), which
    /// upstream sets only on finished pods.
    fn row_conditions(&self, _object: &Value) -> Option<Value> {
        None
    }
}

pub const NAME_DESCRIPTION: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
pub const CREATED_DESCRIPTION: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

/// The table of kinds without a printer.
pub struct DefaultPrinter;

impl Printer for DefaultPrinter {
    fn columns(&self) -> Vec<Column> {
        vec![
            Column::new("Name", "string", NAME_DESCRIPTION).name_format(),
            Column::new("Created At", "date", CREATED_DESCRIPTION),
        ]
    }

    fn cells(&self, object: &Value) -> Vec<Value> {
        vec![
            json!(object.name().unwrap_or_default()),
            json!(object.meta_str("creationTimestamp").unwrap_or_default()),
        ]
    }
}

/// The printer of a built-in kind.
pub fn printer_for(group: &str, kind: &str) -> Box<dyn Printer> {
    printers::for_kind(group, kind).unwrap_or_else(|| Box::new(DefaultPrinter))
}

/// `includeObject`: what each row carries besides its cells.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IncludeObject {
    None,
    #[default]
    Metadata,
    Object,
}

impl IncludeObject {
    pub fn parse(value: Option<&str>) -> IncludeObject {
        match value {
            Some("None") => IncludeObject::None,
            Some("Object") => IncludeObject::Object,
            _ => IncludeObject::Metadata,
        }
    }
}

/// `object` as `PartialObjectMetadata` of meta.k8s.io `version`.
pub fn partial_metadata(object: &Value, version: &str) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": format!("meta.k8s.io/{version}"),
        "metadata": object.get("metadata").cloned().unwrap_or_else(|| json!({})),
    })
}

/// A Table of `objects` (list metadata in `list_metadata`).
pub fn table(
    printer: &dyn Printer,
    objects: &[&Value],
    list_metadata: Value,
    include: IncludeObject,
    version: &str,
) -> Value {
    let columns: Vec<Value> = printer
        .columns()
        .into_iter()
        .map(|c| {
            json!({
                "name": c.name,
                "type": c.kind,
                "format": c.format,
                "description": c.description,
                "priority": c.priority,
            })
        })
        .collect();
    let mut objects = objects.to_vec();
    printer.order_rows(&mut objects);
    let rows: Vec<Value> = objects
        .iter()
        .map(|object| {
            let mut row = json!({ "cells": printer.cells(object) });
            if let Some(conditions) = printer.row_conditions(object) {
                row["conditions"] = conditions;
            }
            match include {
                IncludeObject::None => {}
                IncludeObject::Metadata => row["object"] = partial_metadata(object, version),
                IncludeObject::Object => row["object"] = (*object).clone(),
            }
            row
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": format!("meta.k8s.io/{version}"),
        "metadata": list_metadata,
        "columnDefinitions": columns,
        "rows": rows,
    })
}

/// Upstream's short, human age: `45s`, `3m20s`, `5h`, `2d3h`, `400d`;
/// `<unknown>` for a missing or unreadable timestamp.
pub fn age(timestamp: &str) -> String {
    match elapsed(timestamp) {
        Some(seconds) => human_duration(seconds),
        None => "<unknown>".into(),
    }
}

/// Whole seconds from `timestamp` (RFC 3339) to now, truncated toward zero
/// as Go's `int(d.Seconds())` does; negative for a future timestamp.
pub fn elapsed(timestamp: &str) -> Option<i64> {
    let then = timestamp.parse::<jiff::Timestamp>().ok()?;
    Some(seconds_since(then))
}

/// Whole seconds from `then` to now, truncated toward zero.
pub fn seconds_since(then: jiff::Timestamp) -> i64 {
    jiff::Timestamp::now().duration_since(then).as_secs()
}

/// Upstream's `duration.HumanDuration`. Clocks may disagree by a second, so
/// up to one second in the future reads `0s`; further is `<invalid>`.
pub fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".into();
    }
    let seconds = seconds.max(0);
    let (minutes, hours, days) = (seconds / 60, seconds / 3600, seconds / 86400);
    if seconds < 60 * 2 {
        format!("{seconds}s")
    } else if minutes < 10 {
        let s = seconds % 60;
        if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        }
    } else if minutes < 60 * 3 {
        format!("{minutes}m")
    } else if hours < 8 {
        let m = minutes % 60;
        if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        }
    } else if hours < 48 {
        format!("{hours}h")
    } else if hours < 24 * 8 {
        let h = hours % 24;
        if h == 0 {
            format!("{days}d")
        } else {
            format!("{days}d{h}h")
        }
    } else if hours < 24 * 365 * 2 {
        format!("{days}d")
    } else if hours < 24 * 365 * 8 {
        let y = days / 365;
        let d = days % 365;
        if d == 0 {
            format!("{y}y")
        } else {
            format!("{y}y{d}d")
        }
    } else {
        format!("{}y", days / 365)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(119), "119s");
        assert_eq!(human_duration(200), "3m20s");
        assert_eq!(human_duration(3600 * 5), "5h");
        assert_eq!(human_duration(3600 * 30), "30h");
        assert_eq!(human_duration(86400 * 3 + 3600), "3d1h");
        assert_eq!(human_duration(86400 * 400), "400d");
        assert_eq!(human_duration(86400 * 365 * 3 + 86400 * 10), "3y10d");
        assert_eq!(human_duration(86400 * 365 * 9), "9y");
        assert_eq!(human_duration(-1), "0s");
        assert_eq!(human_duration(-2), "<invalid>");
    }

    #[test]
    fn rows_carry_the_printers_conditions() {
        let done = json!({"metadata": {"name": "p"}, "status": {"phase": "Succeeded"}});
        let running = json!({"metadata": {"name": "q"}, "status": {"phase": "Running"}});
        let printer = printer_for("", "Pod");
        let t = table(
            &*printer,
            &[&done, &running],
            json!({}),
            IncludeObject::None,
            "v1",
        );
        assert_eq!(t["rows"][0]["conditions"][0]["type"], "Completed");
        assert!(t["rows"][1].get("conditions").is_none());
        assert!(t["rows"][1].get("object").is_none());
    }

    #[test]
    fn ages_of_missing_and_future_timestamps() {
        assert_eq!(age(""), "<unknown>");
        assert_eq!(age("yesterday"), "<unknown>");
        let future = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(3600);
        assert_eq!(age(&future.to_string()), "<invalid>");
    }

    #[test]
    fn default_table_has_name_and_created_at() {
        let object =
            json!({"metadata": {"name": "a", "creationTimestamp": "2024-01-01T00:00:00Z"}});
        let t = table(
            &DefaultPrinter,
            &[&object],
            json!({}),
            IncludeObject::Metadata,
            "v1",
        );
        assert_eq!(t["columnDefinitions"][1]["name"], "Created At");
        assert_eq!(t["rows"][0]["cells"][0], "a");
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    }
}
