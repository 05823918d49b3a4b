//! GET of one object.
//!
//! Without `resourceVersion` the read is consistent and goes to storage;
//! with one, any state not older than it will do, so the cache answers.

use std::sync::Arc;

use super::{ResourceStore, parse_resource_version};
use crate::apiserver::registry::cache::CachedObject;
use crate::apiserver::status::ApiError;

impl ResourceStore {
    pub async fn get(
        &self,
        namespace: Option<&str>,
        name: &str,
        resource_version: Option<&str>,
    ) -> Result<Arc<CachedObject>, ApiError> {
        let key = self.key(namespace, name)?;
        let found = match resource_version {
            None => {
                let (kv, _) = self
                    .storage
                    .get(&key)
                    .await
                    .map_err(|e| self.error(e, name))?;
                match kv {
                    Some(kv) => self.decode_all(std::slice::from_ref(&kv)).await?.pop(),
                    None => None,
                }
            }
            Some(rv) => {
                let rv = parse_resource_version(rv)?;
                let cache = self.cache()?;
                cache.wait_for(rv).await?;
                cache.get(&key).0
            }
        };
        found.ok_or_else(|| {
            ApiError::not_found(&self.descriptor.group, &self.descriptor.plural, name)
        })
    }
}
