//! `metadata.managedFields` on every tracked write: the creator or updater
//! is credited with what it set or changed in the object the store is
//! about to write (after defaults and the strategy); an apply's entries,
//! computed with its merge, are kept as they are.

use serde_json::Value;

use super::{Part, ResourceStore, WriteOptions};
use crate::apiserver::object::{ObjectExt, now_rfc3339};
use crate::apiserver::patch::managed_fields::{self, FieldTracking, Scope, Write};
use crate::apiserver::patch::schema::{Shapes, Type};

impl ResourceStore {
    /// The shape of this resource's objects (in `api_version`): its
    /// strategy's (custom resources), else the type table's.
    pub fn shape(&self, api_version: &str) -> Type {
        self.strategy
            .shape()
            .or_else(|| Shapes::get().root(api_version, &self.descriptor.kind))
            .unwrap_or(Type::Untyped)
    }

    /// The fields a write of `part` may change, and so own.
    pub fn scope_of(&self, part: Part) -> Scope {
        match part {
            Part::Status | Part::Approval => Scope::OnlyStatus,
            Part::Main | Part::Finalize if self.descriptor.subresource("status").is_some() => {
                Scope::AllButStatus
            }
            Part::Main | Part::Finalize => Scope::Everything,
        }
    }

    /// What a write of `part` may own, and where its paths come from.
    fn tracked_write<'a>(&self, part: Part, api_version: &'a str, now: &'a str) -> Write<'a> {
        let scope = self.scope_of(part);
        let subresource = part.subresource().unwrap_or_default();
        Write {
            ty: self.shape(api_version),
            api_version,
            subresource,
            scope,
            now,
        }
    }

    /// Sets the entries of an object about to be created.
    pub(super) fn track_create(&self, object: &mut Value, options: &WriteOptions) {
        let FieldTracking::Update { manager } = &options.managed_fields else {
            return;
        };
        let (api_version, now) = (self.descriptor.api_version(), now_rfc3339());
        let write = self.tracked_write(Part::Main, &api_version, &now);
        managed_fields::track_create(object, manager, &write);
    }

    /// Sets the entries of `updated`, about to replace `old`; `sent` is the
    /// `managedFields` the request's object had.
    pub(super) fn track_update(
        &self,
        sent: Option<&Value>,
        old: &Value,
        updated: &mut Value,
        part: Part,
        options: &WriteOptions,
    ) {
        match &options.managed_fields {
            FieldTracking::Untracked => {}
            FieldTracking::Applied => match sent {
                Some(entries) => updated.set_meta("managedFields", entries.clone()),
                None => {
                    updated.remove_meta("managedFields");
                }
            },
            FieldTracking::Update { manager } => {
                let (api_version, now) = (self.descriptor.api_version(), now_rfc3339());
                let write = self.tracked_write(part, &api_version, &now);
                managed_fields::track_update(sent, old, updated, manager, &write);
            }
        }
    }
}

/// The `managedFields` a request's object carries.
pub(super) fn sent(object: &Value) -> Option<Value> {
    object.metadata()?.get("managedFields").cloned()
}
