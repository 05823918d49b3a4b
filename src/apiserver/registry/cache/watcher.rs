//! One watch served from the cache: its backlog (synthetic ADDED events or
//! the window's events after its revision), then live items.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::Stream;
use tokio::sync::mpsc;

use super::{CacheEvent, CachedObject, EventType};
use crate::apiserver::registry::filter::Filter;
use crate::storage::Revision;

/// What a watcher receives.
#[derive(Clone, Debug)]
pub enum WatchItem {
    Event {
        kind: EventType,
        object: Arc<CachedObject>,
    },
    /// The watcher has seen everything up to `revision`.
    Bookmark {
        revision: Revision,
        /// Marks the end of a WatchList's initial events.
        initial_events_end: bool,
    },
}

/// How one change looks through one watcher's filter: a change that makes
/// an object start matching is ADDED, one that makes it stop matching is
/// DELETED (with the new state), as upstream.
pub fn project(filter: &Filter, event: &CacheEvent) -> Option<WatchItem> {
    let now = event.kind != EventType::Deleted && filter.matches(&event.object.object);
    let before = event
        .prev
        .as_ref()
        .is_some_and(|prev| filter.matches(&prev.object));
    let kind = match (event.kind, before, now) {
        (EventType::Deleted, true, _) => EventType::Deleted,
        (EventType::Deleted, false, _) => return None,
        (_, true, true) => EventType::Modified,
        (_, false, true) => EventType::Added,
        (_, true, false) => EventType::Deleted,
        (_, false, false) => return None,
    };
    Some(WatchItem::Event {
        kind,
        object: event.object.clone(),
    })
}

/// The stream of one watch. It ends when the cache drops the watcher (too
/// slow, or the cache was refilled); the client then watches again from
/// the last revision it saw.
pub struct CacheWatch {
    backlog: std::vec::IntoIter<WatchItem>,
    live: mpsc::Receiver<WatchItem>,
}

impl CacheWatch {
    pub fn new(backlog: Vec<WatchItem>, live: mpsc::Receiver<WatchItem>) -> CacheWatch {
        CacheWatch {
            backlog: backlog.into_iter(),
            live,
        }
    }
}

impl Stream for CacheWatch {
    type Item = WatchItem;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<WatchItem>> {
        if let Some(item) = self.backlog.next() {
            return Poll::Ready(Some(item));
        }
        self.live.poll_recv(cx)
    }
}
