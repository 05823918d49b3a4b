//! Conversion between a CRD's versions, as the store's [`Versioning`]:
//! objects are stored in the storage version and served in each served
//! version. With `strategy: None` only `apiVersion` changes; with
//! `Webhook` the CRD's webhook converts ([`webhook`]). Objects read from
//! storage are then pruned and defaulted with the served version's schema,
//! as upstream's storage codec does.

pub mod webhook;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use self::webhook::Webhook;
use super::schema::{Schema, default, prune};
use crate::apiserver::object::ObjectExt;
use crate::apiserver::registry::versioning::Versioning;
use crate::apiserver::status::ApiError;

/// How a CRD's objects change version.
pub enum Converter {
    /// `apiVersion` is rewritten.
    None,
    Webhook(Webhook),
}

impl Converter {
    /// `objects` in `api_version`; those already in it are left alone.
    pub async fn convert(&self, objects: &mut [Value], api_version: &str) -> Result<(), ApiError> {
        let pending: Vec<usize> = objects
            .iter()
            .enumerate()
            .filter(|(_, o)| o.api_version() != Some(api_version))
            .map(|(i, _)| i)
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        match self {
            Converter::None => {
                for i in pending {
                    objects[i]["apiVersion"] = Value::String(api_version.to_owned());
                }
            }
            Converter::Webhook(webhook) => {
                let sent: Vec<Value> = pending.iter().map(|i| objects[*i].clone()).collect();
                let converted = webhook.convert(sent, api_version).await?;
                for (i, object) in pending.into_iter().zip(converted) {
                    objects[i] = object;
                }
            }
        }
        Ok(())
    }
}

/// The versioning of one served version of a CRD.
pub struct CrdVersioning {
    key: String,
    served: String,
    storage: String,
    schema: Option<Arc<Schema>>,
    converter: Arc<Converter>,
}

impl CrdVersioning {
    /// `served` and `storage` are apiVersions; `schema` is the served
    /// version's; `key` changes whenever any of these do.
    pub fn new(
        key: String,
        served: String,
        storage: String,
        schema: Option<Arc<Schema>>,
        converter: Arc<Converter>,
    ) -> CrdVersioning {
        CrdVersioning {
            key,
            served,
            storage,
            schema,
            converter,
        }
    }
}

#[async_trait]
impl Versioning for CrdVersioning {
    fn cache_key(&self) -> &str {
        &self.key
    }

    async fn read_stored(&self, objects: &mut [Value]) -> Result<(), ApiError> {
        self.converter.convert(objects, &self.served).await?;
        if let Some(schema) = &self.schema {
            for object in objects.iter_mut() {
                prune::prune_object(object, schema);
                default::apply_defaults(object, schema);
            }
        }
        Ok(())
    }

    async fn for_storage(&self, object: Value) -> Result<Value, ApiError> {
        let mut objects = [object];
        self.converter.convert(&mut objects, &self.storage).await?;
        let [object] = objects;
        Ok(object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn none_rewrites_the_api_version_and_defaults_on_read() {
        let schema = Schema::parse(&json!({"type": "object", "properties": {
            "spec": {"type": "object", "properties": {"size": {"type": "integer", "default": 1}}}
        }}))
        .unwrap();
        let versioning = CrdVersioning::new(
            "k".into(),
            "x.io/v2".into(),
            "x.io/v1".into(),
            Some(Arc::new(schema)),
            Arc::new(Converter::None),
        );
        let mut objects = [json!({"apiVersion": "x.io/v1", "kind": "T", "spec": {"old": true}})];
        versioning.read_stored(&mut objects).await.unwrap();
        assert_eq!(
            objects[0],
            json!({"apiVersion": "x.io/v2", "kind": "T", "spec": {"size": 1}})
        );
        let stored = versioning.for_storage(objects[0].clone()).await.unwrap();
        assert_eq!(stored["apiVersion"], "x.io/v1");
    }
}
