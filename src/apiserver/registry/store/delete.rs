//! DELETE and DELETECOLLECTION.
//!
//! An object with finalizers (or one its kind keeps while it winds down,
//! like a namespace) is not removed: it gets a `deletionTimestamp` and
//! stays until the last finalizer is gone (see `write_update`). Everything
//! else is removed at once, with compare-and-swap on the version that was
//! checked against the preconditions.

use serde_json::Value;

use super::{ResourceStore, WriteOptions};
use crate::apiserver::object::{ObjectExt, now_rfc3339};
use crate::apiserver::registry::codec;
use crate::apiserver::registry::filter::Filter;
use crate::apiserver::status::ApiError;
use crate::storage::StorageError;

/// The body of a DELETE (`DeleteOptions`), as far as the store uses it.
#[derive(Clone, Debug, Default)]
pub struct DeleteOptions {
    pub precondition_uid: Option<String>,
    pub precondition_resource_version: Option<String>,
    pub write: WriteOptions,
}

impl DeleteOptions {
    /// Reads a `DeleteOptions` body (JSON; absent or empty is fine).
    pub fn from_body(body: &[u8], write: WriteOptions) -> Result<DeleteOptions, ApiError> {
        let mut options = DeleteOptions {
            write,
            ..Default::default()
        };
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(options);
        }
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("invalid DeleteOptions: {e}")))?;
        let preconditions = value.get("preconditions");
        options.precondition_uid = preconditions
            .and_then(|p| p.get("uid"))
            .and_then(Value::as_str)
            .map(Into::into);
        options.precondition_resource_version = preconditions
            .and_then(|p| p.get("resourceVersion"))
            .and_then(Value::as_str)
            .map(Into::into);
        if let Some(dry_run) = value.get("dryRun").and_then(Value::as_array) {
            options.write.dry_run |= dry_run.iter().any(|v| v == "All");
        }
        Ok(options)
    }
}

/// What a DELETE did.
#[derive(Clone, Debug)]
pub enum DeleteOutcome {
    /// Removed; the last state of the object.
    Deleted(Value),
    /// Marked for deletion and still there (finalizers): its new state.
    Pending(Value),
}

impl ResourceStore {
    pub async fn delete(
        &self,
        namespace: Option<&str>,
        name: &str,
        options: &DeleteOptions,
    ) -> Result<DeleteOutcome, ApiError> {
        let key = self.key(namespace, name)?;
        let d = &self.descriptor;
        loop {
            let (kv, mut object) = self.read_existing(&key, name).await?;
            if let Some(uid) = &options.precondition_uid
                && object.uid() != Some(uid.as_str())
            {
                return Err(ApiError::conflict(
                    &d.group,
                    &d.plural,
                    name,
                    &format!(
                        "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                        object.uid().unwrap_or_default()
                    ),
                ));
            }
            if let Some(rv) = &options.precondition_resource_version
                && *rv != kv.mod_revision.to_string()
            {
                return Err(ApiError::conflict(
                    &d.group,
                    &d.plural,
                    name,
                    &format!(
                        "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                        kv.mod_revision
                    ),
                ));
            }
            let stays =
                self.strategy.prepare_for_delete(&mut object) || !object.finalizers().is_empty();
            if stays {
                if object.deletion_timestamp().is_none() {
                    object.set_meta("deletionTimestamp", now_rfc3339());
                    object.set_meta("deletionGracePeriodSeconds", 0);
                }
                if options.write.dry_run {
                    return Ok(DeleteOutcome::Pending(object));
                }
                object.remove_meta("resourceVersion");
                return match self
                    .storage
                    .update(&key, codec::encode(&object)?, kv.mod_revision)
                    .await
                {
                    Ok(kv) => Ok(DeleteOutcome::Pending(codec::decode(&kv)?)),
                    Err(StorageError::Conflict { .. }) => continue,
                    Err(e) => Err(self.error(e, name)),
                };
            }
            if options.write.dry_run {
                return Ok(DeleteOutcome::Deleted(object));
            }
            match self.storage.delete(&key, Some(kv.mod_revision)).await {
                Ok(_) => return Ok(DeleteOutcome::Deleted(object)),
                Err(StorageError::Conflict { .. }) => continue,
                Err(StorageError::NotFound { .. }) => {
                    return Err(ApiError::not_found(&d.group, &d.plural, name));
                }
                Err(e) => return Err(self.error(e, name)),
            }
        }
    }

    /// Deletes every object the filter selects; returns what it deleted or
    /// marked for deletion.
    pub async fn delete_collection(
        &self,
        namespace: Option<&str>,
        filter: &Filter,
        options: &DeleteOptions,
    ) -> Result<Vec<Value>, ApiError> {
        let read = crate::apiserver::request::query::ReadOptions::default();
        let page = self.list(namespace, &read, filter).await?;
        let mut done = Vec::with_capacity(page.items.len());
        for item in page.items {
            let name = item.object.name().unwrap_or_default().to_owned();
            let item_namespace = item.object.namespace().map(str::to_owned);
            match self.delete(item_namespace.as_deref(), &name, options).await {
                Ok(DeleteOutcome::Deleted(o) | DeleteOutcome::Pending(o)) => done.push(o),
                // Gone in the meantime: someone else deleted it.
                Err(e) if e.reason == "NotFound" => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }
}
