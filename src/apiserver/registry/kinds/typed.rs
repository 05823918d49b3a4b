//! Built-in kinds read through their k8s-openapi types: a body is
//! deserialized into the typed struct and serialized back, which drops the
//! fields the schema does not know (reporting their paths for
//! `fieldValidation`) and rejects values of the wrong type, as decoding
//! into Go structs does upstream. Fields Go would decode as zero values
//! are filled in first ([`zero_values`]), so that a missing required field
//! is a validation error (422), as upstream, not an undecodable body.

use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::apiserver::registry::strategy::{FieldLookup, GarbageCollection, Normalized, Strategy};
use crate::apiserver::types::{Schema, zero_values};
use crate::apiserver::validation::FieldError;
use crate::apiserver::validation::names::NameRule;

/// `inner`'s behaviour, with bodies read through the type `K`.
pub struct Typed<K, S> {
    inner: S,
    _type: PhantomData<fn() -> K>,
}

impl<K, S> Typed<K, S> {
    pub fn new(inner: S) -> Self {
        Typed {
            inner,
            _type: PhantomData,
        }
    }
}

/// Upstream's spelling of a field path: `spec.containers[0].foo`.
fn upstream_path(path: &serde_ignored::Path) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", upstream_path(parent)),
        Path::Map { parent, key } => {
            let parent = upstream_path(parent);
            if parent.is_empty() {
                key.clone()
            } else {
                format!("{parent}.{key}")
            }
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => upstream_path(parent),
    }
}

/// Removes the `null` members of every object in `value`. Decoding into
/// Go structs treats `null` as absent (Go clients send
/// `"creationTimestamp": null` and `"expirationTimestamp": null` for unset
/// times), while the typed structs here would refuse it for required
/// fields.
fn drop_null_members(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, member| !member.is_null());
            map.values_mut().for_each(drop_null_members);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null_members),
        _ => {}
    }
}

impl<K, S> Strategy for Typed<K, S>
where
    K: k8s_openapi::Resource + DeserializeOwned + Serialize + 'static,
    S: Strategy,
{
    fn name_rule(&self) -> NameRule {
        self.inner.name_rule()
    }

    fn tracks_generation(&self) -> bool {
        self.inner.tracks_generation()
    }

    fn keeps_status_on_create(&self) -> bool {
        self.inner.keeps_status_on_create()
    }

    fn normalize(&self, mut object: Value) -> Result<Normalized, String> {
        drop_null_members(&mut object);
        if let Some(message) = Schema::get().message_for(K::API_VERSION, K::KIND) {
            zero_values::fill_required(&mut object, &message);
        }
        let mut unknown_fields = Vec::new();
        let typed: K = serde_ignored::deserialize(object, |path| {
            unknown_fields.push(upstream_path(&path));
        })
        .map_err(|e| {
            format!(
                "{kind} in version \"{version}\" cannot be handled as a {kind}: {e}",
                kind = K::KIND,
                version = K::VERSION
            )
        })?;
        let object = serde_json::to_value(&typed).map_err(|e| e.to_string())?;
        let mut normalized = self.inner.normalize(object)?;
        normalized.unknown_fields.splice(0..0, unknown_fields);
        Ok(normalized)
    }

    fn default(&self, object: &mut Value) {
        self.inner.default(object)
    }

    fn prepare_for_create(&self, object: &mut Value) {
        self.inner.prepare_for_create(object)
    }

    fn prepare_for_update(&self, object: &mut Value, old: &Value) {
        self.inner.prepare_for_update(object, old)
    }

    fn validate(&self, object: &Value) -> Vec<FieldError> {
        self.inner.validate(object)
    }

    fn validate_update(&self, object: &Value, old: &Value) -> Vec<FieldError> {
        self.inner.validate_update(object, old)
    }

    fn prepare_for_subresource_update(&self, subresource: &str, object: &mut Value, old: &Value) {
        self.inner
            .prepare_for_subresource_update(subresource, object, old)
    }

    fn validate_subresource_update(
        &self,
        subresource: &str,
        object: &Value,
        old: &Value,
    ) -> Vec<FieldError> {
        self.inner
            .validate_subresource_update(subresource, object, old)
    }

    fn field_value(&self, object: &Value, field: &str) -> FieldLookup {
        self.inner.field_value(object, field)
    }

    fn prepare_for_delete(&self, object: &mut Value) -> bool {
        self.inner.prepare_for_delete(object)
    }

    fn finalized(&self, object: &Value) -> bool {
        self.inner.finalized(object)
    }

    fn deletion_grace_period(&self, object: &Value, requested: Option<i64>) -> Option<i64> {
        self.inner.deletion_grace_period(object, requested)
    }

    fn garbage_collection(&self) -> GarbageCollection {
        self.inner.garbage_collection()
    }

    fn returns_deleted_object(&self) -> bool {
        self.inner.returns_deleted_object()
    }

    fn allow_create_on_update(&self) -> bool {
        self.inner.allow_create_on_update()
    }

    fn allow_unconditional_update(&self) -> bool {
        self.inner.allow_unconditional_update()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::registry::strategy::DefaultStrategy;
    use k8s_openapi::api::core::v1::{ConfigMap, Pod};
    use serde_json::json;

    #[test]
    fn unknown_fields_are_dropped_and_reported() {
        let strategy = Typed::<Pod, _>::new(DefaultStrategy);
        let body = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "bogus": 1},
            "spec": {"containers": [{"name": "c", "image": "busybox", "imagePolicy": "x"}]},
        });
        let normalized = strategy.normalize(body).unwrap();
        assert_eq!(
            normalized.unknown_fields,
            ["metadata.bogus", "spec.containers[0].imagePolicy"]
        );
        assert!(normalized.object["metadata"].get("bogus").is_none());
        assert_eq!(
            normalized.object["spec"]["containers"][0]["image"],
            "busybox"
        );
    }

    #[test]
    fn nulls_are_absent_as_in_go() {
        use k8s_openapi::api::authentication::v1::TokenRequest;
        let strategy = Typed::<TokenRequest, _>::new(DefaultStrategy);
        let body = json!({
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
            "metadata": {"creationTimestamp": null},
            "spec": {"audiences": null, "boundObjectRef": null},
        });
        let normalized = strategy.normalize(body).unwrap();
        assert!(normalized.unknown_fields.is_empty());
        assert_eq!(normalized.object["spec"], json!({"audiences": []}));
    }

    #[test]
    fn wrong_types_are_rejected() {
        let strategy = Typed::<ConfigMap, _>::new(DefaultStrategy);
        let err = strategy
            .normalize(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": 5}}))
            .unwrap_err();
        assert!(
            err.starts_with("ConfigMap in version \"v1\" cannot be handled as a ConfigMap"),
            "{err}"
        );
    }
}
