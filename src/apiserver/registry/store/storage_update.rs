//! Read-modify-write straight on storage, past the kind's strategy:
//! upstream's storage-level `GuaranteedUpdate`, which the pod binding uses
//! to set `spec.nodeName`, a field no update of the pod itself may change.

use serde_json::Value;

use super::ResourceStore;
use crate::apiserver::object::ObjectExt;
use crate::apiserver::status::ApiError;
use crate::storage::StorageError;

impl ResourceStore {
    /// Calls `mutate` with the stored object and stores what it returns
    /// as is (no defaulting, no validation), retrying with the newer object
    /// when another write wins the race. With `dry_run` nothing is stored.
    /// Returns the object as stored.
    pub async fn storage_update<F>(
        &self,
        namespace: Option<&str>,
        name: &str,
        dry_run: bool,
        mut mutate: F,
    ) -> Result<Value, ApiError>
    where
        F: FnMut(&Value) -> Result<Value, ApiError> + Send,
    {
        let key = self.key(namespace, name)?;
        loop {
            let (kv, old) = self.read_existing(&key, name).await?;
            let mut new = mutate(&old)?;
            if dry_run {
                new.set_meta("resourceVersion", kv.mod_revision.to_string());
                return Ok(new);
            }
            match self
                .storage
                .update(&key, self.encode(&new).await?, kv.mod_revision)
                .await
            {
                Ok(kv) => return self.decode(&kv).await,
                Err(StorageError::Conflict { .. }) => continue,
                Err(e) => return Err(self.error(e, name)),
            }
        }
    }
}
