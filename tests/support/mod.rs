//! Backends for the storage tests: each test gets a fresh store of its own
//! (a temp directory, or a real etcd started for it alone).
#![allow(dead_code)]

use std::ops::Deref;
use std::sync::Arc;

use keelson::storage::Storage;
use keelson::storage::embedded::EmbeddedStorage;
use keelson::storage::etcd::EtcdStorage;
use keelson::testing::EtcdServer;

/// A store plus whatever keeps it alive (its directory, its etcd server).
pub struct TestStore {
    pub store: Arc<dyn Storage>,
    _guard: Box<dyn Send + Sync>,
}

impl Deref for TestStore {
    type Target = dyn Storage;
    fn deref(&self) -> &Self::Target {
        &*self.store
    }
}

pub async fn embedded() -> TestStore {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = EmbeddedStorage::open(dir.path()).expect("open embedded store");
    TestStore {
        store: Arc::new(store),
        _guard: Box::new(dir),
    }
}

/// A fresh etcd on loopback, for this store alone (so revisions and
/// compaction are the test's own); stopped when the store is dropped.
pub async fn etcd() -> TestStore {
    let server = EtcdServer::start().await.expect("start etcd");
    let store = EtcdStorage::connect(vec![server.endpoint()])
        .await
        .expect("connect to etcd");
    TestStore {
        store: Arc::new(store),
        _guard: Box::new(server),
    }
}
