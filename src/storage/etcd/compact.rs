//! `compact`: etcd compaction, one revision below the contract's point.
//!
//! The contract's `compact(R)` forbids reads below R but keeps what a watch
//! from R needs, including the previous value of each change at R (the
//! embedded store keeps the last version below R for exactly that). etcd's
//! own compaction at R keeps, per key, only the latest version at or below
//! R, so the change at R would arrive without its previous value. So this
//! compacts etcd at R - 1, which keeps the state at R - 1 (every previous
//! value a watch from R can ask for), and enforces R itself: reads and
//! watches below R fail with `Compacted` in this client (see `list` and
//! `watch`).
//!
//! The point R lives in this client's memory. Another process (or this one
//! after a restart) sees etcd's point R - 1 and may read that one revision
//! more; that is more permissive than the contract, never less safe. A
//! repeated or lower compaction is refused by etcd itself, across processes.

use etcd_client::CompactionOptions;

use super::{EtcdStorage, to_etcd};
use crate::storage::{Revision, StorageError, StorageResult};

pub async fn compact(storage: &EtcdStorage, revision: Revision) -> StorageResult<()> {
    let known = storage.compacted.load(std::sync::atomic::Ordering::Acquire);
    if revision == 0 || revision <= known {
        return Err(StorageError::Compacted {
            requested: revision,
            compacted: known,
        });
    }
    // etcd would accept R - 1 even when R is in the future by one.
    let current = super::get::current_revision(storage).await?;
    if revision > current {
        return Err(StorageError::FutureRevision {
            requested: revision,
            current,
        });
    }
    let mut kv = storage.kv.clone();
    let context = storage.context(revision, 0);
    let options = CompactionOptions::new();
    match storage
        .call(context, kv.compact(to_etcd(revision - 1), Some(options)))
        .await
    {
        Ok(_) => {
            storage.saw_compaction(revision);
            Ok(())
        }
        // etcd has been compacted at R - 1 or later (by another client):
        // the contract's point is at least R.
        Err(StorageError::Compacted { requested, .. }) => {
            storage.saw_compaction(revision);
            Err(StorageError::Compacted {
                requested,
                compacted: storage.compacted.load(std::sync::atomic::Ordering::Acquire),
            })
        }
        Err(e) => Err(e),
    }
}
