//! One step of a field path: a struct or map field (`.name`), a list item
//! identified by its key fields (`[name="nginx"]`), a set item by its value
//! (`[="a"]`), or an item of a list that has no identity (`[0]`). Ordered
//! as upstream orders them (fields, then keys, values and indexes), which
//! is the order managed fields and conflict messages list paths in.

use std::cmp::Ordering;
use std::fmt;

use serde_json::Value;

use crate::apiserver::patch::go_format;

#[derive(Clone, Debug)]
pub enum PathElement {
    Field(String),
    /// Key fields, sorted by name.
    Key(Vec<(String, Value)>),
    Value(Value),
    Index(usize),
}

/// A path from the object's root.
pub type Path = Vec<PathElement>;

impl PathElement {
    fn rank(&self) -> u8 {
        match self {
            PathElement::Field(_) => 0,
            PathElement::Key(_) => 1,
            PathElement::Value(_) => 2,
            PathElement::Index(_) => 3,
        }
    }

    pub fn field(name: &str) -> PathElement {
        PathElement::Field(name.to_owned())
    }
}

impl Ord for PathElement {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (PathElement::Field(a), PathElement::Field(b)) => a.cmp(b),
            (PathElement::Key(a), PathElement::Key(b)) => {
                for ((an, av), (bn, bv)) in a.iter().zip(b) {
                    let order = an.cmp(bn).then_with(|| compare_values(av, bv));
                    if order != Ordering::Equal {
                        return order;
                    }
                }
                a.len().cmp(&b.len())
            }
            (PathElement::Value(a), PathElement::Value(b)) => compare_values(a, b),
            (PathElement::Index(a), PathElement::Index(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for PathElement {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for PathElement {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for PathElement {}

impl fmt::Display for PathElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathElement::Field(name) => write!(f, ".{name}"),
            PathElement::Key(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(name, value)| format!("{name}={}", display_value(value)))
                    .collect();
                write!(f, "[{}]", fields.join(","))
            }
            PathElement::Value(value) => write!(f, "[={}]", display_value(value)),
            PathElement::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// A path as upstream prints it: `.spec.containers[name="nginx"].image`.
pub fn display(path: &[PathElement]) -> String {
    path.iter().map(ToString::to_string).collect()
}

/// A value inside a path element: strings quoted, the rest as Go prints
/// them.
fn display_value(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(display_value).collect();
            format!("[{}]", items.join(","))
        }
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}={}", display_value(v)))
            .collect(),
        other => go_format::value(other),
    }
}

fn is_float(n: &serde_json::Number) -> bool {
    n.is_f64()
}

/// Upstream's order of values: numbers, strings, booleans, lists, maps,
/// null.
pub fn compare_values(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Number(_) => 0,
            Value::String(_) => 1,
            Value::Bool(_) => 2,
            Value::Array(_) => 3,
            Value::Object(_) => 4,
            Value::Null => 5,
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if is_float(x) || is_float(y) {
                let (x, y) = (
                    x.as_f64().unwrap_or_default(),
                    y.as_f64().unwrap_or_default(),
                );
                x.partial_cmp(&y).unwrap_or(Ordering::Equal)
            } else {
                match (x.as_i64(), y.as_i64()) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    _ => x.as_u64().cmp(&y.as_u64()),
                }
            }
        }
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => {
            for (x, y) in x.iter().zip(y) {
                let order = compare_values(x, y);
                if order != Ordering::Equal {
                    return order;
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Object(x), Value::Object(y)) => {
            for ((xk, xv), (yk, yv)) in x.iter().zip(y) {
                let order = xk.cmp(yk).then_with(|| compare_values(xv, yv));
                if order != Ordering::Equal {
                    return order;
                }
            }
            x.len().cmp(&y.len())
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Upstream's equality of values: numbers by value whether integer or
/// not, lists and maps deeply.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => compare_values(a, b) == Ordering::Equal || x == y,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| values_equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn elements_order_and_print_as_upstream() {
        let key = |v: Value| PathElement::Key(vec![("name".into(), v)]);
        let mut elements = [
            PathElement::Index(0),
            PathElement::Value(json!("a")),
            key(json!("b")),
            PathElement::field("z"),
            PathElement::field("a"),
            key(json!("a")),
        ];
        elements.sort();
        let printed: Vec<String> = elements.iter().map(ToString::to_string).collect();
        assert_eq!(
            printed,
            [
                ".a",
                ".z",
                "[name=\"a\"]",
                "[name=\"b\"]",
                "[=\"a\"]",
                "[0]"
            ]
        );
        let ports = PathElement::Key(vec![
            ("containerPort".into(), json!(80)),
            ("protocol".into(), json!("TCP")),
        ]);
        assert_eq!(
            display(&[
                PathElement::field("spec"),
                PathElement::field("ports"),
                ports
            ]),
            ".spec.ports[containerPort=80,protocol=\"TCP\"]"
        );
        assert_eq!(compare_values(&json!(80), &json!(443)), Ordering::Less);
        assert!(values_equal(&json!(1), &json!(1.0)));
        assert!(!values_equal(&json!("1"), &json!(1)));
    }
}
