//! The storage contract (DESIGN.md, "Storage contract"), run against every
//! backend: each test below is instantiated once per backend by
//! `contract_suite!`, with a fresh store of its own.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use keelson::storage::{
    KeyValue, ListOptions, MAX_VALUE_BYTES, Revision, StorageError, WatchEvent, WatchStream,
};
use support::TestStore;

/// How long a test waits for an event it expects.
const EVENT_DEADLINE: Duration = Duration::from_secs(10);

macro_rules! contract_suite {
    ($backend:ident: $($test:ident),* $(,)?) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $test() {
                    let store = super::support::$backend().await;
                    super::$test(&store).await;
                }
            )*
        }
    };
}

macro_rules! contract_tests {
    ($($backend:ident),*) => {
        $(
            contract_suite!($backend:
                create_then_get,
                create_existing_key_fails,
                update_is_compare_and_swap,
                delete_is_compare_and_swap,
                recreate_after_delete_starts_new_life,
                every_write_takes_the_next_revision,
                list_respects_prefix_and_key_order,
                list_pages_are_one_consistent_snapshot,
                list_at_an_older_revision,
                list_revision_out_of_range,
                count_counts_live_keys,
                watch_from_zero_replays_history,
                watch_from_now_sees_only_new_changes,
                watch_from_a_past_revision,
                watch_sees_only_its_prefix,
                watch_under_concurrent_writers_sees_each_write_once_in_order,
                watch_progress_follows_events,
                watch_from_the_future_is_refused,
                compaction_drops_history_but_keeps_latest,
                watch_from_before_compaction_fails,
                values_of_one_and_a_half_mebibytes,
                ten_thousand_keys,
                bad_input_gets_typed_errors,
            );
        )*
    };
}

contract_tests!(embedded, etcd);

fn val(s: &str) -> Bytes {
    Bytes::from(s.to_owned())
}

/// The next item of a watch, or a panic naming what was expected.
async fn next_event(watch: &mut WatchStream, what: &str) -> WatchEvent {
    match tokio::time::timeout(EVENT_DEADLINE, watch.next()).await {
        Ok(Some(Ok(event))) => event,
        Ok(Some(Err(e))) => panic!("watch failed while waiting for {what}: {e}"),
        Ok(None) => panic!("watch ended while waiting for {what}"),
        Err(_) => panic!("no event within {EVENT_DEADLINE:?} while waiting for {what}"),
    }
}

/// The next non-progress event of a watch.
async fn next_change(watch: &mut WatchStream, what: &str) -> WatchEvent {
    loop {
        match next_event(watch, what).await {
            WatchEvent::Progress { .. } => continue,
            event => return event,
        }
    }
}

/// Asserts nothing but progress arrives before a progress at `revision`.
async fn expect_quiet_until(watch: &mut WatchStream, revision: Revision) {
    watch.request_progress();
    loop {
        match next_event(watch, "a progress notification").await {
            WatchEvent::Progress { revision: r } if r >= revision => return,
            WatchEvent::Progress { .. } => watch.request_progress(),
            event => panic!("expected no change, got {event:?}"),
        }
    }
}

fn put_of(event: &WatchEvent) -> (&KeyValue, Option<&KeyValue>) {
    match event {
        WatchEvent::Put { kv, prev } => (kv, prev.as_ref()),
        other => panic!("expected a put, got {other:?}"),
    }
}

async fn create_then_get(s: &TestStore) {
    let before = s.current_revision().await.unwrap();
    let kv = s
        .create("/registry/cm/default/a", val("one"))
        .await
        .unwrap();
    assert_eq!(kv.key, "/registry/cm/default/a");
    assert_eq!(kv.value, val("one"));
    assert_eq!(kv.create_revision, before + 1);
    assert_eq!(kv.mod_revision, before + 1);
    assert_eq!(kv.version, 1);

    let (got, served) = s.get("/registry/cm/default/a").await.unwrap();
    assert_eq!(got, Some(kv.clone()));
    assert!(served >= kv.mod_revision);

    let (missing, served) = s.get("/registry/cm/default/b").await.unwrap();
    assert_eq!(missing, None);
    assert_eq!(served, kv.mod_revision);
    assert_eq!(s.current_revision().await.unwrap(), kv.mod_revision);
}

async fn create_existing_key_fails(s: &TestStore) {
    let kv = s.create("/k/a", val("one")).await.unwrap();
    let err = s.create("/k/a", val("two")).await.unwrap_err();
    assert!(
        matches!(err, StorageError::AlreadyExists { ref key } if key == "/k/a"),
        "{err:?}"
    );
    // A refused write takes no revision and changes nothing.
    assert_eq!(s.current_revision().await.unwrap(), kv.mod_revision);
    assert_eq!(s.get("/k/a").await.unwrap().0.unwrap().value, val("one"));
}

async fn update_is_compare_and_swap(s: &TestStore) {
    let v1 = s.create("/k/a", val("one")).await.unwrap();
    let v2 = s.update("/k/a", val("two"), v1.mod_revision).await.unwrap();
    assert_eq!(v2.create_revision, v1.create_revision);
    assert_eq!(v2.mod_revision, v1.mod_revision + 1);
    assert_eq!(v2.version, 2);
    assert_eq!(v2.value, val("two"));

    // A stale expectation loses and reports what it lost to.
    let err = s
        .update("/k/a", val("three"), v1.mod_revision)
        .await
        .unwrap_err();
    match err {
        StorageError::Conflict {
            key,
            expected,
            current,
        } => {
            assert_eq!(key, "/k/a");
            assert_eq!(expected, v1.mod_revision);
            assert_eq!(current.as_deref(), Some(&v2));
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert_eq!(s.current_revision().await.unwrap(), v2.mod_revision);

    let err = s
        .update("/k/missing", val("x"), v2.mod_revision)
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::NotFound { .. }), "{err:?}");
    assert_eq!(s.get("/k/a").await.unwrap().0, Some(v2));
}

async fn delete_is_compare_and_swap(s: &TestStore) {
    let v1 = s.create("/k/a", val("one")).await.unwrap();
    let v2 = s.update("/k/a", val("two"), v1.mod_revision).await.unwrap();

    let err = s.delete("/k/a", Some(v1.mod_revision)).await.unwrap_err();
    match err {
        StorageError::Conflict { current, .. } => assert_eq!(current.as_deref(), Some(&v2)),
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert!(s.get("/k/a").await.unwrap().0.is_some());

    let (deleted, revision) = s.delete("/k/a", Some(v2.mod_revision)).await.unwrap();
    assert_eq!(deleted, v2);
    assert_eq!(revision, v2.mod_revision + 1);
    assert_eq!(s.get("/k/a").await.unwrap(), (None, revision));

    let err = s.delete("/k/a", None).await.unwrap_err();
    assert!(matches!(err, StorageError::NotFound { .. }), "{err:?}");

    // Unconditional delete.
    s.create("/k/b", val("b")).await.unwrap();
    let (deleted, _) = s.delete("/k/b", None).await.unwrap();
    assert_eq!(deleted.value, val("b"));
    assert_eq!(s.get("/k/b").await.unwrap().0, None);
}

async fn recreate_after_delete_starts_new_life(s: &TestStore) {
    let v1 = s.create("/k/a", val("one")).await.unwrap();
    let v2 = s.update("/k/a", val("two"), v1.mod_revision).await.unwrap();
    s.delete("/k/a", None).await.unwrap();
    let again = s.create("/k/a", val("again")).await.unwrap();
    assert_eq!(again.version, 1);
    assert_eq!(again.create_revision, v2.mod_revision + 2);
    assert_eq!(again.mod_revision, again.create_revision);
}

async fn every_write_takes_the_next_revision(s: &TestStore) {
    let mut last = s.current_revision().await.unwrap();
    for i in 0..20 {
        let key = format!("/seq/{}", i % 5);
        let revision = match s.get(&key).await.unwrap().0 {
            None => s.create(&key, val("v")).await.unwrap().mod_revision,
            Some(kv) if i % 3 == 0 => s.delete(&key, Some(kv.mod_revision)).await.unwrap().1,
            Some(kv) => {
                s.update(&key, val("w"), kv.mod_revision)
                    .await
                    .unwrap()
                    .mod_revision
            }
        };
        assert_eq!(revision, last + 1, "write {i}");
        last = revision;
    }
    assert_eq!(s.current_revision().await.unwrap(), last);
}

async fn list_respects_prefix_and_key_order(s: &TestStore) {
    for key in ["/r/b", "/r/a", "/r/c/x", "/rb/a", "/q/a", "/r/"] {
        s.create(key, val(key)).await.unwrap();
    }
    let list = s.list("/r/", ListOptions::default()).await.unwrap();
    let keys: Vec<_> = list.items.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(keys, ["/r/", "/r/a", "/r/b", "/r/c/x"]);
    assert!(list.items.iter().all(|kv| kv.value == val(&kv.key)));
    assert_eq!(list.revision, s.current_revision().await.unwrap());
    assert!(!list.more);
    assert_eq!(list.remaining, 0);

    let empty = s.list("/nothing/", ListOptions::default()).await.unwrap();
    assert!(empty.items.is_empty());
    assert!(!empty.more);
}

async fn list_pages_are_one_consistent_snapshot(s: &TestStore) {
    for i in 0..200 {
        s.create(&format!("/page/{i:04}"), val(&format!("v{i}")))
            .await
            .unwrap();
    }
    let snapshot: BTreeMap<String, Bytes> = s
        .list("/page/", ListOptions::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|kv| (kv.key, kv.value))
        .collect();

    let first = s
        .list(
            "/page/",
            ListOptions {
                limit: 7,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let at = first.revision;
    assert_eq!(first.items.len(), 7);
    assert!(first.more);
    assert_eq!(first.remaining, 193);

    let mut seen: BTreeMap<String, Bytes> = BTreeMap::new();
    let mut page = first;
    let mut pages = 1;
    loop {
        for kv in &page.items {
            seen.insert(kv.key.clone(), kv.value.clone());
        }
        if !page.more {
            assert_eq!(page.remaining, 0);
            break;
        }
        // Change the store between pages: the pages must not see it.
        let i = pages * 3;
        let victim = format!("/page/{:04}", i);
        if let Some(kv) = s.get(&victim).await.unwrap().0 {
            s.update(&victim, val("changed"), kv.mod_revision)
                .await
                .unwrap();
        }
        let doomed = format!("/page/{:04}", 199 - i);
        let _ = s.delete(&doomed, None).await;
        s.create(&format!("/page/{:04}x", i), val("new"))
            .await
            .unwrap();

        let last_key = &page.items.last().unwrap().key;
        let next = s
            .list(
                "/page/",
                ListOptions {
                    start_key: Some(format!("{last_key}\0")),
                    limit: 7,
                    revision: at,
                },
            )
            .await;
        // Keys may not contain NUL, but a start key just past the last one is
        // what a continue token holds; backends must accept it.
        page = next.unwrap();
        assert_eq!(page.revision, at);
        pages += 1;
    }
    assert_eq!(pages, 200usize.div_ceil(7));
    assert_eq!(seen, snapshot);
}

async fn list_at_an_older_revision(s: &TestStore) {
    let a = s.create("/old/a", val("a1")).await.unwrap();
    let b = s.create("/old/b", val("b1")).await.unwrap();
    let then = b.mod_revision;
    s.update("/old/a", val("a2"), a.mod_revision).await.unwrap();
    s.delete("/old/b", None).await.unwrap();
    s.create("/old/c", val("c1")).await.unwrap();

    let old = s
        .list(
            "/old/",
            ListOptions {
                revision: then,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(old.revision, then);
    assert_eq!(old.items, vec![a.clone(), b.clone()]);

    let older = s
        .list(
            "/old/",
            ListOptions {
                revision: a.mod_revision,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(older.items, vec![a]);

    let now = s.list("/old/", ListOptions::default()).await.unwrap();
    let now: Vec<_> = now
        .items
        .iter()
        .map(|kv| (kv.key.as_str(), kv.value.clone()))
        .collect();
    assert_eq!(now, [("/old/a", val("a2")), ("/old/c", val("c1"))]);

    // Paging at an old revision also sees the old state.
    let page = s
        .list(
            "/old/",
            ListOptions {
                revision: then,
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert!(page.more);
    assert_eq!(page.remaining, 1);
}

async fn list_revision_out_of_range(s: &TestStore) {
    let kv = s.create("/x/a", val("a")).await.unwrap();
    let err = s
        .list(
            "/x/",
            ListOptions {
                revision: kv.mod_revision + 100,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StorageError::FutureRevision { .. }),
        "{err:?}"
    );
}

async fn count_counts_live_keys(s: &TestStore) {
    for i in 0..10 {
        s.create(&format!("/cnt/{i}"), val("v")).await.unwrap();
    }
    s.create("/cnt2/x", val("v")).await.unwrap();
    s.delete("/cnt/3", None).await.unwrap();
    assert_eq!(s.count("/cnt/").await.unwrap(), 9);
    assert_eq!(s.count("/none/").await.unwrap(), 0);
}

async fn watch_from_zero_replays_history(s: &TestStore) {
    let a = s.create("/w/a", val("a1")).await.unwrap();
    let a2 = s.update("/w/a", val("a2"), a.mod_revision).await.unwrap();
    let (_, deleted_at) = s.delete("/w/a", None).await.unwrap();

    let mut watch = s.watch("/w/", 0).await.unwrap();
    let (kv, prev) = put_of(&next_change(&mut watch, "the create").await).clone_pair();
    assert_eq!((kv, prev), (a.clone(), None));
    let (kv, prev) = put_of(&next_change(&mut watch, "the update").await).clone_pair();
    assert_eq!((kv, prev), (a2.clone(), Some(a)));
    assert_eq!(
        next_change(&mut watch, "the delete").await,
        WatchEvent::Delete {
            prev: a2,
            revision: deleted_at
        }
    );
    // Then live.
    let b = s.create("/w/b", val("b")).await.unwrap();
    assert_eq!(
        next_change(&mut watch, "a live create").await,
        WatchEvent::Put { kv: b, prev: None }
    );
}

trait ClonePair {
    fn clone_pair(self) -> (KeyValue, Option<KeyValue>);
}

impl ClonePair for (&KeyValue, Option<&KeyValue>) {
    fn clone_pair(self) -> (KeyValue, Option<KeyValue>) {
        (self.0.clone(), self.1.cloned())
    }
}

async fn watch_from_now_sees_only_new_changes(s: &TestStore) {
    let old = s.create("/now/old", val("old")).await.unwrap();
    let now = s.current_revision().await.unwrap();
    let mut watch = s.watch("/now/", now).await.unwrap();
    let updated = s
        .update("/now/old", val("new"), old.mod_revision)
        .await
        .unwrap();
    assert_eq!(
        next_change(&mut watch, "the update").await,
        WatchEvent::Put {
            kv: updated,
            prev: Some(old)
        }
    );
    expect_quiet_until(&mut watch, s.current_revision().await.unwrap()).await;
}

async fn watch_from_a_past_revision(s: &TestStore) {
    let a = s.create("/past/a", val("a1")).await.unwrap();
    let b = s.create("/past/b", val("b1")).await.unwrap();
    let a2 = s
        .update("/past/a", val("a2"), a.mod_revision)
        .await
        .unwrap();
    let (_, b_gone) = s.delete("/past/b", None).await.unwrap();

    // From just after b's create: a's update and b's delete, nothing earlier.
    let mut watch = s.watch("/past/", b.mod_revision).await.unwrap();
    assert_eq!(
        next_change(&mut watch, "a's update").await,
        WatchEvent::Put {
            kv: a2.clone(),
            prev: Some(a)
        }
    );
    assert_eq!(
        next_change(&mut watch, "b's delete").await,
        WatchEvent::Delete {
            prev: b,
            revision: b_gone
        }
    );
    let a3 = s
        .update("/past/a", val("a3"), a2.mod_revision)
        .await
        .unwrap();
    assert_eq!(
        next_change(&mut watch, "a live update").await,
        WatchEvent::Put {
            kv: a3,
            prev: Some(a2)
        }
    );
}

async fn watch_sees_only_its_prefix(s: &TestStore) {
    let now = s.current_revision().await.unwrap();
    let mut watch = s.watch("/mine/", now).await.unwrap();
    s.create("/mine-not/a", val("x")).await.unwrap();
    s.create("/other/a", val("x")).await.unwrap();
    let mine = s.create("/mine/a", val("x")).await.unwrap();
    assert_eq!(
        next_change(&mut watch, "the one matching create").await,
        WatchEvent::Put {
            kv: mine,
            prev: None
        }
    );
}

async fn watch_under_concurrent_writers_sees_each_write_once_in_order(s: &TestStore) {
    const TASKS: usize = 8;
    const WRITES: usize = 40;
    let start = s.current_revision().await.unwrap();
    let mut watch = s.watch("/conc/", start).await.unwrap();
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let store = s.store.clone();
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            let key = format!("/conc/{t}");
            let mut kv = store.create(&key, val("0")).await.unwrap();
            acked.push(kv.mod_revision);
            for i in 1..WRITES {
                kv = store
                    .update(&key, val(&i.to_string()), kv.mod_revision)
                    .await
                    .unwrap();
                acked.push(kv.mod_revision);
            }
            acked
        }));
    }
    let mut acked = BTreeSet::new();
    for task in tasks {
        acked.extend(task.await.unwrap());
    }
    assert_eq!(acked.len(), TASKS * WRITES);

    let mut seen = Vec::new();
    let mut last_per_key: BTreeMap<String, KeyValue> = BTreeMap::new();
    while seen.len() < TASKS * WRITES {
        let event = next_change(&mut watch, "a concurrent write").await;
        let (kv, prev) = put_of(&event);
        // Each event's previous value is exactly the key's previous event.
        assert_eq!(
            prev,
            last_per_key.get(&kv.key),
            "prev of {}",
            kv.mod_revision
        );
        last_per_key.insert(kv.key.clone(), kv.clone());
        seen.push(kv.mod_revision);
    }
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "events out of order: {seen:?}"
    );
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), acked);
    expect_quiet_until(&mut watch, s.current_revision().await.unwrap()).await;
}

async fn watch_progress_follows_events(s: &TestStore) {
    let now = s.current_revision().await.unwrap();
    let mut watch = s.watch("/prog/", now).await.unwrap();
    let kv = s.create("/prog/a", val("a")).await.unwrap();
    let later = s.create("/unwatched/a", val("a")).await.unwrap();
    watch.request_progress();
    // The create comes first; then a progress covering the unwatched write.
    assert_eq!(
        next_event(&mut watch, "the create").await,
        WatchEvent::Put { kv, prev: None }
    );
    expect_quiet_until(&mut watch, later.mod_revision).await;
}

async fn watch_from_the_future_is_refused(s: &TestStore) {
    let now = s.current_revision().await.unwrap();
    let err = s.watch("/f/", now + 1000).await.unwrap_err();
    assert!(
        matches!(err, StorageError::FutureRevision { .. }),
        "{err:?}"
    );
}

async fn compaction_drops_history_but_keeps_latest(s: &TestStore) {
    let a = s.create("/c/a", val("a1")).await.unwrap();
    let a2 = s.update("/c/a", val("a2"), a.mod_revision).await.unwrap();
    let b = s.create("/c/b", val("b1")).await.unwrap();
    s.delete("/c/b", None).await.unwrap();
    let c = s.create("/c/c", val("c1")).await.unwrap();
    let cut = c.mod_revision;
    let c2 = s.update("/c/c", val("c2"), c.mod_revision).await.unwrap();

    s.compact(cut).await.unwrap();

    let at = |revision| ListOptions {
        revision,
        ..Default::default()
    };
    let err = s.list("/c/", at(cut - 1)).await.unwrap_err();
    assert!(
        matches!(err, StorageError::Compacted { .. }) && err.is_expired(),
        "{err:?}"
    );
    let err = s.list("/c/", at(b.mod_revision)).await.unwrap_err();
    assert!(matches!(err, StorageError::Compacted { .. }), "{err:?}");
    // At the compaction revision itself history is still whole.
    assert_eq!(
        s.list("/c/", at(cut)).await.unwrap().items,
        vec![a2.clone(), c.clone()]
    );
    assert_eq!(
        s.list("/c/", ListOptions::default()).await.unwrap().items,
        vec![a2, c2]
    );

    let err = s.compact(cut).await.unwrap_err();
    assert!(matches!(err, StorageError::Compacted { .. }), "{err:?}");
    let now = s.current_revision().await.unwrap();
    let err = s.compact(now + 10).await.unwrap_err();
    assert!(
        matches!(err, StorageError::FutureRevision { .. }),
        "{err:?}"
    );
    // Writes go on after compaction.
    s.create("/c/d", val("d")).await.unwrap();
    s.compact(now).await.unwrap();
    assert_eq!(s.count("/c/").await.unwrap(), 3);
}

async fn watch_from_before_compaction_fails(s: &TestStore) {
    let a = s.create("/wc/a", val("a1")).await.unwrap();
    let a2 = s.update("/wc/a", val("a2"), a.mod_revision).await.unwrap();
    let a3 = s.update("/wc/a", val("a3"), a2.mod_revision).await.unwrap();
    s.compact(a3.mod_revision).await.unwrap();

    // Changes after a.mod_revision include a2, which is gone.
    match s.watch("/wc/", a.mod_revision).await {
        Err(err) => assert!(err.is_expired(), "{err:?}"),
        Ok(mut watch) => match tokio::time::timeout(EVENT_DEADLINE, watch.next()).await {
            Ok(Some(Err(err))) => {
                assert!(err.is_expired(), "{err:?}");
                assert!(watch.next().await.is_none(), "a failed watch must end");
            }
            other => panic!("expected Compacted, got {other:?}"),
        },
    }
    // From the compaction revision on, everything is there, prev included.
    let mut watch = s.watch("/wc/", a2.mod_revision).await.unwrap();
    assert_eq!(
        next_change(&mut watch, "the update at the compaction point").await,
        WatchEvent::Put {
            kv: a3,
            prev: Some(a2)
        }
    );
}

async fn values_of_one_and_a_half_mebibytes(s: &TestStore) {
    let big: Bytes = (0..3 * 512 * 1024)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<_>>()
        .into();
    let now = s.current_revision().await.unwrap();
    let mut watch = s.watch("/big/", now).await.unwrap();
    let kv = s.create("/big/a", big.clone()).await.unwrap();
    assert_eq!(s.get("/big/a").await.unwrap().0.unwrap().value, big);
    let bigger: Bytes = big.iter().rev().copied().collect::<Vec<_>>().into();
    let kv2 = s
        .update("/big/a", bigger.clone(), kv.mod_revision)
        .await
        .unwrap();
    s.create("/big/b", big.clone()).await.unwrap();
    let list = s.list("/big/", ListOptions::default()).await.unwrap();
    assert_eq!(list.items.len(), 2);
    assert_eq!(list.items[0].value, bigger);
    assert_eq!(list.items[1].value, big);
    assert_eq!(
        next_change(&mut watch, "the big create").await,
        WatchEvent::Put {
            kv: kv.clone(),
            prev: None
        }
    );
    assert_eq!(
        next_change(&mut watch, "the big update").await,
        WatchEvent::Put {
            kv: kv2,
            prev: Some(kv)
        }
    );
}

async fn ten_thousand_keys(s: &TestStore) {
    const KEYS: usize = 10_000;
    let mut tasks = Vec::new();
    for t in 0..16 {
        let store = s.store.clone();
        tasks.push(tokio::spawn(async move {
            for i in (t..KEYS).step_by(16) {
                store
                    .create(&format!("/many/{i:05}"), val(&format!("value-{i}")))
                    .await
                    .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(s.count("/many/").await.unwrap(), KEYS as u64);
    let all = s.list("/many/", ListOptions::default()).await.unwrap();
    assert_eq!(all.items.len(), KEYS);

    let mut start_key = None;
    let mut total = 0;
    let mut at = 0;
    loop {
        let page = s
            .list(
                "/many/",
                ListOptions {
                    start_key: start_key.take(),
                    limit: 500,
                    revision: at,
                },
            )
            .await
            .unwrap();
        at = page.revision;
        for (offset, kv) in page.items.iter().enumerate() {
            assert_eq!(kv.key, format!("/many/{:05}", total + offset));
        }
        total += page.items.len();
        assert_eq!(page.remaining as usize, KEYS - total);
        if !page.more {
            break;
        }
        start_key = Some(format!("{}\0", page.items.last().unwrap().key));
    }
    assert_eq!(total, KEYS);
}

async fn bad_input_gets_typed_errors(s: &TestStore) {
    let err = s.create("", val("x")).await.unwrap_err();
    assert!(matches!(err, StorageError::InvalidKey(_)), "{err:?}");
    let err = s.get("").await.unwrap_err();
    assert!(matches!(err, StorageError::InvalidKey(_)), "{err:?}");
    let err = s.list("", ListOptions::default()).await.unwrap_err();
    assert!(matches!(err, StorageError::InvalidKey(_)), "{err:?}");
    let err = s.watch("", 0).await.unwrap_err();
    assert!(matches!(err, StorageError::InvalidKey(_)), "{err:?}");
    let err = s.create("/a\0b", val("x")).await.unwrap_err();
    assert!(matches!(err, StorageError::InvalidKey(_)), "{err:?}");
    let huge = Bytes::from(vec![b'x'; MAX_VALUE_BYTES + 1]);
    let err = s.create("/huge", huge.clone()).await.unwrap_err();
    assert!(matches!(err, StorageError::ValueTooLarge { .. }), "{err:?}");
    let kv = s.create("/fine", val("x")).await.unwrap();
    let err = s.update("/fine", huge, kv.mod_revision).await.unwrap_err();
    assert!(matches!(err, StorageError::ValueTooLarge { .. }), "{err:?}");
    let err = s
        .list(
            "/a/",
            ListOptions {
                start_key: Some("/b/".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::InvalidKey(_)), "{err:?}");
    // Nothing above took a revision.
    assert_eq!(s.current_revision().await.unwrap(), kv.mod_revision);
}
