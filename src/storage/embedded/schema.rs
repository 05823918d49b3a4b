//! The on-disk layout of the embedded store: four redb tables and the
//! encoding of one MVCC record.
//!
//! * `kv`: `(key, revision)` → [`Record`]. Every version of every key that
//!   history still holds, ordered by key then revision, so both "latest at
//!   revision R" and "versions of one key" are range scans.
//! * `log`: `revision` → key. One row per write, so a watch can replay the
//!   changes after a revision in order.
//! * `latest`: key → `mod_revision` of every live key: the fast path for
//!   reads at the current revision.
//! * `meta`: the current revision and the compaction point.

use bytes::Bytes;
use redb::TableDefinition;

use crate::storage::{KeyValue, Revision, StorageError};

pub const KV: TableDefinition<(&[u8], u64), &[u8]> = TableDefinition::new("kv");
pub const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("log");
pub const LATEST: TableDefinition<&[u8], u64> = TableDefinition::new("latest");
pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// `meta` key: the revision of the last committed write.
pub const META_REVISION: &str = "revision";
/// `meta` key: history below this revision is gone (logically).
pub const META_COMPACTED: &str = "compacted";
/// `meta` key: history below this revision has been physically removed.
pub const META_COMPACTED_PHYSICAL: &str = "compacted_physical";

const HEADER_LEN: usize = 8 + 8 + 8 + 1;
const FLAG_TOMBSTONE: u8 = 1;

/// One version of one key: a put (value, create revision, version) or a
/// tombstone marking a delete. `prev_revision` names the version it
/// replaced (0 if none), which is how watches find the previous value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub create_revision: Revision,
    pub version: u64,
    pub prev_revision: Revision,
    pub tombstone: bool,
    pub value: Bytes,
}

impl Record {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.value.len());
        out.extend_from_slice(&self.create_revision.to_be_bytes());
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&self.prev_revision.to_be_bytes());
        out.push(if self.tombstone { FLAG_TOMBSTONE } else { 0 });
        out.extend_from_slice(&self.value);
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Record, StorageError> {
        if bytes.len() < HEADER_LEN {
            return Err(StorageError::Internal(format!(
                "corrupt record: {} bytes, header needs {HEADER_LEN}",
                bytes.len()
            )));
        }
        let word = |i: usize| u64::from_be_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
        Ok(Record {
            create_revision: word(0),
            version: word(8),
            prev_revision: word(16),
            tombstone: bytes[24] & FLAG_TOMBSTONE != 0,
            value: Bytes::copy_from_slice(&bytes[HEADER_LEN..]),
        })
    }

    /// This record as the [`KeyValue`] it was at `mod_revision`.
    pub fn into_key_value(
        self,
        key: &[u8],
        mod_revision: Revision,
    ) -> Result<KeyValue, StorageError> {
        Ok(KeyValue {
            key: key_string(key)?,
            value: self.value,
            create_revision: self.create_revision,
            mod_revision,
            version: self.version,
        })
    }
}

/// Keys are stored as bytes but were validated as UTF-8 strings on write.
pub fn key_string(key: &[u8]) -> Result<String, StorageError> {
    String::from_utf8(key.to_vec())
        .map_err(|_| StorageError::Internal("stored key is not UTF-8".into()))
}

/// Any redb failure is an internal storage error.
pub fn internal(error: impl std::fmt::Display) -> StorageError {
    StorageError::Internal(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips() {
        let record = Record {
            create_revision: 7,
            version: 3,
            prev_revision: 9,
            tombstone: false,
            value: Bytes::from_static(b"{\"a\":1}"),
        };
        assert_eq!(Record::decode(&record.encode()).unwrap(), record);
        let tombstone = Record {
            create_revision: 0,
            version: 0,
            prev_revision: 9,
            tombstone: true,
            value: Bytes::new(),
        };
        assert_eq!(Record::decode(&tombstone.encode()).unwrap(), tombstone);
        assert!(Record::decode(b"short").is_err());
    }
}
