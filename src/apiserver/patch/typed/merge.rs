//! An applied configuration merged into an object: the configuration wins
//! wherever it sets something; structs and maps merge by key, list maps and
//! sets by item (items only the object has keep their place, the
//! configuration's come in its order), atomic lists and maps are replaced.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde_json::{Map, Value};

use super::items::elements;
use super::{Atom, atom, empty};
use crate::apiserver::patch::fieldpath::PathElement;
use crate::apiserver::patch::schema::{ListKind, Type};

/// `config` merged into `live`.
pub fn merge(live: &Value, config: &Value, ty: Type) -> Value {
    walk(Some(live), Some(config), ty).unwrap_or(Value::Null)
}

static NULL: Value = Value::Null;

fn walk(lhs: Option<&Value>, rhs: Option<&Value>, ty: Type) -> Option<Value> {
    let leaf = || rhs.or(lhs).cloned();
    let left = atom(ty, lhs);
    let right = atom(ty, rhs);
    let chosen = match (lhs, rhs) {
        (_, None) => left,
        (None, _) => right,
        _ if left == right => right,
        _ => return leaf(),
    };
    match chosen {
        Atom::Scalar(_) => leaf(),
        Atom::List { kind, .. } if kind == ListKind::Atomic || (empty(lhs) && empty(rhs)) => leaf(),
        Atom::Map { atomic, .. } if atomic || (empty(lhs) && empty(rhs)) => leaf(),
        Atom::List { item, kind } => {
            let no_items = Vec::new();
            let l = lhs.and_then(Value::as_array).unwrap_or(&no_items);
            let r = rhs.and_then(Value::as_array).unwrap_or(&no_items);
            let out = merge_items(
                l,
                r,
                item.into(),
                elements(kind, item, l),
                elements(kind, item, r),
            );
            (!out.is_empty()).then_some(Value::Array(out))
        }
        Atom::Map { shape, .. } => {
            let l = lhs.and_then(Value::as_object);
            let r = rhs.and_then(Value::as_object);
            let mut keys: Vec<&String> = l.into_iter().flat_map(|m| m.keys()).collect();
            keys.extend(r.into_iter().flat_map(|m| m.keys()));
            keys.sort_unstable();
            keys.dedup();
            let mut out = Map::new();
            for key in keys {
                let merged = walk(
                    l.and_then(|m| m.get(key)),
                    r.and_then(|m| m.get(key)),
                    shape.child(key),
                );
                if let Some(merged) = merged {
                    out.insert(key.clone(), merged);
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
    }
}

/// The items of the merged list: walks both lists side by side, keeping
/// the live items the configuration does not name where they are and
/// putting the configuration's items in its order.
fn merge_items(
    lhs: &[Value],
    rhs: &[Value],
    item: Type,
    lhs_names: Vec<PathElement>,
    rhs_names: Vec<PathElement>,
) -> Vec<Value> {
    // The live item of each name (null when the live list repeats it).
    let mut live: BTreeMap<&PathElement, &Value> = BTreeMap::new();
    for (name, value) in lhs_names.iter().zip(lhs) {
        live.entry(name).and_modify(|v| *v = &NULL).or_insert(value);
    }
    let applied: BTreeMap<&PathElement, &Value> = rhs_names.iter().zip(rhs).collect();
    let mut shared: VecDeque<&PathElement> =
        rhs_names.iter().filter(|n| live.contains_key(n)).collect();
    let mut next_shared = shared.pop_front();
    let mut emitted: BTreeSet<&PathElement> = BTreeSet::new();
    let mut out = Vec::with_capacity(lhs.len().max(rhs.len()));
    let (mut li, mut ri) = (0, 0);
    while li < lhs.len() || ri < rhs.len() {
        let before = (li, ri);
        if li < lhs.len() && ri < rhs.len() {
            let name = &lhs_names[li];
            if *name == rhs_names[ri] {
                emitted.insert(name);
                out.extend(walk(
                    live.get(name).copied(),
                    applied.get(name).copied(),
                    item,
                ));
                li += 1;
                ri += 1;
                next_shared = shared.pop_front();
                continue;
            }
            // A live item the configuration moves later: skip it for now.
            if applied.contains_key(name) && next_shared.is_some_and(|n| n != name) {
                li += 1;
                continue;
            }
        }
        if li < lhs.len() {
            let name = &lhs_names[li];
            if !applied.contains_key(name) {
                out.extend(walk(Some(&lhs[li]), None, item));
                li += 1;
                continue;
            } else if emitted.contains(name) {
                li += 1;
            }
        }
        if ri < rhs.len() {
            let name = &rhs_names[ri];
            emitted.insert(name);
            out.extend(walk(
                live.get(name).copied(),
                applied.get(name).copied(),
                item,
            ));
            ri += 1;
            if next_shared.is_some_and(|n| n == name) {
                next_shared = shared.pop_front();
            }
        }
        if (li, ri) == before {
            // Cannot happen with a configuration that names each item once;
            // keeps a malformed one from looping.
            li += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::patch::schema::Shapes;
    use serde_json::json;

    #[test]
    fn configuration_wins_and_live_only_items_stay() {
        let ty = Shapes::get().root("v1", "Pod").unwrap();
        let live = json!({
            "metadata": {"name": "p", "labels": {"a": "1"}},
            "spec": {"containers": [
                {"name": "side", "image": "s"},
                {"name": "main", "image": "m:1", "args": ["a", "b"], "imagePullPolicy": "Always"},
            ], "nodeSelector": {"x": "1"}},
        });
        let config = json!({
            "metadata": {"labels": {"b": "2"}},
            "spec": {"containers": [
                {"name": "main", "image": "m:2", "args": ["c"]},
                {"name": "new", "image": "n"},
            ], "nodeSelector": {"y": "2"}},
        });
        let merged = merge(&live, &config, ty);
        assert_eq!(merged["metadata"]["labels"], json!({"a": "1", "b": "2"}));
        assert_eq!(
            merged["spec"]["containers"],
            json!([
                {"name": "side", "image": "s"},
                {"name": "main", "image": "m:2", "args": ["c"], "imagePullPolicy": "Always"},
                {"name": "new", "image": "n"},
            ])
        );
        // An atomic map is replaced.
        assert_eq!(merged["spec"]["nodeSelector"], json!({"y": "2"}));
    }

    #[test]
    fn configuration_order_moves_shared_items() {
        let ty = Shapes::get().root("v1", "Pod").unwrap();
        let names = |v: &Value| -> Vec<String> {
            v["spec"]["containers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_owned())
                .collect()
        };
        let pod = |list: &[&str]| json!({"spec": {"containers": list.iter().map(|n| json!({"name": n})).collect::<Vec<_>>()}});
        let merged = merge(&pod(&["a", "b", "c"]), &pod(&["c", "a"]), ty);
        assert_eq!(names(&merged), ["b", "c", "a"]);
    }
}
