//! Helpers for the printers' tests: timestamps relative to now, so that ages
//! in expected cells stay put, and the cells a kind's printer makes.

use serde_json::Value;

/// The RFC 3339 time `seconds` before now, at whole seconds as the API
/// stores it.
pub fn ago(seconds: i64) -> String {
    let now = jiff::Timestamp::now().as_second();
    jiff::Timestamp::from_second(now - seconds)
        .expect("a valid timestamp")
        .to_string()
}

/// The cells `group`/`kind`'s printer makes of `object`.
pub fn cells(group: &str, kind: &str, object: &Value) -> Vec<Value> {
    super::for_kind(group, kind)
        .unwrap_or_else(|| panic!("no printer for {group}/{kind}"))
        .cells(object)
}

/// The names of `group`/`kind`'s columns, with `(wide)` after priority-1
/// ones.
pub fn column_names(group: &str, kind: &str) -> Vec<String> {
    super::for_kind(group, kind)
        .unwrap_or_else(|| panic!("no printer for {group}/{kind}"))
        .columns()
        .into_iter()
        .map(|c| {
            if c.priority == 1 {
                format!("{} (wide)", c.name)
            } else {
                c.name.to_string()
            }
        })
        .collect()
}
