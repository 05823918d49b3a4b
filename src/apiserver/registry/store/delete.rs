//! DELETE and DELETECOLLECTION.
//!
//! [`deletion::plan`](super::deletion::plan) decides what a request does to
//! the object it finds (graceful deletion, finalizers, propagation); this
//! file carries the plan out with compare-and-swap on the version that was
//! checked against the preconditions, starting over when it loses a race.

use serde_json::Value;

use super::ResourceStore;
use super::delete_options::DeleteOptions;
use super::deletion::{self, Plan};
use crate::apiserver::object::{ObjectExt, drop_empty_metadata};
use crate::apiserver::registry::filter::Filter;
use crate::apiserver::registry::strategy::GarbageCollection;
use crate::apiserver::status::ApiError;
use crate::storage::StorageError;

/// What a DELETE did.
#[derive(Clone, Debug)]
pub enum DeleteOutcome {
    /// Removed; the last state of the object.
    Deleted(Value),
    /// Marked for deletion and still there (finalizers, a grace period):
    /// its new state.
    Pending(Value),
}

/// The warning upstream gives when a Job is deleted without saying what
/// becomes of its pods.
const JOB_PODS_KEPT: &str = "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning";

impl ResourceStore {
    /// `Warning`s a deletion with `options` earns before it starts.
    pub fn delete_warnings(&self, options: &DeleteOptions) -> Vec<String> {
        let d = &self.descriptor;
        let silent = options.propagation.is_some() || options.orphan_dependents.is_some();
        if !silent
            && d.group == "batch"
            && d.plural == "jobs"
            && self.strategy.garbage_collection() == GarbageCollection::OrphanDependents
        {
            return vec![JOB_PODS_KEPT.to_owned()];
        }
        Vec::new()
    }

    pub async fn delete(
        &self,
        namespace: Option<&str>,
        name: &str,
        options: &DeleteOptions,
    ) -> Result<DeleteOutcome, ApiError> {
        let key = self.key(namespace, name)?;
        let d = &self.descriptor;
        // The revision this request itself stored, if it marked the object
        // on the way to removing it: the resourceVersion precondition was
        // checked against the version before that.
        let mut marked_at = None;
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
                && marked_at != Some(kv.mod_revision)
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
            let found = object.clone();
            let plan = deletion::plan(
                self.strategy.as_ref(),
                &mut object,
                options,
                jiff::Timestamp::now(),
            );
            if plan == Plan::Unchanged {
                return Ok(DeleteOutcome::Pending(found));
            }
            if plan == Plan::Remove {
                if options.write.dry_run {
                    return Ok(DeleteOutcome::Deleted(found));
                }
                match self.storage.delete(&key, Some(kv.mod_revision)).await {
                    Ok(_) => {
                        self.removed(&found).await;
                        return Ok(DeleteOutcome::Deleted(found));
                    }
                    Err(StorageError::Conflict { .. }) => continue,
                    Err(StorageError::NotFound { .. }) => {
                        return Err(ApiError::not_found(&d.group, &d.plural, name));
                    }
                    Err(e) => return Err(self.error(e, name)),
                }
            }
            drop_empty_metadata(&mut object);
            if plan == Plan::Keep && object == found {
                // Held and already marked: nothing to write (as upstream's
                // update that changes nothing).
                return Ok(DeleteOutcome::Pending(found));
            }
            if options.write.dry_run {
                return Ok(match plan {
                    Plan::MarkThenRemove => DeleteOutcome::Deleted(object),
                    _ => DeleteOutcome::Pending(object),
                });
            }
            object.remove_meta("resourceVersion");
            let marked = match self
                .storage
                .update(&key, self.encode(&object).await?, kv.mod_revision)
                .await
            {
                Ok(kv) => kv,
                Err(StorageError::Conflict { .. }) => continue,
                Err(e) => return Err(self.error(e, name)),
            };
            let marked_object = self.decode(&marked).await?;
            if plan == Plan::Keep {
                return Ok(DeleteOutcome::Pending(marked_object));
            }
            match self.storage.delete(&key, Some(marked.mod_revision)).await {
                // Someone (a kubelet finishing the same pod) removed it
                // first: it is gone all the same.
                Ok(_) | Err(StorageError::NotFound { .. }) => {
                    self.removed(&marked_object).await;
                    return Ok(DeleteOutcome::Deleted(marked_object));
                }
                Err(StorageError::Conflict { .. }) => {
                    marked_at = Some(marked.mod_revision);
                    continue;
                }
                Err(e) => return Err(self.error(e, name)),
            }
        }
    }

    /// Deletes every object the filter selects, each as a DELETE with
    /// `options` would; returns what it deleted or marked for deletion.
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
