//! How a list item is named in a path: by its key fields in a list map
//! (a missing key takes its default), by its value in a set, by its index
//! in an atomic list.

use serde_json::Value;

use super::super::fieldpath::PathElement;
use super::super::schema::{Element, ListKind, Shapes};

/// The path element of `item`, the `index`th of a list of `kind`.
pub fn item_element(
    kind: ListKind,
    element: Element,
    item: &Value,
    index: usize,
) -> Result<PathElement, String> {
    match kind {
        ListKind::Atomic => Ok(PathElement::Index(index)),
        ListKind::Set => match item {
            Value::Object(_) => {
                Err("associative list without keys has an element that's a map type".into())
            }
            Value::Array(_) => Err("not supported: associative list with lists as elements".into()),
            Value::Null => {
                Err("associative list without keys has an element that's an explicit null".into())
            }
            scalar => Ok(PathElement::Value(scalar.clone())),
        },
        ListKind::Map(keys) => {
            let map = match item {
                Value::Null => {
                    return Err("associative list with keys may not have a null element".into());
                }
                Value::Object(map) => map,
                _ => {
                    return Err("associative list with keys may not have non-map elements".into());
                }
            };
            let message = match element {
                Element::Struct(s) => Some(Shapes::get().message(s)),
                _ => None,
            };
            let mut fields: Vec<(String, Value)> = Vec::with_capacity(keys.len());
            for key in keys {
                if let Some(value) = map.get(key.as_str()) {
                    fields.push((key.clone(), value.clone()));
                } else if let Some(default) = message
                    .and_then(|m| m.field(key))
                    .and_then(|f| f.key_default)
                {
                    fields.push((key.clone(), Value::String(default.into())));
                }
            }
            if fields.is_empty() {
                let quoted: Vec<String> = keys
                    .iter()
                    .map(|k| serde_json::to_string(k).unwrap_or_default())
                    .collect();
                return Err(format!(
                    "associative list with keys has an element that omits all key fields [{}] (and doesn't have default values for any key fields)",
                    quoted.join(" ")
                ));
            }
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(PathElement::Key(fields))
        }
    }
}

/// The path elements of a list's items; items that cannot be named (the
/// object was not validated) fall back to their index.
pub(super) fn elements(kind: ListKind, element: Element, items: &[Value]) -> Vec<PathElement> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| item_element(kind, element, item, i).unwrap_or(PathElement::Index(i)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::patch::schema::Type;
    use serde_json::json;

    #[test]
    fn list_map_items_are_named_by_keys_with_defaults() {
        let shapes = Shapes::get();
        let container = shapes.named("k8s.io.api.core.v1.Container").unwrap();
        let Type::List { item, kind } = container.field("ports").unwrap().ty else {
            panic!("ports is a list");
        };
        let element = item_element(kind, item, &json!({"containerPort": 80}), 0).unwrap();
        assert_eq!(element.to_string(), "[containerPort=80,protocol=\"TCP\"]");
        let Type::List { item, kind } = container.field("env").unwrap().ty else {
            panic!("env is a list");
        };
        let error = item_element(kind, item, &json!({"value": "x"}), 0).unwrap_err();
        assert_eq!(
            error,
            "associative list with keys has an element that omits all key fields [\"name\"] (and doesn't have default values for any key fields)"
        );
    }
}
