//! The cache's contents: objects by key, the window of recent events, and
//! the registered watchers, all behind the cacher's one lock so that a
//! watcher's backlog and its live events meet without gap or overlap.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use tokio::sync::mpsc;

use super::watcher::{CacheWatch, WatchItem, project};
use super::{CacheEvent, CachedObject, EventType};
use crate::apiserver::registry::filter::Filter;
use crate::apiserver::status::ApiError;
use crate::storage::Revision;

/// Items a watcher may have queued before it is cut off as too slow.
const WATCHER_BUFFER: usize = 1024;

struct Watcher {
    filter: Filter,
    sender: mpsc::Sender<WatchItem>,
    bookmarks: bool,
    /// Events up to this revision are not for it: it asked to watch from
    /// a revision the cache may not have reached yet (an etcd watch lags
    /// the write that answered the client), and such an event is already
    /// in what the client has seen.
    after: Revision,
}

pub struct State {
    pub objects: BTreeMap<String, Arc<CachedObject>>,
    pub revision: Revision,
    window: VecDeque<Arc<CacheEvent>>,
    capacity: usize,
    /// Watches from this revision on can be served from the window.
    oldest: Revision,
    watchers: Vec<Watcher>,
}

impl State {
    pub fn new(capacity: usize) -> State {
        State {
            objects: BTreeMap::new(),
            revision: 0,
            window: VecDeque::new(),
            capacity,
            oldest: 0,
            watchers: Vec::new(),
        }
    }

    /// Objects whose key starts with `prefix`, in key order.
    pub fn objects_under<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = &'a Arc<CachedObject>> + 'a {
        self.objects
            .range(prefix.to_owned()..)
            .take_while(move |(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v)
    }

    /// Replaces everything after a (re)fill. Watchers registered against the
    /// old contents are ended: they re-watch and get a consistent stream.
    pub fn reset(&mut self, objects: Vec<Arc<CachedObject>>, revision: Revision) {
        self.objects = objects.into_iter().map(|o| (o.key.clone(), o)).collect();
        self.revision = revision;
        self.window.clear();
        self.oldest = revision;
        self.watchers.clear();
    }

    pub fn advance(&mut self, revision: Revision) {
        self.revision = self.revision.max(revision);
    }

    pub fn apply_put(&mut self, object: Arc<CachedObject>) {
        let prev = self.objects.insert(object.key.clone(), object.clone());
        let kind = if prev.is_some() {
            EventType::Modified
        } else {
            EventType::Added
        };
        self.record(CacheEvent {
            revision: object.revision,
            kind,
            object,
            prev,
        });
    }

    /// `object` is the deleted object with the delete's revision.
    pub fn apply_delete(&mut self, object: Arc<CachedObject>, revision: Revision) {
        let prev = self.objects.remove(&object.key);
        self.record(CacheEvent {
            revision,
            kind: EventType::Deleted,
            object,
            prev,
        });
    }

    fn record(&mut self, event: CacheEvent) {
        let event = Arc::new(event);
        self.revision = event.revision;
        self.watchers.retain(|w| {
            if event.revision <= w.after {
                return !w.sender.is_closed();
            }
            let Some(item) = project(&w.filter, &event) else {
                return !w.sender.is_closed();
            };
            w.sender.try_send(item).is_ok()
        });
        if self.window.len() == self.capacity
            && let Some(evicted) = self.window.pop_front()
        {
            self.oldest = evicted.revision;
        }
        self.window.push_back(event);
    }

    /// Tells bookmark-enabled watchers the cache's revision (called on the
    /// cache's progress tick).
    pub fn send_bookmarks(&mut self) {
        let revision = self.revision;
        self.watchers.retain(|w| {
            // Upstream sends bookmarks on a timer whether or not the
            // revision moved: an idle watcher learns it is still current.
            if !w.bookmarks {
                return !w.sender.is_closed();
            }
            w.sender
                .try_send(WatchItem::Bookmark {
                    revision,
                    initial_events_end: false,
                })
                .is_ok()
        });
    }

    /// Registers a watcher; see [`super::Cacher::watch`].
    pub fn register(
        &mut self,
        scope_prefix: &str,
        filter: Filter,
        after: Option<Revision>,
        initial_events_end: bool,
        bookmarks: bool,
    ) -> Result<CacheWatch, ApiError> {
        let mut backlog = Vec::new();
        match after {
            None => {
                for object in self.objects_under(scope_prefix) {
                    if filter.matches(&object.object) {
                        backlog.push(WatchItem::Event {
                            kind: EventType::Added,
                            object: object.clone(),
                        });
                    }
                }
                if initial_events_end {
                    backlog.push(WatchItem::Bookmark {
                        revision: self.revision,
                        initial_events_end: true,
                    });
                }
            }
            Some(after) => {
                if after < self.oldest {
                    return Err(ApiError::expired(format!(
                        "too old resource version: {after} ({})",
                        self.oldest
                    )));
                }
                for event in self.window.iter().filter(|e| e.revision > after) {
                    if let Some(item) = project(&filter, event) {
                        backlog.push(item);
                    }
                }
            }
        }
        let (sender, receiver) = mpsc::channel(WATCHER_BUFFER);
        self.watchers.push(Watcher {
            filter,
            sender,
            bookmarks,
            after: after.unwrap_or(0),
        });
        Ok(CacheWatch::new(backlog, receiver))
    }
}

#[cfg(test)]
mod tests {
    use futures::FutureExt;
    use futures::StreamExt;
    use serde_json::json;

    use super::*;
    use crate::apiserver::registry::strategy::DefaultStrategy;

    fn object(name: &str, revision: Revision) -> Arc<CachedObject> {
        Arc::new(CachedObject::new(
            format!("/configmaps/default/{name}"),
            json!({"metadata": {"name": name, "namespace": "default"}}),
            revision,
        ))
    }

    #[test]
    fn a_watch_from_a_revision_the_cache_has_not_reached_skips_up_to_it() {
        let mut state = State::new(100);
        state.reset(Vec::new(), 3);
        // A client created at 5 and watches from there; the cache is still at 3.
        let filter = Filter::everything(Arc::new(DefaultStrategy), Some("default"));
        let mut watch = state
            .register("/configmaps/default/", filter, Some(5), false, false)
            .unwrap();
        state.apply_put(object("made", 5));
        state.apply_delete(object("made", 5), 6);
        let first = watch.next().now_or_never().flatten().expect("an event");
        let WatchItem::Event { kind, object } = first else {
            panic!("an event, not a bookmark");
        };
        assert_eq!((kind, object.revision), (EventType::Deleted, 5));
    }
}
