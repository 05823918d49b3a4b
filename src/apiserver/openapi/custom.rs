//! Schemas supplied at runtime, for served kinds the built-in table does
//! not describe (custom resources): the definition's name and its Swagger
//! 2.0 schema, kept serialized until documents are built.

use std::collections::HashMap;

use bytes::Bytes;
use serde_json::Value;

use crate::apiserver::registry::resource::GroupVersionKind;

type KindKey = (String, String, String);

/// The runtime schemas, by kind.
#[derive(Clone, Debug, Default)]
pub struct CustomSchemas {
    by_kind: HashMap<KindKey, (String, Bytes)>,
}

impl CustomSchemas {
    /// Describes `gvk` with `schema` (Swagger 2.0 form: references are
    /// `#/definitions/<name>`), published as definition `name`.
    pub fn insert(&mut self, gvk: &GroupVersionKind, name: &str, schema: &Value) {
        let bytes = Bytes::from(serde_json::to_vec(schema).unwrap_or_default());
        self.by_kind.insert(
            (gvk.group.clone(), gvk.version.clone(), gvk.kind.clone()),
            (name.to_owned(), bytes),
        );
    }

    /// Forgets the schema of `gvk`.
    pub fn remove(&mut self, gvk: &GroupVersionKind) {
        self.by_kind
            .remove(&(gvk.group.clone(), gvk.version.clone(), gvk.kind.clone()));
    }

    /// The definition name and schema of `gvk`, if one was supplied.
    pub fn definition(&self, gvk: &GroupVersionKind) -> Option<(String, Value)> {
        let (name, bytes) =
            self.by_kind
                .get(&(gvk.group.clone(), gvk.version.clone(), gvk.kind.clone()))?;
        Some((name.clone(), serde_json::from_slice(bytes).ok()?))
    }
}
