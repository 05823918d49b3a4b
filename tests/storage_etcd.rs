//! What only the etcd backend has to prove: riding through an etcd restart
//! (requests fail fast and retryably while it is down, watches resume
//! without losing or repeating an event), deadlines against a hung etcd,
//! cleanup of dropped watches, and history etcd no longer has. The shared
//! contract runs on etcd in `storage_contract.rs`.
//!
//! Each test starts its own etcd on loopback.

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use keelson::storage::etcd::{EtcdOptions, EtcdStorage};
use keelson::storage::{
    KeyValue, ListOptions, Revision, Storage, StorageError, WatchEvent, WatchStream,
};
use keelson::testing::{EtcdServer, free_loopback_port, poll_until};

/// How long a test waits for an event it expects.
const EVENT_DEADLINE: Duration = Duration::from_secs(20);
/// How quickly a request to a dead etcd must fail.
const FAIL_FAST: Duration = Duration::from_secs(5);

fn val(s: &str) -> Bytes {
    Bytes::from(s.to_owned())
}

async fn start() -> (EtcdServer, EtcdStorage) {
    let server = EtcdServer::start().await.expect("start etcd");
    let store = EtcdStorage::connect(vec![server.endpoint()])
        .await
        .expect("connect to etcd");
    (server, store)
}

/// The next item of a watch, or a panic naming what was expected.
async fn next_item(watch: &mut WatchStream, what: &str) -> Result<WatchEvent, StorageError> {
    match tokio::time::timeout(EVENT_DEADLINE, watch.next()).await {
        Ok(Some(item)) => item,
        Ok(None) => panic!("watch ended while waiting for {what}"),
        Err(_) => panic!("nothing within {EVENT_DEADLINE:?} while waiting for {what}"),
    }
}

/// The next non-progress event, checking that progress never goes back.
async fn next_change(watch: &mut WatchStream, last: &mut Revision, what: &str) -> WatchEvent {
    loop {
        let event = next_item(watch, what)
            .await
            .unwrap_or_else(|e| panic!("watch failed while waiting for {what}: {e}"));
        assert!(
            event.revision() >= *last,
            "{event:?} after revision {last} while waiting for {what}"
        );
        *last = event.revision();
        if !matches!(event, WatchEvent::Progress { .. }) {
            return event;
        }
    }
}

/// Waits for a progress at or past `revision` with no change before it.
async fn expect_quiet_until(watch: &mut WatchStream, revision: Revision) {
    watch.request_progress();
    loop {
        match next_item(watch, "a progress notification").await {
            Ok(WatchEvent::Progress { revision: r }) if r >= revision => return,
            Ok(WatchEvent::Progress { .. }) => watch.request_progress(),
            other => panic!("expected no change, got {other:?}"),
        }
    }
}

/// Asserts that `request` fails retryably, and fast.
async fn fails_fast<T: std::fmt::Debug>(
    what: &str,
    request: impl std::future::Future<Output = Result<T, StorageError>>,
) {
    let started = Instant::now();
    let outcome = tokio::time::timeout(FAIL_FAST * 2, request)
        .await
        .unwrap_or_else(|_| panic!("{what} hung while etcd was down"));
    let elapsed = started.elapsed();
    let error = outcome.expect_err(&format!("{what} succeeded while etcd was down"));
    assert!(error.is_retryable(), "{what}: {error:?} is not retryable");
    assert!(
        elapsed < FAIL_FAST,
        "{what} took {elapsed:?} to fail while etcd was down"
    );
}

/// The writes a test makes, as the events a watch must deliver for them.
#[derive(Default)]
struct Expected(Vec<WatchEvent>);

impl Expected {
    async fn create(&mut self, store: &EtcdStorage, key: &str, value: &str) -> KeyValue {
        let kv = store.create(key, val(value)).await.unwrap();
        self.0.push(WatchEvent::Put {
            kv: kv.clone(),
            prev: None,
        });
        kv
    }

    async fn update(&mut self, store: &EtcdStorage, prev: &KeyValue, value: &str) -> KeyValue {
        let kv = store
            .update(&prev.key, val(value), prev.mod_revision)
            .await
            .unwrap();
        self.0.push(WatchEvent::Put {
            kv: kv.clone(),
            prev: Some(prev.clone()),
        });
        kv
    }

    async fn delete(&mut self, store: &EtcdStorage, prev: &KeyValue) {
        let (deleted, revision) = store
            .delete(&prev.key, Some(prev.mod_revision))
            .await
            .unwrap();
        assert_eq!(&deleted, prev);
        self.0.push(WatchEvent::Delete {
            prev: deleted,
            revision,
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn watch_resumes_across_an_etcd_restart() {
    let (mut server, store) = start().await;
    let mut expected = Expected::default();
    let mut last = 0;

    // History from before the watch, and a key outside its prefix.
    let start = store.current_revision().await.unwrap();
    let a = expected.create(&store, "/r/a", "a1").await;
    let b = expected.create(&store, "/r/b", "b1").await;
    store.create("/other/x", val("x")).await.unwrap();

    let mut watch = store.watch("/r/", start).await.unwrap();
    assert_eq!(store.active_watches(), 1);
    let a = expected.update(&store, &a, "a2").await;
    // The first events arrive before the outage...
    for (i, want) in expected.0.clone().iter().enumerate() {
        let got = next_change(&mut watch, &mut last, &format!("event {i}")).await;
        assert_eq!(&got, want, "event {i}");
    }
    let seen_before_outage = expected.0.len();
    // ...and these are written but left unread when etcd dies.
    let c = expected.create(&store, "/r/c", "c1").await;
    let b = expected.update(&store, &b, "b2").await;

    server.kill();

    // While etcd is down, requests fail with a retryable error, fast.
    fails_fast("get", store.get("/r/a")).await;
    fails_fast("create", store.create("/r/new", val("x"))).await;
    fails_fast("update", store.update("/r/a", val("x"), a.mod_revision)).await;
    fails_fast("list", store.list("/r/", ListOptions::default())).await;
    fails_fast("current_revision", store.current_revision()).await;
    fails_fast("a new watch", store.watch("/r/", start)).await;
    // A progress asked for during the outage is answered after it.
    watch.request_progress();

    server.restart().await.expect("start etcd again");
    poll_until(
        "etcd to answer the client again",
        EVENT_DEADLINE,
        || async { store.current_revision().await.ok() },
    )
    .await
    .unwrap();

    // Writes after the outage: creates, updates, a delete, on old and new keys.
    let a = expected.update(&store, &a, "a3").await;
    expected.delete(&store, &c).await;
    let d = expected.create(&store, "/r/d", "d1").await;
    store.create("/other/y", val("y")).await.unwrap();
    expected.update(&store, &d, "d2").await;
    expected.update(&store, &b, "b3").await;
    expected.delete(&store, &a).await;

    // Every write exactly once, in revision order, before and after.
    for (i, want) in expected.0.iter().enumerate().skip(seen_before_outage) {
        let got = next_change(&mut watch, &mut last, &format!("event {i}")).await;
        assert_eq!(&got, want, "event {i}");
    }
    let now = store.current_revision().await.unwrap();
    expect_quiet_until(&mut watch, now).await;
    assert_eq!(store.active_watches(), 1);

    drop(watch);
    poll_until("the watch task to end", EVENT_DEADLINE, || async {
        (store.active_watches() == 0).then_some(())
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn watch_survives_several_restarts_under_writes() {
    let (mut server, store) = start().await;
    let start = store.current_revision().await.unwrap();
    let mut watch = store.watch("/many/", start).await.unwrap();
    let mut expected = Expected::default();
    let mut last = 0;
    let mut next = 0;
    for _round in 0..3 {
        for _ in 0..20 {
            expected
                .create(&store, &format!("/many/{next:03}"), "v")
                .await;
            next += 1;
        }
        server.restart().await.expect("restart etcd");
        poll_until(
            "etcd to answer the client again",
            EVENT_DEADLINE,
            || async { store.current_revision().await.ok() },
        )
        .await
        .unwrap();
    }
    for (i, want) in expected.0.iter().enumerate() {
        let got = next_change(&mut watch, &mut last, &format!("event {i}")).await;
        assert_eq!(&got, want, "event {i}");
    }
    expect_quiet_until(&mut watch, store.current_revision().await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn history_compacted_during_an_outage_ends_the_watch() {
    let server = EtcdServer::start().await.expect("start etcd");
    let mut server = server;
    // A long first pause before re-watching leaves room to compact first.
    let pause = Duration::from_secs(10);
    let mut options = EtcdOptions::new(vec![server.endpoint()]);
    options.watch_backoff = (pause, pause);
    let store = EtcdStorage::connect_with(options).await.unwrap();

    let a = store.create("/cmp/a", val("a1")).await.unwrap();
    let mut watch = store.watch("/cmp/", a.mod_revision).await.unwrap();
    let killed = Instant::now();
    server.kill();
    server.restart().await.expect("start etcd again");
    poll_until(
        "etcd to answer the client again",
        EVENT_DEADLINE,
        || async { store.current_revision().await.ok() },
    )
    .await
    .unwrap();
    let a2 = store
        .update("/cmp/a", val("a2"), a.mod_revision)
        .await
        .unwrap();
    let a3 = store
        .update("/cmp/a", val("a3"), a2.mod_revision)
        .await
        .unwrap();
    store.compact(a3.mod_revision).await.unwrap();
    assert!(
        killed.elapsed() < pause,
        "restarting etcd and compacting took {:?}, longer than the watch's pause \
         before re-watching: the scenario needs a larger pause on this machine",
        killed.elapsed()
    );

    match next_item(&mut watch, "the compaction").await {
        Err(error) => assert!(
            matches!(error, StorageError::Compacted { .. }) && error.is_expired(),
            "{error:?}"
        ),
        Ok(event) => panic!("expected Compacted, got {event:?}"),
    }
    assert!(watch.next().await.is_none(), "a failed watch must end");
    poll_until("the watch task to end", EVENT_DEADLINE, || async {
        (store.active_watches() == 0).then_some(())
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hung_etcd_fails_requests_at_the_deadline() {
    let server = EtcdServer::start().await.expect("start etcd");
    let mut options = EtcdOptions::new(vec![server.endpoint()]);
    options.request_timeout = Duration::from_secs(1);
    let store = EtcdStorage::connect_with(options).await.unwrap();
    store.create("/hung/a", val("a")).await.unwrap();

    let pid = server.pid().expect("etcd runs").to_string();
    let signal = |name: &str| {
        let status = std::process::Command::new("kill")
            .args([name, &pid])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {name} {pid}");
    };
    // Stopped, etcd keeps its connections open but answers nothing.
    signal("-STOP");
    let outcome = std::panic::AssertUnwindSafe(async {
        fails_fast("get", store.get("/hung/a")).await;
        fails_fast("create", store.create("/hung/b", val("b"))).await;
    });
    let outcome = futures::FutureExt::catch_unwind(outcome).await;
    signal("-CONT");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    poll_until("etcd to answer again", EVENT_DEADLINE, || async {
        store.get("/hung/a").await.ok()
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connecting_to_no_etcd_fails_fast_and_retryably() {
    let port = free_loopback_port().unwrap();
    let started = Instant::now();
    let error = EtcdStorage::connect(vec![format!("http://127.0.0.1:{port}")])
        .await
        .expect_err("connected to nothing");
    assert!(error.is_retryable(), "{error:?}");
    assert!(
        started.elapsed() < FAIL_FAST,
        "took {:?}",
        started.elapsed()
    );
}

/// Reads etcd's gauge of live watchers from its metrics endpoint.
async fn etcd_watchers(server: &EtcdServer) -> Option<u64> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = server.endpoint().trim_start_matches("http://").to_owned();
    let mut connection = tokio::net::TcpStream::connect(&address).await.ok()?;
    let request = format!("GET /metrics HTTP/1.0\r\nHost: {address}\r\n\r\n");
    connection.write_all(request.as_bytes()).await.ok()?;
    let mut body = String::new();
    connection.read_to_string(&mut body).await.ok()?;
    body.lines()
        .find_map(|line| line.strip_prefix("etcd_debugging_mvcc_watcher_total "))
        .and_then(|value| value.trim().parse::<f64>().ok())
        .map(|value| value as u64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dropping_a_watch_cancels_it_in_etcd() {
    let (server, store) = start().await;
    let now = store.current_revision().await.unwrap();
    let watches: Vec<_> = futures::future::join_all((0..3).map(|i| {
        let store = store.clone();
        async move { store.watch(&format!("/drop/{i}/"), now).await.unwrap() }
    }))
    .await;
    assert_eq!(store.active_watches(), 3);
    poll_until("etcd to count 3 watchers", EVENT_DEADLINE, || async {
        (etcd_watchers(&server).await? == 3).then_some(())
    })
    .await
    .unwrap();

    drop(watches);
    poll_until("the watch tasks to end", EVENT_DEADLINE, || async {
        (store.active_watches() == 0).then_some(())
    })
    .await
    .unwrap();
    poll_until("etcd to count no watchers", EVENT_DEADLINE, || async {
        (etcd_watchers(&server).await? == 0).then_some(())
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_change_whose_previous_value_etcd_compacted_ends_the_watch() {
    let (server, store) = start().await;
    let a = store.create("/gone/a", val("a1")).await.unwrap();
    let a2 = store
        .update("/gone/a", val("a2"), a.mod_revision)
        .await
        .unwrap();
    // Someone else compacts etcd at a2 itself (keelson would compact one
    // below): a2 survives but the previous value it replaced does not.
    let mut raw = etcd_client::Client::connect([server.endpoint()], None)
        .await
        .unwrap();
    raw.compact(a2.mod_revision as i64, None).await.unwrap();

    // A fresh client (it has not seen the compaction) watching from before
    // etcd's compaction point is refused by etcd.
    let fresh = EtcdStorage::connect(vec![server.endpoint()]).await.unwrap();
    let mut watch = fresh.watch("/gone/", a.mod_revision - 1).await.unwrap();
    match next_item(&mut watch, "etcd's compaction").await {
        Err(StorageError::Compacted { compacted, .. }) => {
            // Reported as the contract's point: etcd's plus one.
            assert_eq!(compacted, a2.mod_revision + 1);
        }
        other => panic!("expected Compacted, got {other:?}"),
    }
    assert!(watch.next().await.is_none());
    // Watching from just before a2 is allowed by etcd, but a2's previous
    // value is gone.
    let fresh = EtcdStorage::connect(vec![server.endpoint()]).await.unwrap();
    let mut watch = fresh.watch("/gone/", a.mod_revision).await.unwrap();
    match next_item(&mut watch, "the compaction").await {
        Err(error) => assert!(error.is_expired(), "{error:?}"),
        Ok(event) => panic!("expected Compacted, got {event:?}"),
    }
    assert!(watch.next().await.is_none());
    // From a2 on, all is there.
    let mut watch = fresh.watch("/gone/", a2.mod_revision).await.unwrap();
    let a3 = fresh
        .update("/gone/a", val("a3"), a2.mod_revision)
        .await
        .unwrap();
    let mut last = 0;
    assert_eq!(
        next_change(&mut watch, &mut last, "a3").await,
        WatchEvent::Put {
            kv: a3,
            prev: Some(a2)
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lists_and_watches_larger_than_grpc_default_message_size() {
    let (_server, store) = start().await;
    let now = store.current_revision().await.unwrap();
    // Three values of 3 MiB: one list answer of 9 MiB, over tonic's 4 MiB.
    let big = |seed: u8| -> Bytes {
        (0..3 * 1024 * 1024)
            .map(|i: usize| (i % 251) as u8 ^ seed)
            .collect::<Vec<_>>()
            .into()
    };
    let mut written = Vec::new();
    for i in 0..3u8 {
        written.push(store.create(&format!("/big/{i}"), big(i)).await.unwrap());
    }
    let list = store.list("/big/", ListOptions::default()).await.unwrap();
    assert_eq!(list.items, written);
    // A watch from before them gets them in one catch-up response.
    let mut watch = store.watch("/big/", now).await.unwrap();
    let mut last = 0;
    for kv in written {
        assert_eq!(
            next_change(&mut watch, &mut last, "a big create").await,
            WatchEvent::Put { kv, prev: None }
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn compaction_point_is_enforced_by_the_client() {
    let (_server, store) = start().await;
    let a = store.create("/cp/a", val("a1")).await.unwrap();
    let a2 = store
        .update("/cp/a", val("a2"), a.mod_revision)
        .await
        .unwrap();
    let a3 = store
        .update("/cp/a", val("a3"), a2.mod_revision)
        .await
        .unwrap();
    store.compact(a3.mod_revision).await.unwrap();
    let at = |revision| ListOptions {
        revision,
        ..Default::default()
    };
    // etcd itself still has a2 (it was compacted one below), the contract
    // says it is gone.
    let error = store.list("/cp/", at(a2.mod_revision)).await.unwrap_err();
    assert!(
        matches!(error, StorageError::Compacted { requested, compacted }
            if requested == a2.mod_revision && compacted == a3.mod_revision),
        "{error:?}"
    );
    let error = store.watch("/cp/", a.mod_revision).await;
    match error {
        Err(error) => assert!(error.is_expired(), "{error:?}"),
        Ok(mut watch) => {
            let item = next_item(&mut watch, "the compaction").await;
            assert!(matches!(item, Err(ref e) if e.is_expired()), "{item:?}");
        }
    }
    assert_eq!(
        store.list("/cp/", at(a3.mod_revision)).await.unwrap().items,
        vec![a3.clone()]
    );
    // Compacting lower or at the same point again is refused, by etcd too
    // for a client that does not know the point.
    let other = EtcdStorage::connect(vec![_server.endpoint()])
        .await
        .unwrap();
    for store in [&store, &other] {
        let error = store.compact(a3.mod_revision).await.unwrap_err();
        assert!(matches!(error, StorageError::Compacted { .. }), "{error:?}");
        let error = store.compact(a2.mod_revision).await.unwrap_err();
        assert!(matches!(error, StorageError::Compacted { .. }), "{error:?}");
    }
    let error = store.compact(a3.mod_revision + 1).await.unwrap_err();
    assert!(
        matches!(error, StorageError::FutureRevision { .. }),
        "{error:?}"
    );
}
