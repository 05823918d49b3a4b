//! Strategic merge patch (`application/strategic-merge-patch+json`), as
//! kube-apiserver applies it to built-in kinds.
//!
//! A merge patch whose lists follow the field's markers from the type
//! table: a list with `patchStrategy: merge` and a merge key merges its
//! items by that key, one without a key takes the union of its scalars,
//! and every other list is replaced. Directives refine it:
//!
//! * `$patch: replace` (the map or list is replaced), `$patch: delete` (the
//!   map is emptied, or the list item with that key removed);
//! * `$setElementOrder/<field>`: the order of the merged list's items;
//! * `$retainKeys`: the keys of the original map to keep (union types);
//! * `$deleteFromPrimitiveList/<field>`: scalars to remove from a list;
//! * `null`: the key is removed.

mod error;
mod node;
mod order;
mod values;

use serde_json::{Map, Value};

pub use self::error::SmpError;
use self::error::{BAD_PRIMITIVE_LIST, BAD_RETAIN_KEYS};
use self::node::Node;
use self::order::{
    ItemKind, SET_ELEMENT_ORDER, apply_element_orders, apply_item_directives, directive_field,
    find_by_key, item_kind, ordered_merge,
};
use self::values::{go_eq, same_type, taken_over, without_directives};
use crate::apiserver::patch::schema::Type;

/// The key of a map's directive.
pub const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";

/// Applies `patch` to `original`, an object of type `root`.
pub fn apply(
    original: Map<String, Value>,
    patch: Map<String, Value>,
    root: Type,
) -> Result<Map<String, Value>, SmpError> {
    merge_map(original, patch, Node::of(root))
}

fn merge_map(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    node: Node,
) -> Result<Map<String, Value>, SmpError> {
    if let Some(directive) = patch.get(DIRECTIVE) {
        return match directive.as_str() {
            Some("replace") => {
                patch.remove(DIRECTIVE);
                Ok(patch)
            }
            Some("delete") => Ok(Map::new()),
            _ => Err(SmpError::bad_patch_type(directive, &patch)),
        };
    }
    retain_keys(&mut original, &mut patch)?;
    apply_element_orders(&mut original, &mut patch, node)?;
    for (key, value) in patch {
        let (key, deleting) = if key.starts_with(DELETE_FROM_PRIMITIVE_LIST) {
            let field = directive_field(&key, DELETE_FROM_PRIMITIVE_LIST, BAD_PRIMITIVE_LIST)?;
            (field.to_owned(), true)
        } else {
            (key, false)
        };
        if value.is_null() {
            original.remove(&key);
            continue;
        }
        let current = match original.remove(&key) {
            Some(current) if same_type(&current, &value) => current,
            Some(current) if deleting => {
                original.insert(key, current);
                continue;
            }
            _ => {
                if !deleting && let Some(value) = taken_over(value) {
                    original.insert(key, value);
                }
                continue;
            }
        };
        let merged = match (current, value) {
            (Value::Object(current), Value::Object(value)) => {
                let (child, meta) = node.map_field(&key)?;
                if meta.strategy()? == "replace" {
                    Value::Object(value)
                } else {
                    Value::Object(merge_map(current, value, child)?)
                }
            }
            (Value::Array(current), Value::Array(value)) => {
                let (item, meta) = node.list_field(&key)?;
                let strategy = meta.strategy()?;
                Value::Array(merge_list_field(
                    current,
                    value,
                    item,
                    strategy,
                    meta.merge_key.filter(|k| !k.is_empty()),
                    deleting,
                )?)
            }
            (_, value) => match without_directives(value) {
                Some(value) => value,
                None => continue,
            },
        };
        original.insert(key, merged);
    }
    Ok(original)
}

/// `$retainKeys`: drops the original's keys the list does not name; the
/// patch may only set keys it names.
fn retain_keys(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
) -> Result<(), SmpError> {
    let Some(retained) = patch.remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let Value::Array(retained) = retained else {
        return Err(SmpError::BadRequest(BAD_RETAIN_KEYS));
    };
    let kept = |key: &str| retained.iter().any(|v| v.as_str() == Some(key));
    for (key, value) in patch.iter() {
        if value.is_null()
            || key.starts_with(DELETE_FROM_PRIMITIVE_LIST)
            || key.starts_with(SET_ELEMENT_ORDER)
        {
            continue;
        }
        if !kept(key) {
            return Err(SmpError::BadRequest(BAD_RETAIN_KEYS));
        }
    }
    original.retain(|key, _| kept(key));
    Ok(())
}

/// A list field: merged if its strategy is `merge` (or the patch deletes
/// from it), else replaced by the patch's list.
fn merge_list_field(
    original: Vec<Value>,
    patch: Vec<Value>,
    item: Node,
    strategy: &str,
    merge_key: Option<&str>,
    deleting: bool,
) -> Result<Vec<Value>, SmpError> {
    if strategy == "merge" || deleting {
        merge_list(original, patch, item, merge_key, deleting)
    } else {
        Ok(patch)
    }
}

fn merge_list(
    original: Vec<Value>,
    patch: Vec<Value>,
    item: Node,
    merge_key: Option<&str>,
    deleting: bool,
) -> Result<Vec<Value>, SmpError> {
    if original.is_empty() && patch.is_empty() {
        return Ok(original);
    }
    let kind = item_kind(&[&original, &patch])?;
    if kind == ItemKind::Primitives {
        if deleting {
            return Ok(original
                .into_iter()
                .filter(|v| !patch.iter().any(|d| go_eq(d, v)))
                .collect());
        }
        let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
        for value in original.iter().chain(&patch) {
            if !merged.iter().any(|m| go_eq(m, value)) {
                merged.push(value.clone());
            }
        }
        return ordered_merge(merged, &patch, &original, None, kind);
    }
    let Some(key) = merge_key else {
        return Err(SmpError::Plain(format!(
            "cannot merge lists without merge key for {}",
            item.kind_name()
        )));
    };
    let (original, patch) = apply_item_directives(original, patch, key)?;
    let mut merged = original.clone();
    for change in &patch {
        let Some(change) = change.as_object() else {
            return Err(SmpError::bad_arg_type("map[string]interface {}", change));
        };
        let Some(value) = change.get(key) else {
            return Err(SmpError::no_merge_key(change, key));
        };
        match find_by_key(&merged, key, value)? {
            Some(i) => {
                // `find_by_key` only finds maps.
                let current = match std::mem::take(&mut merged[i]) {
                    Value::Object(current) => current,
                    _ => Map::new(),
                };
                merged[i] = Value::Object(merge_map(current, change.clone(), item)?);
            }
            None => merged.push(Value::Object(change.clone())),
        }
    }
    ordered_merge(merged, &patch, &original, Some(key), kind)
}

#[cfg(test)]
mod tests;
