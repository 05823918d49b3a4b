//! `update`: compare-and-swap on `mod_revision` in one transaction.
//!
//! Success branch: the put, then a keys-only read of the key, which returns
//! the new create revision and version without sending the value back.
//! Failure branch: a read of the current value, so that `Conflict` can
//! carry it (or `NotFound` be told apart) without another round trip.

use bytes::Bytes;
use etcd_client::{Compare, CompareOp, GetOptions, Txn, TxnOp, TxnOpResponse, TxnResponse};

use super::{EtcdStorage, header_revision, key_value, to_etcd};
use crate::storage::{KeyValue, Revision, StorageError, StorageResult};

pub async fn update(
    storage: &EtcdStorage,
    key: &str,
    value: Bytes,
    expected: Revision,
) -> StorageResult<KeyValue> {
    let txn = Txn::new()
        .when([
            Compare::mod_revision(key, CompareOp::Equal, to_etcd(expected)),
            // A missing key has mod_revision 0: without this, an update
            // expecting 0 would create the key.
            Compare::version(key, CompareOp::Greater, 0),
        ])
        .and_then([
            TxnOp::put(key, value.to_vec(), None),
            TxnOp::get(key, Some(GetOptions::new().with_keys_only())),
        ])
        .or_else([TxnOp::get(key, None)]);
    let mut kv = storage.kv.clone();
    let answer = storage
        .call(storage.context(0, value.len()), kv.txn(txn))
        .await?;
    if !answer.succeeded() {
        return Err(match read_back(&answer)? {
            None => StorageError::NotFound {
                key: key.to_owned(),
            },
            Some(current) => StorageError::Conflict {
                key: key.to_owned(),
                expected,
                current: Some(Box::new(current)),
            },
        });
    }
    let revision = header_revision(answer.header())?;
    let written = read_back(&answer)?.ok_or_else(|| {
        StorageError::Internal(format!(
            "etcd lost {key:?} inside the transaction that put it"
        ))
    })?;
    if written.mod_revision != revision {
        return Err(StorageError::Internal(format!(
            "etcd put {key:?} at revision {revision} but read it back at {}",
            written.mod_revision
        )));
    }
    Ok(KeyValue { value, ..written })
}

/// The key read by the branch of `answer` that ran (its last get), if it
/// exists. Shared with `delete`.
pub fn read_back(answer: &TxnResponse) -> StorageResult<Option<KeyValue>> {
    for op in answer.op_responses().into_iter().rev() {
        if let TxnOpResponse::Get(mut get) = op {
            return get.take_kvs().into_iter().next().map(key_value).transpose();
        }
    }
    Err(StorageError::Internal(
        "etcd's transaction answer lacks its read".into(),
    ))
}
