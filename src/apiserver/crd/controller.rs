//! The CRD controller: follows the stored CustomResourceDefinitions (the
//! CRD store's watch cache) and keeps what is served in step with them.
//!
//! For each CRD it accepts names ([`super::names`]), serves every served
//! version (registry stores first, then the catalog — so discovery never
//! names a resource that cannot be reached — and the OpenAPI schemas),
//! then reports `NamesAccepted` and `Established` in the CRD's status. A
//! CRD being deleted keeps being served while [`super::cleanup`] removes
//! its objects; when it is gone its resources go too.
//!
//! Changes that arrive together are handled together: one catalog update,
//! status writes in parallel. That is what keeps a thousand CRDs created
//! at once each established within a second.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::definition::{CLEANUP_FINALIZER, Definition, Names, condition_true};
use super::names::{self, Naming, Taken};
use super::serving::{self, ServedVersion};
use super::{cleanup, openapi};
use crate::apiserver::object::{ObjectExt, now_rfc3339};
use crate::apiserver::openapi::OpenApi;
use crate::apiserver::registry::Registry;
use crate::apiserver::registry::cache::{EventType, WatchItem};
use crate::apiserver::registry::catalog::Catalog;
use crate::apiserver::registry::filter::Filter;
use crate::apiserver::registry::resource::GroupVersionKind;
use crate::apiserver::registry::store::{Part, ResourceStore, WriteOptions};
use crate::apiserver::request::query::ReadOptions;
use crate::apiserver::status::ApiError;

/// How many status writes run at once.
const PARALLEL_WRITES: usize = 16;

/// What is served for one CRD.
struct Served {
    fingerprint: u64,
    group: String,
    plural: String,
    versions: Vec<String>,
    kinds: Vec<GroupVersionKind>,
    /// The stores, for the cleanup of objects.
    stores: Vec<Arc<ResourceStore>>,
}

#[derive(Default)]
struct State {
    /// Every CRD as last seen, by name.
    crds: BTreeMap<String, Value>,
    served: HashMap<String, Served>,
    /// The names each CRD holds, by CRD name: (group, names).
    accepted: HashMap<String, (String, Names)>,
    /// CRDs (by uid) whose objects are being removed.
    cleaning: HashSet<String>,
}

/// Serves custom resources from the stored CRDs.
pub struct CrdController {
    catalog: Arc<Catalog>,
    registry: Arc<Registry>,
    openapi: Arc<OpenApi>,
    crds: Arc<ResourceStore>,
    state: Mutex<State>,
    /// Bounds the status writes in flight.
    writers: Arc<tokio::sync::Semaphore>,
}

impl CrdController {
    /// Serves what the CRDs stored now define, then follows them in the
    /// background.
    pub async fn start(
        catalog: Arc<Catalog>,
        registry: Arc<Registry>,
        openapi: Arc<OpenApi>,
    ) -> Result<Arc<CrdController>, ApiError> {
        let crds = registry
            .get("apiextensions.k8s.io", "v1", "customresourcedefinitions")
            .ok_or_else(|| ApiError::internal("CustomResourceDefinitions are not served"))?;
        let controller = Arc::new(CrdController {
            catalog,
            registry,
            openapi,
            crds,
            state: Mutex::default(),
            writers: Arc::new(tokio::sync::Semaphore::new(PARALLEL_WRITES)),
        });
        let revision = controller.resync().await?;
        tokio::spawn(follow(Arc::downgrade(&controller), revision));
        Ok(controller)
    }

    /// Lists every CRD and reconciles all of them; returns the revision of
    /// the list.
    async fn resync(self: &Arc<Self>) -> Result<u64, ApiError> {
        let filter = Filter::everything(self.crds.strategy.clone(), None);
        let page = self
            .crds
            .list(None, &ReadOptions::default(), &filter)
            .await?;
        let listed: BTreeMap<String, Value> = page
            .items
            .iter()
            .map(|o| {
                (
                    o.object.name().unwrap_or_default().to_owned(),
                    o.object.clone(),
                )
            })
            .collect();
        let mut changed: HashSet<String> = listed.keys().cloned().collect();
        {
            let mut state = self.state.lock().await;
            changed.extend(state.crds.keys().cloned());
            state.crds = listed;
        }
        self.reconcile(changed).await;
        Ok(page.revision)
    }

    /// Records one watch event; returns the CRD it changed.
    async fn record(&self, kind: EventType, object: &Value) -> String {
        let name = object.name().unwrap_or_default().to_owned();
        let mut state = self.state.lock().await;
        match kind {
            EventType::Deleted => {
                state.crds.remove(&name);
            }
            _ => {
                state.crds.insert(name.clone(), object.clone());
            }
        }
        name
    }

    /// Brings what is served for the `changed` CRDs (and the CRDs their
    /// names may free) in line with them.
    async fn reconcile(self: &Arc<Self>, mut changed: HashSet<String>) {
        let mut state = self.state.lock().await;
        // A CRD that went frees its names: its group's CRDs waiting for
        // names get another look.
        let gone: Vec<String> = changed
            .iter()
            .filter(|n| !state.crds.contains_key(*n))
            .cloned()
            .collect();
        for name in &gone {
            if let Some((group, _)) = state.accepted.remove(name) {
                for (other, crd) in &state.crds {
                    if crd.pointer("/spec/group").and_then(Value::as_str) == Some(group.as_str())
                        && !condition_true(crd, "NamesAccepted")
                    {
                        changed.insert(other.clone());
                    }
                }
            }
        }

        let mut removed: Vec<Served> = Vec::new();
        let mut added: Vec<(String, u64, Vec<ServedVersion>, Definition)> = Vec::new();
        let mut statuses: Vec<(String, Naming)> = Vec::new();
        let mut cleanups: Vec<(Value, Definition)> = Vec::new();

        for name in changed {
            let Some(crd) = state.crds.get(&name).cloned() else {
                if let Some(served) = state.served.remove(&name) {
                    removed.push(served);
                }
                continue;
            };
            let definition = match Definition::read(&crd) {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(crd = %name, error = %e.message, "unreadable CustomResourceDefinition");
                    continue;
                }
            };
            let mut taken = Taken::default();
            for (other, (group, names)) in &state.accepted {
                if *other != name && *group == definition.group {
                    taken.add(names);
                }
            }
            let previous = state
                .accepted
                .get(&name)
                .map(|(_, n)| n.clone())
                .unwrap_or_else(|| definition.accepted_names.clone());
            let naming = names::decide(&definition.names, &previous, &taken);
            if !naming.accepted.plural.is_empty() {
                state.accepted.insert(
                    name.clone(),
                    (definition.group.clone(), naming.accepted.clone()),
                );
            }
            statuses.push((name.clone(), naming.clone()));

            if definition.deleting
                && crd.finalizers().iter().any(|f| f == CLEANUP_FINALIZER)
                && !state.cleaning.contains(&definition.uid)
            {
                state.cleaning.insert(definition.uid.clone());
                cleanups.push((crd.clone(), definition.clone()));
            }

            if naming.accepted.plural.is_empty() {
                continue;
            }
            let fingerprint = serving::fingerprint(&crd, &naming.accepted, definition.deleting);
            if state
                .served
                .get(&name)
                .is_some_and(|s| s.fingerprint == fingerprint)
            {
                continue;
            }
            match serving::served_versions(&definition, &naming.accepted, fingerprint) {
                Ok(versions) => {
                    if let Some(old) = state.served.remove(&name) {
                        removed.push(old);
                    }
                    added.push((name.clone(), fingerprint, versions, definition));
                }
                Err(e) => {
                    tracing::warn!(crd = %name, error = %e, "CustomResourceDefinition not served");
                }
            }
        }

        self.apply(&mut state, removed, added);
        drop(state);

        for (crd, definition) in cleanups {
            let controller = self.clone();
            tokio::spawn(async move {
                cleanup::run(&controller.crds, &controller.registry, &crd, &definition).await;
                controller
                    .state
                    .lock()
                    .await
                    .cleaning
                    .remove(&definition.uid);
            });
        }
        // Status writes go on in the background: the next changes need not
        // wait for them (a later write of the same CRD's status computes
        // the same result).
        for (name, naming) in statuses {
            let crds = self.crds.clone();
            let writers = self.writers.clone();
            tokio::spawn(async move {
                let Ok(_permit) = writers.acquire().await else {
                    return;
                };
                if let Err(e) = write_status(&crds, &name, &naming).await
                    && e.reason != "NotFound"
                    && e.reason != "Conflict"
                {
                    tracing::warn!(crd = %name, error = %e.message, "CRD status not written");
                }
            });
        }
    }

    /// Stops serving `removed` and serves `added`: stores first, then the
    /// catalog in one update, then the OpenAPI schemas.
    fn apply(
        &self,
        state: &mut State,
        removed: Vec<Served>,
        added: Vec<(String, u64, Vec<ServedVersion>, Definition)>,
    ) {
        if removed.is_empty() && added.is_empty() {
            return;
        }
        let mut new_descriptors = Vec::new();
        let mut gone: Vec<(String, String)> = Vec::new();
        for served in &removed {
            gone.push((served.group.clone(), served.plural.clone()));
        }
        let mut new_keys: HashSet<(String, String, String)> = HashSet::new();
        for (name, fingerprint, versions, definition) in added {
            let mut stores = Vec::new();
            let mut kinds = Vec::new();
            for served in &versions {
                let d = &served.descriptor;
                new_keys.insert((d.group.clone(), d.version.clone(), d.plural.clone()));
                let store = self.registry.add_versioned(
                    served.descriptor.clone(),
                    served.strategy.clone(),
                    served.versioning.clone(),
                );
                stores.push(store);
                let gvk = d.gvk();
                self.openapi.set_schema(
                    &gvk,
                    &openapi::definition_name(&d.group, &d.version, &d.kind),
                    &openapi::definition(served.version.raw_schema.as_ref()),
                );
                kinds.push(gvk);
                new_descriptors.push(served.descriptor.clone());
            }
            let first = versions.first().map(|v| &v.descriptor);
            state.served.insert(
                name,
                Served {
                    fingerprint,
                    group: definition.group.clone(),
                    plural: first.map(|d| d.plural.clone()).unwrap_or_default(),
                    versions: versions
                        .iter()
                        .map(|v| v.descriptor.version.clone())
                        .collect(),
                    kinds,
                    stores,
                },
            );
        }
        // Stores and schemas of what is no longer served (a version that
        // stopped being served, a renamed or deleted CRD).
        for served in &removed {
            for version in &served.versions {
                let key = (served.group.clone(), version.clone(), served.plural.clone());
                if !new_keys.contains(&key) {
                    self.registry.remove(&served.group, version, &served.plural);
                }
            }
            for kind in &served.kinds {
                let still = new_descriptors.iter().any(|d| {
                    d.group == kind.group && d.version == kind.version && d.kind == kind.kind
                });
                if !still {
                    self.openapi.remove_schema(kind);
                }
            }
        }
        self.catalog.update(|all| {
            all.retain(|r| !gone.iter().any(|(g, p)| r.group == *g && r.plural == *p));
            all.extend(new_descriptors);
        });
    }

    /// The store of one served version of a CRD, if served (for tests and
    /// the cleanup).
    pub async fn served_store(&self, crd: &str) -> Option<Arc<ResourceStore>> {
        let state = self.state.lock().await;
        state.served.get(crd)?.stores.first().cloned()
    }
}

/// Writes `naming`'s names and conditions into a CRD's status, if they
/// differ from what it says.
async fn write_status(crds: &ResourceStore, name: &str, naming: &Naming) -> Result<(), ApiError> {
    let current = crds.get(None, name, Some("0")).await?;
    let wanted = status_with(&current.object, naming);
    if current.object.get("status") == Some(&wanted) {
        return Ok(());
    }
    crds.guaranteed_update(
        None,
        name,
        Part::Status,
        &WriteOptions::default(),
        |object| {
            let mut new = object.clone();
            new["status"] = status_with(object, naming);
            Ok(new)
        },
    )
    .await
    .map(|_| ())
}

/// The status `crd` should have after `naming`.
fn status_with(crd: &Value, naming: &Naming) -> Value {
    let mut status = crd.get("status").cloned().unwrap_or_else(|| json!({}));
    if !status.is_object() {
        status = json!({});
    }
    if !naming.accepted.plural.is_empty() {
        status["acceptedNames"] = naming.accepted.to_value();
    }
    let mut conditions: Vec<Value> = status
        .get("conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let unchanged =
        |conditions: &[Value], kind: &str, status: &str, reason: &str, message: &str| {
            conditions.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some(kind)
                    && c.get("status").and_then(Value::as_str) == Some(status)
                    && c.get("reason").and_then(Value::as_str) == Some(reason)
                    && c.get("message").and_then(Value::as_str) == Some(message)
            })
        };
    let now = now_rfc3339();
    if !unchanged(
        &conditions,
        "NamesAccepted",
        naming.status,
        naming.reason,
        &naming.message,
    ) {
        names::set_condition(
            &mut conditions,
            names::condition(
                "NamesAccepted",
                naming.status,
                naming.reason,
                &naming.message,
                &now,
            ),
        );
    }
    let established = condition_true(crd, "Established");
    if naming.status == "True" || !naming.accepted.plural.is_empty() {
        if !established {
            names::set_condition(
                &mut conditions,
                names::condition(
                    "Established",
                    "True",
                    "InitialNamesAccepted",
                    "the initial names have been accepted",
                    &now,
                ),
            );
        }
    } else if !unchanged(
        &conditions,
        "Established",
        "False",
        "NotAccepted",
        "not all names are accepted",
    ) {
        names::set_condition(
            &mut conditions,
            names::condition(
                "Established",
                "False",
                "NotAccepted",
                "not all names are accepted",
                &now,
            ),
        );
    }
    status["conditions"] = json!(conditions);
    status
}

/// Follows the CRDs from `revision`; lists again whenever the watch ends.
async fn follow(controller: std::sync::Weak<CrdController>, mut revision: u64) {
    let mut backoff = Duration::from_millis(50);
    loop {
        let Some(this) = controller.upgrade() else {
            return;
        };
        let options = ReadOptions {
            resource_version: Some(revision.to_string()),
            allow_bookmarks: true,
            ..ReadOptions::default()
        };
        let filter = Filter::everything(this.crds.strategy.clone(), None);
        let mut watch = match this.crds.watch(None, &options, filter).await {
            Ok(watch) => watch,
            Err(e) => {
                tracing::info!(error = %e.message, "CRD watch failed; listing again");
                drop(this);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                let Some(this) = controller.upgrade() else {
                    return;
                };
                if let Ok(r) = this.resync().await {
                    revision = r;
                }
                continue;
            }
        };
        backoff = Duration::from_millis(50);
        drop(this);
        while let Some(item) = watch.next().await {
            let Some(this) = controller.upgrade() else {
                return;
            };
            // Take whatever else has arrived, to handle it together.
            let mut items = vec![item];
            while let Some(Some(next)) = futures::FutureExt::now_or_never(watch.next()) {
                items.push(next);
            }
            let mut changed = HashSet::new();
            for item in items {
                match item {
                    WatchItem::Event { kind, object } => {
                        changed.insert(this.record(kind, &object.object).await);
                        revision = revision.max(object.revision);
                    }
                    WatchItem::Bookmark { revision: r, .. } => revision = revision.max(r),
                }
            }
            if !changed.is_empty() {
                this.reconcile(changed).await;
            }
        }
    }
}
