//! The scheduling loop: one task owns the cache and the queue. It takes
//! in what the watches saw and how bindings ended, then schedules the
//! next pod, one at a time as upstream does; bindings run in the
//! background.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::api::scheduling::v1::PriorityClass;
use kube::runtime::watcher;
use kube::{Client, ResourceExt};
use tokio::sync::Semaphore;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

use super::cache::Cache;
use super::framework::{ALL_PLUGINS, Nominations, Plugin, Plugins};
use super::informers::Update;
use super::pod_info::PodInfo;
use super::queue::SchedulingQueue;
use super::reporter::Reporter;

/// How many bindings may be in flight.
const CONCURRENT_BINDS: usize = 64;

/// How a binding ended.
pub struct BindResult {
    pub pod: Arc<PodInfo>,
    pub node: String,
    pub result: Result<(), kube::Error>,
}

/// Which watches have delivered their first full list, and the objects
/// seen since a watch (re)started, to drop what vanished meanwhile.
#[derive(Default)]
struct Sync {
    pods: bool,
    nodes: bool,
    classes: bool,
    pods_seen: Option<HashSet<String>>,
    nodes_seen: Option<HashSet<String>>,
}

pub struct Scheduler {
    pub(super) name: String,
    pub(super) client: Client,
    pub(super) cache: Cache,
    pub(super) queue: SchedulingQueue,
    pub(super) nominations: Nominations,
    pub(super) reporter: Reporter,
    priority_classes: std::collections::HashMap<String, i32>,
    pub(super) bind_permits: Arc<Semaphore>,
    pub(super) bound: UnboundedSender<BindResult>,
    /// Where the next round-robin pass over the nodes starts.
    pub(super) next_start: usize,
    pub(super) random: u64,
    /// Cluster events seen since the queue last heard of them.
    pending_events: Plugins,
    sync: Sync,
}

impl Scheduler {
    /// Schedules pods whose `schedulerName` is `name` until the watches
    /// end.
    pub async fn run(client: Client, name: &str) {
        let (updates_tx, updates) = mpsc::unbounded_channel();
        let (bound_tx, bound) = mpsc::unbounded_channel();
        let watches = super::informers::start(&client, updates_tx);
        let scheduler = Scheduler {
            name: name.to_owned(),
            reporter: Reporter::new(client.clone(), name),
            client,
            cache: Cache::default(),
            queue: SchedulingQueue::default(),
            nominations: Nominations::default(),
            priority_classes: Default::default(),
            bind_permits: Arc::new(Semaphore::new(CONCURRENT_BINDS)),
            bound: bound_tx,
            next_start: 0,
            random: 0x9e37_79b9_7f4a_7c15 ^ u64::from(std::process::id()),
            pending_events: 0,
            sync: Sync::default(),
        };
        scheduler.run_loop(updates, bound).await;
        for watch in watches {
            watch.abort();
        }
    }

    async fn run_loop(
        mut self,
        mut updates: UnboundedReceiver<Update>,
        mut bound: UnboundedReceiver<BindResult>,
    ) {
        let mut flush = tokio::time::interval(Duration::from_secs(30));
        let mut scheduled_since_yield = 0u32;
        loop {
            loop {
                match updates.try_recv() {
                    Ok(update) => self.update(update),
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => return,
                }
            }
            while let Ok(result) = bound.try_recv() {
                self.bind_finished(result);
            }
            if self.pending_events != 0 {
                self.queue.cluster_event(self.pending_events);
                self.pending_events = 0;
            }
            if self.synced()
                && let Some(pod) = self.queue.pop(Instant::now())
            {
                self.schedule_one(pod);
                scheduled_since_yield += 1;
                // Let the watches and bindings on this thread run.
                if scheduled_since_yield >= 16 {
                    scheduled_since_yield = 0;
                    tokio::task::yield_now().await;
                }
                continue;
            }
            let wake = self
                .queue
                .next_ready()
                .map(tokio::time::Instant::from_std)
                .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                update = updates.recv() => match update {
                    Some(update) => self.update(update),
                    None => return,
                },
                Some(result) = bound.recv() => self.bind_finished(result),
                _ = tokio::time::sleep_until(wake) => {}
                _ = flush.tick() => self.queue.flush_unschedulable(Instant::now()),
            }
        }
    }

    fn synced(&self) -> bool {
        self.sync.pods && self.sync.nodes && self.sync.classes
    }

    fn update(&mut self, update: Update) {
        match update {
            Update::Pod(event) => match *event {
                watcher::Event::Init => self.sync.pods_seen = Some(HashSet::new()),
                watcher::Event::InitApply(pod) => {
                    if let Some(seen) = &mut self.sync.pods_seen {
                        seen.insert(pod.uid().unwrap_or_default());
                    }
                    self.pod_applied(pod);
                }
                watcher::Event::InitDone => {
                    if let Some(seen) = self.sync.pods_seen.take() {
                        for (uid, assumed) in self.cache.pod_uids() {
                            if !assumed && !seen.contains(&uid) {
                                self.pod_gone(&uid);
                            }
                        }
                    }
                    self.sync.pods = true;
                }
                watcher::Event::Apply(pod) => self.pod_applied(pod),
                watcher::Event::Delete(pod) => self.pod_gone(&pod.uid().unwrap_or_default()),
            },
            Update::Node(event) => match *event {
                watcher::Event::Init => self.sync.nodes_seen = Some(HashSet::new()),
                watcher::Event::InitApply(node) => {
                    if let Some(seen) = &mut self.sync.nodes_seen {
                        seen.insert(node.name_any());
                    }
                    self.node_applied(&node);
                }
                watcher::Event::InitDone => {
                    if let Some(seen) = self.sync.nodes_seen.take() {
                        for name in self.cache.node_names() {
                            if !seen.contains(&name) {
                                self.cache.remove_node(&name);
                            }
                        }
                    }
                    self.sync.nodes = true;
                }
                watcher::Event::Apply(node) => self.node_applied(&node),
                watcher::Event::Delete(node) => self.cache.remove_node(&node.name_any()),
            },
            Update::PriorityClass(event) => match *event {
                watcher::Event::Init => self.priority_classes.clear(),
                watcher::Event::InitApply(class) | watcher::Event::Apply(class) => {
                    self.class_applied(&class)
                }
                watcher::Event::InitDone => self.sync.classes = true,
                watcher::Event::Delete(class) => {
                    self.priority_classes.remove(&class.name_any());
                }
            },
        }
    }

    fn class_applied(&mut self, class: &PriorityClass) {
        self.priority_classes.insert(class.name_any(), class.value);
    }

    fn node_applied(&mut self, node: &Node) {
        self.cache.set_node(node);
        // A new node, or one whose labels, taints, capacity or
        // schedulability changed, may take pods that waited.
        self.pending_events |= ALL_PLUGINS;
    }

    fn pod_applied(&mut self, pod: Pod) {
        let classes = &self.priority_classes;
        let info = Arc::new(PodInfo::new(pod, |class| classes.get(class).copied()));
        let uid = info.uid.clone();
        if info.terminal() {
            self.pod_gone(&uid);
            return;
        }
        if info.node_name().is_some() {
            self.queue.done(&uid);
            self.nominations.remove(&uid);
            self.cache.set_bound_pod(info);
            // Pods waiting for affinity or spread may follow this one.
            self.pending_events |=
                Plugin::InterPodAffinity as Plugins | Plugin::PodTopologySpread as Plugins;
            return;
        }
        if info.scheduler_name() != self.name || info.terminating || info.has_scheduling_gates() {
            self.queue.remove(&uid);
            self.nominations.remove(&uid);
            return;
        }
        if self.cache.is_assumed(&uid) {
            // Its binding is in flight.
            return;
        }
        if let Some(node) = info.nominated_node() {
            self.nominations.set(&info, node);
        }
        self.queue.add_or_update(info);
    }

    fn pod_gone(&mut self, uid: &str) {
        self.queue.remove(uid);
        self.nominations.remove(uid);
        if self.cache.remove_pod(uid).is_some() {
            // Room freed on a node.
            self.pending_events |= Plugin::NodeResourcesFit as Plugins
                | Plugin::NodePorts as Plugins
                | Plugin::InterPodAffinity as Plugins
                | Plugin::PodTopologySpread as Plugins;
        }
    }

    fn bind_finished(&mut self, bound: BindResult) {
        let uid = &bound.pod.uid;
        match bound.result {
            Ok(()) => {
                self.queue.done(uid);
                self.nominations.remove(uid);
                self.reporter.scheduled(&bound.pod, &bound.node);
            }
            Err(error) => {
                tracing::info!(pod = %bound.pod.key(), node = %bound.node, %error, "binding failed");
                if self.cache.is_assumed(uid) {
                    self.cache.remove_pod(uid);
                }
                if self.queue.contains(uid) {
                    self.queue.retry(uid);
                    self.reporter.failed(
                        &bound.pod,
                        "SchedulerError",
                        format!("Binding rejected: {}", api_message(&error)),
                        None,
                    );
                }
            }
        }
    }
}

/// An API error's message (a Status message where there is one).
fn api_message(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    }
}
