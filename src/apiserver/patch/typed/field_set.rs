//! The fields a value sets: every scalar, every atomic list or map, every
//! list item, and every null or empty map. A struct with fields set is not
//! itself in the set (its fields are); a map's keys are.

use std::collections::BTreeSet;

use serde_json::Value;

use super::items::elements;
use super::{Atom, atom};
use crate::apiserver::patch::fieldpath::{Path, PathElement, Set};
use crate::apiserver::patch::schema::{ListKind, Type};

pub fn field_set(value: &Value, ty: Type) -> Set {
    let mut set = Set::new();
    walk(value, ty, &mut Vec::new(), &mut set);
    set
}

fn walk(value: &Value, ty: Type, path: &mut Path, set: &mut Set) {
    match atom(ty, Some(value)) {
        Atom::Scalar(_) => set.insert(path),
        Atom::List {
            kind: ListKind::Atomic,
            ..
        }
        | Atom::Map { atomic: true, .. } => set.insert(path),
        Atom::List { item, kind } => {
            let Value::Array(items) = value else {
                return;
            };
            let names = elements(kind, item, items);
            let mut seen: BTreeSet<&PathElement> = BTreeSet::new();
            let mut duplicated: BTreeSet<&PathElement> = BTreeSet::new();
            for name in &names {
                // A repeated item is owned as a whole, once.
                if !seen.insert(name) && duplicated.insert(name) {
                    path.push(name.clone());
                    set.insert(path);
                    path.pop();
                }
            }
            for (item_value, name) in items.iter().zip(&names) {
                if duplicated.contains(&name) {
                    continue;
                }
                path.push(name.clone());
                walk(item_value, item.into(), path, set);
                set.insert(path);
                path.pop();
            }
        }
        Atom::Map { shape, .. } => {
            let Value::Object(map) = value else {
                return;
            };
            for (key, child) in map {
                path.push(PathElement::Field(key.clone()));
                walk(child, shape.child(key), path, set);
                let empty_map = child.as_object().is_some_and(|m| m.is_empty());
                if child.is_null() || empty_map || !shape.declares(key) {
                    set.insert(path);
                }
                path.pop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::patch::fieldpath::fields_v1;
    use crate::apiserver::patch::schema::Shapes;
    use serde_json::json;

    #[test]
    fn an_applied_deployment_owns_what_it_sets() {
        let ty = Shapes::get().root("apps/v1", "Deployment").unwrap();
        let config = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx", "ports": [{"containerPort": 80}]}]}},
            }
        });
        let set = field_set(&config, ty);
        assert_eq!(
            fields_v1::encode(&set),
            json!({
                "f:apiVersion": {}, "f:kind": {},
                "f:metadata": {"f:name": {}, "f:labels": {"f:app": {}}},
                "f:spec": {
                    "f:replicas": {},
                    "f:selector": {},
                    "f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {
                        ".": {}, "f:name": {}, "f:image": {},
                        "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}},
                    }}}},
                }
            })
        );
    }
}
