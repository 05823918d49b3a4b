//! UPDATE (PUT) of the main resource or of `status`, and the
//! read-modify-write loop every other write (patch, finalizer removal,
//! subresources) is built on.
//!
//! Optimistic concurrency: a body that carries `metadata.resourceVersion`
//! only replaces that version (409 Conflict otherwise); a body without one
//! replaces whatever is current, retrying if it loses a race.

use serde_json::Value;

use super::{ResourceStore, WriteOptions, Written, managed};
use crate::apiserver::object::{ObjectExt, drop_empty_metadata};
use crate::apiserver::status::ApiError;
use crate::apiserver::validation::{FieldError, metadata};
use crate::storage::StorageError;

/// Which part of an object a write may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// Everything but `status` (for kinds with a status subresource).
    Main,
    /// Only `status`.
    Status,
    /// A CertificateSigningRequest's approval: `status`, which the kind's
    /// strategy narrows to the approval conditions.
    Approval,
    /// A Namespace's `spec.finalizers` (the `finalize` subresource the
    /// namespace controller releases a namespace through).
    Finalize,
}

impl Part {
    /// The subresource a write of this part goes through.
    pub fn subresource(self) -> Option<&'static str> {
        match self {
            Part::Main => None,
            Part::Status => Some("status"),
            Part::Approval => Some("approval"),
            Part::Finalize => Some("finalize"),
        }
    }
}

/// Metadata the server owns: carried from the stored object into every
/// update, whatever the body says.
const SERVER_OWNED: [&str; 5] = [
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
];

/// The object without its resourceVersion: a write that leaves the rest
/// (`managedFields` included) as it is changes nothing.
fn without_volatile(object: &Value) -> Value {
    let mut object = object.clone();
    object.remove_meta("resourceVersion");
    object
}

/// Everything but metadata and status: what `generation` counts.
fn desired_state(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        map.remove("metadata");
        map.remove("status");
    }
    object
}

impl ResourceStore {
    /// Builds the object to store from the stored `old` and the client's
    /// `new`, for the given part; applies the strategy and validates.
    pub fn prepare_update(
        &self,
        mut new: Value,
        old: &Value,
        part: Part,
    ) -> Result<Value, ApiError> {
        if let Some(subresource) = part.subresource() {
            let mut result = old.clone();
            if part == Part::Finalize {
                let finalizers = new.pointer("/spec/finalizers").cloned();
                match (
                    finalizers,
                    result.get_mut("spec").and_then(Value::as_object_mut),
                ) {
                    (Some(finalizers), Some(spec)) => {
                        spec.insert("finalizers".into(), finalizers);
                    }
                    (Some(finalizers), None) => {
                        result["spec"] = serde_json::json!({"finalizers": finalizers});
                    }
                    (None, Some(spec)) => {
                        spec.remove("finalizers");
                    }
                    (None, None) => {}
                }
            } else {
                match new.as_object_mut().and_then(|m| m.remove("status")) {
                    Some(status) => result["status"] = status,
                    None => {
                        if let Some(map) = result.as_object_mut() {
                            map.remove("status");
                        }
                    }
                }
            }
            if let Some(rv) = new.resource_version() {
                result.set_meta("resourceVersion", rv.to_owned());
            }
            self.strategy
                .prepare_for_subresource_update(subresource, &mut result, old);
            let errors = self
                .strategy
                .validate_subresource_update(subresource, &result, old);
            self.invalid(&result, errors)?;
            return Ok(result);
        }
        if let (Some(new_uid), Some(old_uid)) = (new.uid(), old.uid())
            && new_uid != old_uid
        {
            return Err(ApiError::conflict(
                &self.descriptor.group,
                &self.descriptor.plural,
                old.name().unwrap_or_default(),
                &format!(
                    "Precondition failed: UID in precondition: {new_uid}, UID in object meta: {old_uid}"
                ),
            ));
        }
        for field in SERVER_OWNED {
            match old.metadata().and_then(|m| m.get(field)) {
                Some(value) => new.set_meta(field, value.clone()),
                None => {
                    new.remove_meta(field);
                }
            }
        }
        if self.descriptor.subresource("status").is_some() {
            match old.get("status") {
                Some(status) => new["status"] = status.clone(),
                None => {
                    if let Some(map) = new.as_object_mut() {
                        map.remove("status");
                    }
                }
            }
        }
        self.strategy.prepare_for_update(&mut new, old);
        self.strategy.default(&mut new);
        drop_empty_metadata(&mut new);
        if self.strategy.tracks_generation() && desired_state(&new) != desired_state(old) {
            let generation = old
                .metadata()
                .and_then(|m| m.get("generation"))
                .and_then(Value::as_i64)
                .unwrap_or(0);
            new.set_meta("generation", generation + 1);
        }
        let mut errors = metadata::validate(&new, self.strategy.name_rule(), false);
        if old.deletion_timestamp().is_some() {
            let old_finalizers = old.finalizers();
            let added: std::collections::BTreeSet<String> = new
                .finalizers()
                .into_iter()
                .filter(|f| !old_finalizers.contains(f))
                .collect();
            if !added.is_empty() {
                let listed: Vec<String> = added.iter().map(|f| format!("{f:?}")).collect();
                errors.push(FieldError::forbidden(
                    "metadata.finalizers",
                    format!(
                        "no new finalizers can be added if the object is being deleted, found new finalizers []string{{{}}}",
                        listed.join(", ")
                    ),
                ));
            }
        }
        errors.extend(self.strategy.validate(&new));
        errors.extend(self.strategy.validate_update(&new, old));
        self.invalid(&new, errors)?;
        Ok(new)
    }

    /// PUT of the main resource (`part` Main) or of `status`.
    pub async fn update(
        &self,
        namespace: Option<&str>,
        name: &str,
        body: Value,
        part: Part,
        options: &WriteOptions,
    ) -> Result<Written, ApiError> {
        let (mut new, warnings) = self.decode_body(body, options.field_validation)?;
        if new.name() != Some(name) {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({}) does not match the name on the URL ({name})",
                new.name().unwrap_or_default()
            )));
        }
        self.settle_namespace(&mut new, namespace)?;
        let precondition = new.resource_version().map(str::to_owned);
        let key = self.key(namespace, name)?;
        loop {
            let Some((kv, old)) = self.read_current(&key, name).await? else {
                if part == Part::Main && self.strategy.allow_create_on_update() {
                    new.remove_meta("resourceVersion");
                    let mut written = self.create(namespace, new, options).await?;
                    written.warnings.splice(0..0, warnings);
                    return Ok(written);
                }
                return Err(ApiError::not_found(
                    &self.descriptor.group,
                    &self.descriptor.plural,
                    name,
                ));
            };
            match &precondition {
                Some(rv) if *rv != kv.mod_revision.to_string() => {
                    return Err(self.error(
                        StorageError::Conflict {
                            key,
                            expected: 0,
                            current: None,
                        },
                        name,
                    ));
                }
                None if !self.strategy.allow_unconditional_update() => {
                    return Err(self
                        .invalid(
                            &new,
                            vec![FieldError::invalid(
                                "metadata.resourceVersion",
                                "",
                                "must be specified for an update",
                            )],
                        )
                        .unwrap_err());
                }
                _ => {}
            }
            let mut updated = self.prepare_update(new.clone(), &old, part)?;
            self.track_update(
                managed::sent(&new).as_ref(),
                &old,
                &mut updated,
                part,
                options,
            );
            match self
                .write_update(&key, name, updated, &old, kv.mod_revision, options)
                .await
            {
                Err(e) if e.reason == "Conflict" && precondition.is_none() => continue,
                Err(e) => return Err(e),
                Ok(object) => {
                    return Ok(Written {
                        object,
                        warnings,
                        created: false,
                    });
                }
            }
        }
    }

    /// Read-modify-write: calls `mutate` with the current object until its
    /// result is stored without losing a race. `mutate` returns the
    /// client's new object, which goes through [`Self::prepare_update`].
    pub async fn guaranteed_update<F>(
        &self,
        namespace: Option<&str>,
        name: &str,
        part: Part,
        options: &WriteOptions,
        mut mutate: F,
    ) -> Result<Value, ApiError>
    where
        F: FnMut(&Value) -> Result<Value, ApiError> + Send,
    {
        let missing = || ApiError::not_found(&self.descriptor.group, &self.descriptor.plural, name);
        self.read_modify_write(
            namespace,
            name,
            part,
            options,
            false,
            |current| match current {
                Some(current) => mutate(current),
                None => Err(missing()),
            },
        )
        .await
        .map(|written| written.object)
    }

    /// Like [`Self::guaranteed_update`], but `mutate` is also called with
    /// `None` when the object does not exist and `create_missing` is set,
    /// and its result is created (server-side apply creates).
    pub async fn read_modify_write<F>(
        &self,
        namespace: Option<&str>,
        name: &str,
        part: Part,
        options: &WriteOptions,
        create_missing: bool,
        mut mutate: F,
    ) -> Result<Written, ApiError>
    where
        F: FnMut(Option<&Value>) -> Result<Value, ApiError> + Send,
    {
        let key = self.key(namespace, name)?;
        loop {
            let Some((kv, old)) = self.read_current(&key, name).await? else {
                if !create_missing {
                    return Err(ApiError::not_found(
                        &self.descriptor.group,
                        &self.descriptor.plural,
                        name,
                    ));
                }
                let new = mutate(None)?;
                match self.create(namespace, new, options).await {
                    // Created by someone else meanwhile: update it instead.
                    Err(e) if e.reason == "AlreadyExists" => continue,
                    other => return other,
                }
            };
            let mut new = mutate(Some(&old))?;
            if let Some(rv) = new.resource_version()
                && rv != kv.mod_revision.to_string()
            {
                return Err(self.error(
                    StorageError::Conflict {
                        key,
                        expected: 0,
                        current: None,
                    },
                    name,
                ));
            }
            self.settle_namespace(&mut new, namespace)?;
            let sent = managed::sent(&new);
            let mut updated = self.prepare_update(new, &old, part)?;
            self.track_update(sent.as_ref(), &old, &mut updated, part, options);
            match self
                .write_update(&key, name, updated, &old, kv.mod_revision, options)
                .await
            {
                Err(e) if e.reason == "Conflict" => continue,
                Err(e) => return Err(e),
                Ok(object) => {
                    return Ok(Written {
                        object,
                        warnings: Vec::new(),
                        created: false,
                    });
                }
            }
        }
    }

    /// Stores `new` over `old` (at `mod_revision`), or nothing if nothing
    /// changed; an object being deleted whose last finalizer is gone is
    /// deleted instead.
    async fn write_update(
        &self,
        key: &str,
        name: &str,
        mut new: Value,
        old: &Value,
        mod_revision: u64,
        options: &WriteOptions,
    ) -> Result<Value, ApiError> {
        if without_volatile(&new) == without_volatile(old) {
            return Ok(old.clone());
        }
        new.remove_meta("resourceVersion");
        // An object being deleted goes once nothing holds it any more (and
        // no grace period is still running: a pod waits for its kubelet).
        let grace_over = old
            .metadata()
            .and_then(|m| m.get("deletionGracePeriodSeconds"))
            .and_then(Value::as_i64)
            .unwrap_or(0)
            == 0;
        if old.deletion_timestamp().is_some() && grace_over && self.strategy.finalized(&new) {
            if options.dry_run {
                new.set_meta("resourceVersion", mod_revision.to_string());
                return Ok(new);
            }
            let (_, revision) = self
                .storage
                .delete(key, Some(mod_revision))
                .await
                .map_err(|e| self.error(e, name))?;
            self.removed(old).await;
            new.set_meta("resourceVersion", revision.to_string());
            return Ok(new);
        }
        let reservation = self.reserve_update(&mut new, old, options.dry_run).await?;
        let result = if options.dry_run {
            new.set_meta("resourceVersion", mod_revision.to_string());
            Ok(new)
        } else {
            match self
                .storage
                .update(key, self.encode(&new).await?, mod_revision)
                .await
            {
                Ok(kv) => self.decode(&kv).await,
                Err(e) => Err(self.error(e, name)),
            }
        };
        super::hooks::settle(reservation, &result).await;
        result
    }
}
