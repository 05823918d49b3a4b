//! What only the embedded backend promises: its file survives a restart,
//! slow watchers cannot stall writers, and compaction bounds the file.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use keelson::storage::embedded::{EmbeddedOptions, EmbeddedStorage};
use keelson::storage::{ListOptions, Storage, StorageError, WatchEvent};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopening_keeps_data_revision_and_compaction_point() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStorage::open(dir.path()).unwrap();
    let a = store.create("/k/a", Bytes::from("a1")).await.unwrap();
    let a2 = store
        .update("/k/a", Bytes::from("a2"), a.mod_revision)
        .await
        .unwrap();
    store.create("/k/b", Bytes::from("b")).await.unwrap();
    let (_, deleted) = store.delete("/k/b", None).await.unwrap();
    store.compact(a2.mod_revision).await.unwrap();
    store.close().await;

    let store = EmbeddedStorage::open(dir.path()).unwrap();
    assert_eq!(store.current_revision().await.unwrap(), deleted);
    assert_eq!(store.get("/k/a").await.unwrap().0, Some(a2.clone()));
    assert_eq!(store.get("/k/b").await.unwrap().0, None);
    let err = store
        .list(
            "/k/",
            ListOptions {
                revision: a.mod_revision,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Compacted { .. }), "{err:?}");
    let next = store.create("/k/c", Bytes::from("c")).await.unwrap();
    assert_eq!(next.mod_revision, deleted + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_watcher_is_cut_off_and_writers_never_wait_for_it() {
    const BUFFER: usize = 32;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        EmbeddedStorage::open_with(
            dir.path(),
            EmbeddedOptions {
                watch_buffer: BUFFER,
                ..Default::default()
            },
        )
        .unwrap(),
    );
    let mut slow = store.watch("/s/", 0).await.unwrap();
    let mut fast = store.watch("/s/", 0).await.unwrap();
    let reader = tokio::spawn(async move {
        let mut seen = 0;
        while let Some(event) = fast.next().await {
            event.expect("the fast watcher keeps up");
            seen += 1;
            if seen == BUFFER * 4 {
                break;
            }
        }
        seen
    });
    // Four buffers' worth of writes finish although `slow` reads nothing.
    for i in 0..BUFFER * 4 {
        tokio::time::timeout(
            Duration::from_secs(10),
            store.create(&format!("/s/{i}"), Bytes::from("v")),
        )
        .await
        .expect("a write was held up by a slow watcher")
        .unwrap();
    }
    assert_eq!(reader.await.unwrap(), BUFFER * 4);

    // The slow watcher gets what fit in its buffer, then the error, then the end.
    let mut delivered = 0;
    let error = loop {
        match slow.next().await {
            Some(Ok(WatchEvent::Put { .. })) => delivered += 1,
            Some(Ok(other)) => panic!("unexpected {other:?}"),
            Some(Err(error)) => break error,
            None => panic!("the stream ended without an error"),
        }
    };
    assert_eq!(delivered, BUFFER);
    assert!(
        matches!(error, StorageError::WatcherTooSlow { .. }),
        "{error:?}"
    );
    assert!(error.is_expired());
    assert!(slow.next().await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regular_compaction_keeps_the_file_from_growing() {
    const KEYS: usize = 50;
    const ROUNDS: usize = 40;
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStorage::open(dir.path()).unwrap();
    let value = Bytes::from(vec![b'x'; 16 * 1024]);
    let mut revisions = vec![0; KEYS];
    let mut sizes = Vec::new();
    for round in 0..ROUNDS {
        for (i, revision) in revisions.iter_mut().enumerate() {
            let key = format!("/grow/{i}");
            let kv = if round == 0 {
                store.create(&key, value.clone()).await.unwrap()
            } else {
                store.update(&key, value.clone(), *revision).await.unwrap()
            };
            *revision = kv.mod_revision;
        }
        store
            .compact(store.current_revision().await.unwrap())
            .await
            .unwrap();
        sizes.push(std::fs::metadata(store.path()).unwrap().len());
    }
    // Each round writes ~800 KiB; without reclaiming, 40 rounds would grow
    // the file by ~30 MiB after round 10.
    let settled = sizes[9];
    let last = *sizes.last().unwrap();
    assert!(
        last <= settled * 2,
        "file grew from {settled} to {last} bytes despite compaction: {sizes:?}"
    );
}
