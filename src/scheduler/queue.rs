//! The scheduling queue, upstream's three parts: the active queue (by
//! priority, then arrival), the backoff queue (pods that failed wait
//! 1 s, 2 s, 4 s … up to 10 s before another try) and the unschedulable
//! pods, which wait for a cluster event that may help them (or at most
//! five minutes).

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::framework::Plugins;
use super::pod_info::PodInfo;

const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Upstream's `podMaxInUnschedulablePodsDuration`.
const MAX_UNSCHEDULABLE: Duration = Duration::from_secs(300);

/// A pod taken from the queue for one scheduling attempt.
#[derive(Clone, Debug)]
pub struct QueuedPod {
    pub info: Arc<PodInfo>,
    /// Attempts before this one.
    pub attempts: u32,
    /// When the pod first entered the queue.
    pub first_queued: Instant,
}

#[derive(Debug, PartialEq, Eq)]
enum Place {
    Active,
    Backoff,
    /// Rejected by these plugins.
    Unschedulable(Plugins),
    /// Popped, being scheduled or bound.
    InFlight,
}

struct Entry {
    pod: QueuedPod,
    place: Place,
    last_attempt: Option<Instant>,
    /// Bumped whenever the pod is put in a heap: older heap entries are
    /// stale.
    generation: u64,
}

#[derive(PartialEq, Eq)]
struct ActiveKey {
    priority: i32,
    sequence: u64,
    uid: String,
    generation: u64,
}

impl Ord for ActiveKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.priority
            .cmp(&other.priority)
            .then_with(|| other.sequence.cmp(&self.sequence))
    }
}

impl PartialOrd for ActiveKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Default)]
pub struct SchedulingQueue {
    entries: HashMap<String, Entry>,
    active: BinaryHeap<ActiveKey>,
    backoff: BinaryHeap<Reverse<(Instant, u64, String)>>,
    /// The uids of pods in the unschedulable part, so that cluster
    /// events cost nothing when none wait.
    waiting: HashSet<String>,
    sequence: u64,
}

fn backoff_for(attempts: u32) -> Duration {
    let shift = attempts.saturating_sub(1).min(8);
    (INITIAL_BACKOFF * (1 << shift)).min(MAX_BACKOFF)
}

impl SchedulingQueue {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains(&self, uid: &str) -> bool {
        self.entries.contains_key(uid)
    }

    fn push_active(&mut self, uid: &str) {
        let Some(entry) = self.entries.get_mut(uid) else {
            return;
        };
        self.sequence += 1;
        entry.generation += 1;
        entry.place = Place::Active;
        self.waiting.remove(uid);
        self.active.push(ActiveKey {
            priority: entry.pod.info.priority,
            sequence: self.sequence,
            uid: uid.to_owned(),
            generation: entry.generation,
        });
    }

    /// Back off until the time the pod's attempts earn, then active.
    fn push_backoff(&mut self, uid: &str) {
        let Some(entry) = self.entries.get_mut(uid) else {
            return;
        };
        let ready = entry
            .last_attempt
            .map(|at| at + backoff_for(entry.pod.attempts))
            .unwrap_or_else(Instant::now);
        entry.generation += 1;
        entry.place = Place::Backoff;
        self.waiting.remove(uid);
        self.backoff
            .push(Reverse((ready, entry.generation, uid.to_owned())));
    }

    /// A new pending pod, or a newer version of a queued one (a change
    /// that matters gives a waiting pod another try at once).
    pub fn add_or_update(&mut self, info: Arc<PodInfo>) {
        let uid = info.uid.clone();
        match self.entries.get_mut(&uid) {
            Some(entry) => {
                let changed = entry.pod.info.scheduling_changed(&info);
                entry.pod.info = info;
                if changed && matches!(entry.place, Place::Unschedulable(_) | Place::Backoff) {
                    self.push_active(&uid);
                }
            }
            None => {
                self.entries.insert(
                    uid.clone(),
                    Entry {
                        pod: QueuedPod {
                            info,
                            attempts: 0,
                            first_queued: Instant::now(),
                        },
                        place: Place::Active,
                        last_attempt: None,
                        generation: 0,
                    },
                );
                self.push_active(&uid);
            }
        }
    }

    pub fn remove(&mut self, uid: &str) {
        self.entries.remove(uid);
        self.waiting.remove(uid);
    }

    /// The next pod to try: the most important active one, after moving
    /// pods whose backoff is over.
    pub fn pop(&mut self, now: Instant) -> Option<QueuedPod> {
        while let Some(Reverse((ready, generation, _))) = self.backoff.peek() {
            if *ready > now {
                break;
            }
            let (generation, uid) = (*generation, self.backoff.pop()?.0.2);
            if self
                .entries
                .get(&uid)
                .is_some_and(|e| e.generation == generation && e.place == Place::Backoff)
            {
                self.push_active(&uid);
            }
        }
        while let Some(key) = self.active.pop() {
            let Some(entry) = self.entries.get_mut(&key.uid) else {
                continue;
            };
            if entry.generation != key.generation || entry.place != Place::Active {
                continue;
            }
            entry.place = Place::InFlight;
            entry.last_attempt = Some(now);
            let pod = entry.pod.clone();
            entry.pod.attempts += 1;
            return Some(pod);
        }
        None
    }

    /// The attempt found no node: wait for an event that may help.
    pub fn unschedulable(&mut self, uid: &str, rejected_by: Plugins) {
        if let Some(entry) = self.entries.get_mut(uid) {
            entry.generation += 1;
            entry.place = Place::Unschedulable(rejected_by);
            self.waiting.insert(uid.to_owned());
        }
    }

    /// The attempt failed for another reason (an API error): back off.
    pub fn retry(&mut self, uid: &str) {
        self.push_backoff(uid);
    }

    /// The pod is bound: it leaves the queue.
    pub fn done(&mut self, uid: &str) {
        self.remove(uid);
    }

    /// A cluster event that may help pods rejected by `plugins`: they go
    /// to the backoff queue (or active, if their backoff is over).
    pub fn cluster_event(&mut self, plugins: Plugins) {
        if self.waiting.is_empty() {
            return;
        }
        let moved: Vec<String> = self
            .waiting
            .iter()
            .filter(|uid| {
                self.entries.get(*uid).is_some_and(
                    |e| matches!(e.place, Place::Unschedulable(by) if by & plugins != 0),
                )
            })
            .cloned()
            .collect();
        for uid in moved {
            self.push_backoff(&uid);
        }
    }

    /// Pods unschedulable for too long get another try anyway.
    pub fn flush_unschedulable(&mut self, now: Instant) {
        let stale: Vec<String> = self
            .waiting
            .iter()
            .filter(|uid| {
                self.entries.get(*uid).is_some_and(|e| {
                    e.last_attempt
                        .is_some_and(|at| now.duration_since(at) > MAX_UNSCHEDULABLE)
                })
            })
            .cloned()
            .collect();
        for uid in stale {
            self.push_backoff(&uid);
        }
    }

    /// When the earliest backed-off pod becomes ready.
    pub fn next_ready(&self) -> Option<Instant> {
        self.backoff.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Whether a pod is ready to be tried now.
    pub fn has_active(&self) -> bool {
        !self.active.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::framework::Plugin;

    fn pod(name: &str, priority: i32) -> Arc<PodInfo> {
        let pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "default", "uid": name},
            "spec": {"containers": [{"name": "c"}], "priority": priority},
        }))
        .unwrap();
        Arc::new(PodInfo::new(pod, |_| None))
    }

    #[test]
    fn higher_priority_first_then_arrival_order() {
        let mut queue = SchedulingQueue::default();
        queue.add_or_update(pod("a", 0));
        queue.add_or_update(pod("b", 10));
        queue.add_or_update(pod("c", 0));
        let now = Instant::now();
        let order: Vec<String> = std::iter::from_fn(|| queue.pop(now))
            .map(|p| p.info.name.clone())
            .collect();
        assert_eq!(order, ["b", "a", "c"]);
    }

    #[test]
    fn unschedulable_pods_wait_for_a_relevant_event_then_back_off() {
        let mut queue = SchedulingQueue::default();
        queue.add_or_update(pod("a", 0));
        let start = Instant::now();
        assert!(queue.pop(start).is_some());
        queue.unschedulable("a", Plugin::NodeResourcesFit as Plugins);
        assert!(queue.pop(start).is_none());
        queue.cluster_event(Plugin::NodeAffinity as Plugins);
        assert!(queue.pop(start + Duration::from_secs(60)).is_none());
        queue.cluster_event(Plugin::NodeResourcesFit as Plugins);
        // One attempt so far: a second's backoff from that attempt.
        assert!(queue.pop(start).is_none());
        let again = queue.pop(start + Duration::from_secs(1)).unwrap();
        assert_eq!(again.attempts, 1);
    }
}
