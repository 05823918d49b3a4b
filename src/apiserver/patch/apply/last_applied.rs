//! kubectl's move from client-side to server-side apply. An object kubectl
//! applied client-side carries its last configuration in an annotation;
//! when the manager `kubectl` applies server-side, conflicts on fields that
//! configuration set (and that still hold its values) are not conflicts,
//! and the annotation keeps following what is applied.

use serde_json::Value;

use crate::apiserver::object::ObjectExt;
use crate::apiserver::patch::fieldpath::Set;
use crate::apiserver::patch::schema::Type;
use crate::apiserver::patch::typed::{compare, field_set};

pub const ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The manager the migration applies to.
pub const KUBECTL: &str = "kubectl";

fn annotation(object: &Value) -> Option<&str> {
    object
        .metadata()?
        .get("annotations")?
        .get(ANNOTATION)?
        .as_str()
        .filter(|s| !s.is_empty())
}

/// The fields of `live`'s last client-side configuration that still hold
/// the values it set, if it has one in `api_version`.
pub fn unchanged_fields(live: &Value, ty: Type, api_version: &str) -> Option<Set> {
    let last: Value = serde_json::from_str(annotation(live)?).ok()?;
    if last.api_version() != Some(api_version) {
        return None;
    }
    let changes = compare(&last, live, ty);
    Some(
        field_set(&last, ty)
            .difference(&changes.modified)
            .difference(&changes.added)
            .difference(&changes.removed),
    )
}

/// Points `object`'s annotation (if it has one) at `config`, the
/// configuration just applied.
pub fn follow(object: &mut Value, config: &Value) {
    if annotation(object).is_none() {
        return;
    }
    let mut config = config.clone();
    if let Some(annotations) = config
        .get_mut("metadata")
        .and_then(|m| m.get_mut("annotations"))
        .and_then(Value::as_object_mut)
    {
        annotations.remove(ANNOTATION);
    }
    let encoded = format!("{}\n", serde_json::to_string(&config).unwrap_or_default());
    if let Some(annotations) = object
        .metadata_mut()
        .get_mut("annotations")
        .and_then(Value::as_object_mut)
    {
        annotations.insert(ANNOTATION.into(), Value::String(encoded));
    }
}
