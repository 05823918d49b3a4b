//! The values the [`Storage`](super::Storage) contract passes around.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};

use super::StorageResult;

/// A store revision. Every write takes the next one; they never go back.
/// 0 means "no revision" (the empty store, or "latest" in options).
pub type Revision = u64;

/// One key with its value and MVCC metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: Bytes,
    /// The revision of the write that created this key (since its last delete).
    pub create_revision: Revision,
    /// The revision of the last write to this key.
    pub mod_revision: Revision,
    /// Writes since creation: 1 after create, +1 for every update.
    pub version: u64,
}

/// What a [`list`](super::Storage::list) reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// Start at this key (inclusive) instead of at the prefix; the
    /// continuation point of a paged list.
    pub start_key: Option<String>,
    /// At most this many items; 0 means no limit.
    pub limit: usize,
    /// Read at this revision; 0 means the latest.
    pub revision: Revision,
}

/// What a [`list`](super::Storage::list) returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListResult {
    pub items: Vec<KeyValue>,
    /// The revision the list was served at.
    pub revision: Revision,
    /// Whether keys past the last item remain under the prefix.
    pub more: bool,
    /// How many keys remain after the last item (0 unless `more`).
    pub remaining: u64,
}

/// One change seen by a watch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WatchEvent {
    /// `kv` was created or updated; `prev` is the value it replaced.
    Put {
        kv: KeyValue,
        prev: Option<KeyValue>,
    },
    /// `prev` (the last value) was deleted at `revision`.
    Delete { prev: KeyValue, revision: Revision },
    /// Every change up to `revision` under the watched prefix has been
    /// delivered. Lets a watcher advance its revision without events.
    Progress { revision: Revision },
}

impl WatchEvent {
    /// The revision this event happened at (or the progress reported).
    pub fn revision(&self) -> Revision {
        match self {
            WatchEvent::Put { kv, .. } => kv.mod_revision,
            WatchEvent::Delete { revision, .. } => *revision,
            WatchEvent::Progress { revision } => *revision,
        }
    }

    /// The key this event is about (`None` for progress).
    pub fn key(&self) -> Option<&str> {
        match self {
            WatchEvent::Put { kv, .. } => Some(&kv.key),
            WatchEvent::Delete { prev, .. } => Some(&prev.key),
            WatchEvent::Progress { .. } => None,
        }
    }
}

/// The stream a watch delivers.
///
/// It ends after yielding an error: a watcher that sees
/// [`StorageError::Compacted`](super::StorageError::Compacted) or
/// [`StorageError::WatcherTooSlow`](super::StorageError::WatcherTooSlow) must
/// re-list and watch again from the list's revision.
pub struct WatchStream {
    events: BoxStream<'static, StorageResult<WatchEvent>>,
    progress: Box<dyn Fn() + Send + Sync>,
    ended: bool,
}

impl WatchStream {
    /// Wraps a backend's event stream and its way of asking for progress.
    pub fn new(
        events: impl Stream<Item = StorageResult<WatchEvent>> + Send + 'static,
        request_progress: impl Fn() + Send + Sync + 'static,
    ) -> WatchStream {
        WatchStream {
            events: events.boxed(),
            progress: Box::new(request_progress),
            ended: false,
        }
    }

    /// Asks the backend for a [`WatchEvent::Progress`] at its current
    /// revision, delivered after every event up to that revision. Used to
    /// learn that a quiet watch is up to date (consistent reads from a
    /// watch cache, bookmarks).
    pub fn request_progress(&self) {
        (self.progress)();
    }
}

impl Stream for WatchStream {
    type Item = StorageResult<WatchEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let next = self.events.poll_next_unpin(cx);
        if let Poll::Ready(Some(Err(_)) | None) = &next {
            self.ended = true;
        }
        next
    }
}

impl std::fmt::Debug for WatchStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchStream")
            .field("ended", &self.ended)
            .finish()
    }
}
