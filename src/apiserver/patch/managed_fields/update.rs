//! What an update (create, PUT, or a patch other than apply) does to
//! ownership: the updater owns every field it added or changed, and the
//! other managers lose those fields and the ones it removed. Fields the
//! server sets (name, uid, resourceVersion, …) are nobody's, fields of the
//! other part of the object (status on the main resource, everything but
//! status on `/status`) are ignored, and past ten update managers the
//! oldest are folded into `ancient-changes`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::entries::{Managers, Owned};
use super::manager::{ManagerId, Operation};
use crate::apiserver::patch::fieldpath::{PathElement, Set};
use crate::apiserver::patch::schema::Type;
use crate::apiserver::patch::typed::{compare, filled};

/// Upstream keeps at most this many update managers.
const MAX_UPDATE_MANAGERS: usize = 10;
const ANCIENT_CHANGES: &str = "ancient-changes";

/// The fields a write may own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Everything,
    /// The main resource of a kind with a status subresource.
    AllButStatus,
    /// The status subresource.
    OnlyStatus,
}

impl Scope {
    pub fn filter(self, set: &Set) -> Set {
        let status = PathElement::field("status");
        match self {
            Scope::Everything => set.clone(),
            Scope::AllButStatus => {
                let mut status_set = Set::new();
                status_set.insert(&[status]);
                set.recursive_difference(&status_set)
            }
            Scope::OnlyStatus => set.only(&status),
        }
    }
}

/// One tracked write.
#[derive(Clone, Copy, Debug)]
pub struct Write<'a> {
    pub ty: Type,
    /// The request's group/version.
    pub api_version: &'a str,
    /// `status` for status writes, else empty.
    pub subresource: &'a str,
    pub scope: Scope,
    /// The write's time (RFC 3339).
    pub now: &'a str,
}

/// Fields the server sets, which no manager owns.
fn server_fields() -> Set {
    let mut set = Set::new();
    for top in ["apiVersion", "kind", "metadata"] {
        set.insert(&[PathElement::field(top)]);
    }
    for meta in [
        "name",
        "namespace",
        "creationTimestamp",
        "selfLink",
        "uid",
        "clusterName",
        "generation",
        "managedFields",
        "resourceVersion",
    ] {
        set.insert(&[PathElement::field("metadata"), PathElement::field(meta)]);
    }
    set
}

/// `set` without the fields the server sets.
pub fn strip_server_fields(set: &Set) -> Set {
    set.difference(&server_fields())
}

/// Credits `manager`'s update from `live` to `new`.
pub fn record_update(
    managers: &mut Managers,
    live: &Value,
    new: &Value,
    manager: &str,
    write: &Write,
) {
    let id = ManagerId::new(
        manager,
        Operation::Update,
        write.api_version,
        write.subresource,
    );
    let changes = compare(&filled(live, write.ty), &filled(new, write.ty), write.ty)
        .filtered(|s| write.scope.filter(s));
    let changed = changes.changed();
    for owned in managers.entries.values_mut() {
        owned.set = owned.set.difference(&changed).difference(&changes.removed);
    }
    let mine = strip_server_fields(&changed);
    if !mine.is_empty() {
        let owned = managers.entries.entry(id).or_default();
        owned.set = owned.set.union(&mine);
        owned.api_version = write.api_version.into();
        owned.time = Some(write.now.into());
    }
    managers.drop_empty();
    cap_update_managers(managers);
}

/// Folds the oldest update managers into `ancient-changes` (one per API
/// version) until at most ten remain.
fn cap_update_managers(managers: &mut Managers) {
    let mut updaters: Vec<ManagerId> = managers
        .entries
        .keys()
        .filter(|id| id.operation == Operation::Update)
        .cloned()
        .collect();
    if updaters.len() <= MAX_UPDATE_MANAGERS {
        return;
    }
    let seconds = |id: &ManagerId| {
        managers.entries[id]
            .time
            .as_deref()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map_or(0, |t| t.as_second())
    };
    updaters.sort_by_cached_key(|id| (seconds(id), id.identifier()));
    let mut remaining = updaters.len();
    let mut first_of_version: BTreeMap<String, ManagerId> = BTreeMap::new();
    for id in updaters {
        if remaining <= MAX_UPDATE_MANAGERS {
            break;
        }
        let Some(owned) = managers.entries.get(&id).cloned() else {
            continue;
        };
        let version = owned.api_version.clone();
        let bucket = ManagerId::new(ANCIENT_CHANGES, Operation::Update, &version, "");
        match first_of_version.get(&version) {
            Some(first) => {
                if !managers.entries.contains_key(&bucket)
                    && let Some(first_owned) = managers.entries.remove(first)
                {
                    managers.entries.insert(bucket.clone(), first_owned);
                }
                managers.entries.remove(&id);
                let entry = managers.entries.entry(bucket).or_insert_with(|| Owned {
                    api_version: version.clone(),
                    ..Owned::default()
                });
                entry.set = owned.set.union(&entry.set);
                entry.time = owned.time;
                remaining -= 1;
            }
            None => {
                first_of_version.insert(version, id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::patch::fieldpath::fields_v1;
    use crate::apiserver::patch::schema::Shapes;
    use crate::apiserver::patch::typed::zero_object;
    use serde_json::json;

    fn write(ty: Type, now: &str) -> Write<'_> {
        Write {
            ty,
            api_version: "v1",
            subresource: "",
            scope: Scope::Everything,
            now,
        }
    }

    fn owned(managers: &Managers, manager: &str) -> Value {
        let id = ManagerId::new(manager, Operation::Update, "v1", "");
        fields_v1::encode(&managers.entries[&id].set)
    }

    #[test]
    fn updates_take_over_the_fields_they_change() {
        let ty = Shapes::get().root("v1", "ConfigMap").unwrap();
        let mut managers = Managers::default();
        let created = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "uid": "u", "labels": {"a": "1"}}, "data": {"x": "1", "y": "2"}});
        record_update(
            &mut managers,
            &zero_object(ty),
            &created,
            "creator",
            &write(ty, "2024-01-01T00:00:00Z"),
        );
        assert_eq!(
            owned(&managers, "creator"),
            json!({"f:metadata": {"f:labels": {".": {}, "f:a": {}}}, "f:data": {".": {}, "f:x": {}, "f:y": {}}})
        );
        let mut changed = created.clone();
        changed["data"]["x"] = json!("changed");
        changed["data"].as_object_mut().unwrap().remove("y");
        changed["metadata"]["labels"]["b"] = json!("2");
        record_update(
            &mut managers,
            &created,
            &changed,
            "editor",
            &write(ty, "2024-01-01T00:00:01Z"),
        );
        assert_eq!(
            owned(&managers, "creator"),
            json!({"f:metadata": {"f:labels": {".": {}, "f:a": {}}}, "f:data": {}})
        );
        assert_eq!(
            owned(&managers, "editor"),
            json!({"f:metadata": {"f:labels": {"f:b": {}}}, "f:data": {"f:x": {}}})
        );
        // An update that changes nothing leaves everything as it was.
        let before = managers.clone();
        record_update(
            &mut managers,
            &changed,
            &changed,
            "idle",
            &write(ty, "2024-01-01T00:00:02Z"),
        );
        assert_eq!(managers, before);
    }

    #[test]
    fn status_writes_and_main_writes_own_their_part() {
        let ty = Shapes::get().root("apps/v1", "Deployment").unwrap();
        let old = json!({"spec": {"replicas": 1}, "status": {"replicas": 1}});
        let new = json!({"spec": {"replicas": 2}, "status": {"replicas": 2}});
        let mut managers = Managers::default();
        let mut main = write(ty, "2024-01-01T00:00:00Z");
        main.scope = Scope::AllButStatus;
        record_update(&mut managers, &old, &new, "main", &main);
        let mut status = write(ty, "2024-01-01T00:00:00Z");
        status.scope = Scope::OnlyStatus;
        status.subresource = "status";
        record_update(&mut managers, &old, &new, "kubelet", &status);
        assert_eq!(
            owned(&managers, "main"),
            json!({"f:spec": {"f:replicas": {}}})
        );
        let id = ManagerId::new("kubelet", Operation::Update, "v1", "status");
        assert_eq!(
            fields_v1::encode(&managers.entries[&id].set),
            json!({"f:status": {"f:replicas": {}}})
        );
    }

    #[test]
    fn old_update_managers_fold_into_ancient_changes() {
        let ty = Shapes::get().root("v1", "ConfigMap").unwrap();
        let mut managers = Managers::default();
        let mut object = json!({"data": {}});
        for i in 0..12 {
            let mut next = object.clone();
            next["data"][format!("k{i}")] = json!("v");
            let now = format!("2024-01-01T00:00:{i:02}Z");
            record_update(
                &mut managers,
                &object,
                &next,
                &format!("m{i:02}"),
                &write(ty, &now),
            );
            object = next;
        }
        assert_eq!(managers.entries.len(), 10);
        let ancient = ManagerId::new(ANCIENT_CHANGES, Operation::Update, "v1", "");
        assert_eq!(
            fields_v1::encode(&managers.entries[&ancient].set),
            json!({"f:data": {"f:k0": {}, "f:k1": {}, "f:k2": {}}})
        );
    }
}
