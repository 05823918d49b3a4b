//! A node simulator: N fake Nodes that an ordinary kube client registers,
//! keeps alive and plays kubelet for, so that the scheduler, the
//! controllers and workloads can be tested and measured without
//! containers. It is a client like any kubelet, never touching storage.
//!
//! * [`nodes`]: the Node objects (capacity, allocatable, Ready) and their
//!   fake address ranges;
//! * [`leases`]: `kube-node-lease` heartbeats every 10 s, renewed in
//!   bounded batches so that thousands of nodes cost a few connections;
//! * [`background`]: the same on a thread of its own, for tests whose
//!   runtime blocks on `kubectl`;
//! * [`kubelet`]: one pod watch for every simulated node: bound pods are
//!   started (Running, Ready, podIP, container statuses), Job pods finish,
//!   deleted pods are released as kubelet does.
//!
//! ```ignore
//! let simulator = NodeSimulator::start(client, SimulatorOptions { count: 3, ..Default::default() }).await?;
//! simulator.stop_renewing("sim-1"); // the node goes silent; its pods keep their status
//! ```

pub mod background;
pub mod kubelet;
pub mod leases;
pub mod nodes;

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::Client;
use tokio::task::JoinHandle;

/// What to simulate.
#[derive(Clone, Debug)]
pub struct SimulatorOptions {
    /// How many nodes.
    pub count: usize,
    /// Node names are `<prefix><index>`.
    pub prefix: String,
    /// The first index (so that two simulators can share a prefix).
    pub first_index: usize,
    /// Each node's CPU capacity and allocatable (a quantity, e.g. `8`).
    pub cpu: String,
    /// Each node's memory (a quantity, e.g. `32Gi`).
    pub memory: String,
    /// How many pods each node takes.
    pub pods: u32,
    /// Extra labels on every node.
    pub labels: BTreeMap<String, String>,
    /// How often leases are renewed (kubelet: 10 s, a quarter of the
    /// 40 s lease).
    pub lease_renew_interval: Duration,
    /// How long a pod whose `restartPolicy` is `Never` or `OnFailure` runs
    /// before it succeeds.
    pub job_pod_runtime: Duration,
    /// Whether to play kubelet for bound pods (benchmarks of the scheduler
    /// alone turn it off, like upstream's scheduler_perf).
    pub run_pods: bool,
    /// How many API requests the simulator has in flight at most.
    pub concurrency: usize,
}

impl Default for SimulatorOptions {
    fn default() -> SimulatorOptions {
        SimulatorOptions {
            count: 1,
            prefix: "sim-".into(),
            first_index: 0,
            cpu: "8".into(),
            memory: "32Gi".into(),
            pods: 110,
            labels: BTreeMap::new(),
            lease_renew_interval: Duration::from_secs(10),
            job_pod_runtime: Duration::from_secs(1),
            run_pods: true,
            concurrency: 32,
        }
    }
}

/// State the simulator's tasks share.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Nodes whose leases are no longer renewed.
    silent: Mutex<HashSet<String>>,
    /// Nodes that came back: their status is posted afresh (Ready), as a
    /// restarted kubelet does.
    revived: Mutex<HashSet<String>>,
    /// Revived nodes whose pods the kubelet has to look at again.
    resync: Mutex<HashSet<String>>,
}

impl Shared {
    pub(crate) fn is_silent(&self, node: &str) -> bool {
        self.silent
            .lock()
            .map(|s| s.contains(node))
            .unwrap_or(false)
    }

    pub(crate) fn take_resync(&self) -> Vec<String> {
        self.resync
            .lock()
            .map(|mut r| r.drain().collect())
            .unwrap_or_default()
    }

    pub(crate) fn take_revived(&self) -> Vec<String> {
        self.revived
            .lock()
            .map(|mut r| r.drain().collect())
            .unwrap_or_default()
    }
}

/// A running simulator; dropping it stops the heartbeats and the kubelet
/// (the Nodes stay, as after a real kubelet stops).
pub struct NodeSimulator {
    nodes: Arc<Vec<nodes::SimulatedNode>>,
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

impl NodeSimulator {
    /// Registers the nodes (or takes over existing ones of the same
    /// names), creates their leases, and starts renewing them and running
    /// their pods.
    pub async fn start(client: Client, options: SimulatorOptions) -> Result<NodeSimulator, String> {
        let simulated: Vec<nodes::SimulatedNode> = (options.first_index
            ..options.first_index + options.count)
            .map(|index| nodes::SimulatedNode::new(&options, index))
            .collect();
        nodes::register(&client, &simulated, &options).await?;
        let nodes = Arc::new(simulated);
        let shared = Arc::new(Shared::default());
        leases::renew_all(&client, &nodes, &shared, options.concurrency).await?;
        let mut tasks = vec![tokio::spawn(leases::run(
            client.clone(),
            nodes.clone(),
            shared.clone(),
            options.clone(),
        ))];
        if options.run_pods {
            tasks.push(tokio::spawn(kubelet::run(
                client.clone(),
                nodes.clone(),
                shared.clone(),
                options.clone(),
            )));
        }
        Ok(NodeSimulator {
            nodes,
            shared,
            tasks,
        })
    }

    /// The simulated nodes' names.
    pub fn node_names(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.name.clone()).collect()
    }

    /// Stops renewing `node`'s lease, as if its kubelet had died (its pods
    /// are no longer played either).
    pub fn stop_renewing(&self, node: &str) {
        if let Ok(mut silent) = self.shared.silent.lock() {
            silent.insert(node.to_owned());
        }
    }

    /// Renews `node`'s lease again and posts its status (Ready) at the
    /// next renewal.
    pub fn resume_renewing(&self, node: &str) {
        if let Ok(mut silent) = self.shared.silent.lock() {
            silent.remove(node);
        }
        if let Ok(mut revived) = self.shared.revived.lock() {
            revived.insert(node.to_owned());
        }
        if let Ok(mut resync) = self.shared.resync.lock() {
            resync.insert(node.to_owned());
        }
    }

    /// Waits for the simulator's tasks (forever, unless one fails).
    pub async fn wait(mut self) -> Result<(), String> {
        let tasks = std::mem::take(&mut self.tasks);
        let (ended, _, _) = futures::future::select_all(tasks).await;
        ended.map_err(|e| format!("node simulator task: {e}"))?;
        Err("node simulator task ended".into())
    }
}

impl Drop for NodeSimulator {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
