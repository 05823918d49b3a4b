//! Reflector-backed caches of one kind: [`start`] for controllers that
//! look at the whole cluster on a timer (node lifecycle, pod GC) or only
//! read the cache; [`reflected`] for those that also react to its changes.

use futures::{Stream, StreamExt};
use kube::api::Api;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};

/// Starts a watch of `api` kept in a store; the task runs until aborted.
pub fn start<K>(api: Api<K>) -> (Store<K>, tokio::task::JoinHandle<()>)
where
    K: kube::Resource<DynamicType = ()>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned
        + Send
        + Sync
        + 'static,
{
    let (store, writer) = reflector::store();
    let task = tokio::spawn(async move {
        watcher(api, watcher::Config::default())
            .default_backoff()
            .reflect(writer)
            .for_each(|event| async move {
                if let Err(error) = event {
                    tracing::debug!(%error, "informer: watch failed; retrying");
                }
            })
            .await;
    });
    (store, task)
}

/// A watch of every `K` kept in a store, and the objects that change, for
/// a controller's `watches_stream`. The store is updated before an object
/// comes out, so a reconcile it triggers sees it.
pub fn reflected<K>(
    client: &kube::Client,
) -> (
    Store<K>,
    impl Stream<Item = Result<K, watcher::Error>> + Send + 'static,
)
where
    K: kube::Resource<DynamicType = ()>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned
        + Send
        + Sync
        + 'static,
{
    let (store, writer) = reflector::store();
    let changes = watcher(Api::<K>::all(client.clone()), watcher::Config::default())
        .default_backoff()
        .reflect(writer)
        .touched_objects();
    (store, changes)
}
