//! Range reads: `list` (paged, latest or at a past revision) and `count`.
//!
//! One etcd range answers a page: etcd's `count` is the number of keys in
//! the whole range from the start key regardless of `limit`, so the keys
//! left after the page are `count - items`, with no second request.

use etcd_client::GetOptions;

use super::{EtcdStorage, header_revision, key_value, range_end, to_etcd};
use crate::storage::key::list_start;
use crate::storage::{ListOptions, ListResult, StorageError, StorageResult};

pub async fn list(
    storage: &EtcdStorage,
    prefix: &str,
    options: &ListOptions,
) -> StorageResult<ListResult> {
    let start = list_start(prefix, options.start_key.as_deref())?;
    let context = storage.context(options.revision, 0);
    // etcd's own compaction point sits one revision below the contract's
    // (see `compact`), so etcd would still serve that one revision.
    if options.revision != 0 && options.revision < context.compacted {
        return Err(StorageError::Compacted {
            requested: options.revision,
            compacted: context.compacted,
        });
    }
    let mut range = GetOptions::new().with_range(range_end(prefix));
    if options.limit > 0 {
        range = range.with_limit(i64::try_from(options.limit).unwrap_or(i64::MAX));
    }
    if options.revision > 0 {
        range = range.with_revision(to_etcd(options.revision));
    }
    let mut kv = storage.kv.clone();
    let answer = storage.call(context, kv.get(start, Some(range))).await;
    let mut answer = match answer {
        Ok(answer) => answer,
        Err(e) => return Err(storage.complete(e).await),
    };
    let served = match options.revision {
        0 => header_revision(answer.header())?,
        at => at,
    };
    let (more, count) = (answer.more(), answer.count());
    let items = answer
        .take_kvs()
        .into_iter()
        .map(key_value)
        .collect::<StorageResult<Vec<_>>>()?;
    let remaining = u64::try_from(count)
        .unwrap_or(0)
        .saturating_sub(items.len() as u64);
    Ok(ListResult {
        items,
        revision: served,
        more: more && remaining > 0,
        remaining: if more { remaining } else { 0 },
    })
}

/// The number of live keys under `prefix`: a count-only range, which etcd
/// answers from its index without reading values.
pub async fn count(storage: &EtcdStorage, prefix: &str) -> StorageResult<u64> {
    let range = GetOptions::new()
        .with_range(range_end(prefix))
        .with_count_only();
    let mut kv = storage.kv.clone();
    let answer = storage
        .call(storage.context(0, 0), kv.get(prefix, Some(range)))
        .await?;
    Ok(u64::try_from(answer.count()).unwrap_or(0))
}
