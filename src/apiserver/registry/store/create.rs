//! CREATE: read the body into the kind's schema, set what the server owns
//! (uid, creationTimestamp, generation, a generated name), default,
//! validate, store.

use serde_json::Value;

use super::{FieldValidation, ResourceStore, WriteOptions, Written};
use crate::apiserver::object::{ObjectExt, drop_empty_metadata, now_rfc3339};
use crate::apiserver::status::ApiError;
use crate::apiserver::validation::{FieldError, metadata};
use crate::storage::StorageError;

/// Characters upstream draws generated name suffixes from (no vowels, no
/// look-alikes, so no words and no confusion).
const SUFFIX_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
const SUFFIX_LEN: usize = 5;
/// Attempts at a free generated name before giving up.
const GENERATE_ATTEMPTS: usize = 8;

fn random_suffix() -> String {
    uuid::Uuid::new_v4().as_bytes()[..SUFFIX_LEN]
        .iter()
        .map(|b| SUFFIX_ALPHABET[*b as usize % SUFFIX_ALPHABET.len()] as char)
        .collect()
}

impl ResourceStore {
    /// Checks `apiVersion`/`kind` of a body, fills them in if missing, and
    /// reads it into the kind's schema. Returns the warnings for unknown
    /// fields (or fails on them under Strict).
    pub fn decode_body(
        &self,
        mut body: Value,
        validation: FieldValidation,
    ) -> Result<(Value, Vec<String>), ApiError> {
        let d = &self.descriptor;
        if !body.is_object() {
            return Err(ApiError::bad_request(
                "the body of the request must be a JSON object",
            ));
        }
        let expected_version = d.api_version();
        match body.api_version() {
            Some(v) if v != expected_version => {
                return Err(ApiError::bad_request(format!(
                    "the API version in the data ({v}) does not match the expected API version ({expected_version})"
                )));
            }
            Some(_) => {}
            None => body["apiVersion"] = Value::String(expected_version),
        }
        match body.kind() {
            Some(k) if k != d.kind => {
                return Err(ApiError::bad_request(format!(
                    "the kind in the data ({k}) does not match the expected kind ({})",
                    d.kind
                )));
            }
            Some(_) => {}
            None => body["kind"] = Value::String(d.kind.clone()),
        }
        let normalized = self
            .strategy
            .normalize(body)
            .map_err(ApiError::bad_request)?;
        let warnings = validation.check(&normalized.unknown_fields, &d.kind, &d.version)?;
        Ok((normalized.object, warnings))
    }

    /// The namespace rules of every write: a namespaced object takes the
    /// request's namespace (and may not name another); a cluster-scoped one
    /// has none.
    pub(super) fn settle_namespace(
        &self,
        object: &mut Value,
        namespace: Option<&str>,
    ) -> Result<(), ApiError> {
        if self.descriptor.namespaced() {
            let Some(namespace) = namespace else {
                return Err(ApiError::bad_request(
                    "the namespace of the object must be set",
                ));
            };
            match object.namespace() {
                Some(ns) if ns != namespace => {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ));
                }
                _ => object.set_meta("namespace", namespace),
            }
        } else {
            object.remove_meta("namespace");
        }
        Ok(())
    }

    /// 422 with `errors` as causes, if there are any.
    pub(super) fn invalid(&self, object: &Value, errors: Vec<FieldError>) -> Result<(), ApiError> {
        if errors.is_empty() {
            return Ok(());
        }
        let name = object.name().or(object.generate_name()).unwrap_or_default();
        Err(ApiError::invalid(
            &self.descriptor.group,
            &self.descriptor.kind,
            name,
            errors.iter().map(FieldError::to_cause).collect(),
        ))
    }

    pub async fn create(
        &self,
        namespace: Option<&str>,
        body: Value,
        options: &WriteOptions,
    ) -> Result<Written, ApiError> {
        let (mut object, warnings) = self.decode_body(body, options.field_validation)?;
        self.settle_namespace(&mut object, namespace)?;
        if object.resource_version().is_some() {
            return Err(ApiError::bad_request(
                "resourceVersion should not be set on objects to be created",
            ));
        }
        for server_owned in [
            "uid",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "selfLink",
        ] {
            object.remove_meta(server_owned);
        }
        object.set_meta("creationTimestamp", now_rfc3339());
        object.set_meta("uid", uuid::Uuid::new_v4().to_string());
        if self.strategy.tracks_generation() {
            object.set_meta("generation", 1);
        } else {
            object.remove_meta("generation");
        }
        if self.descriptor.subresource("status").is_some()
            && !self.strategy.keeps_status_on_create()
            && let Some(map) = object.as_object_mut()
        {
            map.remove("status");
        }
        self.strategy.prepare_for_create(&mut object);
        self.strategy.default(&mut object);
        drop_empty_metadata(&mut object);

        let mut errors = metadata::validate(&object, self.strategy.name_rule(), true);
        errors.extend(self.strategy.validate(&object));
        self.invalid(&object, errors)?;
        self.track_create(&mut object, options);

        if self.hooks.is_some() && object.name().is_none() {
            // What the hooks reserve names the object (an IPAddress's
            // parentRef): settle a generated name first, as upstream does.
            let prefix = object.generate_name().unwrap_or_default().to_owned();
            object.set_meta("name", format!("{prefix}{}", random_suffix()));
        }
        let reservation = self.reserve_create(&mut object, options.dry_run).await?;
        let result = self.store_new(namespace, object, warnings, options).await;
        super::hooks::settle(reservation, &result).await;
        result
    }

    /// Stores a new, validated object (under a fresh name if it asked for
    /// a generated one).
    async fn store_new(
        &self,
        namespace: Option<&str>,
        mut object: Value,
        warnings: Vec<String>,
        options: &WriteOptions,
    ) -> Result<Written, ApiError> {
        let generated = object.name().is_none();
        for _ in 0..GENERATE_ATTEMPTS {
            if generated {
                let prefix = object.generate_name().unwrap_or_default().to_owned();
                object.set_meta("name", format!("{prefix}{}", random_suffix()));
            }
            let name = object.name().unwrap_or_default().to_owned();
            let key = self.key(namespace, &name)?;
            if options.dry_run {
                if let (Some(_), _) = self
                    .storage
                    .get(&key)
                    .await
                    .map_err(|e| self.error(e, &name))?
                {
                    if generated {
                        continue;
                    }
                    return Err(self.error(StorageError::AlreadyExists { key }, &name));
                }
                return Ok(Written {
                    object,
                    warnings,
                    created: true,
                });
            }
            match self.storage.create(&key, self.encode(&object).await?).await {
                Ok(kv) => {
                    return Ok(Written {
                        object: self.decode(&kv).await?,
                        warnings,
                        created: true,
                    });
                }
                Err(StorageError::AlreadyExists { .. }) if generated => continue,
                Err(e) => return Err(self.error(e, &name)),
            }
        }
        Err(ApiError::already_exists(
            &self.descriptor.group,
            &self.descriptor.plural,
            object.name().unwrap_or_default(),
        ))
    }
}
