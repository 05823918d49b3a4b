//! Compaction: dropping history the contract no longer promises.
//!
//! `compact(R)` is logical at once (reads and watches below R fail from the
//! moment it commits) and physical in chunks afterwards, one chunk per
//! writer commit, so a large compaction never stalls writers. Physically,
//! each write W of key K with revision in `[from, R)` (everything below
//! `from` was handled by earlier compactions):
//!
//! * removes every older version of K: W supersedes them, and W is itself
//!   below R;
//! * stays if it is the last version of K below R, so reads at R still see
//!   it and a watch from R still finds the previous value of K's next
//!   change; unless it is a tombstone: a deleted key has nothing to show at
//!   R, so the tombstone goes too (a later write below R removes W anyway);
//! * loses its log row (no watch can start below R).
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
        let key = key.as_slice();
        kv.retain_in((key, 0)..(key, *revision), |_, _| false)
            .map_err(internal)?;
        let last_below_target = kv
            .range((key, revision + 1)..(key, target))
            .map_err(internal)?
            .next()
            .is_none();
        if last_below_target {
            let tombstone = match kv.get((key, *revision)).map_err(internal)? {
                Some(bytes) => Record::decode(bytes.value())?.tombstone,
                None => false,
            };
            if tombstone {
                kv.remove((key, *revision)).map_err(internal)?;
            }
        }
        log.remove(*revision).map_err(internal)?;
    }
    Ok(if rows.len() < CHUNK_ROWS {
        target
    } else {
        last + 1
    })
}
