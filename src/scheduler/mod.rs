//! The scheduler: an ordinary API client (`kube` watches over HTTPS with
//! the `system:kube-scheduler` identity) that binds pending pods to
//! nodes, as upstream's kube-scheduler with its default profile does.
//!
//! * [`informers`] feed the [`event_loop`], which alone owns the
//!   [`cache`] (nodes, bound and assumed pods: nothing is listed per
//!   pod) and the [`queue`] (active, backoff, unschedulable);
//! * [`schedule_one`] runs the [`framework`]: the [`plugins`]' filters and
//!   scores over [`node_info`] and [`pod_info`] (with [`resources`] and
//!   [`selectors`]), then [`binder`] writes `pods/binding`;
//! * a pod no node takes gets [`fit_error`]'s upstream message through
//!   the [`reporter`] (condition and `FailedScheduling` event), and
//!   [`preemption`] may make room for it;
//! * only pods whose `schedulerName` is this scheduler's are touched;
//!   with leader election, one copy acts (the `kube-scheduler` Lease).

pub mod binder;
pub mod cache;
pub mod event_loop;
pub mod fit_error;
pub mod framework;
pub mod informers;
pub mod node_info;
pub mod plugins;
pub mod pod_info;
pub mod preemption;
pub mod queue;
pub mod reporter;
pub mod resources;
pub mod schedule_one;
pub mod selectors;

use std::future::Future;

use kube::Client;

use crate::controllers::leader_election::LeaderElection;

/// Upstream's default scheduler name.
pub const DEFAULT_SCHEDULER_NAME: &str = "default-scheduler";

/// How to run the scheduler.
#[derive(Clone, Debug)]
pub struct Options {
    /// Pods with this `schedulerName` are ours.
    pub scheduler_name: String,
    /// Act only while holding the Lease (`--leader-elect`).
    pub leader_elect: bool,
    /// The Lease's name in `kube-system` (upstream: `kube-scheduler`).
    pub lease_name: String,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            scheduler_name: DEFAULT_SCHEDULER_NAME.into(),
            leader_elect: true,
            lease_name: "kube-scheduler".into(),
        }
    }
}

/// Schedules until `shutdown` completes; with leader election, only while
/// holding the Lease (losing it is an error: the process should exit, as
/// upstream's does).
pub async fn run(
    client: Client,
    options: Options,
    shutdown: impl Future<Output = ()>,
) -> Result<(), String> {
    tokio::pin!(shutdown);
    let election = options
        .leader_elect
        .then(|| LeaderElection::new(client.clone(), &options.lease_name));
    if let Some(election) = &election {
        tokio::select! {
            _ = election.acquire() => {}
            _ = &mut shutdown => return Ok(()),
        }
    }
    tracing::info!(scheduler = %options.scheduler_name, "scheduler started");
    let lost = async {
        match &election {
            Some(election) => election.hold().await,
            None => std::future::pending().await,
        }
    };
    let result = tokio::select! {
        _ = &mut shutdown => Ok(()),
        _ = lost => Err("leader election lost".to_owned()),
        _ = event_loop::Scheduler::run(client, &options.scheduler_name) => Err("the scheduling loop ended".to_owned()),
    };
    if let (Some(election), Ok(())) = (&election, &result) {
        election.release().await;
    }
    result
}
