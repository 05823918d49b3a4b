//! `delete`: unconditional, or compare-and-swap on `mod_revision`, in one
//! transaction that returns the deleted value (`prev_kv`).
//!
//! Both forms compare "the key exists" so that a missing key fails the
//! transaction (and takes no revision) rather than being a no-op delete.

use etcd_client::{Compare, CompareOp, DeleteOptions, Txn, TxnOp, TxnOpResponse};

use super::update::read_back;
use super::{EtcdStorage, header_revision, key_value, to_etcd};
use crate::storage::{KeyValue, Revision, StorageError, StorageResult};

pub async fn delete(
    storage: &EtcdStorage,
    key: &str,
    expected: Option<Revision>,
) -> StorageResult<(KeyValue, Revision)> {
    let mut compare = vec![Compare::version(key, CompareOp::Greater, 0)];
    if let Some(expected) = expected {
        compare.push(Compare::mod_revision(
            key,
            CompareOp::Equal,
            to_etcd(expected),
        ));
    }
    let mut txn = Txn::new().when(compare).and_then([TxnOp::delete(
        key,
        Some(DeleteOptions::new().with_prev_key()),
    )]);
    // Only a compare-and-swap can fail on an existing key, and only then is
    // the current value worth reading back.
    if expected.is_some() {
        txn = txn.or_else([TxnOp::get(key, None)]);
    }
    let mut kv = storage.kv.clone();
    let answer = storage.call(storage.context(0, 0), kv.txn(txn)).await?;
    if !answer.succeeded() {
        let current = match expected {
            Some(_) => read_back(&answer)?,
            None => None,
        };
        return Err(match (current, expected) {
            (Some(current), Some(expected)) => StorageError::Conflict {
                key: key.to_owned(),
                expected,
                current: Some(Box::new(current)),
            },
            _ => StorageError::NotFound {
                key: key.to_owned(),
            },
        });
    }
    let revision = header_revision(answer.header())?;
    let deleted = answer
        .op_responses()
        .into_iter()
        .find_map(|op| match op {
            TxnOpResponse::Delete(mut delete) => delete.take_prev_kvs().into_iter().next(),
            _ => None,
        })
        .ok_or_else(|| {
            StorageError::Internal(format!("etcd deleted {key:?} without its previous value"))
        })?;
    Ok((key_value(deleted)?, revision))
}
