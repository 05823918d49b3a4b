//! `metadata.managedFields`: which manager owns which fields of an object,
//! kept up to date on every write as upstream keeps it. Updates (create,
//! PUT, JSON/merge/strategic patches) credit their manager with what they
//! changed ([`update`]); server-side apply computes ownership itself
//! ([`crate::apiserver::patch::apply`]) and hands the object over with its
//! entries set.

pub mod entries;
pub mod manager;
pub mod update;

use serde_json::Value;

pub use self::entries::{Managers, Owned, is_reset};
pub use self::manager::{ManagerId, Operation, manager_name};
pub use self::update::{Scope, Write, record_update, strip_server_fields};

use crate::apiserver::object::ObjectExt;
use crate::apiserver::patch::typed::zero_object;

/// How a write maintains `metadata.managedFields`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum FieldTracking {
    /// A write of the server's own (finalizing, bookkeeping): the entries
    /// stay as the object has them.
    #[default]
    Untracked,
    /// An update by this manager.
    Update { manager: String },
    /// A server-side apply: the object already carries its entries.
    Applied,
}

/// The object's entries (an unreadable list counts as none).
pub fn read(object: &Value) -> Managers {
    Managers::decode(object.metadata().and_then(|m| m.get("managedFields"))).unwrap_or_default()
}

/// Sets the object's entries (none: the field is removed).
pub fn store(object: &mut Value, managers: &Managers) {
    match managers.encode() {
        Some(list) => object.set_meta("managedFields", list),
        None => {
            object.remove_meta("managedFields");
        }
    }
}

/// The entries of a new object: its own (unless it asks to clear them)
/// plus the creator's ownership of everything it sets.
pub fn track_create(object: &mut Value, manager: &str, write: &Write) {
    let mut managers = if is_reset(object.metadata().and_then(|m| m.get("managedFields"))) {
        Managers::default()
    } else {
        read(object)
    };
    let zero = zero_object(write.ty);
    record_update(&mut managers, &zero, object, manager, write);
    store(object, &managers);
}

/// The entries of `updated`, the result of `manager`'s update of `old`
/// (`sent`: the entries the client's object had). The client's entries count if it
/// sent readable ones (an empty list clears them), except on a
/// subresource; an object nobody tracked stays untracked.
pub fn track_update(
    sent: Option<&Value>,
    old: &Value,
    updated: &mut Value,
    manager: &str,
    write: &Write,
) {
    let mut managers = if !write.subresource.is_empty() {
        read(old)
    } else if is_reset(sent) {
        Managers::default()
    } else {
        match Managers::decode(sent) {
            Ok(managers) if !managers.is_empty() => managers,
            _ => read(old),
        }
    };
    if managers.is_empty() && old.uid().is_some() {
        updated.remove_meta("managedFields");
        return;
    }
    record_update(&mut managers, old, updated, manager, write);
    store(updated, &managers);
}
