//! `FieldsV1`, the JSON form of a field set in `managedFields`: one key per
//! path element (`f:<field>`, `k:<key fields as JSON>`, `v:<value as
//! JSON>`, `i:<index>`), `{}` for a member with nothing below it, and a
//! `".": {}` entry in an element that is a member and also has paths below.

use serde_json::{Map, Value};

use super::element::PathElement;
use super::set::Set;

/// The `fieldsV1` object of `set`.
pub fn encode(set: &Set) -> Value {
    Value::Object(contents(set))
}

fn contents(set: &Set) -> Map<String, Value> {
    let mut out = Map::new();
    for member in set.members() {
        if set.child(member).is_none() {
            out.insert(key(member), Value::Object(Map::new()));
        }
    }
    for (element, below) in set.children() {
        let mut inner = Map::new();
        if set.has_member(element) {
            inner.insert(".".into(), Value::Object(Map::new()));
        }
        inner.extend(contents(below));
        out.insert(key(element), Value::Object(inner));
    }
    out
}

fn key(element: &PathElement) -> String {
    match element {
        PathElement::Field(name) => format!("f:{name}"),
        PathElement::Key(fields) => {
            let object: Map<String, Value> = fields.iter().cloned().collect();
            format!("k:{}", Value::Object(object))
        }
        PathElement::Value(value) => format!("v:{value}"),
        PathElement::Index(i) => format!("i:{i}"),
    }
}

/// The set a `fieldsV1` object describes. Keys of unknown kinds are
/// skipped, as upstream skips them.
pub fn decode(value: &Value) -> Result<Set, String> {
    let Value::Object(map) = value else {
        return Err(format!("expected an object, got {value}"));
    };
    Ok(read(map)?.0)
}

/// The set below one element and whether the element is a member.
fn read(map: &Map<String, Value>) -> Result<(Set, bool), String> {
    let mut set = Set::new();
    let mut member = false;
    for (k, v) in map {
        if k == "." {
            member = true;
            continue;
        }
        let Some(element) = parse_key(k)? else {
            continue;
        };
        let Value::Object(inner) = v else {
            return Err(format!("expected an object for {k:?}"));
        };
        let (below, is_member) = read(inner)?;
        if is_member {
            set.insert_member(element.clone());
        }
        set.insert_child(element, below);
    }
    let member = member || set.is_empty();
    Ok((set, member))
}

fn parse_key(key: &str) -> Result<Option<PathElement>, String> {
    let bytes = key.as_bytes();
    if bytes.len() < 2 {
        return Err("key must be 2 characters long:".into());
    }
    if bytes[1] != b':' {
        return Err(format!("missing colon: {key}"));
    }
    let rest = &key[2..];
    let element = match bytes[0] {
        b'f' => PathElement::Field(rest.to_owned()),
        b'v' => PathElement::Value(
            serde_json::from_str(rest).map_err(|e| format!("parsing {key:?}: {e}"))?,
        ),
        b'k' => {
            let fields: Map<String, Value> =
                serde_json::from_str(rest).map_err(|e| format!("parsing {key:?}: {e}"))?;
            let mut fields: Vec<(String, Value)> = fields.into_iter().collect();
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            PathElement::Key(fields)
        }
        b'i' => PathElement::Index(rest.parse().map_err(|e| format!("parsing {key:?}: {e}"))?),
        _ => return Ok(None),
    };
    Ok(Some(element))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_upstream_fields_v1() {
        let fields = json!({
            "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
            "f:spec": {
                "f:containers": {
                    "k:{\"name\":\"nginx\"}": {
                        ".": {},
                        "f:image": {},
                        "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}},
                    }
                },
                "f:finalizers": {"v:\"a\"": {}},
                "f:args": {"i:0": {}},
            }
        });
        let set = decode(&fields).unwrap();
        let labels = vec![PathElement::field("metadata"), PathElement::field("labels")];
        assert!(set.has(&labels));
        let mut app = labels.clone();
        app.push(PathElement::field("app"));
        assert!(set.has(&app));
        assert!(!set.has(&[PathElement::field("metadata")]));
        let nginx = vec![
            PathElement::field("spec"),
            PathElement::field("containers"),
            PathElement::Key(vec![("name".into(), json!("nginx"))]),
        ];
        assert!(set.has(&nginx));
        assert_eq!(encode(&set), fields);
        assert!(decode(&json!({"x": {}})).is_err());
        assert!(decode(&json!({"z:a": {}})).unwrap().is_empty());
    }
}
