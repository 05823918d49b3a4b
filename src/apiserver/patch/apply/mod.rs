//! Server-side apply (`application/apply-patch+yaml`): a manager's whole
//! configuration for an object, merged into it by the schema, with
//! ownership.
//!
//! The applier comes to own exactly the fields its configuration sets.
//! Fields it owned before and no longer sets are removed unless another
//! manager owns them too. Changing a field another manager owns is a
//! conflict (409 naming the managers and fields) unless `force`, which
//! takes the field over; setting a field to the value it already has
//! shares it. An object nobody tracked yet is first credited to
//! `before-first-apply`.

mod conflict;
mod last_applied;

use serde_json::{Value, json};

pub use self::conflict::Conflicts;
use self::last_applied::KUBECTL;
use super::fieldpath::Set;
use super::managed_fields::{
    self, ManagerId, Managers, Operation, Owned, Write, record_update, strip_server_fields,
};
use super::typed::{compare, field_set, filled, merge, remove, validate, with_named_fields};
use crate::apiserver::object::ObjectExt;
use crate::apiserver::patch::fieldpath::element::values_equal;
use crate::apiserver::status::ApiError;

/// One apply request.
#[derive(Clone, Copy, Debug)]
pub struct Apply<'a> {
    pub write: Write<'a>,
    pub kind: &'a str,
    pub manager: &'a str,
    pub force: bool,
}

/// An error upstream answers with a bare 500 (no reason). It is the
/// client's mistake, so keelson says so: 400 BadRequest, upstream's words.
fn plain_error(message: String) -> ApiError {
    ApiError::bad_request(message)
}

/// Upstream's spelling of a GroupVersionKind: `apps/v1, Kind=Deployment`,
/// `/v1, Kind=ConfigMap`.
fn group_version_kind(api_version: &str, kind: &str) -> String {
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    format!("{group}/{version}, Kind={kind}")
}

/// `config` applied to `live` (`{}` if the object does not exist yet):
/// the new object with its `managedFields`.
pub fn apply(live: &Value, config: &Value, request: &Apply) -> Result<Value, ApiError> {
    let api_version = request.write.api_version;
    let config_api_version = config.api_version().unwrap_or_default();
    let config_kind = config.kind().unwrap_or_default();
    if config_api_version != api_version || config_kind != request.kind {
        return Err(ApiError::bad_request(format!(
            "invalid object type: {}",
            group_version_kind(config_api_version, config_kind)
        )));
    }
    if config
        .metadata()
        .and_then(|m| m.get("managedFields"))
        .is_some_and(|v| !v.is_null())
    {
        return Err(ApiError::bad_request("metadata.managedFields must be nil"));
    }
    let mut managers = Managers::decode(live.metadata().and_then(|m| m.get("managedFields")))
        .map_err(|e| plain_error(format!("failed to decode managed fields: {e}")))?;
    if managers.is_empty() {
        record_update(
            &mut managers,
            &json!({}),
            live,
            "before-first-apply",
            &request.write,
        );
    }
    let errors = validate(config, request.write.ty);
    if !errors.is_empty() {
        let listed = match errors.as_slice() {
            [one] => one.clone(),
            many => format!("errors:\n  {}", many.join("\n  ")),
        };
        return Err(plain_error(format!(
            "failed to create typed patch object ({}/{}; {}): {listed}",
            config.namespace().unwrap_or_default(),
            config.name().unwrap_or_default(),
            group_version_kind(config_api_version, config_kind)
        )));
    }
    let outcome = match merge_owned(live, config, managers.clone(), request, request.force) {
        Err(conflicts) if request.manager == KUBECTL => {
            match last_applied::unchanged_fields(live, request.write.ty, api_version) {
                Some(allowed) => {
                    let remaining = conflicts.without(&allowed);
                    if remaining.is_empty() {
                        merge_owned(live, config, managers, request, true)
                    } else {
                        Err(remaining)
                    }
                }
                None => Err(conflicts),
            }
        }
        other => other,
    };
    let (mut object, managers) = outcome.map_err(Conflicts::into_error)?;
    if request.manager == KUBECTL {
        last_applied::follow(&mut object, config);
    }
    managed_fields::store(&mut object, &managers);
    Ok(object)
}

/// The merged object and everyone's fields after the apply, or the
/// conflicts that stop it.
fn merge_owned(
    live: &Value,
    config: &Value,
    mut managers: Managers,
    request: &Apply,
    force: bool,
) -> Result<(Value, Managers), Conflicts> {
    let write = &request.write;
    let ty = write.ty;
    let id = ManagerId::new(
        request.manager,
        Operation::Apply,
        write.api_version,
        write.subresource,
    );
    let applied = write.scope.filter(&field_set(config, ty));
    let previous = managers.entries.insert(
        id.clone(),
        Owned {
            set: applied,
            api_version: write.api_version.into(),
            time: None,
        },
    );
    let mut merged = merge(live, config, ty);
    if let Some(previous) = &previous
        && !previous.set.is_empty()
    {
        // What the applier owned before and nobody owns now goes (a struct
        // nobody owns anything in any more goes whole).
        let owned = managers
            .entries
            .values()
            .fold(Set::new(), |all, o| all.union(&o.set));
        let dropped =
            with_named_fields(&previous.set, ty).difference(&with_named_fields(&owned, ty));
        merged = remove(&merged, &dropped, ty);
    }
    let changes =
        compare(&filled(live, ty), &filled(&merged, ty), ty).filtered(|s| write.scope.filter(s));
    let changed = changes.changed();
    let conflicts = Conflicts::new(
        managers
            .entries
            .iter()
            .filter(|(other, _)| **other != id)
            .map(|(other, owned)| (other.clone(), owned.set.intersection(&changed)))
            .collect(),
    );
    if !force && !conflicts.is_empty() {
        return Err(conflicts);
    }
    for (other, owned) in managers.entries.iter_mut() {
        if *other != id {
            owned.set = owned.set.difference(&changed).difference(&changes.removed);
        }
    }
    let modified = !values_equal(live, &merged);
    if let Some(mine) = managers.entries.get_mut(&id) {
        mine.set = strip_server_fields(&mine.set);
        mine.time = if modified {
            Some(write.now.into())
        } else {
            previous.and_then(|p| p.time)
        };
    }
    managers.drop_empty();
    let object = if modified { merged } else { live.clone() };
    Ok((object, managers))
}

#[cfg(test)]
mod tests;
