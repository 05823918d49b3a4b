//! Point reads: `get` and `current_revision`.
//!
//! Both are linearizable etcd ranges (the default), so a read after an
//! acknowledged write sees it, on any member.

use etcd_client::GetOptions;

use super::{EtcdStorage, header_revision, key_value};
use crate::storage::{KeyValue, Revision, StorageResult};

/// The value of `key` at the latest revision, and that revision.
pub async fn get(storage: &EtcdStorage, key: &str) -> StorageResult<(Option<KeyValue>, Revision)> {
    let mut kv = storage.kv.clone();
    let mut answer = storage
        .call(storage.context(0, 0), kv.get(key, None))
        .await?;
    let revision = header_revision(answer.header())?;
    let found = answer
        .take_kvs()
        .into_iter()
        .next()
        .map(key_value)
        .transpose()?;
    Ok((found, revision))
}

/// The latest revision: the header of the cheapest range there is (a count
/// of one key, no values sent back).
pub async fn current_revision(storage: &EtcdStorage) -> StorageResult<Revision> {
    let mut kv = storage.kv.clone();
    let options = GetOptions::new().with_count_only();
    let answer = storage
        .call(storage.context(0, 0), kv.get(*b"\0", Some(options)))
        .await?;
    header_revision(answer.header())
}
