//! The scheduler's watches (pods, nodes, priority classes), each a
//! `kube` watcher whose events are forwarded to the scheduling loop
//! through one channel, so that the loop alone owns the cache and the
//! queue.

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::api::scheduling::v1::PriorityClass;
use kube::Client;
use kube::api::Api;
use kube::runtime::{WatchStreamExt, watcher};
use tokio::sync::mpsc::UnboundedSender;

/// One change seen by a watch.
pub enum Update {
    Pod(Box<watcher::Event<Pod>>),
    Node(Box<watcher::Event<Node>>),
    PriorityClass(Box<watcher::Event<PriorityClass>>),
}

fn pod(event: watcher::Event<Pod>) -> Update {
    Update::Pod(Box::new(event))
}

fn node(event: watcher::Event<Node>) -> Update {
    Update::Node(Box::new(event))
}

fn priority_class(event: watcher::Event<PriorityClass>) -> Update {
    Update::PriorityClass(Box::new(event))
}

async fn forward<K>(
    api: Api<K>,
    wrap: fn(watcher::Event<K>) -> Update,
    updates: UnboundedSender<Update>,
) where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + 'static,
{
    let config = watcher::Config::default();
    let mut events = watcher(api, config).default_backoff().boxed();
    while let Some(event) = events.next().await {
        match event {
            Ok(event) => {
                if updates.send(wrap(event)).is_err() {
                    return;
                }
            }
            Err(error) => tracing::warn!(%error, "scheduler: watch failed; retrying"),
        }
    }
}

/// Starts the watches; they end when the receiver is dropped.
pub fn start(
    client: &Client,
    updates: UnboundedSender<Update>,
) -> Vec<tokio::task::JoinHandle<()>> {
    vec![
        tokio::spawn(forward(
            Api::<Pod>::all(client.clone()),
            pod,
            updates.clone(),
        )),
        tokio::spawn(forward(
            Api::<Node>::all(client.clone()),
            node,
            updates.clone(),
        )),
        tokio::spawn(forward(
            Api::<PriorityClass>::all(client.clone()),
            priority_class,
            updates,
        )),
    ]
}
