//! Compaction: dropping history the contract no longer promises.
//!
//! `compact(R)` is logical at once (reads and watches below R fail from the
//! moment it commits) and physical in chunks afterwards, one chunk per
//! writer commit, so a large compaction never stalls writers. Physically,
//! for every write with revision below R:
//!
//! * a version superseded by a later version below R is removed;
//! * the last version below R is kept, so reads at R still see it and a
//!   watch from R still finds the previous value of the first change;
//! * unless that last version is a tombstone: a deleted key has nothing to
//!   show at R, so the tombstone goes too;
//! * the write's log row is removed (no watch can start below R).
//!
//! Freed pages are reused by redb, so a store that is compacted regularly
//! stops growing.

use redb::{ReadableTable, WriteTransaction};

use super::schema::{KV, LOG, Record, internal};
use crate::storage::{Revision, StorageResult};

/// Log rows one compaction chunk processes.
const CHUNK_ROWS: usize = 4096;

/// Removes one chunk of history in `[from, target)`; returns the revision
/// below which history is now gone (`target` when done).
pub fn step(txn: &WriteTransaction, from: Revision, target: Revision) -> StorageResult<Revision> {
    let mut kv = txn.open_table(KV).map_err(internal)?;
    let mut log = txn.open_table(LOG).map_err(internal)?;
    let rows: Vec<(Revision, Vec<u8>)> = log
        .range(from..target)
        .map_err(internal)?
        .take(CHUNK_ROWS)
        .map(|row| {
            let (revision, key) = row.map_err(internal)?;
            Ok((revision.value(), key.value().to_vec()))
        })
        .collect::<StorageResult<_>>()?;
    let Some(&(last, _)) = rows.last() else {
        return Ok(target);
    };
    for (revision, key) in &rows {
        let superseded = kv
            .range((key.as_slice(), revision + 1)..(key.as_slice(), target))
            .map_err(internal)?
            .next()
            .is_some();
        let remove = superseded || {
            let bytes = kv.get((key.as_slice(), *revision)).map_err(internal)?;
            match bytes {
                Some(bytes) => Record::decode(bytes.value())?.tombstone,
                None => false,
            }
        };
        if remove {
            kv.remove((key.as_slice(), *revision)).map_err(internal)?;
        }
        log.remove(*revision).map_err(internal)?;
    }
    Ok(if rows.len() < CHUNK_ROWS {
        target
    } else {
        last + 1
    })
}
