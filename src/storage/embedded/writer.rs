//! The single writer thread: group commit.
//!
//! Every write is a message to one thread. The thread takes whatever has
//! queued up (up to a batch limit), applies each operation in order inside
//! one redb write transaction, each successful one taking the next
//! revision, and commits once with an fsync. Only then does it publish the
//! batch's events to watchers and answer the callers. N concurrent writers
//! therefore cost one fsync, not N, and a caller that got `Ok` knows its
//! write is on disk.

use std::sync::Arc;

use bytes::Bytes;
use redb::{Database, ReadableTable, Table};
use tokio::sync::{mpsc, oneshot};

use super::compact;
use super::schema::{
    KV, LATEST, LOG, META, META_COMPACTED, META_COMPACTED_PHYSICAL, META_REVISION, Record, internal,
};
use super::watch::Hub;
use crate::storage::{KeyValue, Revision, StorageError, StorageResult, WatchEvent};

/// How many operations one commit takes at most.
const MAX_BATCH_OPS: usize = 1024;
/// How many value bytes one commit takes at most (a batch always takes at
/// least one operation).
const MAX_BATCH_BYTES: usize = 32 * 1024 * 1024;

/// One write, as sent to the writer thread.
pub enum WriteOp {
    Create {
        key: String,
        value: Bytes,
    },
    Update {
        key: String,
        value: Bytes,
        expected: Revision,
    },
    Delete {
        key: String,
        expected: Option<Revision>,
    },
    Compact {
        revision: Revision,
    },
}

impl WriteOp {
    fn value_len(&self) -> usize {
        match self {
            WriteOp::Create { value, .. } | WriteOp::Update { value, .. } => value.len(),
            _ => 0,
        }
    }
}

/// What a successful write answers.
pub enum WriteOutcome {
    Put(KeyValue),
    Deleted(KeyValue, Revision),
    Compacted,
}

pub type Reply = oneshot::Sender<StorageResult<WriteOutcome>>;

/// The writer's state: the database and the revisions it owns.
pub struct Writer {
    db: Arc<Database>,
    hub: Arc<Hub>,
    revision: Revision,
    compacted: Revision,
    compacted_physical: Revision,
}

impl Writer {
    pub fn new(db: Arc<Database>, hub: Arc<Hub>) -> StorageResult<Writer> {
        let txn = db.begin_write().map_err(internal)?;
        let (revision, compacted, compacted_physical) = {
            // Create every table so readers never find one missing.
            txn.open_table(KV).map_err(internal)?;
            txn.open_table(LOG).map_err(internal)?;
            txn.open_table(LATEST).map_err(internal)?;
            let meta = txn.open_table(META).map_err(internal)?;
            let read = |name: &str| -> StorageResult<Revision> {
                Ok(meta
                    .get(name)
                    .map_err(internal)?
                    .map(|v| v.value())
                    .unwrap_or(0))
            };
            (
                read(META_REVISION)?,
                read(META_COMPACTED)?,
                read(META_COMPACTED_PHYSICAL)?,
            )
        };
        txn.commit().map_err(internal)?;
        hub.set_revisions(revision, compacted);
        Ok(Writer {
            db,
            hub,
            revision,
            compacted,
            compacted_physical,
        })
    }

    /// Runs until every sender is gone. While physical compaction is
    /// behind, an idle writer commits one compaction chunk at a time instead
    /// of sleeping.
    pub fn run(mut self, mut requests: mpsc::Receiver<(WriteOp, Reply)>) {
        let mut batch = Vec::with_capacity(MAX_BATCH_OPS);
        loop {
            if self.compacted_physical < self.compacted {
                match requests.try_recv() {
                    Ok(request) => batch.push(request),
                    Err(mpsc::error::TryRecvError::Empty) => {}
                    Err(mpsc::error::TryRecvError::Disconnected) => return,
                }
            } else {
                match requests.blocking_recv() {
                    Some(request) => batch.push(request),
                    None => return,
                }
            }
            let mut bytes = batch.iter().map(|(op, _)| op.value_len()).sum::<usize>();
            while batch.len() < MAX_BATCH_OPS && bytes < MAX_BATCH_BYTES {
                match requests.try_recv() {
                    Ok(request) => {
                        bytes += request.0.value_len();
                        batch.push(request);
                    }
                    Err(_) => break,
                }
            }
            self.commit_batch(&mut batch);
        }
    }

    /// Applies, commits and answers one batch (which it empties).
    fn commit_batch(&mut self, batch: &mut Vec<(WriteOp, Reply)>) {
        let start_revision = self.revision;
        let start_compacted = self.compacted;
        let result = self.apply_batch(batch);
        let (outcomes, events) = match result {
            Ok(applied) => applied,
            Err(error) => {
                // Nothing in the batch is durable: fail every caller.
                self.revision = start_revision;
                self.compacted = start_compacted;
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(error.clone()));
                }
                return;
            }
        };
        self.hub.publish(&events, self.revision, self.compacted);
        for ((_, reply), outcome) in batch.drain(..).zip(outcomes) {
            let _ = reply.send(outcome);
        }
    }

    fn apply_batch(
        &mut self,
        batch: &[(WriteOp, Reply)],
    ) -> StorageResult<(Vec<StorageResult<WriteOutcome>>, Vec<WatchEvent>)> {
        let txn = self.db.begin_write().map_err(internal)?;
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut events = Vec::with_capacity(batch.len());
        {
            let mut tables = Tables {
                kv: txn.open_table(KV).map_err(internal)?,
                log: txn.open_table(LOG).map_err(internal)?,
                latest: txn.open_table(LATEST).map_err(internal)?,
            };
            for (op, _) in batch {
                outcomes.push(self.apply(&mut tables, op, &mut events)?);
            }
        }
        if self.compacted_physical < self.compacted {
            self.compacted_physical = compact::step(&txn, self.compacted_physical, self.compacted)?;
        }
        {
            let mut meta = txn.open_table(META).map_err(internal)?;
            meta.insert(META_REVISION, self.revision)
                .map_err(internal)?;
            meta.insert(META_COMPACTED, self.compacted)
                .map_err(internal)?;
            meta.insert(META_COMPACTED_PHYSICAL, self.compacted_physical)
                .map_err(internal)?;
        }
        txn.commit().map_err(internal)?;
        Ok((outcomes, events))
    }

    /// Applies one operation. `Err` aborts the whole batch (an I/O or
    /// corruption error); a refused operation (CAS lost, key exists) is an
    /// `Ok(Err(..))` that takes no revision.
    fn apply(
        &mut self,
        tables: &mut Tables<'_>,
        op: &WriteOp,
        events: &mut Vec<WatchEvent>,
    ) -> StorageResult<StorageResult<WriteOutcome>> {
        match op {
            WriteOp::Create { key, value } => {
                if tables.current(key)?.is_some() {
                    return Ok(Err(StorageError::AlreadyExists { key: key.clone() }));
                }
                let revision = self.revision + 1;
                let record = Record {
                    create_revision: revision,
                    version: 1,
                    prev_revision: 0,
                    tombstone: false,
                    value: value.clone(),
                };
                tables.put(key, revision, &record)?;
                self.revision = revision;
                let kv = record.into_key_value(key.as_bytes(), revision)?;
                events.push(WatchEvent::Put {
                    kv: kv.clone(),
                    prev: None,
                });
                Ok(Ok(WriteOutcome::Put(kv)))
            }
            WriteOp::Update {
                key,
                value,
                expected,
            } => {
                let Some(prev) = tables.current(key)? else {
                    return Ok(Err(StorageError::NotFound { key: key.clone() }));
                };
                if prev.mod_revision != *expected {
                    return Ok(Err(StorageError::Conflict {
                        key: key.clone(),
                        expected: *expected,
                        current: Some(Box::new(prev)),
                    }));
                }
                let revision = self.revision + 1;
                let record = Record {
                    create_revision: prev.create_revision,
                    version: prev.version + 1,
                    prev_revision: prev.mod_revision,
                    tombstone: false,
                    value: value.clone(),
                };
                tables.put(key, revision, &record)?;
                self.revision = revision;
                let kv = record.into_key_value(key.as_bytes(), revision)?;
                events.push(WatchEvent::Put {
                    kv: kv.clone(),
                    prev: Some(prev),
                });
                Ok(Ok(WriteOutcome::Put(kv)))
            }
            WriteOp::Delete { key, expected } => {
                let Some(prev) = tables.current(key)? else {
                    return Ok(Err(StorageError::NotFound { key: key.clone() }));
                };
                if let Some(expected) = expected
                    && prev.mod_revision != *expected
                {
                    return Ok(Err(StorageError::Conflict {
                        key: key.clone(),
                        expected: *expected,
                        current: Some(Box::new(prev)),
                    }));
                }
                let revision = self.revision + 1;
                let tombstone = Record {
                    create_revision: 0,
                    version: 0,
                    prev_revision: prev.mod_revision,
                    tombstone: true,
                    value: Bytes::new(),
                };
                tables.put(key, revision, &tombstone)?;
                self.revision = revision;
                events.push(WatchEvent::Delete {
                    prev: prev.clone(),
                    revision,
                });
                Ok(Ok(WriteOutcome::Deleted(prev, revision)))
            }
            WriteOp::Compact { revision } => {
                if *revision > self.revision {
                    return Ok(Err(StorageError::FutureRevision {
                        requested: *revision,
                        current: self.revision,
                    }));
                }
                if *revision <= self.compacted {
                    return Ok(Err(StorageError::Compacted {
                        requested: *revision,
                        compacted: self.compacted,
                    }));
                }
                self.compacted = *revision;
                Ok(Ok(WriteOutcome::Compacted))
            }
        }
    }
}

/// The tables one batch writes, opened once per commit.
struct Tables<'txn> {
    kv: Table<'txn, (&'static [u8], u64), &'static [u8]>,
    log: Table<'txn, u64, &'static [u8]>,
    latest: Table<'txn, &'static [u8], u64>,
}

impl Tables<'_> {
    /// The live value of `key`, if any.
    fn current(&self, key: &str) -> StorageResult<Option<KeyValue>> {
        let Some(revision) = self
            .latest
            .get(key.as_bytes())
            .map_err(internal)?
            .map(|v| v.value())
        else {
            return Ok(None);
        };
        let bytes = self
            .kv
            .get((key.as_bytes(), revision))
            .map_err(internal)?
            .ok_or_else(|| StorageError::Internal(format!("latest of {key:?} is missing")))?;
        Ok(Some(
            Record::decode(bytes.value())?.into_key_value(key.as_bytes(), revision)?,
        ))
    }

    /// Records `record` as the version of `key` at `revision`, logs the
    /// write, and points `latest` at it (or drops `key` for a tombstone).
    fn put(&mut self, key: &str, revision: Revision, record: &Record) -> StorageResult<()> {
        let key = key.as_bytes();
        self.kv
            .insert((key, revision), record.encode().as_slice())
            .map_err(internal)?;
        self.log.insert(revision, key).map_err(internal)?;
        if record.tombstone {
            self.latest.remove(key).map_err(internal)?;
        } else {
            self.latest.insert(key, revision).map_err(internal)?;
        }
        Ok(())
    }
}
