//! The order of merged lists. Items the patch names come in the patch's
//! order (or its `$setElementOrder/<field>` list's, which kubelets and
//! kubectl send), items only the server has keep their order, and the two
//! are interleaved by where the server had them.

use serde_json::{Map, Value};

use super::error::{BAD_ELEMENT_ORDER, SmpError};
use super::node::Node;
use super::values::{directive, go_eq, same_type};
use super::{DIRECTIVE, merge_list_field};
use crate::apiserver::patch::go_format;

pub const SET_ELEMENT_ORDER: &str = "$setElementOrder";

/// What a merged list holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Maps,
    Primitives,
}

/// The kind of the items of `lists`, which must all have the same type
/// and not be lists.
pub fn item_kind(lists: &[&[Value]]) -> Result<ItemKind, SmpError> {
    let mut first: Option<&Value> = None;
    for item in lists.iter().flat_map(|l| l.iter()) {
        match first {
            None if item.is_array() => return Err(SmpError::Unprocessable),
            None => first = Some(item),
            Some(first) if !(same_type(first, item) || first.is_null() && item.is_null()) => {
                let printed: Vec<String> = lists
                    .iter()
                    .map(|l| go_format::value(&Value::Array(l.to_vec())))
                    .collect();
                return Err(SmpError::Plain(format!(
                    "list element types are not identical: [{}]",
                    printed.join(" ")
                )));
            }
            Some(_) => {}
        }
    }
    match first {
        None => Err(SmpError::Plain(
            "no elements in any of the given slices".into(),
        )),
        Some(Value::Object(_)) => Ok(ItemKind::Maps),
        Some(_) => Ok(ItemKind::Primitives),
    }
}

/// What identifies an item when ordering: its merge key's value for maps,
/// the item itself otherwise (a missing key is null, as in Go).
fn identity<'a>(item: &'a Value, key: &str, kind: ItemKind) -> &'a Value {
    match kind {
        ItemKind::Maps => item
            .as_object()
            .and_then(|m| m.get(key))
            .unwrap_or(&Value::Null),
        ItemKind::Primitives => item,
    }
}

fn position(list: &[Value], item: &Value, key: &str, kind: ItemKind) -> Option<usize> {
    let wanted = identity(item, key, kind);
    list.iter()
        .position(|v| go_eq(identity(v, key, kind), wanted))
}

/// The index in `list` of the map whose `key` is `value`; every item of
/// `list` must be a map.
pub fn find_by_key(list: &[Value], key: &str, value: &Value) -> Result<Option<usize>, SmpError> {
    for (i, item) in list.iter().enumerate() {
        let Some(map) = item.as_object() else {
            return Err(SmpError::Plain(format!("value for key {i} is not a map")));
        };
        if map.get(key).is_some_and(|v| go_eq(v, value)) {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// Splits `merged` into the items `by` names and the others.
pub fn partition(
    merged: Vec<Value>,
    by: &[Value],
    key: Option<&str>,
) -> Result<(Vec<Value>, Vec<Value>), SmpError> {
    let mut named = Vec::new();
    let mut others = Vec::new();
    for item in merged {
        let present = match key {
            None => by.iter().any(|v| go_eq(v, &item)),
            Some(key) => {
                let Some(map) = item.as_object() else {
                    return Err(SmpError::bad_arg_type("map[string]interface {}", &item));
                };
                let Some(value) = map.get(key) else {
                    return Err(SmpError::no_merge_key(map, key));
                };
                find_by_key(by, key, value)?.is_some()
            }
        };
        if present {
            named.push(item);
        } else {
            others.push(item);
        }
    }
    Ok((named, others))
}

/// Sorts `items` by their place in `order` (items it does not have go
/// last); for maps, every item of both lists must have the merge key, and
/// deletion markers are kept at the end.
fn sorted_by(
    items: Vec<Value>,
    order: &[Value],
    key: &str,
    kind: ItemKind,
) -> Result<Vec<Value>, SmpError> {
    let (mut items, deletions) = if kind == ItemKind::Maps {
        for item in items.iter().chain(order) {
            let Some(map) = item.as_object() else {
                return Err(SmpError::bad_arg_type("map[string]interface {}", item));
            };
            if !map.contains_key(key) {
                return Err(SmpError::no_merge_key(map, key));
            }
        }
        split_deletions(items)?
    } else {
        (items, Vec::new())
    };
    items.sort_by_key(|item| position(order, item, key, kind).unwrap_or(usize::MAX));
    items.extend(deletions);
    Ok(items)
}

/// Splits maps marked `$patch: delete` from the others.
pub fn split_deletions(items: Vec<Value>) -> Result<(Vec<Value>, Vec<Value>), SmpError> {
    let mut kept = Vec::new();
    let mut deleted = Vec::new();
    for item in items {
        if !item.is_object() {
            return Err(SmpError::bad_arg_type("map[string]interface {}", &item));
        }
        if directive(&item).and_then(Value::as_str) == Some("delete") {
            deleted.push(item);
        } else {
            kept.push(item);
        }
    }
    Ok((kept, deleted))
}

/// The merged list: `patch_items` in `patch_order`, `server_only` in
/// `server_order`, interleaved by where the server had them.
pub fn normalize(
    patch_items: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    key: &str,
    kind: ItemKind,
) -> Result<Vec<Value>, SmpError> {
    let patch_items = sorted_by(patch_items, patch_order, key, kind)?;
    let server_only = sorted_by(server_only, server_order, key, kind)?;
    let mut out = Vec::with_capacity(patch_items.len() + server_only.len());
    let mut left = server_only.into_iter().peekable();
    let mut right = patch_items.into_iter().peekable();
    loop {
        // A server-only item goes first only when the server had it before
        // the next patch item; new items come before the rest.
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => matches!(
                (position(server_order, l, key, kind), position(server_order, r, key, kind)),
                (Some(li), Some(ri)) if li < ri
            ),
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
    Ok(out)
}

/// The field a `prefix/field` directive names.
pub fn directive_field<'a>(
    key: &'a str,
    prefix: &str,
    error: &'static str,
) -> Result<&'a str, SmpError> {
    match key.split_once('/') {
        Some((head, field)) if head == prefix => Ok(field),
        _ => Err(SmpError::BadRequest(error)),
    }
}

/// Applies every `$setElementOrder/<field>` of `patch`: merges the field's
/// list and puts it in the directive's order, removing both from `patch`.
pub fn apply_element_orders(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    node: Node,
) -> Result<(), SmpError> {
    let directives: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
        .cloned()
        .collect();
    for directive_key in directives {
        let order = match patch.remove(&directive_key) {
            Some(Value::Array(order)) => order,
            Some(other) => return Err(SmpError::bad_arg_type("[]interface {}", &other)),
            None => continue,
        };
        let field =
            directive_field(&directive_key, SET_ELEMENT_ORDER, BAD_ELEMENT_ORDER)?.to_owned();
        let list_of = |value: Option<&Value>| -> Result<Option<Vec<Value>>, SmpError> {
            match value {
                None => Ok(None),
                Some(Value::Array(items)) => Ok(Some(items.clone())),
                Some(other) => Err(SmpError::bad_arg_type("[]interface {}", other)),
            }
        };
        let original_list = list_of(original.get(&field))?;
        let patch_list = list_of(patch.get(&field))?;
        let (item_node, meta) = node.list_field(&field)?;
        let strategy = meta.strategy()?;
        let merge_key = meta.merge_key.filter(|k| !k.is_empty());
        check_order(patch_list.as_deref().unwrap_or_default(), &order, merge_key)?;
        let server_order = original_list.clone().unwrap_or_default();
        let kind_of_items = item_kind(&[&server_order, patch_list.as_deref().unwrap_or_default()]);
        let merged = match (original_list, patch_list) {
            (Some(original), None) => original,
            (None, Some(patch)) => super::values::without_directives(Value::Array(patch))
                .and_then(|v| match v {
                    Value::Array(items) => Some(items),
                    _ => None,
                })
                .unwrap_or_default(),
            (Some(original), Some(patch)) => {
                merge_list_field(original, patch, item_node, strategy, merge_key, false)?
            }
            (None, None) => continue,
        };
        let (named, others) = partition(merged, &order, merge_key)?;
        let kind = kind_of_items?;
        let ordered = normalize(
            named,
            others,
            &order,
            &server_order,
            merge_key.unwrap_or(""),
            kind,
        )?;
        original.insert(field.clone(), Value::Array(ordered));
        patch.remove(&field);
    }
    Ok(())
}

/// Checks that the patch list's items come in the order the
/// `$setElementOrder` list gives them.
fn check_order(patch: &[Value], order: &[Value], key: Option<&str>) -> Result<(), SmpError> {
    if order.is_empty() || patch.is_empty() {
        return Ok(());
    }
    let items = match key {
        Some(_) => split_deletions(patch.to_vec())?.0,
        None => patch.to_vec(),
    };
    let (mut p, mut o) = (0, 0);
    while p < items.len() && o < order.len() {
        if directive(&items[p]).is_some() {
            p += 1;
            continue;
        }
        if same_identity(&items[p], &order[o], key)? {
            p += 1;
        }
        o += 1;
    }
    if p < items.len() && o >= order.len() {
        return Err(SmpError::Plain(format!(
            "The order in patch list:\n{}\n doesn't match {SET_ELEMENT_ORDER} list:\n{}\n",
            go_format::value(&Value::Array(patch.to_vec())),
            go_format::value(&Value::Array(order.to_vec()))
        )));
    }
    Ok(())
}

fn same_identity(left: &Value, right: &Value, key: Option<&str>) -> Result<bool, SmpError> {
    let Some(key) = key else {
        return Ok(go_eq(left, right));
    };
    let value_of = |item: &Value| -> Result<Value, SmpError> {
        let Some(map) = item.as_object() else {
            return Err(SmpError::bad_arg_type("map[string]interface {}", item));
        };
        map.get(key)
            .cloned()
            .ok_or_else(|| SmpError::no_merge_key(map, key))
    };
    Ok(go_eq(&value_of(left)?, &value_of(right)?))
}

/// Merges a list of maps with `$patch` items: deletions remove matching
/// items from `original`; a `replace` item makes the patch's other items
/// the whole list. Returns the original and the patch items left to merge.
pub fn apply_item_directives(
    mut original: Vec<Value>,
    patch: Vec<Value>,
    key: &str,
) -> Result<(Vec<Value>, Vec<Value>), SmpError> {
    let mut rest = Vec::new();
    let mut replace = false;
    for item in patch {
        let Some(map) = item.as_object() else {
            rest.push(item);
            continue;
        };
        match map.get(DIRECTIVE) {
            None => rest.push(item),
            Some(Value::String(d)) if d == "delete" => {
                let Some(value) = map.get(key) else {
                    return Err(SmpError::no_merge_key(map, key));
                };
                while let Some(i) = find_by_key(&original, key, value)? {
                    original.remove(i);
                }
            }
            Some(Value::String(d)) if d == "replace" => replace = true,
            Some(Value::String(d)) if d == "merge" => {
                return Err(SmpError::Plain(
                    "merging lists cannot yet be specified in the patch".into(),
                ));
            }
            Some(other) => return Err(SmpError::bad_patch_type(other, map)),
        }
    }
    Ok(if replace {
        (rest, Vec::new())
    } else {
        (original, rest)
    })
}

/// Re-exported for the list merge: the merged list in order.
pub fn ordered_merge(
    merged: Vec<Value>,
    patch: &[Value],
    original: &[Value],
    key: Option<&str>,
    kind: ItemKind,
) -> Result<Vec<Value>, SmpError> {
    let (named, others) = partition(merged, patch, key)?;
    normalize(named, others, patch, original, key.unwrap_or(""), kind)
}
