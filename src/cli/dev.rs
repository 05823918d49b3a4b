//! `keelson dev …`: tools for developing against keelson (or any API
//! server), not part of a cluster. `keelson dev simulate-nodes` registers
//! simulated nodes and plays kubelet for them until interrupted.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

use crate::apiserver::serve::signals::shutdown_signal;
use crate::testing::node_simulator::{NodeSimulator, SimulatorOptions};

#[derive(Debug, Args)]
pub struct DevArgs {
    #[command(subcommand)]
    pub command: DevCommand,
}

#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Register simulated nodes, renew their leases and run their pods
    /// (no containers: statuses only) until interrupted.
    SimulateNodes(SimulateNodesArgs),
}

#[derive(Debug, Args)]
pub struct SimulateNodesArgs {
    /// The kubeconfig to reach the API server with.
    #[arg(long)]
    pub kubeconfig: PathBuf,
    /// How many nodes.
    #[arg(long, default_value_t = 3)]
    pub count: usize,
    /// Node names are `<prefix><index>`.
    #[arg(long, default_value = "sim-")]
    pub prefix: String,
    /// Each node's CPU.
    #[arg(long, default_value = "8")]
    pub cpu: String,
    /// Each node's memory.
    #[arg(long, default_value = "32Gi")]
    pub memory: String,
    /// How many pods each node takes.
    #[arg(long, default_value_t = 110)]
    pub pods: u32,
    /// Extra node labels, `key=value`.
    #[arg(long = "label", value_delimiter = ',')]
    pub labels: Vec<String>,
    /// Seconds a pod that does not restart (a Job's) runs before it
    /// succeeds.
    #[arg(long, default_value_t = 1.0)]
    pub job_pod_seconds: f64,
}

pub fn run(args: DevArgs) -> Result<(), String> {
    match args.command {
        DevCommand::SimulateNodes(args) => simulate_nodes(args),
    }
}

fn simulate_nodes(args: SimulateNodesArgs) -> Result<(), String> {
    let mut labels = std::collections::BTreeMap::new();
    for label in &args.labels {
        let (key, value) = label
            .split_once('=')
            .ok_or_else(|| format!("--label {label:?}: expected key=value"))?;
        labels.insert(key.to_owned(), value.to_owned());
    }
    if !args.job_pod_seconds.is_finite() || args.job_pod_seconds < 0.0 {
        return Err("--job-pod-seconds must be a non-negative number".into());
    }
    let options = SimulatorOptions {
        count: args.count,
        prefix: args.prefix,
        cpu: args.cpu,
        memory: args.memory,
        pods: args.pods,
        labels,
        job_pod_runtime: Duration::from_secs_f64(args.job_pod_seconds),
        ..Default::default()
    };
    let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("tokio runtime: {e}"))?;
    runtime.block_on(async move {
        let (client, _) = super::controller_manager::client_from_kubeconfig(
            &args.kubeconfig,
            "keelson-node-simulator",
        )
        .await?;
        let count = options.count;
        let simulator = NodeSimulator::start(client, options).await?;
        eprintln!("Simulating {count} nodes");
        tokio::select! {
            result = simulator.wait() => result,
            signal = shutdown_signal() => {
                tracing::info!(signal, "stopping the node simulator");
                Ok(())
            }
        }
    })
}
