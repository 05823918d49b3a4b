//! Typed storage errors: the API layer maps each to an upstream `Status`.

use super::{KeyValue, Revision};

pub type StorageResult<T> = Result<T, StorageError>;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StorageError {
    #[error("key {key:?} not found")]
    NotFound { key: String },

    #[error("key {key:?} already exists")]
    AlreadyExists { key: String },

    /// A compare-and-swap lost: `current` is the value it lost to (`None` if
    /// the key is gone).
    #[error("key {key:?} was modified: expected mod_revision {expected}")]
    Conflict {
        key: String,
        expected: Revision,
        current: Option<Box<KeyValue>>,
    },

    /// The revision asked for is older than the compaction point.
    #[error("revision {requested} has been compacted (compacted up to {compacted})")]
    Compacted {
        requested: Revision,
        compacted: Revision,
    },

    /// The revision asked for has not happened yet.
    #[error("revision {requested} is in the future (current revision {current})")]
    FutureRevision {
        requested: Revision,
        current: Revision,
    },

    /// A watcher fell so far behind that its buffer overflowed; it must
    /// re-list, exactly as after [`StorageError::Compacted`].
    #[error("watcher fell behind by more than {buffered} events and was closed")]
    WatcherTooSlow { buffered: usize },

    #[error("invalid key: {0}")]
    InvalidKey(String),

    #[error("value of {size} bytes exceeds the limit of {limit} bytes")]
    ValueTooLarge { size: usize, limit: usize },

    /// The backend cannot be reached right now (etcd down, leader election in
    /// progress); the request may be retried.
    #[error("storage unavailable: {0}")]
    Unavailable(String),

    /// Anything else: a corrupt record, an I/O error, a bug.
    #[error("storage internal error: {0}")]
    Internal(String),
}

impl StorageError {
    /// Whether a watcher seeing this error must re-list (upstream answers
    /// these with 410 Gone / `Expired`).
    pub fn is_expired(&self) -> bool {
        matches!(
            self,
            StorageError::Compacted { .. } | StorageError::WatcherTooSlow { .. }
        )
    }

    /// Whether the same request may succeed if retried later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StorageError::Unavailable(_))
    }
}
