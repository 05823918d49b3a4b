//! kube-rs against `keelson up`, on both backends: what informers and
//! paging clients rely on — pages at one resourceVersion with
//! `remainingItemCount`, watches resumed from a resourceVersion, 410 for a
//! forgotten one, bookmarks, and WatchList streams
//! (`watcher::Config::streaming_lists`).

mod cluster;

use std::time::Duration;

use cluster::Cluster;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, ListParams, PostParams, WatchEvent, WatchParams};
use kube::runtime::watcher::{self, Event};

/// How long a test waits for something the server owes it.
const DEADLINE: Duration = Duration::from_secs(20);

/// The label of this file's ConfigMaps: lists and watches select them,
/// so the controllers' own objects (`kube-root-ca.crt`) stay out.
const MINE: &str = "test=kube-client";

fn configmap(name: &str) -> ConfigMap {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": name, "labels": {"test": "kube-client"}},
        "data": {"k": "v"},
    }))
    .unwrap()
}

/// The next watcher event, within the deadline.
async fn next(
    events: &mut futures::stream::BoxStream<'static, Result<Event<ConfigMap>, watcher::Error>>,
) -> Event<ConfigMap> {
    tokio::time::timeout(DEADLINE, events.try_next())
        .await
        .expect("an event in time")
        .expect("no watcher error")
        .expect("the stream stays open")
}

async fn configmaps(cluster: &Cluster) -> Api<ConfigMap> {
    Api::namespaced(cluster.keelson.client().await.unwrap(), "default")
}

on_both_backends! {
    // Secrets, which nothing else in the cluster writes: a count of what
    // remains comes only with lists that select no labels.
    async fn pages_share_one_resource_version_and_count_what_remains(cluster: Cluster) {
        let api: Api<Secret> = Api::namespaced(cluster.client().await, "default");
        let secret = |name: String| -> Secret {
            serde_json::from_value(serde_json::json!({"metadata": {"name": name}})).unwrap()
        };
        for i in 0..7 {
            api.create(&PostParams::default(), &secret(format!("s-{i}"))).await.unwrap();
        }
        let first = api.list(&ListParams::default().limit(3)).await.unwrap();
        assert_eq!(first.items.len(), 3);
        assert_eq!(first.metadata.remaining_item_count, Some(4));
        let version = first.metadata.resource_version.clone();
        // A change between pages does not show up in later pages.
        api.create(&PostParams::default(), &secret("s-late".into())).await.unwrap();
        let mut names: Vec<String> = first.items.iter().filter_map(|c| c.metadata.name.clone()).collect();
        let mut token = first.metadata.continue_.clone();
        while let Some(t) = token.filter(|t| !t.is_empty()) {
            let page = api.list(&ListParams::default().limit(3).continue_token(&t)).await.unwrap();
            assert_eq!(page.metadata.resource_version, version);
            names.extend(page.items.iter().filter_map(|c| c.metadata.name.clone()));
            token = page.metadata.continue_;
        }
        let expected: Vec<String> = (0..7).map(|i| format!("s-{i}")).collect();
        assert_eq!(names, expected);
    }

    async fn a_watch_resumes_from_a_resource_version_without_gaps(cluster: Cluster) {
        let api = configmaps(&cluster).await;
        let first = api.create(&PostParams::default(), &configmap("a")).await.unwrap();
        let from = first.metadata.resource_version.clone().unwrap();
        // Written before the watch starts, after `from`: must be replayed.
        api.create(&PostParams::default(), &configmap("b")).await.unwrap();
        let mut stream = api.watch(&WatchParams::default().labels(MINE), &from).await.unwrap().boxed();
        api.create(&PostParams::default(), &configmap("c")).await.unwrap();
        let mut seen = Vec::new();
        while seen.len() < 2 {
            let event = tokio::time::timeout(DEADLINE, stream.try_next())
                .await
                .expect("an event in time")
                .unwrap()
                .expect("the watch stays open");
            if let WatchEvent::Added(cm) = event {
                seen.push(cm.metadata.name.unwrap());
            }
        }
        assert_eq!(seen, ["b", "c"]);
    }

    async fn a_watch_from_a_forgotten_version_reports_410(cluster: Cluster) {
        let api = configmaps(&cluster).await;
        // Revision 1 is older than the watch cache's window (it starts when
        // the server does, after the system namespaces are created).
        let mut stream = api.watch(&WatchParams::default().labels(MINE), "1").await.unwrap().boxed();
        let event = tokio::time::timeout(DEADLINE, stream.try_next())
            .await
            .expect("an answer in time");
        match event {
            Ok(Some(WatchEvent::Error(status))) => {
                assert_eq!(status.code, 410);
                assert_eq!(status.reason, "Expired");
            }
            other => panic!("expected a 410 ERROR event, got {other:?}"),
        }
        // A watcher re-lists and carries on, as informers do.
        let mut events = watcher::watcher(api.clone(), watcher::Config::default().labels(MINE)).boxed();
        assert!(matches!(next(&mut events).await, Event::Init));
    }

    // kube-rs asks for bookmarks by default (`allowWatchBookmarks=true`).
    async fn an_idle_watch_gets_bookmarks(cluster: Cluster) {
        let api = configmaps(&cluster).await;
        let list = api.list(&ListParams::default().labels(MINE)).await.unwrap();
        let version = list.metadata.resource_version.unwrap();
        let mut stream = api
            .watch(&WatchParams::default().labels(MINE), &version)
            .await
            .unwrap()
            .boxed();
        let event = tokio::time::timeout(DEADLINE, stream.try_next())
            .await
            .expect("a bookmark within the deadline")
            .unwrap()
            .expect("the watch stays open");
        match event {
            WatchEvent::Bookmark(bookmark) => {
                let at: u64 = bookmark.metadata.resource_version.parse().unwrap();
                assert!(at >= version.parse::<u64>().unwrap());
            }
            other => panic!("expected a bookmark, got {other:?}"),
        }
    }

    async fn a_streaming_list_watcher_gets_initial_objects_then_changes(cluster: Cluster) {
        let api = configmaps(&cluster).await;
        for name in ["a", "b"] {
            api.create(&PostParams::default(), &configmap(name)).await.unwrap();
        }
        let mut events = watcher::watcher(api.clone(), watcher::Config::default().labels(MINE).streaming_lists()).boxed();
        assert!(matches!(next(&mut events).await, Event::Init), "first comes Init");
        let mut initial = Vec::new();
        loop {
            match next(&mut events).await {
                Event::InitApply(cm) => initial.push(cm.metadata.name.unwrap()),
                Event::InitDone => break,
                other => panic!("unexpected {other:?} before InitDone"),
            }
        }
        initial.sort();
        assert_eq!(initial, ["a", "b"]);
        api.create(&PostParams::default(), &configmap("c")).await.unwrap();
        match next(&mut events).await {
            Event::Apply(cm) => assert_eq!(cm.metadata.name.as_deref(), Some("c")),
            other => panic!("expected the live create, got {other:?}"),
        }
    }
}
