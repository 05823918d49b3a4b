//! Expectations: the pods a controller has just created or deleted, which
//! its pod cache may not show yet. Until the cache has caught up, counting
//! pods again would create (or delete) the same pods twice, so the
//! controller waits. Unlike upstream's counters, the pods are known by uid,
//! so the cache is asked directly whether it has seen each one.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use kube::runtime::reflector::{ObjectRef, Store};

/// After this long, expectations are given up on (a pod created and
/// deleted again before the cache saw it never shows up).
const EXPIRE_AFTER: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct Expectations {
    /// Controller uid → what it waits to see.
    pending: Mutex<HashMap<String, Pending>>,
}

struct Pending {
    since: Instant,
    /// Pods created: waiting for the cache to have them.
    created: HashSet<PodKey>,
    /// Pods deleted: waiting for the cache to lose them (or see their
    /// deletion).
    deleted: HashSet<PodKey>,
}

/// A pod by namespace, name and uid (a name can come back as another pod).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct PodKey {
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

impl PodKey {
    pub fn of(pod: &Pod) -> PodKey {
        PodKey {
            namespace: pod.metadata.namespace.clone().unwrap_or_default(),
            name: pod.metadata.name.clone().unwrap_or_default(),
            uid: pod.metadata.uid.clone().unwrap_or_default(),
        }
    }

    /// The cached pod it names, if the cache has that very pod.
    fn cached(&self, pods: &Store<Pod>) -> Option<std::sync::Arc<Pod>> {
        let pod = pods.get(&ObjectRef::new(&self.name).within(&self.namespace))?;
        (pod.metadata.uid.as_deref() == Some(&self.uid)).then_some(pod)
    }
}

impl Expectations {
    /// Remembers pods `owner` created and deleted.
    pub fn expect(&self, owner: &str, created: Vec<PodKey>, deleted: Vec<PodKey>) {
        if created.is_empty() && deleted.is_empty() {
            return;
        }
        let mut pending = self.pending.lock().expect("expectations");
        let entry = pending.entry(owner.to_owned()).or_insert_with(|| Pending {
            since: Instant::now(),
            created: HashSet::new(),
            deleted: HashSet::new(),
        });
        entry.since = Instant::now();
        entry.created.extend(created);
        entry.deleted.extend(deleted);
    }

    /// Whether the cache `pods` shows everything `owner` did.
    pub fn satisfied(&self, owner: &str, pods: &Store<Pod>) -> bool {
        let mut pending = self.pending.lock().expect("expectations");
        let Some(entry) = pending.get_mut(owner) else {
            return true;
        };
        if entry.since.elapsed() > EXPIRE_AFTER {
            pending.remove(owner);
            return true;
        }
        entry.created.retain(|pod| pod.cached(pods).is_none());
        entry.deleted.retain(|pod| {
            pod.cached(pods)
                .is_some_and(|cached| cached.metadata.deletion_timestamp.is_none())
        });
        let done = entry.created.is_empty() && entry.deleted.is_empty();
        if done {
            pending.remove(owner);
        }
        done
    }

    /// Forgets `owner` (deleted).
    pub fn forget(&self, owner: &str) {
        self.pending.lock().expect("expectations").remove(owner);
    }
}
