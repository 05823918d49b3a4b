//! `create`: one transaction, "if the key has no create revision, put it".
//!
//! A key that does not exist (never did, or was deleted) has
//! `create_revision == 0` in etcd's compare, so a re-create after a delete
//! starts a new life with version 1, as the contract says.

use bytes::Bytes;
use etcd_client::{Compare, CompareOp, Txn, TxnOp};

use super::{EtcdStorage, header_revision};
use crate::storage::{KeyValue, StorageError, StorageResult};

pub async fn create(storage: &EtcdStorage, key: &str, value: Bytes) -> StorageResult<KeyValue> {
    // The failure branch reads nothing: `AlreadyExists` carries only the
    // key, and the existing value may be megabytes.
    let txn = Txn::new()
        .when([Compare::create_revision(key, CompareOp::Equal, 0)])
        .and_then([TxnOp::put(key, value.to_vec(), None)]);
    let mut kv = storage.kv.clone();
    let answer = storage
        .call(storage.context(0, value.len()), kv.txn(txn))
        .await?;
    if !answer.succeeded() {
        return Err(StorageError::AlreadyExists {
            key: key.to_owned(),
        });
    }
    // The transaction's header revision is the revision of its put.
    let revision = header_revision(answer.header())?;
    Ok(KeyValue {
        key: key.to_owned(),
        value,
        create_revision: revision,
        mod_revision: revision,
        version: 1,
    })
}
