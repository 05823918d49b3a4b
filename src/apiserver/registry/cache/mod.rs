//! The watch cache, as upstream's cacher: one storage watch per resource
//! feeds an in-memory copy of every object plus a window of recent events.
//!
//! Lists that may be served from memory (`resourceVersion=0`,
//! `NotOlderThan`, and consistent lists once the cache has caught up with
//! the store's current revision) and every watch are answered from here, so
//! N watchers of a resource cost one storage watch, not N.
//!
//! Objects are decoded and serialized once, when their event arrives; a
//! list or watch event then reuses those bytes for every client.

mod state;
mod watcher;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use serde_json::Value;
use tokio::sync::{Notify, watch};

use self::state::State;
pub use self::watcher::{CacheWatch, WatchItem};
use super::codec;
use super::filter::Filter;
use super::versioning::Versioning;
use crate::apiserver::status::ApiError;
use crate::storage::{KeyValue, ListOptions, Revision, Storage, StorageError, WatchEvent};

/// How many recent events a cache keeps for watches that resume.
const WINDOW: usize = 10_000;
/// How long a read at a resourceVersion the cache has not reached waits
/// before it is "too large" (upstream's 3 s).
const FRESHNESS_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a consistent read waits for the cache to reach the store's
/// current revision. The cache is normally milliseconds behind; this only
/// matters on a starved machine, where failing a watch is worse than
/// waiting (consistent lists fall back to storage instead).
const CONSISTENT_TIMEOUT: Duration = Duration::from_secs(15);
/// How often an idle cache asks storage how far it has got, which keeps
/// bookmarks moving and the cache revision current.
const PROGRESS_INTERVAL: Duration = Duration::from_secs(5);
/// Page size of the list that fills the cache.
const FILL_PAGE: usize = 1000;

/// One object as the cache holds it.
#[derive(Debug)]
pub struct CachedObject {
    pub key: String,
    /// The object, with `metadata.resourceVersion` set.
    pub object: Value,
    /// `object` serialized as JSON.
    pub json: Bytes,
    pub revision: Revision,
}

impl CachedObject {
    pub fn from_kv(kv: &KeyValue) -> Result<CachedObject, ApiError> {
        let object = codec::decode(kv)?;
        Ok(Self::new(kv.key.clone(), object, kv.mod_revision))
    }

    pub fn new(key: String, object: Value, revision: Revision) -> CachedObject {
        let json = serde_json::to_vec(&object)
            .map(Bytes::from)
            .unwrap_or_default();
        CachedObject {
            key,
            object,
            json,
            revision,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

/// One change, as stored in the window.
#[derive(Debug)]
pub struct CacheEvent {
    pub revision: Revision,
    pub kind: EventType,
    /// The new state; for a delete, the last state with the delete's
    /// revision as its resourceVersion.
    pub object: Arc<CachedObject>,
    pub prev: Option<Arc<CachedObject>>,
}

/// What a list from the cache returns.
pub struct CacheList {
    pub items: Vec<Arc<CachedObject>>,
    pub revision: Revision,
}

/// The watch cache of one storage prefix.
pub struct Cacher {
    prefix: String,
    storage: Arc<dyn Storage>,
    /// How stored objects become what the cache's stores serve.
    versioning: Option<Arc<dyn Versioning>>,
    state: Mutex<State>,
    /// The revision the cache has caught up to; `None` until the first
    /// fill.
    revision: watch::Sender<Option<Revision>>,
    /// Wakes the feed loop to ask storage for progress.
    progress_wanted: Notify,
}

impl Cacher {
    /// Starts caching `prefix`. The cache fills in the background; reads
    /// wait for it.
    pub fn start(
        storage: Arc<dyn Storage>,
        prefix: String,
        versioning: Option<Arc<dyn Versioning>>,
    ) -> Arc<Cacher> {
        let cacher = Arc::new(Cacher {
            prefix,
            storage,
            versioning,
            state: Mutex::new(State::new(WINDOW)),
            revision: watch::channel(None).0,
            progress_wanted: Notify::new(),
        });
        tokio::spawn(feed(Arc::downgrade(&cacher)));
        cacher
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The revision the cache has caught up to (0 before the first fill).
    pub fn revision(&self) -> Revision {
        self.revision.borrow().unwrap_or(0)
    }

    /// Waits until the cache has seen `target` (0: until it is filled).
    pub async fn wait_for(&self, target: Revision) -> Result<(), ApiError> {
        self.wait_for_within(target, FRESHNESS_TIMEOUT).await
    }

    async fn wait_for_within(&self, target: Revision, limit: Duration) -> Result<(), ApiError> {
        let mut revision = self.revision.subscribe();
        let wait = async {
            loop {
                let seen = *revision.borrow_and_update();
                if seen.is_some_and(|seen| seen >= target) {
                    return;
                }
                self.progress_wanted.notify_one();
                if revision.changed().await.is_err() {
                    return;
                }
            }
        };
        tokio::time::timeout(limit, wait).await.map_err(|_| {
            ApiError::timeout(format!(
                "Too large resource version: {target}, current: {}",
                self.revision()
            ))
        })
    }

    /// Waits until the cache is as fresh as the store: a consistent read.
    pub async fn wait_consistent(&self) -> Result<(), ApiError> {
        let current = self
            .storage
            .current_revision()
            .await
            .map_err(super::store::storage_error_unnamed)?;
        self.wait_for_within(current, CONSISTENT_TIMEOUT).await
    }

    /// Like [`Self::wait_consistent`], but gives up after the short wait a
    /// caller with a fallback (a list that can read storage) can afford,
    /// and at once when the cache cannot prove it is current (see
    /// [`Storage::progress_is_ordered`]).
    pub async fn try_wait_consistent(&self) -> bool {
        if !self.storage.progress_is_ordered() {
            return false;
        }
        match self.storage.current_revision().await {
            Ok(current) => self.wait_for(current).await.is_ok(),
            Err(_) => false,
        }
    }

    /// The objects under `prefix` (a namespace's, or all) that `filter`
    /// selects, at the cache's revision.
    pub fn list(&self, prefix: &str, filter: &Filter) -> CacheList {
        let state = self.lock();
        let items = state
            .objects_under(prefix)
            .filter(|o| filter.matches(&o.object))
            .cloned()
            .collect();
        CacheList {
            items,
            revision: state.revision,
        }
    }

    /// One object by key, at the cache's revision.
    pub fn get(&self, key: &str) -> (Option<Arc<CachedObject>>, Revision) {
        let state = self.lock();
        (state.objects.get(key).cloned(), state.revision)
    }

    /// Starts a watch of the objects under `scope_prefix` (a namespace's or
    /// all) that `filter` selects. `after`: deliver changes after this revision;
    /// `None`: first synthetic ADDED events for every selected object, then
    /// changes. `initial_events_end`: after those ADDED events, a bookmark
    /// marking their end (WatchList).
    pub async fn watch(
        &self,
        scope_prefix: &str,
        filter: Filter,
        after: Option<Revision>,
        initial_events_end: bool,
        bookmarks: bool,
    ) -> Result<CacheWatch, ApiError> {
        self.wait_for(after.unwrap_or(0)).await?;
        let mut state = self.lock();
        state.register(scope_prefix, filter, after, initial_events_end, bookmarks)
    }

    /// Stored objects as the cache's stores serve them.
    async fn convert(&self, mut objects: Vec<Value>) -> Result<Vec<Value>, ApiError> {
        if let Some(versioning) = &self.versioning {
            versioning.read_stored(&mut objects).await?;
        }
        Ok(objects)
    }

    async fn apply(&self, event: WatchEvent) -> Result<(), ApiError> {
        use crate::apiserver::object::ObjectExt;
        let revision = event.revision();
        match event {
            WatchEvent::Put { kv, .. } => {
                let [object] =
                    <[Value; 1]>::try_from(self.convert(vec![codec::decode(&kv)?]).await?)
                        .map_err(|_| ApiError::internal("conversion lost an object"))?;
                let object = Arc::new(CachedObject::new(kv.key.clone(), object, kv.mod_revision));
                self.lock().apply_put(object);
            }
            WatchEvent::Delete { prev, revision } => {
                let [mut object] =
                    <[Value; 1]>::try_from(self.convert(vec![codec::decode(&prev)?]).await?)
                        .map_err(|_| ApiError::internal("conversion lost an object"))?;
                object.set_meta("resourceVersion", revision.to_string());
                let object = Arc::new(CachedObject::new(prev.key.clone(), object, revision));
                self.lock().apply_delete(object, revision);
            }
            WatchEvent::Progress { .. } => self.lock().advance(revision),
        }
        self.revision.send_replace(Some(revision));
        Ok(())
    }

    /// Lists the prefix from storage and replaces the cache's contents.
    async fn fill(&self) -> Result<Revision, StorageError> {
        let mut items = Vec::new();
        let mut options = ListOptions {
            limit: FILL_PAGE,
            ..Default::default()
        };
        let revision = loop {
            let page = self.storage.list(&self.prefix, options.clone()).await?;
            let more = page.more;
            let last = page.items.last().map(|kv| format!("{}\0", kv.key));
            items.extend(page.items);
            if !more {
                break page.revision;
            }
            options.revision = page.revision;
            options.start_key = last;
        };
        let mut decoded = Vec::with_capacity(items.len());
        for kv in &items {
            match codec::decode(kv) {
                Ok(object) => decoded.push((kv, object)),
                Err(e) => {
                    tracing::error!(key = %kv.key, error = %e, "skipping undecodable object");
                }
            }
        }
        let (kvs, values): (Vec<&KeyValue>, Vec<Value>) = decoded.into_iter().unzip();
        let values = match self.convert(values).await {
            Ok(values) => values,
            Err(e) => {
                return Err(StorageError::Unavailable(format!(
                    "converting cached objects: {}",
                    e.message
                )));
            }
        };
        let objects = kvs
            .into_iter()
            .zip(values)
            .map(|(kv, object)| {
                Arc::new(CachedObject::new(kv.key.clone(), object, kv.mod_revision))
            })
            .collect();
        self.lock().reset(objects, revision);
        self.revision.send_replace(Some(revision));
        Ok(revision)
    }
}

/// The feed loop: fill, then follow the storage watch; on any break
/// (compaction, a slow watch, storage errors) fill again. Ends when the
/// cacher is dropped.
async fn feed(cacher: std::sync::Weak<Cacher>) {
    let mut backoff = Duration::from_millis(50);
    loop {
        let Some(this) = cacher.upgrade() else { return };
        let revision = match this.fill().await {
            Ok(revision) => revision,
            Err(error) => {
                tracing::warn!(prefix = %this.prefix, %error, "filling the watch cache failed; retrying");
                drop(this);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        let mut stream = match this.storage.watch(&this.prefix, revision).await {
            Ok(stream) => stream,
            Err(error) => {
                tracing::warn!(prefix = %this.prefix, %error, "starting the cache watch failed; retrying");
                drop(this);
                tokio::time::sleep(backoff).await;
                continue;
            }
        };
        backoff = Duration::from_millis(50);
        let mut ticker = tokio::time::interval_at(
            tokio::time::Instant::now() + PROGRESS_INTERVAL,
            PROGRESS_INTERVAL,
        );
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        drop(this);
        loop {
            let Some(this) = cacher.upgrade() else { return };
            tokio::select! {
                next = stream.next() => match next {
                    Some(Ok(event)) => {
                        if let Err(error) = this.apply(event).await {
                            tracing::error!(prefix = %this.prefix, %error, "watch cache event not applied; refilling");
                            break;
                        }
                    }
                    Some(Err(error)) => {
                        tracing::info!(prefix = %this.prefix, %error, "watch cache storage watch ended; refilling");
                        break;
                    }
                    None => break,
                },
                _ = this.progress_wanted.notified() => stream.request_progress(),
                _ = ticker.tick() => {
                    stream.request_progress();
                    this.lock().send_bookmarks();
                }
            }
        }
    }
}
