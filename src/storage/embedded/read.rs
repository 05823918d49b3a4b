//! Reads: get, list (latest or at a past revision) and count, each inside
//! one redb read transaction, so every answer is one consistent snapshot.

use std::ops::Bound;

use redb::ReadTransaction;

use super::schema::{KV, LATEST, LOG, META, META_COMPACTED, META_REVISION, Record, internal};
use crate::storage::key::{list_start, prefix_end};
use crate::storage::{
    KeyValue, ListOptions, ListResult, Revision, StorageError, StorageResult, WatchEvent,
};

/// The current and compacted revisions as of this snapshot.
pub fn revisions(txn: &ReadTransaction) -> StorageResult<(Revision, Revision)> {
    let meta = txn.open_table(META).map_err(internal)?;
    let read = |name: &str| -> StorageResult<Revision> {
        Ok(meta
            .get(name)
            .map_err(internal)?
            .map(|v| v.value())
            .unwrap_or(0))
    };
    Ok((read(META_REVISION)?, read(META_COMPACTED)?))
}

/// The record of `key` at exactly `revision`, if history still holds it.
pub fn record_at(
    txn: &ReadTransaction,
    key: &[u8],
    revision: Revision,
) -> StorageResult<Option<Record>> {
    let kv = txn.open_table(KV).map_err(internal)?;
    match kv.get((key, revision)).map_err(internal)? {
        Some(bytes) => Ok(Some(Record::decode(bytes.value())?)),
        None => Ok(None),
    }
}

pub fn get(txn: &ReadTransaction, key: &str) -> StorageResult<(Option<KeyValue>, Revision)> {
    let (current, _) = revisions(txn)?;
    let latest = txn.open_table(LATEST).map_err(internal)?;
    let Some(mod_revision) = latest
        .get(key.as_bytes())
        .map_err(internal)?
        .map(|v| v.value())
    else {
        return Ok((None, current));
    };
    let record = record_at(txn, key.as_bytes(), mod_revision)?
        .ok_or_else(|| StorageError::Internal(format!("latest version of {key:?} is missing")))?;
    Ok((
        Some(record.into_key_value(key.as_bytes(), mod_revision)?),
        current,
    ))
}

fn range_bounds(prefix: &str, start: &str) -> (Vec<u8>, Option<Vec<u8>>) {
    (start.as_bytes().to_vec(), prefix_end(prefix.as_bytes()))
}

pub fn list(
    txn: &ReadTransaction,
    prefix: &str,
    options: &ListOptions,
) -> StorageResult<ListResult> {
    let (current, compacted) = revisions(txn)?;
    let start = list_start(prefix, options.start_key.as_deref())?;
    let at = match options.revision {
        0 => current,
        r if r > current => {
            return Err(StorageError::FutureRevision {
                requested: r,
                current,
            });
        }
        r if r < compacted => {
            return Err(StorageError::Compacted {
                requested: r,
                compacted,
            });
        }
        r => r,
    };
    let limit = if options.limit == 0 {
        usize::MAX
    } else {
        options.limit
    };
    let (from, to) = range_bounds(prefix, start);
    let (items, remaining) = if at == current {
        list_latest(txn, &from, to.as_deref(), limit)?
    } else {
        list_at(txn, &from, to.as_deref(), limit, at)?
    };
    Ok(ListResult {
        items,
        revision: at,
        more: remaining > 0,
        remaining,
    })
}

/// Live keys from the `latest` index; counts the rest of the range too.
fn list_latest(
    txn: &ReadTransaction,
    from: &[u8],
    to: Option<&[u8]>,
    limit: usize,
) -> StorageResult<(Vec<KeyValue>, u64)> {
    let latest = txn.open_table(LATEST).map_err(internal)?;
    let kv = txn.open_table(KV).map_err(internal)?;
    let upper = to.map_or(Bound::Unbounded, Bound::Excluded);
    let mut items = Vec::new();
    let mut remaining = 0u64;
    for entry in latest
        .range::<&[u8]>((Bound::Included(from), upper))
        .map_err(internal)?
    {
        let (key, revision) = entry.map_err(internal)?;
        if items.len() == limit {
            remaining += 1;
            continue;
        }
        let key = key.value();
        let revision = revision.value();
        let bytes = kv
            .get((key, revision))
            .map_err(internal)?
            .ok_or_else(|| StorageError::Internal("latest version is missing".into()))?;
        items.push(Record::decode(bytes.value())?.into_key_value(key, revision)?);
    }
    Ok((items, remaining))
}

/// Keys as they were at `at`: for each key, its newest version not after
/// `at`, skipped when that version is a tombstone.
fn list_at(
    txn: &ReadTransaction,
    from: &[u8],
    to: Option<&[u8]>,
    limit: usize,
    at: Revision,
) -> StorageResult<(Vec<KeyValue>, u64)> {
    let kv = txn.open_table(KV).map_err(internal)?;
    let lower: (&[u8], u64) = (from, 0);
    let upper = to.map_or(Bound::Unbounded, |to| Bound::Excluded((to, 0u64)));
    let mut items = Vec::new();
    let mut remaining = 0u64;
    // The candidate for the key being scanned: (key, revision, record bytes).
    let mut candidate: Option<(Vec<u8>, Revision, Vec<u8>)> = None;
    let settle = |candidate: Option<(Vec<u8>, Revision, Vec<u8>)>,
                  items: &mut Vec<KeyValue>,
                  remaining: &mut u64|
     -> StorageResult<()> {
        if let Some((key, revision, bytes)) = candidate {
            let record = Record::decode(&bytes)?;
            if !record.tombstone {
                if items.len() < limit {
                    items.push(record.into_key_value(&key, revision)?);
                } else {
                    *remaining += 1;
                }
            }
        }
        Ok(())
    };
    let mut current_key: Option<Vec<u8>> = None;
    for entry in kv
        .range::<(&[u8], u64)>((Bound::Included(lower), upper))
        .map_err(internal)?
    {
        let (k, v) = entry.map_err(internal)?;
        let (key, revision) = k.value();
        if current_key.as_deref() != Some(key) {
            settle(candidate.take(), &mut items, &mut remaining)?;
            current_key = Some(key.to_vec());
        }
        if revision <= at {
            candidate = Some((key.to_vec(), revision, v.value().to_vec()));
        }
    }
    settle(candidate.take(), &mut items, &mut remaining)?;
    Ok((items, remaining))
}

pub fn count(txn: &ReadTransaction, prefix: &str) -> StorageResult<u64> {
    let latest = txn.open_table(LATEST).map_err(internal)?;
    let (from, to) = range_bounds(prefix, prefix);
    let upper = to.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
    let range = latest
        .range::<&[u8]>((Bound::Included(from.as_slice()), upper))
        .map_err(internal)?;
    let mut n = 0;
    for entry in range {
        entry.map_err(internal)?;
        n += 1;
    }
    Ok(n)
}

/// The events under `prefix` with revisions in `(after, up_to]`, rebuilt
/// from history for a watch that starts in the past. Scans at most
/// `max_rows` writes; returns the events and the last revision scanned, from
/// which the next call continues. Fails with `Compacted` if compaction has
/// removed any of them.
pub fn events_between(
    txn: &ReadTransaction,
    prefix: &[u8],
    after: Revision,
    up_to: Revision,
    max_rows: usize,
) -> StorageResult<(Vec<WatchEvent>, Revision)> {
    let (_, compacted) = revisions(txn)?;
    if after + 1 < compacted {
        return Err(StorageError::Compacted {
            requested: after + 1,
            compacted,
        });
    }
    let log = txn.open_table(LOG).map_err(internal)?;
    let mut events = Vec::new();
    let mut scanned = after;
    for entry in log
        .range((after + 1)..=up_to)
        .map_err(internal)?
        .take(max_rows)
    {
        let (revision, key) = entry.map_err(internal)?;
        let (revision, key) = (revision.value(), key.value());
        scanned = revision;
        if !key.starts_with(prefix) {
            continue;
        }
        let record = record_at(txn, key, revision)?.ok_or_else(|| {
            StorageError::Internal(format!("history of revision {revision} is missing"))
        })?;
        let prev = match record.prev_revision {
            0 => None,
            prev_revision => {
                let prev = record_at(txn, key, prev_revision)?.ok_or_else(|| {
                    StorageError::Internal(format!(
                        "previous version at revision {prev_revision} is missing"
                    ))
                })?;
                (!prev.tombstone)
                    .then(|| prev.into_key_value(key, prev_revision))
                    .transpose()?
            }
        };
        events.push(if record.tombstone {
            let prev = prev.ok_or_else(|| {
                StorageError::Internal(format!("delete at {revision} has no previous value"))
            })?;
            WatchEvent::Delete { prev, revision }
        } else {
            WatchEvent::Put {
                kv: record.into_key_value(key, revision)?,
                prev,
            }
        });
    }
    if scanned == after {
        // Nothing in the log between `after` and `up_to` (all compacted
        // rows were checked above), so the range is done.
        scanned = up_to;
    }
    Ok((events, scanned))
}
