//! Caches of the objects quotas count: one watch per resource, started the
//! first time a quota names something that resource uses (so a quota on
//! `count/widgets.example.com` is followed as well as one on `pods`), each
//! keeping its objects by namespace and reporting which namespace changed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

/// A resource by group and plural (`("apps", "replicasets")`).
pub type Resource = (String, String);

/// What a cache reports after a watch event.
#[derive(Debug)]
pub enum Change {
    /// Something in this namespace changed.
    Namespace(String),
    /// A watch (re)listed everything: every namespace may have changed.
    All,
}

/// Whether a resource's objects can be counted yet.
#[derive(Debug, PartialEq)]
pub enum Readiness {
    Ready,
    /// Its watch has not listed everything yet; it reports [`Change::All`]
    /// when it has.
    Listing,
    /// The API server does not serve it (not yet: a CRD may come later).
    Unknown,
}

/// How long an unknown resource is not looked up again.
const LOOKUP_AGAIN_AFTER: Duration = Duration::from_secs(10);

/// The caches, by resource.
pub struct Monitors {
    client: Client,
    changes: UnboundedSender<Change>,
    caches: HashMap<Resource, Monitor>,
    unknown: HashMap<Resource, Instant>,
}

struct Monitor {
    cache: Arc<Mutex<Cache>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Default)]
struct Cache {
    ready: bool,
    /// Namespace → name → object.
    objects: HashMap<String, HashMap<String, Value>>,
    /// What a relist has gathered so far.
    relisting: HashMap<String, HashMap<String, Value>>,
}

impl Monitors {
    pub fn new(client: Client, changes: UnboundedSender<Change>) -> Monitors {
        Monitors {
            client,
            changes,
            caches: HashMap::new(),
            unknown: HashMap::new(),
        }
    }

    /// Whether `resource` can be counted, starting its watch if this is the
    /// first time it is asked for.
    pub async fn ensure(&mut self, resource: &Resource) -> Readiness {
        if let Some(monitor) = self.caches.get(resource) {
            return match monitor.cache.lock().expect("quota cache").ready {
                true => Readiness::Ready,
                false => Readiness::Listing,
            };
        }
        if self
            .unknown
            .get(resource)
            .is_some_and(|since| since.elapsed() < LOOKUP_AGAIN_AFTER)
        {
            return Readiness::Unknown;
        }
        let Some(api_resource) = discover(&self.client, resource).await else {
            self.unknown.insert(resource.clone(), Instant::now());
            return Readiness::Unknown;
        };
        self.unknown.remove(resource);
        let cache = Arc::new(Mutex::new(Cache::default()));
        let api: Api<DynamicObject> = Api::all_with(self.client.clone(), &api_resource);
        let task = tokio::spawn(follow(
            resource.clone(),
            api,
            cache.clone(),
            self.changes.clone(),
        ));
        self.caches
            .insert(resource.clone(), Monitor { cache, task });
        Readiness::Listing
    }

    /// Calls `each` with every cached object of `resource` in `namespace`.
    pub fn for_each(&self, resource: &Resource, namespace: &str, mut each: impl FnMut(&Value)) {
        let Some(monitor) = self.caches.get(resource) else {
            return;
        };
        let cache = monitor.cache.lock().expect("quota cache");
        for object in cache
            .objects
            .get(namespace)
            .into_iter()
            .flat_map(|o| o.values())
        {
            each(object);
        }
    }

    /// The namespaces `resource` has objects in.
    pub fn namespaces(&self, resource: &Resource) -> Vec<String> {
        self.caches.get(resource).map_or_else(Vec::new, |monitor| {
            let cache = monitor.cache.lock().expect("quota cache");
            cache.objects.keys().cloned().collect()
        })
    }
}

/// The served version of `resource`, by discovery; `None` when it is not
/// served, or not namespaced (quotas count namespaced objects only).
async fn discover(client: &Client, (group, plural): &Resource) -> Option<ApiResource> {
    let group = match kube::discovery::group(client, group).await {
        Ok(group) => group,
        Err(error) => {
            tracing::debug!(%error, group, "resourcequota: group not served");
            return None;
        }
    };
    group
        .recommended_resources()
        .into_iter()
        .find(|(resource, capabilities)| {
            resource.plural == *plural && capabilities.scope == kube::discovery::Scope::Namespaced
        })
        .map(|(resource, _)| resource)
}

/// Keeps `cache` up to date with the watch of `api` until aborted.
async fn follow(
    resource: Resource,
    api: Api<DynamicObject>,
    cache: Arc<Mutex<Cache>>,
    changes: UnboundedSender<Change>,
) {
    watcher(api, watcher::Config::default())
        .default_backoff()
        .for_each(|event| {
            let change = match event {
                Ok(event) => apply(&resource, &cache, event),
                Err(error) => {
                    tracing::debug!(%error, "resourcequota: watch failed; retrying");
                    None
                }
            };
            if let Some(change) = change {
                // The receiver is gone only when the controller stops.
                let _ = changes.send(change);
            }
            async {}
        })
        .await;
}

fn apply(
    resource: &Resource,
    cache: &Mutex<Cache>,
    event: watcher::Event<DynamicObject>,
) -> Option<Change> {
    let mut cache = cache.lock().expect("quota cache");
    match event {
        watcher::Event::Init => {
            cache.relisting.clear();
            None
        }
        watcher::Event::InitApply(object) => {
            let (namespace, name, value) = entry(object)?;
            cache
                .relisting
                .entry(namespace)
                .or_default()
                .insert(name, value);
            None
        }
        watcher::Event::InitDone => {
            cache.objects = std::mem::take(&mut cache.relisting);
            cache.ready = true;
            Some(Change::All)
        }
        watcher::Event::Apply(object) => {
            let (namespace, name, value) = entry(object)?;
            let objects = cache.objects.entry(namespace.clone()).or_default();
            let recount = match objects.get(&name) {
                Some(old) => recount_after_update(resource, old, &value),
                None => recount_after_create(resource, &value),
            };
            objects.insert(name, value);
            recount.then_some(Change::Namespace(namespace))
        }
        watcher::Event::Delete(object) => {
            let (namespace, name, _) = entry(object)?;
            let objects = cache.objects.get_mut(&namespace)?;
            objects.remove(&name);
            if objects.is_empty() {
                cache.objects.remove(&namespace);
            }
            Some(Change::Namespace(namespace))
        }
    }
}

/// Whether a new object calls for a recount: only a quota that has not
/// been counted yet (admission has charged every other object already).
fn recount_after_create((group, plural): &Resource, object: &Value) -> bool {
    (group.as_str(), plural.as_str()) == ("", "resourcequotas")
        && object["spec"]["hard"] != object["status"]["hard"]
}

/// Whether an update calls for a recount: a quota whose limits changed,
/// or an object that now uses less (a pod that finished, a Service that
/// is no longer a NodePort). Usage that grows was charged by admission;
/// recounting it from a cache that may lag the quota could undercount.
fn recount_after_update(resource: &Resource, old: &Value, new: &Value) -> bool {
    let (group, plural) = (resource.0.as_str(), resource.1.as_str());
    if (group, plural) == ("", "resourcequotas") {
        return new["spec"]["hard"] != new["status"]["hard"];
    }
    let before = crate::quota::usage(group, plural, old);
    let after = crate::quota::usage(group, plural, new);
    before
        .iter()
        .any(|(name, amount)| after.get(name).is_none_or(|now| now.0 < amount.0))
}

fn entry(object: DynamicObject) -> Option<(String, String, Value)> {
    let namespace = object.metadata.namespace.clone()?;
    let name = object.metadata.name.clone()?;
    Some((namespace, name, serde_json::to_value(object).ok()?))
}
