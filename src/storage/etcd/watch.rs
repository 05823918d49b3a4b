//! `watch`: an etcd watch that survives etcd going away and coming back.
//!
//! Each [`WatchStream`] is backed by one task that owns one etcd watch
//! (its own gRPC stream): `start_revision = after + 1`, the prefix's range,
//! `prev_kv` and `progress_notify`. The task turns etcd's responses into
//! [`WatchEvent`]s and sends them down a bounded channel; when the consumer
//! is slow the channel fills, the task stops reading, and gRPC flow control
//! holds etcd back (etcd buffers and catches the watcher up later), so no
//! event is dropped and there is no `WatcherTooSlow` on this backend.
//!
//! The task remembers the last revision it delivered, counting progress
//! notifications: everything up to it has been seen. When the gRPC stream
//! breaks (etcd restarted, connection lost), the stream does not end: the
//! task re-watches from that revision + 1 with a growing pause between
//! attempts, so the consumer sees every change once, in order, across the
//! outage. If that history has been compacted meanwhile, the stream ends
//! with `Compacted`, the same as for any watch from a compacted revision.
//!
//! [`WatchStream::request_progress`] sends etcd's `RequestProgress` on the
//! same gRPC stream; the answer (no events, a header revision) becomes
//! [`WatchEvent::Progress`]. A request made while the stream is down is sent
//! once it is back.
//!
//! Dropping the [`WatchStream`] closes the channel; the task sees that,
//! cancels the etcd watch and ends.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use etcd_client::{
    Event, EventType, WatchClient, WatchOptions, WatchRequestSender, WatchResponse,
    WatchResponseStream,
};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;

use super::{EtcdStorage, from_etcd, header_revision, key_value, range_end, to_etcd};
use crate::storage::{Revision, StorageError, StorageResult, WatchEvent, WatchStream};

/// Events buffered between the task and the consumer. Beyond this, etcd
/// buffers (and the gRPC stream's window).
const BUFFER: usize = 1024;

/// Starts a watch of `prefix` for changes after `after`.
pub async fn watch(
    storage: &EtcdStorage,
    prefix: &str,
    after: Revision,
) -> StorageResult<WatchStream> {
    // etcd would accept a start revision in the future and wait for it;
    // the contract refuses it, like a list at a future revision.
    let current = super::get::current_revision(storage).await?;
    if after > current {
        return Err(StorageError::FutureRevision {
            requested: after,
            current,
        });
    }
    let mut task = Task {
        client: storage.watch.clone(),
        prefix: prefix.as_bytes().to_vec(),
        end: range_end(prefix),
        delivered: after,
        unconfirmed: None,
        storage: storage.clone(),
    };
    // The first connection is made here, so that an unreachable etcd is an
    // error of `watch` itself (retryable), and so that etcd has registered
    // the watch before the caller goes on.
    let connection = task.connect().await?;
    let (events, receiver) = mpsc::channel(BUFFER);
    let (progress, progress_requests) = mpsc::channel(1);
    let running = Running::new(storage.watches.clone());
    tokio::spawn(task.run(connection, events, progress_requests, running));
    Ok(WatchStream::new(ReceiverStream::new(receiver), move || {
        // A request already queued answers this one too.
        let _ = progress.try_send(());
    }))
}

/// Whether requested progress notifications from etcd `version` must be
/// confirmed, warning if so.
///
/// Before 3.4.25 and 3.5.8 (etcd-io/etcd#15220) etcd answers a progress
/// request at once with its current revision, on a path that races the
/// watch's events: the answer can overtake an event at or below its
/// revision that was about to be sent (already queued for a watcher that
/// is in sync, or not yet read from history for one that is catching up).
/// On those servers a watch confirms each answer with a second request and
/// passes on the first answer's revision only when the second answer
/// arrives: by then, a full round trip later, etcd has sent what was queued
/// behind the first. That closes the race for watchers in sync (the usual
/// case: a watch cache asking every few seconds) but not for one still
/// catching up on history (a cache just filled), so on those servers
/// consistent lists read etcd rather than a cache
/// ([`Storage::progress_is_ordered`](crate::storage::Storage::progress_is_ordered));
/// the fix is to upgrade etcd.
pub fn check_server_version(version: &str) -> bool {
    let buggy = progress_may_overtake_events(version);
    if buggy {
        tracing::warn!(
            "etcd {version} may send requested watch progress before events it covers \
             (etcd-io/etcd#15220); keelson works around it for watches in sync and \
             lists from etcd rather than its cache; upgrade etcd to 3.4.25+ or 3.5.8+"
        );
    }
    buggy
}

/// The watch id etcd puts on answers to progress requests (they are for
/// the whole gRPC stream); periodic notifications carry the watch's own id
/// and travel with its events, so they are always in order.
const REQUESTED_PROGRESS: i64 = -1;

/// Whether etcd `version` has the progress ordering bug.
pub fn progress_may_overtake_events(version: &str) -> bool {
    let mut parts = version
        .trim_start_matches('v')
        .split(['.', '-', '+'])
        .map(|part| part.parse::<u64>().ok());
    let (Some(Some(major)), Some(Some(minor)), Some(Some(patch))) =
        (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    matches!((major, minor), (3, 4) if patch < 25)
        || matches!((major, minor), (3, 5) if patch < 8)
        || (major, minor) < (3, 4)
}

/// Counts a running watch task in [`EtcdStorage::active_watches`].
struct Running(Arc<AtomicUsize>);

impl Running {
    fn new(count: Arc<AtomicUsize>) -> Running {
        count.fetch_add(1, Ordering::AcqRel);
        Running(count)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One etcd watch on one gRPC stream.
struct Connection {
    requests: WatchRequestSender,
    responses: WatchResponseStream,
    watch_id: i64,
}

impl Connection {
    /// Cancels the etcd watch; dropping the connection then closes the
    /// gRPC stream. Best effort: etcd also drops the watch with the stream.
    async fn cancel(mut self) {
        let _ = self.requests.cancel(self.watch_id).await;
    }
}

/// What one etcd response means for the consumer.
enum Step {
    /// Events to pass on, then (if any) the error that ends the watch.
    Deliver(Vec<WatchEvent>, Option<StorageError>),
    /// The watch cannot go on; the consumer must re-list.
    Fail(StorageError),
    /// The watch was canceled for a reason that a new watch may not share.
    Reconnect(String),
    /// A progress answer to confirm with a second request (see
    /// [`check_server_version`]).
    ConfirmProgress,
    Nothing,
}

struct Task {
    client: WatchClient,
    prefix: Vec<u8>,
    end: Vec<u8>,
    /// Every change up to this revision has been delivered.
    delivered: Revision,
    /// A progress answer waiting for its confirmation.
    unconfirmed: Option<Revision>,
    storage: EtcdStorage,
}

impl Task {
    /// Opens an etcd watch from `delivered + 1` and waits until etcd has
    /// created it.
    async fn connect(&mut self) -> StorageResult<Connection> {
        // A confirmation in flight died with the old stream.
        self.unconfirmed = None;
        let start = self.delivered + 1;
        let compacted = self.storage.compacted.load(Ordering::Acquire);
        if start < compacted {
            return Err(StorageError::Compacted {
                requested: start,
                compacted,
            });
        }
        let options = WatchOptions::new()
            .with_range(self.end.clone())
            .with_start_revision(to_etcd(start))
            .with_prev_key()
            .with_progress_notify();
        let mut client = self.client.clone();
        let prefix = self.prefix.clone();
        let opening = async move {
            let (requests, mut responses) = client.watch(prefix, Some(options)).await?.split();
            loop {
                match responses.message().await? {
                    Some(created) if created.created() => {
                        return Ok((requests, responses, created));
                    }
                    Some(_) => continue,
                    None => {
                        return Err(etcd_client::Error::WatchError(
                            "etcd closed the watch stream before creating the watch".into(),
                        ));
                    }
                }
            }
        };
        let (requests, responses, created) = self
            .storage
            .call(self.storage.context(start, 0), opening)
            .await?;
        if created.canceled() {
            return Err(match self.translate(&created) {
                Step::Fail(error) => error,
                _ => StorageError::Internal(format!(
                    "etcd refused the watch: {}",
                    created.cancel_reason()
                )),
            });
        }
        Ok(Connection {
            requests,
            responses,
            watch_id: created.watch_id(),
        })
    }

    /// Runs until the consumer drops the stream or the watch fails.
    async fn run(
        mut self,
        connection: Connection,
        events: mpsc::Sender<StorageResult<WatchEvent>>,
        mut progress_requests: mpsc::Receiver<()>,
        _running: Running,
    ) {
        let (first_pause, longest_pause) = self.storage.options.watch_backoff;
        let mut pause = first_pause;
        // When the next attempt to re-watch is due (while down). A deadline,
        // not a sleep, so that progress requests arriving meanwhile do not
        // put the attempt off.
        let mut retry_at = Instant::now();
        let mut connection = Some(connection);
        // A progress request not yet answered: re-sent after a reconnect.
        let mut progress_wanted = false;
        loop {
            let Some(live) = connection.as_mut() else {
                // Down: wait, then try again, unless the consumer is gone.
                tokio::select! {
                    _ = events.closed() => return,
                    request = progress_requests.recv() => {
                        if request.is_none() {
                            return;
                        }
                        progress_wanted = true;
                        continue;
                    }
                    _ = tokio::time::sleep_until(retry_at) => {}
                }
                let attempt = tokio::select! {
                    _ = events.closed() => return,
                    attempt = self.connect() => attempt,
                };
                match attempt {
                    Ok(mut fresh) => {
                        tracing::info!(
                            prefix = %String::from_utf8_lossy(&self.prefix),
                            from = self.delivered + 1,
                            "etcd watch re-established"
                        );
                        pause = first_pause;
                        if progress_wanted && fresh.requests.request_progress().await.is_err() {
                            retry_at = Instant::now() + pause;
                            continue;
                        }
                        connection = Some(fresh);
                    }
                    Err(error) if error.is_retryable() => {
                        tracing::debug!(%error, "etcd watch not re-established yet");
                        pause = (pause * 2).min(longest_pause);
                        retry_at = Instant::now() + pause;
                    }
                    Err(error) => {
                        let _ = events.send(Err(error)).await;
                        return;
                    }
                }
                continue;
            };
            tokio::select! {
                biased;
                _ = events.closed() => break,
                request = progress_requests.recv() => {
                    if request.is_none() {
                        break;
                    }
                    progress_wanted = true;
                    if live.requests.request_progress().await.is_err() {
                        connection = None;
                    }
                }
                message = live.responses.message() => match message {
                    Ok(Some(response)) => match self.translate(&response) {
                        Step::Nothing => {}
                        Step::Deliver(batch, failure) => {
                            let mut gone = false;
                            for event in batch {
                                if matches!(event, WatchEvent::Progress { .. }) {
                                    progress_wanted = false;
                                }
                                if events.send(Ok(event)).await.is_err() {
                                    gone = true;
                                    break;
                                }
                            }
                            if let Some(error) = failure {
                                let _ = events.send(Err(error)).await;
                                break;
                            }
                            if gone {
                                break;
                            }
                        }
                        Step::Fail(error) => {
                            let _ = events.send(Err(error)).await;
                            break;
                        }
                        Step::ConfirmProgress => {
                            if live.requests.request_progress().await.is_err() {
                                connection = None;
                            }
                        }
                        Step::Reconnect(reason) => {
                            tracing::warn!(%reason, "etcd canceled a watch; watching again");
                            connection = None;
                        }
                    },
                    Ok(None) => {
                        tracing::warn!("etcd closed a watch stream; watching again");
                        connection = None;
                    }
                    Err(error) => {
                        tracing::warn!(%error, "etcd watch stream broke; watching again");
                        connection = None;
                    }
                },
            }
            if connection.is_none() {
                // The first attempt comes after the shortest pause: a stream
                // that broke after working is most likely a single restart.
                pause = first_pause;
                retry_at = Instant::now() + pause;
            }
        }
        if let Some(connection) = connection {
            connection.cancel().await;
        }
    }

    /// What an etcd watch response means, advancing `delivered` past what
    /// it delivers.
    fn translate(&mut self, response: &WatchResponse) -> Step {
        if response.compact_revision() != 0 {
            // keelson compacts etcd one revision below the contract's point
            // (see `compact`), so etcd's point P is the contract's P + 1.
            let compacted = from_etcd(response.compact_revision()) + 1;
            self.storage.saw_compaction(compacted);
            return Step::Fail(StorageError::Compacted {
                requested: self.delivered + 1,
                compacted,
            });
        }
        if response.canceled() {
            let reason = response.cancel_reason();
            let lower = reason.to_ascii_lowercase();
            if lower.contains("permission denied") || lower.contains("auth") {
                return Step::Fail(StorageError::Internal(format!(
                    "etcd canceled the watch: {reason}"
                )));
            }
            return Step::Reconnect(reason.to_owned());
        }
        if response.created() {
            return Step::Nothing;
        }
        if response.events().is_empty() {
            // A progress notification: everything up to the header revision
            // has been sent. It never moves the watcher backwards.
            let Ok(mut revision) = header_revision(response.header()) else {
                return Step::Nothing;
            };
            if self.storage.confirm_progress && response.watch_id() == REQUESTED_PROGRESS {
                match self.unconfirmed.take() {
                    None => {
                        self.unconfirmed = Some(revision);
                        return Step::ConfirmProgress;
                    }
                    Some(first) => revision = first,
                }
            }
            self.delivered = self.delivered.max(revision);
            return Step::Deliver(
                vec![WatchEvent::Progress {
                    revision: self.delivered,
                }],
                None,
            );
        }
        let mut batch = Vec::with_capacity(response.events().len());
        for event in response.events() {
            match self.event(event) {
                Ok(event) => {
                    self.delivered = self.delivered.max(event.revision());
                    batch.push(event);
                }
                Err(error) => {
                    // Deliver what came before it, then fail: the consumer
                    // sees every event up to the gap.
                    return Step::Deliver(batch, Some(error));
                }
            }
        }
        Step::Deliver(batch, None)
    }

    /// One etcd event as a [`WatchEvent`].
    fn event(&self, event: &Event) -> StorageResult<WatchEvent> {
        let kv = event.kv().cloned().ok_or_else(|| {
            StorageError::Internal("etcd sent a watch event without a key".into())
        })?;
        let revision = from_etcd(kv.mod_revision());
        let prev = event.prev_kv().cloned().map(key_value).transpose()?;
        // etcd leaves `prev_kv` out when the previous version has been
        // compacted away: the change cannot be delivered as the contract
        // promises, so the watcher must re-list.
        let missing_prev = || StorageError::Compacted {
            requested: self.delivered + 1,
            compacted: self
                .storage
                .compacted
                .load(Ordering::Acquire)
                .max(revision + 1),
        };
        match event.event_type() {
            EventType::Put => {
                let kv = key_value(kv)?;
                if kv.version > 1 && prev.is_none() {
                    return Err(missing_prev());
                }
                Ok(WatchEvent::Put { kv, prev })
            }
            EventType::Delete => Ok(WatchEvent::Delete {
                prev: prev.ok_or_else(missing_prev)?,
                revision,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_with_the_progress_ordering_bug() {
        for buggy in ["3.4.23", "3.4.0", "3.5.7", "v3.5.0", "3.3.27"] {
            assert!(progress_may_overtake_events(buggy), "{buggy}");
        }
        for fixed in ["3.4.25", "3.4.34", "3.5.8", "3.5.21", "3.6.0", "3.6.1-rc.0"] {
            assert!(!progress_may_overtake_events(fixed), "{fixed}");
        }
        assert!(!progress_may_overtake_events("unknown"));
    }
}
