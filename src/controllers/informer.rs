//! Reflector-backed caches of one kind: [`start`] for controllers that
//! look at the whole cluster on a timer (node lifecycle, pod GC) or only
//! read the cache; [`reflected`] for those that also react to its changes.

use futures::{Stream, StreamExt};
use kube::api::Api;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};

/// What a cached kind must be.
pub trait Cached:
    kube::Resource<DynamicType = ()>
    + Clone
    + std::fmt::Debug
    + serde::de::DeserializeOwned
    + Send
    + Sync
    + 'static
{
}

impl<K> Cached for K where
    K: kube::Resource<DynamicType = ()>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned
        + Send
        + Sync
        + 'static
{
}

/// A watch of `api` kept in a store, and the objects that change. The
/// store is updated before an object comes out, so a reconcile it
/// triggers sees it.
fn watch<K: Cached>(
    api: Api<K>,
) -> (
    Store<K>,
    impl Stream<Item = Result<K, watcher::Error>> + Send + 'static,
) {
    let (store, writer) = reflector::store();
    let changes = watcher(api, watcher::Config::default())
        .default_backoff()
        .reflect(writer)
        .touched_objects();
    (store, changes)
}

/// Starts a watch of `api` kept in a store; the task runs until aborted.
pub fn start<K: Cached>(api: Api<K>) -> (Store<K>, tokio::task::JoinHandle<()>) {
    let (store, changes) = watch(api);
    let task = tokio::spawn(changes.for_each(|change| async move {
        if let Err(error) = change {
            tracing::debug!(%error, "informer: watch failed; retrying");
        }
    }));
    (store, task)
}

/// A watch of every `K` kept in a store, and the objects that change, for
/// a controller's `watches_stream`.
pub fn reflected<K: Cached>(
    client: &kube::Client,
) -> (
    Store<K>,
    impl Stream<Item = Result<K, watcher::Error>> + Send + 'static,
) {
    watch(Api::all(client.clone()))
}
