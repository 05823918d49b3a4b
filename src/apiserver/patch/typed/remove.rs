//! Fields removed from a value: every member of the set goes with what it
//! holds; a list or map left with nothing becomes null, as upstream leaves
//! it (decoding into the kind's type then drops it).

use serde_json::{Map, Value};

use super::items::elements;
use super::{Atom, atom};
use crate::apiserver::patch::fieldpath::{PathElement, Set};
use crate::apiserver::patch::schema::{ListKind, Type};

/// `value` without the fields of `set`.
pub fn remove(value: &Value, set: &Set, ty: Type) -> Value {
    if set.is_empty() {
        return value.clone();
    }
    match atom(ty, Some(value)) {
        Atom::Scalar(_) => value.clone(),
        Atom::List {
            kind: ListKind::Atomic,
            ..
        }
        | Atom::Map { atomic: true, .. } => Value::Null,
        Atom::List { item, kind } => {
            let Value::Array(items) = value else {
                return Value::Null;
            };
            let kept: Vec<Value> = elements(kind, item, items)
                .into_iter()
                .zip(items)
                .filter(|(name, _)| !set.has_member(name))
                .map(|(name, value)| match set.child(&name) {
                    Some(below) => remove(value, below, item.into()),
                    None => value.clone(),
                })
                .collect();
            if kept.is_empty() {
                Value::Null
            } else {
                Value::Array(kept)
            }
        }
        Atom::Map { shape, .. } => {
            let Value::Object(map) = value else {
                return Value::Null;
            };
            let mut kept = Map::new();
            for (key, child) in map {
                let name = PathElement::Field(key.clone());
                if set.has_member(&name) {
                    continue;
                }
                let child = match set.child(&name) {
                    Some(below) => remove(child, below, shape.child(key)),
                    None => child.clone(),
                };
                kept.insert(key.clone(), child);
            }
            if kept.is_empty() {
                Value::Null
            } else {
                Value::Object(kept)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::patch::schema::Shapes;
    use serde_json::json;

    #[test]
    fn removes_members_with_what_they_hold() {
        let ty = Shapes::get().root("v1", "Pod").unwrap();
        let pod = json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"containers": [
            {"name": "a", "env": [{"name": "X"}, {"name": "Y"}]},
            {"name": "b"},
        ]}});
        let mut set = Set::new();
        let labels = [PathElement::field("metadata"), PathElement::field("labels")];
        let mut a = labels.to_vec();
        a.push(PathElement::field("a"));
        set.insert(&a);
        let containers = [PathElement::field("spec"), PathElement::field("containers")];
        let mut b = containers.to_vec();
        b.push(PathElement::Key(vec![("name".into(), json!("b"))]));
        set.insert(&b);
        let mut y = containers.to_vec();
        y.push(PathElement::Key(vec![("name".into(), json!("a"))]));
        y.push(PathElement::field("env"));
        y.push(PathElement::Key(vec![("name".into(), json!("Y"))]));
        set.insert(&y);
        let removed = remove(&pod, &set, ty);
        assert_eq!(
            removed,
            json!({"metadata": {"labels": {"b": "2"}}, "spec": {"containers": [{"name": "a", "env": [{"name": "X"}]}]}})
        );
    }
}
