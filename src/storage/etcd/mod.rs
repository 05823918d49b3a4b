//! The etcd backend: the [`Storage`] contract on an etcd 3.4+ cluster.
//!
//! etcd already has the contract's MVCC model, so most verbs are one etcd
//! request each, in the style of kine: one file per verb.
//!
//! * [`get`], [`list`] (with `count`): ranges, latest or at a revision;
//! * [`create`], [`update`], [`delete`]: one transaction each, comparing
//!   `create_revision`/`mod_revision` and reading the current value in the
//!   failure branch, so a lost compare-and-swap costs no second round trip;
//! * [`compact`]: etcd compaction, one revision below the one asked for (see
//!   there why) with this client enforcing the contract's point;
//! * [`watch`]: an etcd watch with `prev_kv`, driven by a task that turns
//!   responses into [`WatchEvent`](super::WatchEvent)s and re-watches from
//!   the last delivered revision when etcd goes away and comes back;
//! * [`error`]: etcd and transport failures as [`StorageError`]s.
//!
//! Every request carries a deadline ([`EtcdOptions::request_timeout`]): a
//! call while etcd is down fails with [`StorageError::Unavailable`] (which
//! is retryable) instead of hanging. For a write that times out the outcome
//! is unknown, as with any etcd client.

mod compact;
mod create;
mod delete;
pub mod error;
mod get;
mod list;
mod update;
mod watch;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use etcd_client::{ConnectOptions, KvClient, WatchClient};

use self::error::Context;
use super::key::{validate_key, validate_prefix, validate_value};
use super::{
    KeyValue, ListOptions, ListResult, Revision, Storage, StorageError, StorageResult, WatchStream,
};

/// The largest gRPC message the client sends or accepts. A list answer
/// holds many values of up to [`MAX_VALUE_BYTES`](super::MAX_VALUE_BYTES)
/// (3.5 MiB) each, far over tonic's 4 MiB default; protobuf cannot encode
/// messages over 2 GiB, so that is the ceiling (kube-apiserver uses the
/// same). Memory is only used as a message actually arrives.
pub const MAX_MESSAGE_BYTES: usize = i32::MAX as usize;

/// How to reach etcd and how long to wait for it.
#[derive(Clone, Debug)]
pub struct EtcdOptions {
    /// Client URLs, e.g. `http://127.0.0.1:2379`.
    pub endpoints: Vec<String>,
    /// How long establishing a connection may take.
    pub connect_timeout: Duration,
    /// How long any one request (not a watch) may take before it fails with
    /// [`StorageError::Unavailable`].
    pub request_timeout: Duration,
    /// HTTP/2 keep-alive ping interval and timeout: how a watch notices a
    /// server that stopped answering without closing the connection. etcd
    /// refuses pings more often than every 5 s (`--grpc-keepalive-min-time`).
    pub keep_alive: (Duration, Duration),
    /// The first and the longest pause between attempts to re-establish a
    /// broken watch.
    pub watch_backoff: (Duration, Duration),
}

impl EtcdOptions {
    /// The defaults for `endpoints`.
    pub fn new(endpoints: Vec<String>) -> EtcdOptions {
        EtcdOptions {
            endpoints,
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(10),
            keep_alive: (Duration::from_secs(30), Duration::from_secs(10)),
            watch_backoff: (Duration::from_millis(50), Duration::from_secs(2)),
        }
    }
}

/// The etcd backend. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct EtcdStorage {
    kv: KvClient,
    watch: WatchClient,
    options: Arc<EtcdOptions>,
    /// The contract's compaction point as far as this client knows it: the
    /// highest revision it compacted at, or learned from etcd (see
    /// [`compact`]).
    compacted: Arc<AtomicU64>,
    /// Watch tasks still running (for tests and metrics).
    watches: Arc<AtomicUsize>,
    /// Whether the server's requested progress notifications need a
    /// second round trip to be trusted (see `watch`).
    confirm_progress: bool,
}

impl std::fmt::Debug for EtcdStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdStorage")
            .field("endpoints", &self.options.endpoints)
            .finish()
    }
}

/// Connects to etcd at `endpoints` with the default options. Same as
/// [`EtcdStorage::connect`].
pub async fn connect(endpoints: Vec<String>) -> StorageResult<EtcdStorage> {
    EtcdStorage::connect(endpoints).await
}

impl EtcdStorage {
    /// Connects to etcd at `endpoints` with the default [`EtcdOptions`].
    pub async fn connect(endpoints: Vec<String>) -> StorageResult<EtcdStorage> {
        EtcdStorage::connect_with(EtcdOptions::new(endpoints)).await
    }

    /// Connects to etcd and checks that it answers. Fails with
    /// [`StorageError::Unavailable`] if no endpoint does within the
    /// timeouts: a caller starting up can retry, as after any outage.
    pub async fn connect_with(options: EtcdOptions) -> StorageResult<EtcdStorage> {
        if options.endpoints.is_empty() {
            return Err(StorageError::Internal("no etcd endpoints given".into()));
        }
        let connect = ConnectOptions::new()
            .with_connect_timeout(options.connect_timeout)
            .with_keep_alive(options.keep_alive.0, options.keep_alive.1)
            // Pings without an open stream count as abuse to etcd's gRPC
            // server, which then closes the connection.
            .with_keep_alive_while_idle(false)
            // A member cut off from its cluster fails requests (and closes
            // watches) instead of serving stale data; the client retries or
            // re-watches, possibly on another member.
            .with_require_leader(true);
        let client = etcd_client::Client::connect(&options.endpoints, Some(connect))
            .await
            .map_err(|e| error::map(e, Context::default()))?;
        let kv = client
            .kv_client()
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES);
        let watch = client
            .watch_client()
            .max_decoding_message_size(MAX_MESSAGE_BYTES);
        let mut storage = EtcdStorage {
            kv,
            watch,
            options: Arc::new(options),
            compacted: Arc::new(AtomicU64::new(0)),
            watches: Arc::new(AtomicUsize::new(0)),
            confirm_progress: false,
        };
        let mut maintenance = client.maintenance_client();
        let status = storage
            .call(Context::default(), maintenance.status())
            .await?;
        storage.confirm_progress = watch::check_server_version(status.version());
        Ok(storage)
    }

    /// The number of watch tasks still running: each [`WatchStream`] from
    /// this store has one until it is dropped or has ended.
    pub fn active_watches(&self) -> usize {
        self.watches.load(Ordering::Acquire)
    }

    /// Runs one etcd request under the request deadline, mapping failures.
    async fn call<T>(
        &self,
        context: Context,
        request: impl Future<Output = Result<T, etcd_client::Error>>,
    ) -> StorageResult<T> {
        // The deadline is kept here rather than in the gRPC channel, so that
        // it also covers waiting for a connection and opening a watch.
        let timeout = self.options.request_timeout;
        let endpoints = || self.options.endpoints.join(",");
        match tokio::time::timeout(timeout, request).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => Err(match error::map(e, context) {
                StorageError::Unavailable(message) => {
                    StorageError::Unavailable(format!("{message} (etcd at {})", endpoints()))
                }
                other => other,
            }),
            Err(_) => Err(StorageError::Unavailable(format!(
                "etcd at {} did not answer within {timeout:?}",
                endpoints()
            ))),
        }
    }

    /// The error context with this client's compaction point.
    fn context(&self, requested: Revision, value_size: usize) -> Context {
        Context {
            requested,
            compacted: self.compacted.load(Ordering::Acquire),
            value_size,
        }
    }

    /// Raises the known compaction point to `revision`.
    fn saw_compaction(&self, revision: Revision) {
        self.compacted.fetch_max(revision, Ordering::AcqRel);
    }

    /// Completes a `FutureRevision` error with the current revision, which
    /// etcd's refusal does not carry.
    async fn complete(&self, error: StorageError) -> StorageError {
        match error {
            StorageError::FutureRevision { requested, .. } => StorageError::FutureRevision {
                requested,
                current: self.current_revision().await.unwrap_or(0),
            },
            other => other,
        }
    }
}

/// A revision as etcd takes it. Revisions past `i64::MAX` do not exist, so
/// saturating keeps them "in the future".
fn to_etcd(revision: Revision) -> i64 {
    i64::try_from(revision).unwrap_or(i64::MAX)
}

/// A revision etcd reported. etcd never reports negative ones.
fn from_etcd(revision: i64) -> Revision {
    Revision::try_from(revision).unwrap_or(0)
}

/// The revision an etcd response was served at.
fn header_revision(header: Option<&etcd_client::ResponseHeader>) -> StorageResult<Revision> {
    header
        .map(|h| from_etcd(h.revision()))
        .ok_or_else(|| StorageError::Internal("etcd answered without a response header".into()))
}

/// An etcd key-value as the contract's [`KeyValue`], taking its buffers
/// without copying (values can be megabytes).
fn key_value(kv: etcd_client::KeyValue) -> StorageResult<KeyValue> {
    let (create_revision, mod_revision, version) = (
        from_etcd(kv.create_revision()),
        from_etcd(kv.mod_revision()),
        from_etcd(kv.version()),
    );
    let (key, value) = kv.into_key_value();
    Ok(KeyValue {
        key: key_string(key)?,
        value: Bytes::from(value),
        create_revision,
        mod_revision,
        version,
    })
}

/// A key etcd returned, as a string. keelson only writes valid UTF-8 keys;
/// anything else was written by someone else under keelson's prefix.
fn key_string(key: Vec<u8>) -> StorageResult<String> {
    String::from_utf8(key).map_err(|e| {
        StorageError::Internal(format!(
            "etcd holds a key that is not UTF-8: {:?}",
            String::from_utf8_lossy(e.as_bytes())
        ))
    })
}

/// The end of the etcd range that holds every key under `prefix`: etcd's
/// "\0" means "no end" for the prefix of all 0xff bytes.
fn range_end(prefix: &str) -> Vec<u8> {
    super::key::prefix_end(prefix.as_bytes()).unwrap_or_else(|| vec![0])
}

#[async_trait]
impl Storage for EtcdStorage {
    async fn current_revision(&self) -> StorageResult<Revision> {
        get::current_revision(self).await
    }

    async fn get(&self, key: &str) -> StorageResult<(Option<KeyValue>, Revision)> {
        validate_key(key)?;
        get::get(self, key).await
    }

    async fn list(&self, prefix: &str, options: ListOptions) -> StorageResult<ListResult> {
        validate_prefix(prefix)?;
        list::list(self, prefix, &options).await
    }

    async fn count(&self, prefix: &str) -> StorageResult<u64> {
        validate_prefix(prefix)?;
        list::count(self, prefix).await
    }

    async fn create(&self, key: &str, value: Bytes) -> StorageResult<KeyValue> {
        validate_key(key)?;
        validate_value(&value)?;
        create::create(self, key, value).await
    }

    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected_mod_revision: Revision,
    ) -> StorageResult<KeyValue> {
        validate_key(key)?;
        validate_value(&value)?;
        update::update(self, key, value, expected_mod_revision).await
    }

    async fn delete(
        &self,
        key: &str,
        expected_mod_revision: Option<Revision>,
    ) -> StorageResult<(KeyValue, Revision)> {
        validate_key(key)?;
        delete::delete(self, key, expected_mod_revision).await
    }

    async fn watch(&self, prefix: &str, after: Revision) -> StorageResult<WatchStream> {
        validate_prefix(prefix)?;
        watch::watch(self, prefix, after).await
    }

    async fn compact(&self, revision: Revision) -> StorageResult<()> {
        compact::compact(self, revision).await
    }

    fn progress_is_ordered(&self) -> bool {
        !self.confirm_progress
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_convert_without_wrapping() {
        assert_eq!(to_etcd(5), 5);
        assert_eq!(to_etcd(u64::MAX), i64::MAX);
        assert_eq!(from_etcd(7), 7);
        assert_eq!(from_etcd(-1), 0);
    }

    #[test]
    fn prefix_ranges() {
        assert_eq!(range_end("/registry/pods/"), b"/registry/pods0".to_vec());
        assert_eq!(range_end("a"), b"b".to_vec());
        // A &str never ends in 0xff (not valid UTF-8), so the last byte can
        // always be incremented and the open-ended "\0" end is only a
        // fallback.
        assert_eq!(range_end("/\u{10FFFF}"), b"/\xf4\x8f\xbf\xc0".to_vec());
    }

    #[test]
    fn keys_must_be_utf8() {
        assert_eq!(key_string(b"/a".to_vec()).unwrap(), "/a");
        assert!(matches!(
            key_string(vec![b'/', 0xff]),
            Err(StorageError::Internal(_))
        ));
    }
}
