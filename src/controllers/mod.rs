//! The controller-manager: controllers that act on what is stored, each an
//! ordinary API client (`kube` watchers over HTTPS with the
//! `system:kube-controller-manager` identity), never the storage.
//!
//! * [`leader_election`]: one active copy per cluster, through a
//!   `coordination.k8s.io/v1` Lease as upstream;
//! * [`serviceaccount`]: a `default` ServiceAccount in every namespace;
//! * [`serviceaccount_token`]: legacy token Secrets filled (and, opted in,
//!   created for every account as before Kubernetes 1.24);
//! * [`root_ca`]: the `kube-root-ca.crt` ConfigMap in every namespace;
//! * [`namespace`]: a deleted namespace is emptied, then released;
//! * [`garbage_collector`]: objects whose owners are gone are deleted;
//!   Orphan and Foreground deletions are finished.
//! * [`node_lifecycle`]: silent nodes become Unknown and tainted, and
//!   [`taint_eviction`] evicts their pods; [`pod_gc`] deletes orphaned
//!   and surplus terminated pods ([`informer`]: their caches);
//! * [`resource_quota`]: quotas' status counts what their namespace uses;
//! * [`disruption`]: PodDisruptionBudgets say how many pods may go now;
//! * [`csr_signing`]: approved certificate requests for the Kubernetes
//!   signers are issued by the cluster CA;
//! * [`replicaset`]: ReplicaSets and ReplicationControllers keep their
//!   number of pods ([`pods`]: what workload controllers share about pods;
//!   [`events`]: what they tell `kubectl describe`);
//! * [`deployment`]: Deployments roll their template out through
//!   ReplicaSets;
//! * [`endpoints`]: Services list their pods in Endpoints and
//!   EndpointSlices;
//! * [`job`]: Jobs run pods until enough succeed, and [`cronjob`]
//!   starts them on a schedule; [`ttl_after_finished`] deletes finished
//!   ones that asked to go;
//! * [`daemonset`]: DaemonSets run a pod on every node they belong on
//!   ([`history`]: the template revisions DaemonSets and StatefulSets
//!   roll through);
//! * [`statefulset`]: StatefulSets run numbered pods with their own
//!   storage, in order.
//!
//! `keelson up` runs them in-process; `keelson controller-manager` runs
//! them alone.

pub mod cronjob;
pub mod csr_signing;
pub mod daemonset;
pub mod deployment;
pub mod disruption;
pub mod endpoints;
pub mod events;
pub mod garbage_collector;
pub mod history;
pub mod informer;
pub mod int_or_percent;
pub mod job;
pub mod leader_election;
pub mod namespace;
pub mod node_lifecycle;
pub mod pod_gc;
pub mod pods;
pub mod replicaset;
pub mod resource_quota;
pub mod root_ca;
pub mod serviceaccount;
pub mod serviceaccount_token;
pub mod statefulset;
pub mod status;
pub mod taint_eviction;
pub mod ttl_after_finished;

use std::future::Future;
use std::time::Duration;

use kube::Client;

use self::leader_election::LeaderElection;

/// Every controller keelson has, by upstream's names.
pub const ALL: [&str; 20] = [
    "serviceaccount",
    "serviceaccount-token",
    "root-ca-cert-publisher",
    "namespace",
    "garbagecollector",
    "nodelifecycle",
    "podgc",
    "resourcequota",
    "csrsigning",
    "replicaset",
    "replicationcontroller",
    "deployment",
    "endpoint",
    "endpointslice",
    "job",
    "daemonset",
    "statefulset",
    "cronjob",
    "ttl-after-finished",
    "disruption",
];

/// How to run the controllers.
#[derive(Clone, Debug)]
pub struct Options {
    /// Upstream's `--controllers`: names, `*` for all, `-name` to leave
    /// one out.
    pub controllers: Vec<String>,
    /// Take the `kube-controller-manager` Lease first (`--leader-elect`).
    pub leader_elect: bool,
    /// The cluster CA bundle (PEM) the root-CA publisher distributes.
    pub root_ca: Option<String>,
    /// The key (PEM) legacy token Secrets are signed with
    /// (`--service-account-private-key-file`); without it the
    /// serviceaccount-token controller does not run.
    pub service_account_key: Option<String>,
    /// Create a token Secret for every ServiceAccount, as Kubernetes did
    /// before 1.24 (`--legacy-service-account-token-secrets`).
    pub legacy_token_secrets: bool,
    /// How long a node may stay silent before it is Unknown
    /// (`--node-monitor-grace-period`).
    pub node_monitor_grace_period: Duration,
    /// How many terminated pods may stay (`--terminated-pod-gc-threshold`).
    pub terminated_pod_gc_threshold: usize,
    /// The CA that issues approved CertificateSigningRequests
    /// (`--cluster-signing-cert-file`, `--cluster-signing-key-file`);
    /// without it the csrsigning controller does not run.
    pub cluster_signing: Option<std::sync::Arc<crate::pki::CertificateAuthority>>,
    /// The longest certificate it issues (`--cluster-signing-duration`).
    pub cluster_signing_duration: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            controllers: vec!["*".into()],
            leader_elect: true,
            root_ca: None,
            service_account_key: None,
            legacy_token_secrets: false,
            node_monitor_grace_period: Duration::from_secs(40),
            terminated_pod_gc_threshold: 12_500,
            cluster_signing: None,
            cluster_signing_duration: crate::pki::lifetime::LEAF_LIFETIME,
        }
    }
}

impl Options {
    /// Whether `name` runs, by `--controllers` rules.
    pub fn enabled(&self, name: &str) -> bool {
        let mut enabled = false;
        for entry in &self.controllers {
            if entry == "*" {
                enabled = true;
            } else if entry.strip_prefix('-') == Some(name) {
                return false;
            } else if entry == name {
                enabled = true;
            }
        }
        enabled
    }
}

/// Runs the enabled controllers until `shutdown` completes; with leader
/// election, only while this copy holds the Lease (losing it is an error:
/// the process should exit, as upstream's does, rather than act on a
/// cluster another copy now manages).
pub async fn run(
    client: Client,
    options: Options,
    shutdown: impl Future<Output = ()>,
) -> Result<(), String> {
    for name in &options.controllers {
        let name = name.trim_start_matches('-');
        if name != "*" && !ALL.contains(&name) {
            return Err(format!(
                "unknown controller {name:?} (known: {})",
                ALL.join(", ")
            ));
        }
    }
    tokio::pin!(shutdown);
    let election = options
        .leader_elect
        .then(|| LeaderElection::new(client.clone(), "kube-controller-manager"));
    if let Some(election) = &election {
        tokio::select! {
            _ = election.acquire() => {}
            _ = &mut shutdown => return Ok(()),
        }
    }
    let mut tasks = tokio::task::JoinSet::new();
    if options.enabled("serviceaccount") {
        tasks.spawn(serviceaccount::run(client.clone()));
    }
    if options.enabled("serviceaccount-token") {
        match &options.service_account_key {
            Some(pem) => {
                let key = crate::apiserver::serviceaccount::keys::SigningKey::from_pem(pem)
                    .map_err(|e| format!("--service-account-private-key-file: {e}"))?;
                tasks.spawn(serviceaccount_token::run(
                    client.clone(),
                    serviceaccount_token::TokenSecrets {
                        key,
                        root_ca: options.root_ca.clone(),
                        create_for_every_account: options.legacy_token_secrets,
                    },
                ));
            }
            None => tracing::info!("serviceaccount-token: no signing key; not started"),
        }
    }
    if options.enabled("root-ca-cert-publisher") {
        match &options.root_ca {
            Some(pem) => {
                tasks.spawn(root_ca::run(client.clone(), pem.clone()));
            }
            None => tracing::warn!("root-ca-cert-publisher: no CA bundle; not started"),
        }
    }
    if options.enabled("namespace") {
        tasks.spawn(namespace::run(client.clone()));
    }
    if options.enabled("garbagecollector") {
        tasks.spawn(garbage_collector::run(client.clone()));
    }
    if options.enabled("nodelifecycle") {
        let settings = node_lifecycle::Settings {
            grace_period: options.node_monitor_grace_period,
        };
        tasks.spawn(node_lifecycle::run(client.clone(), settings));
    }
    if options.enabled("podgc") {
        let settings = pod_gc::Settings {
            terminated_threshold: options.terminated_pod_gc_threshold,
            ..Default::default()
        };
        tasks.spawn(pod_gc::run(client.clone(), settings));
    }
    if options.enabled("csrsigning") {
        match &options.cluster_signing {
            Some(authority) => {
                let signing = csr_signing::Signing {
                    authority: authority.clone(),
                    duration: options.cluster_signing_duration,
                };
                tasks.spawn(csr_signing::run(client.clone(), signing));
            }
            None => tracing::info!("csrsigning: no signing CA; not started"),
        }
    }
    if options.enabled("replicaset") {
        tasks.spawn(replicaset::run::<k8s_openapi::api::apps::v1::ReplicaSet>(
            client.clone(),
        ));
    }
    if options.enabled("replicationcontroller") {
        tasks.spawn(replicaset::run::<
            k8s_openapi::api::core::v1::ReplicationController,
        >(client.clone()));
    }
    if options.enabled("deployment") {
        tasks.spawn(deployment::run(client.clone()));
    }
    let publish = endpoints::Publish {
        endpoints: options.enabled("endpoint"),
        slices: options.enabled("endpointslice"),
    };
    if publish.endpoints || publish.slices {
        tasks.spawn(endpoints::run(client.clone(), publish));
    }
    if options.enabled("job") {
        tasks.spawn(job::run(client.clone()));
    }
    if options.enabled("daemonset") {
        tasks.spawn(daemonset::run(client.clone()));
    }
    if options.enabled("statefulset") {
        tasks.spawn(statefulset::run(client.clone()));
    }
    if options.enabled("cronjob") {
        tasks.spawn(cronjob::run(client.clone()));
    }
    if options.enabled("ttl-after-finished") {
        tasks.spawn(ttl_after_finished::run(client.clone()));
    }
    if options.enabled("disruption") {
        tasks.spawn(disruption::run(client.clone()));
    }
    if options.enabled("resourcequota") {
        tasks.spawn(resource_quota::run(client.clone()));
    }
    tracing::info!(controllers = tasks.len(), "controllers started");
    let lost = async {
        match &election {
            Some(election) => election.hold().await,
            None => std::future::pending().await,
        }
    };
    let result = tokio::select! {
        _ = &mut shutdown => Ok(()),
        _ = lost => Err("leader election lost".to_owned()),
        Some(ended) = tasks.join_next() => Err(format!("a controller stopped: {ended:?}")),
    };
    tasks.abort_all();
    if let (Some(election), Ok(())) = (&election, &result) {
        // Hand over at once rather than after the Lease expires.
        election.release().await;
    }
    result
}

/// How long a failed reconcile waits before it is tried again.
pub const RETRY: Duration = Duration::from_secs(2);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controllers_flag_selects_as_upstream() {
        let options = |list: &[&str]| Options {
            controllers: list.iter().map(|s| s.to_string()).collect(),
            ..Options::default()
        };
        assert!(options(&["*"]).enabled("namespace"));
        assert!(!options(&["*", "-namespace"]).enabled("namespace"));
        assert!(options(&["*", "-namespace"]).enabled("serviceaccount"));
        assert!(!options(&["serviceaccount"]).enabled("namespace"));
        assert!(!options(&[]).enabled("namespace"));
    }
}
