//! Watches: live fan-out from the commit path, and replay of history for
//! watches that start in the past.
//!
//! The writer publishes each committed batch to the [`Hub`] in revision
//! order. Every watcher has a bounded buffer; the writer only ever
//! `try_send`s into it, so a slow watcher can never stall writes. A watcher
//! whose buffer is full is dropped on the spot and its stream ends with
//! [`StorageError::WatcherTooSlow`]: the consumer re-lists, as it would
//! after a compaction.
//!
//! A watch from a past revision registers for live events first (under the
//! hub lock, which records the last published revision R), then replays
//! `(after, R]` from the log in chunks, then passes on the live events,
//! which all come after R. No event is missed or repeated.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use redb::{Database, ReadableDatabase};
use tokio::sync::mpsc;

use super::read;
use super::schema::internal;
use crate::storage::{Revision, StorageError, StorageResult, WatchEvent, WatchStream};

/// Events buffered per watcher before it is declared too slow, unless
/// configured otherwise.
pub const DEFAULT_WATCH_BUFFER: usize = 16 * 1024;
/// Log rows one replay step reads.
const REPLAY_CHUNK: usize = 1024;

struct Subscriber {
    id: u64,
    prefix: Vec<u8>,
    events: mpsc::Sender<WatchEvent>,
    too_slow: Arc<AtomicBool>,
}

#[derive(Default)]
struct HubState {
    next_id: u64,
    published: Revision,
    compacted: Revision,
    subscribers: Vec<Subscriber>,
}

/// The set of live watchers and the last revision they have been sent.
pub struct Hub {
    state: Mutex<HubState>,
    buffer: usize,
}

impl Hub {
    pub fn new(buffer: usize) -> Hub {
        Hub {
            state: Mutex::default(),
            buffer,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HubState> {
        // A panic while holding the lock cannot leave the state half-updated
        // in a way that matters more than losing the store, so keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_revisions(&self, published: Revision, compacted: Revision) {
        let mut state = self.lock();
        state.published = published;
        state.compacted = compacted;
    }

    /// Called by the writer after each commit, with the batch's events in
    /// revision order.
    pub fn publish(&self, events: &[WatchEvent], revision: Revision, compacted: Revision) {
        let mut state = self.lock();
        for event in events {
            let key = event.key().unwrap_or_default().as_bytes();
            state.subscribers.retain(|subscriber| {
                if !key.starts_with(&subscriber.prefix) {
                    return !subscriber.events.is_closed();
                }
                match subscriber.events.try_send(event.clone()) {
                    Ok(()) => true,
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        subscriber.too_slow.store(true, Ordering::Release);
                        false
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => false,
                }
            });
        }
        state.published = revision;
        state.compacted = compacted;
    }

    /// Sends one watcher a progress event at the last published revision.
    fn request_progress(&self, id: u64) {
        let mut state = self.lock();
        let revision = state.published;
        state.subscribers.retain(|subscriber| {
            if subscriber.id != id {
                return true;
            }
            match subscriber
                .events
                .try_send(WatchEvent::Progress { revision })
            {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    subscriber.too_slow.store(true, Ordering::Release);
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            }
        });
    }

    /// Starts a watch of `prefix` for changes after `after`.
    pub fn watch(
        self: &Arc<Self>,
        db: Arc<Database>,
        prefix: &str,
        after: Revision,
    ) -> StorageResult<WatchStream> {
        let (sender, receiver) = mpsc::channel(self.buffer);
        let too_slow = Arc::new(AtomicBool::new(false));
        let (id, published) = {
            let mut state = self.lock();
            if after > state.published {
                return Err(StorageError::FutureRevision {
                    requested: after,
                    current: state.published,
                });
            }
            if after + 1 < state.compacted {
                return Err(StorageError::Compacted {
                    requested: after + 1,
                    compacted: state.compacted,
                });
            }
            let id = state.next_id;
            state.next_id += 1;
            state.subscribers.push(Subscriber {
                id,
                prefix: prefix.as_bytes().to_vec(),
                events: sender,
                too_slow: too_slow.clone(),
            });
            (id, state.published)
        };
        let live = live_stream(receiver, too_slow, self.buffer);
        let events = if after < published {
            replay(db, prefix.as_bytes().to_vec(), after, published)
                .chain(live)
                .boxed()
        } else {
            live.boxed()
        };
        let hub = Arc::downgrade(self);
        Ok(WatchStream::new(events, move || {
            if let Some(hub) = hub.upgrade() {
                hub.request_progress(id);
            }
        }))
    }
}

/// Live events until the hub drops the watcher; then, if it was dropped
/// for being slow, one `WatcherTooSlow` error.
fn live_stream(
    receiver: mpsc::Receiver<WatchEvent>,
    too_slow: Arc<AtomicBool>,
    buffered: usize,
) -> impl futures::Stream<Item = StorageResult<WatchEvent>> + Send {
    futures::stream::unfold(Some(receiver), move |receiver| {
        let too_slow = too_slow.clone();
        async move {
            let mut receiver = receiver?;
            match receiver.recv().await {
                Some(event) => Some((Ok(event), Some(receiver))),
                None if too_slow.load(Ordering::Acquire) => {
                    Some((Err(StorageError::WatcherTooSlow { buffered }), None))
                }
                None => None,
            }
        }
    })
}

/// The events in `(after, up_to]` under `prefix`, read from history in
/// chunks; ends with an error (and nothing after it) if history is gone.
fn replay(
    db: Arc<Database>,
    prefix: Vec<u8>,
    after: Revision,
    up_to: Revision,
) -> impl futures::Stream<Item = StorageResult<WatchEvent>> + Send {
    struct Cursor {
        db: Arc<Database>,
        prefix: Arc<Vec<u8>>,
        next_after: Revision,
        up_to: Revision,
        failed: bool,
    }
    let cursor = Cursor {
        db,
        prefix: Arc::new(prefix),
        next_after: after,
        up_to,
        failed: false,
    };
    futures::stream::unfold(cursor, |mut cursor| async move {
        if cursor.failed || cursor.next_after >= cursor.up_to {
            return None;
        }
        let (db, prefix, after, up_to) = (
            cursor.db.clone(),
            cursor.prefix.clone(),
            cursor.next_after,
            cursor.up_to,
        );
        let chunk = tokio::task::spawn_blocking(move || {
            let txn = db.begin_read().map_err(internal)?;
            read::events_between(&txn, &prefix, after, up_to, REPLAY_CHUNK)
        })
        .await
        .map_err(internal)
        .and_then(|r| r);
        match chunk {
            Ok((events, scanned)) => {
                cursor.next_after = scanned;
                let items: Vec<StorageResult<WatchEvent>> = events.into_iter().map(Ok).collect();
                Some((futures::stream::iter(items), cursor))
            }
            Err(error) => {
                cursor.failed = true;
                Some((futures::stream::iter(vec![Err(error)]), cursor))
            }
        }
    })
    .flatten()
}
