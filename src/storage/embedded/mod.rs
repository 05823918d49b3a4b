//! The embedded backend: one data directory, one redb file, etcd's MVCC
//! semantics.
//!
//! * Writes go to a single writer thread that commits them in groups with
//!   one fsync per group ([`writer`]); nothing is acknowledged before it is
//!   on disk.
//! * Reads run on the blocking pool, each in one read transaction
//!   ([`read`]).
//! * Watches are fed from the commit path, in revision order ([`watch`]).
//! * Compaction drops superseded history in chunks ([`compact`]).

mod compact;
mod read;
mod schema;
mod watch;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use redb::{Database, ReadableDatabase};
use tokio::sync::{mpsc, oneshot};

use self::schema::internal;
use self::watch::Hub;
use self::writer::{Reply, WriteOp, WriteOutcome, Writer};
use super::key::{validate_key, validate_prefix, validate_value};
use super::{
    KeyValue, ListOptions, ListResult, Revision, Storage, StorageError, StorageResult, WatchStream,
};

/// The file inside the data directory that holds the store.
pub const DB_FILE: &str = "keelson.redb";

/// Requests queued for the writer before callers wait (backpressure).
const WRITE_QUEUE: usize = 8192;

/// Tuning for [`EmbeddedStorage::open_with`].
#[derive(Clone, Debug)]
pub struct EmbeddedOptions {
    /// Events buffered per watcher before it is cut off as too slow.
    pub watch_buffer: usize,
    /// Bytes of pages redb keeps in memory. redb's own default (1 GiB) is
    /// sized for a database that owns the machine; a control plane's
    /// working set is the objects it serves, most of which the watch cache
    /// holds anyway.
    pub cache_bytes: usize,
}

impl Default for EmbeddedOptions {
    fn default() -> Self {
        EmbeddedOptions {
            watch_buffer: watch::DEFAULT_WATCH_BUFFER,
            cache_bytes: 64 * 1024 * 1024,
        }
    }
}

/// The embedded store. Cheap to share behind an `Arc`; dropping the last
/// handle stops the writer after it has committed what was queued.
pub struct EmbeddedStorage {
    db: Arc<Database>,
    hub: Arc<Hub>,
    writes: mpsc::Sender<(WriteOp, Reply)>,
    writer: Option<std::thread::JoinHandle<()>>,
    path: PathBuf,
}

impl EmbeddedStorage {
    /// Opens (or creates) the store in `data_dir`.
    pub fn open(data_dir: impl AsRef<Path>) -> StorageResult<EmbeddedStorage> {
        Self::open_with(data_dir, EmbeddedOptions::default())
    }

    /// Opens (or creates) the store in `data_dir` with `options`.
    pub fn open_with(
        data_dir: impl AsRef<Path>,
        options: EmbeddedOptions,
    ) -> StorageResult<EmbeddedStorage> {
        let data_dir = data_dir.as_ref();
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StorageError::Internal(format!("creating {}: {e}", data_dir.display())))?;
        let path = data_dir.join(DB_FILE);
        let db = Database::builder()
            .set_cache_size(options.cache_bytes)
            .create(&path)
            .map_err(|e| StorageError::Internal(format!("opening {}: {e}", path.display())))?;
        let db = Arc::new(db);
        let hub = Arc::new(Hub::new(options.watch_buffer.max(1)));
        let writer = Writer::new(db.clone(), hub.clone())?;
        let (writes, requests) = mpsc::channel(WRITE_QUEUE);
        let writer = std::thread::Builder::new()
            .name("keelson-store-writer".into())
            .spawn(move || writer.run(requests))
            .map_err(|e| StorageError::Internal(format!("starting the writer thread: {e}")))?;
        Ok(EmbeddedStorage {
            db,
            hub,
            writes,
            writer: Some(writer),
            path,
        })
    }

    /// The redb file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stops the writer once it has committed everything queued, and waits
    /// for it. The file is closed when the last watch on it ends.
    pub async fn close(mut self) {
        let writer = self.writer.take();
        drop(self);
        if let Some(writer) = writer {
            let _ = tokio::task::spawn_blocking(move || writer.join()).await;
        }
    }

    async fn write(&self, op: WriteOp) -> StorageResult<WriteOutcome> {
        let (reply, answer) = oneshot::channel();
        self.writes
            .send((op, reply))
            .await
            .map_err(|_| StorageError::Internal("the store writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StorageError::Internal("the store writer has stopped".into()))?
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&redb::ReadTransaction) -> StorageResult<T> + Send + 'static,
    ) -> StorageResult<T> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_read().map_err(internal)?;
            f(&txn)
        })
        .await
        .map_err(internal)?
    }
}

fn unexpected(outcome: &str) -> StorageError {
    StorageError::Internal(format!(
        "the store writer answered with an unexpected {outcome}"
    ))
}

#[async_trait]
impl Storage for EmbeddedStorage {
    async fn current_revision(&self) -> StorageResult<Revision> {
        self.read(|txn| Ok(read::revisions(txn)?.0)).await
    }

    async fn get(&self, key: &str) -> StorageResult<(Option<KeyValue>, Revision)> {
        validate_key(key)?;
        let key = key.to_owned();
        self.read(move |txn| read::get(txn, &key)).await
    }

    async fn list(&self, prefix: &str, options: ListOptions) -> StorageResult<ListResult> {
        validate_prefix(prefix)?;
        let prefix = prefix.to_owned();
        self.read(move |txn| read::list(txn, &prefix, &options))
            .await
    }

    async fn count(&self, prefix: &str) -> StorageResult<u64> {
        validate_prefix(prefix)?;
        let prefix = prefix.to_owned();
        self.read(move |txn| read::count(txn, &prefix)).await
    }

    async fn create(&self, key: &str, value: Bytes) -> StorageResult<KeyValue> {
        validate_key(key)?;
        validate_value(&value)?;
        let key = key.to_owned();
        match self.write(WriteOp::Create { key, value }).await? {
            WriteOutcome::Put(kv) => Ok(kv),
            _ => Err(unexpected("outcome to a create")),
        }
    }

    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected_mod_revision: Revision,
    ) -> StorageResult<KeyValue> {
        validate_key(key)?;
        validate_value(&value)?;
        let key = key.to_owned();
        let op = WriteOp::Update {
            key,
            value,
            expected: expected_mod_revision,
        };
        match self.write(op).await? {
            WriteOutcome::Put(kv) => Ok(kv),
            _ => Err(unexpected("outcome to an update")),
        }
    }

    async fn delete(
        &self,
        key: &str,
        expected_mod_revision: Option<Revision>,
    ) -> StorageResult<(KeyValue, Revision)> {
        validate_key(key)?;
        let op = WriteOp::Delete {
            key: key.to_owned(),
            expected: expected_mod_revision,
        };
        match self.write(op).await? {
            WriteOutcome::Deleted(prev, revision) => Ok((prev, revision)),
            _ => Err(unexpected("outcome to a delete")),
        }
    }

    async fn watch(&self, prefix: &str, after: Revision) -> StorageResult<WatchStream> {
        validate_prefix(prefix)?;
        self.hub.watch(self.db.clone(), prefix, after)
    }

    async fn compact(&self, revision: Revision) -> StorageResult<()> {
        match self.write(WriteOp::Compact { revision }).await? {
            WriteOutcome::Compacted => Ok(()),
            _ => Err(unexpected("outcome to a compaction")),
        }
    }
}
