//! A reflector-backed cache of one kind, for controllers that look at the
//! whole cluster on a timer (node lifecycle, pod GC) rather than
//! reconcile one object per event.

use futures::StreamExt;
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
