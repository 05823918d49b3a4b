//! `keelson scheduler`: the scheduler alone, as an API client of any
//! Kubernetes API server (upstream's flag names), and the in-process copy
//! `keelson up` runs.

use std::path::{Path, PathBuf};

use clap::{ArgAction, Args};

use crate::apiserver::lifecycle::Lifecycle;
use crate::apiserver::serve::signals::shutdown_signal;
use crate::scheduler::{self, Options};

#[derive(Debug, Args)]
pub struct SchedulerArgs {
    /// The kubeconfig to reach the API server with (its identity should be
    /// `system:kube-scheduler`).
    #[arg(long)]
    pub kubeconfig: PathBuf,

    /// Schedule only while holding the `kube-scheduler` Lease in
    /// `kube-system`, so that one of several copies acts.
    #[arg(long, default_value_t = true, action = ArgAction::Set)]
    pub leader_elect: bool,

    /// Schedule the pods whose `spec.schedulerName` is this.
    #[arg(long, default_value = scheduler::DEFAULT_SCHEDULER_NAME)]
    pub scheduler_name: String,

    /// The leader-election Lease's name (upstream's
    /// `--leader-elect-resource-name`).
    #[arg(long, default_value = "kube-scheduler")]
    pub leader_elect_resource_name: String,
}

pub fn run(args: SchedulerArgs) -> Result<(), String> {
    let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("tokio runtime: {e}"))?;
    runtime.block_on(async move {
        let (client, _) =
            super::controller_manager::client_from_kubeconfig(&args.kubeconfig, "kube-scheduler")
                .await?;
        let options = Options {
            scheduler_name: args.scheduler_name,
            leader_elect: args.leader_elect,
            lease_name: args.leader_elect_resource_name,
        };
        let shutdown = async {
            let signal = shutdown_signal().await;
            tracing::info!(signal, "shutting down");
        };
        scheduler::run(client, options, shutdown).await
    })
}

/// `keelson up`'s scheduler: in this process, but an API client like any
/// other, with its own identity (the kubeconfig minted for it). Unlike a
/// lone scheduler, which exits when it loses the Lease, it stands for
/// election again.
pub fn start_in_process(kubeconfig: &Path, lifecycle: &Lifecycle) {
    let kubeconfig = kubeconfig.to_owned();
    let lifecycle = lifecycle.clone();
    tokio::spawn(async move {
        let client =
            match super::controller_manager::client_from_kubeconfig(&kubeconfig, "kube-scheduler")
                .await
            {
                Ok((client, _)) => client,
                Err(error) => {
                    tracing::error!(%error, "scheduler not started");
                    return;
                }
            };
        loop {
            let shutdown = lifecycle.shutdown_started();
            match scheduler::run(client.clone(), Options::default(), shutdown).await {
                Ok(()) => return,
                Err(error) => tracing::error!(%error, "scheduler stopped; restarting"),
            }
            tokio::time::sleep(crate::controllers::RETRY).await;
        }
    });
}
