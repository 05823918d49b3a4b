//! The storage contract every resource lives in, and its two backends.
//!
//! The contract is etcd's MVCC model, the same one kube-apiserver's storage
//! layer relies on:
//!
//! * one cluster-wide revision that every successful write advances by one;
//! * per key, a `create_revision`, a `mod_revision` and a `version` (the
//!   number of writes since the key was last created);
//! * reads at the latest or at an older revision, until compaction removes
//!   that history;
//! * compare-and-swap updates and deletes on `mod_revision`;
//! * watches that deliver every change after a revision, in revision order,
//!   with the previous value, or fail with [`StorageError::Compacted`] when
//!   that history is gone.
//!
//! [`Storage`] is that contract as a trait. [`embedded`] implements it on one
//! local data directory (the default, for `keelson up`), [`etcd`] on an etcd
//! cluster. The same contract suite (`tests/storage_contract.rs`) runs on both.

pub mod embedded;
pub mod error;
pub mod etcd;
pub mod key;
pub mod types;

pub use error::{StorageError, StorageResult};
pub use types::{KeyValue, ListOptions, ListResult, Revision, WatchEvent, WatchStream};

use async_trait::async_trait;
use bytes::Bytes;

/// The largest value a backend accepts.
///
/// kube-apiserver refuses request bodies over 3 MiB; an object never grows
/// much beyond its request, so 3 MiB plus room for server-set metadata is
/// the most any stored object needs. Both backends enforce it the same way so
/// that a write accepted by one is accepted by the other.
pub const MAX_VALUE_BYTES: usize = 3 * 1024 * 1024 + 512 * 1024;

/// The longest key a backend accepts (etcd itself allows more, but no
/// Kubernetes key comes near this).
pub const MAX_KEY_BYTES: usize = 8 * 1024;

/// A versioned key-value store with etcd's MVCC semantics.
///
/// Every write returns the revision it was committed at. A write that
/// returns `Ok` is durable: it survives a crash of the process (and, for
/// etcd, of a minority of the cluster).
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// The latest committed revision.
    async fn current_revision(&self) -> StorageResult<Revision>;

    /// The value of `key` at the latest revision, with the revision the read
    /// was served at. `Ok((None, rev))` when the key does not exist.
    async fn get(&self, key: &str) -> StorageResult<(Option<KeyValue>, Revision)>;

    /// Keys under `prefix`, in key order. See [`ListOptions`].
    async fn list(&self, prefix: &str, options: ListOptions) -> StorageResult<ListResult>;

    /// The number of keys under `prefix` at the latest revision.
    async fn count(&self, prefix: &str) -> StorageResult<u64>;

    /// Creates `key`; fails with [`StorageError::AlreadyExists`] if it exists.
    async fn create(&self, key: &str, value: Bytes) -> StorageResult<KeyValue>;

    /// Replaces the value of `key` if its `mod_revision` is still
    /// `expected_mod_revision`. Fails with [`StorageError::Conflict`] (carrying
    /// the current value) when it is not, [`StorageError::NotFound`] when the
    /// key does not exist.
    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected_mod_revision: Revision,
    ) -> StorageResult<KeyValue>;

    /// Deletes `key`, if `expected_mod_revision` is `None` or still its
    /// `mod_revision`. Returns the deleted value and the revision of the
    /// delete.
    async fn delete(
        &self,
        key: &str,
        expected_mod_revision: Option<Revision>,
    ) -> StorageResult<(KeyValue, Revision)>;

    /// Every change to keys under `prefix` with a revision greater than
    /// `after`, in revision order. `after` older than the compaction point
    /// fails with [`StorageError::Compacted`], at once or as the stream's
    /// first item.
    async fn watch(&self, prefix: &str, after: Revision) -> StorageResult<WatchStream>;

    /// Discards history before `revision`: reads and watches at revisions
    /// below it fail with [`StorageError::Compacted`] from then on. The latest
    /// value of every key is kept.
    async fn compact(&self, revision: Revision) -> StorageResult<()>;

    /// Whether a [`WatchEvent::Progress`] a watch was asked for is sure to
    /// come after every change up to its revision. When it is not (etcd
    /// before 3.4.25 / 3.5.8), a watch cache cannot prove that it is
    /// current, so consistent lists read storage instead.
    fn progress_is_ordered(&self) -> bool {
        true
    }
}
