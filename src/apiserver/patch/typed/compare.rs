//! What changed from one value to another: the fields added, modified and
//! removed. An atomic list or map (and an empty one) is one field; a
//! struct, map or list item that appears or disappears is itself added or
//! removed along with what it holds.

use std::collections::BTreeMap;

use serde_json::Value;

use super::items::elements;
use super::{Atom, atom, empty};
use crate::apiserver::patch::fieldpath::element::values_equal;
use crate::apiserver::patch::fieldpath::{Path, PathElement, Set};
use crate::apiserver::patch::schema::{ListKind, Type};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    pub added: Set,
    pub modified: Set,
    pub removed: Set,
}

impl Comparison {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.modified.is_empty() && self.removed.is_empty()
    }

    /// Added and modified.
    pub fn changed(&self) -> Set {
        self.added.union(&self.modified)
    }

    /// The comparison seen through `filter` (fields a write may not own).
    pub fn filtered(self, filter: impl Fn(&Set) -> Set) -> Comparison {
        Comparison {
            added: filter(&self.added),
            modified: filter(&self.modified),
            removed: filter(&self.removed),
        }
    }
}

pub fn compare(lhs: &Value, rhs: &Value, ty: Type) -> Comparison {
    let mut out = Comparison::default();
    walk(Some(lhs), Some(rhs), ty, &mut Vec::new(), &mut out);
    out
}

fn leaf(lhs: Option<&Value>, rhs: Option<&Value>, path: &Path, out: &mut Comparison) {
    match (lhs, rhs) {
        (None, Some(_)) => out.added.insert(path),
        (Some(_), None) => out.removed.insert(path),
        (Some(l), Some(r)) if !values_equal(l, r) => out.modified.insert(path),
        _ => {}
    }
}

fn walk(lhs: Option<&Value>, rhs: Option<&Value>, ty: Type, path: &mut Path, out: &mut Comparison) {
    let left = atom(ty, lhs);
    let right = atom(ty, rhs);
    let chosen = match (lhs, rhs) {
        (_, None) => left,
        (None, _) => right,
        _ if left == right => right,
        // A value that changed what it is (untyped JSON): one field.
        _ => return leaf(lhs, rhs, path, out),
    };
    match chosen {
        Atom::Scalar(_) => return leaf(lhs, rhs, path, out),
        Atom::List { kind, .. } if kind == ListKind::Atomic || (empty(lhs) && empty(rhs)) => {
            return leaf(lhs, rhs, path, out);
        }
        Atom::Map { atomic, .. } if atomic || (empty(lhs) && empty(rhs)) => {
            return leaf(lhs, rhs, path, out);
        }
        Atom::List { item, kind } => {
            let no_items = Vec::new();
            let l = lhs.and_then(Value::as_array).unwrap_or(&no_items);
            let r = rhs.and_then(Value::as_array).unwrap_or(&no_items);
            let mut order: Vec<PathElement> = Vec::new();
            let mut left_items: BTreeMap<PathElement, Vec<&Value>> = BTreeMap::new();
            let mut right_items: BTreeMap<PathElement, Vec<&Value>> = BTreeMap::new();
            for (name, value) in elements(kind, item, l).into_iter().zip(l) {
                let seen = left_items.entry(name.clone()).or_default();
                if seen.is_empty() {
                    order.push(name);
                }
                seen.push(value);
            }
            for (name, value) in elements(kind, item, r).into_iter().zip(r) {
                let seen = right_items.entry(name.clone()).or_default();
                if seen.is_empty() && !left_items.contains_key(&name) {
                    order.push(name);
                }
                seen.push(value);
            }
            for name in order {
                let l = left_items.get(&name).map(Vec::as_slice).unwrap_or_default();
                let r = right_items
                    .get(&name)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                path.push(name);
                match (l.len(), r.len()) {
                    (0..=1, 0..=1) => walk(
                        l.first().copied(),
                        r.first().copied(),
                        item.into(),
                        path,
                        out,
                    ),
                    (2.., 2..) => {
                        let same =
                            l.len() == r.len() && l.iter().zip(r).all(|(a, b)| values_equal(a, b));
                        if !same {
                            out.modified.insert(path);
                        }
                    }
                    (2.., _) => {
                        if let Some(r) = r.first() {
                            walk(None, Some(r), item.into(), path, out);
                        }
                        out.removed.insert(path);
                    }
                    (_, _) => {
                        if let Some(l) = l.first() {
                            walk(Some(l), None, item.into(), path, out);
                        }
                        out.added.insert(path);
                    }
                }
                path.pop();
            }
        }
        Atom::Map { shape, .. } => {
            let l = lhs.and_then(Value::as_object);
            let r = rhs.and_then(Value::as_object);
            let mut keys: Vec<&String> = l.into_iter().flat_map(|m| m.keys()).collect();
            keys.extend(r.into_iter().flat_map(|m| m.keys()));
            keys.sort_unstable();
            keys.dedup();
            for key in keys {
                path.push(PathElement::Field(key.clone()));
                walk(
                    l.and_then(|m| m.get(key)),
                    r.and_then(|m| m.get(key)),
                    shape.child(key),
                    path,
                    out,
                );
                path.pop();
            }
        }
    }
    // A struct, map or list that appeared or disappeared, besides its
    // contents.
    match (lhs, rhs) {
        (None, Some(_)) => out.added.insert(path),
        (Some(_), None) => out.removed.insert(path),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::patch::fieldpath::fields_v1;
    use crate::apiserver::patch::schema::Shapes;
    use serde_json::json;

    #[test]
    fn reports_added_modified_and_removed_fields() {
        let ty = Shapes::get().root("v1", "ConfigMap").unwrap();
        let before = json!({"metadata": {"name": "c", "labels": {"a": "1"}}, "data": {"k": "v", "gone": "x"}});
        let after = json!({"metadata": {"name": "c", "labels": {"a": "2"}, "annotations": {"n": "y"}}, "data": {"k": "v"}});
        let c = compare(&before, &after, ty);
        assert_eq!(
            fields_v1::encode(&c.added),
            json!({"f:metadata": {"f:annotations": {".": {}, "f:n": {}}}})
        );
        assert_eq!(
            fields_v1::encode(&c.modified),
            json!({"f:metadata": {"f:labels": {"f:a": {}}}})
        );
        assert_eq!(
            fields_v1::encode(&c.removed),
            json!({"f:data": {"f:gone": {}}})
        );
        assert!(compare(&before, &before, ty).is_empty());
    }

    #[test]
    fn list_items_compare_by_key_and_atomic_lists_whole() {
        let ty = Shapes::get().root("v1", "Pod").unwrap();
        let pod = |image: &str, args: Value| json!({"spec": {"containers": [{"name": "a", "image": image, "args": args}]}});
        let c = compare(&pod("x", json!(["1"])), &pod("y", json!(["2"])), ty);
        assert_eq!(
            fields_v1::encode(&c.modified),
            json!({"f:spec": {"f:containers": {"k:{\"name\":\"a\"}": {"f:image": {}, "f:args": {}}}}})
        );
        let c = compare(
            &json!({"spec": {"containers": null}}),
            &pod("x", json!([])),
            ty,
        );
        // Null before: the list is not itself added, its item is.
        assert_eq!(
            fields_v1::encode(&c.added),
            json!({"f:spec": {"f:containers": {"k:{\"name\":\"a\"}": {".": {}, "f:name": {}, "f:image": {}, "f:args": {}}}}})
        );
    }
}
